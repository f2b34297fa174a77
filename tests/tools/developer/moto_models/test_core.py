"""Each model of the types today's stacks use, deployed from a small template of its own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import ACCOUNT, client
from tests.support.moto_stacks import create_stack, model_of

pytestmark = pytest.mark.usefixtures("aws")

TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "${Bucket.Arn}/*"}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "${Bucket.Arn}/*"}],
            "Condition": {"NumericLessThan": {"s3:TlsVersion": 1.2}},
        },
    ],
}


def test_bucket_properties_moto_ignores_are_applied():
    created = create_stack(
        {
            "Logs": {"Type": "AWS::S3::Bucket"},
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "expire",
                                "Status": "Enabled",
                                "ExpirationInDays": 30,
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                            }
                        ]
                    },
                    "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "s3/"},
                },
            },
        }
    )
    s3 = client("s3")
    bucket, logs = created.physical["Bucket"], created.physical["Logs"]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["ID"] == "expire"
    assert rule["Expiration"] == {"Days": 30}
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 7
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": logs, "TargetPrefix": "s3/"}


def test_bucket_policy_is_put_and_its_tls_conditions_are_evaluated():
    created = create_stack(
        {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": TLS_ONLY},
            },
        }
    )
    s3 = client("s3")
    bucket = created.physical["Bucket"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    # moto alone applies a conditional Deny unconditionally; requests over TLS must pass.
    s3.put_object(Bucket=bucket, Key="k", Body=b"over tls")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"over tls"


def test_an_unconditional_deny_in_a_bucket_policy_still_denies():
    deny_all = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:PutObject",
                "Resource": {"Fn::Sub": "${Bucket.Arn}/*"},
                "Condition": {"StringEquals": {"aws:SecureTransport": "true"}},
            }
        ],
    }
    created = create_stack(
        {
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": deny_all},
            },
        }
    )
    with pytest.raises(ClientError, match=r"\(403\)"):
        client("s3").put_object(Bucket=created.physical["Bucket"], Key="k", Body=b"x")


def test_a_non_empty_bucket_fails_the_stack_deletion_naming_it():
    created = create_stack({"Bucket": {"Type": "AWS::S3::Bucket"}})
    client("s3").put_object(Bucket=created.physical["Bucket"], Key="k", Body=b"x")
    with pytest.raises(ClientError, match=r"Bucket \(AWS::S3::Bucket\) could not be deleted.*not empty"):
        client("cloudformation").delete_stack(StackName=created.name)
    assert client("s3").get_object(Bucket=created.physical["Bucket"], Key="k")["Body"].read() == b"x"


def test_auto_delete_objects_empties_a_tagged_bucket_so_it_can_be_deleted():
    created = create_stack(
        {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "Tags": [{"Key": "aws-cdk:auto-delete-objects", "Value": "true"}],
                },
            },
            "AutoDelete": {
                "Type": "Custom::S3AutoDeleteObjects",
                "Properties": {
                    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
                    "BucketName": {"Ref": "Bucket"},
                },
            },
        }
    )
    s3 = client("s3")
    bucket = created.physical["Bucket"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"1")
    s3.put_object(Bucket=bucket, Key="k", Body=b"2")
    s3.delete_object(Bucket=bucket, Key="k")  # leaves two versions and a delete marker
    created.delete()
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_auto_delete_objects_leaves_an_untagged_bucket_alone():
    created = create_stack(
        {
            "Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            "AutoDelete": {
                "Type": "Custom::S3AutoDeleteObjects",
                "Properties": {
                    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
                    "BucketName": {"Ref": "Bucket"},
                },
            },
        }
    )
    client("s3").put_object(Bucket=created.physical["Bucket"], Key="keep", Body=b"data")
    created.delete()
    assert client("s3").get_object(Bucket=created.physical["Bucket"], Key="keep")["Body"].read() == b"data"


def test_sns_topic_policy_and_subscription():
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": {"Ref": "Topic"},
            }
        ],
    }
    created = create_stack(
        {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Policy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": policy},
            },
            "Mail": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "ops@example.com"},
            },
        }
    )
    sns = client("sns")
    topic = created.physical["Topic"]
    applied = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert applied["Statement"][0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert applied["Statement"][0]["Resource"] == topic
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "ops@example.com")
    assert created.physical["Mail"] == subscription["SubscriptionArn"]
    created.delete()
    assert sns.list_subscriptions()["Subscriptions"] == []


def test_ssm_parameter_answers_get_att_value():
    created = create_stack(
        {
            "Version": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/cdk-bootstrap/test/version", "Type": "String", "Value": "30"},
            }
        },
        outputs={"BootstrapVersion": {"Fn::GetAtt": ["Version", "Value"]}},
    )
    assert created.outputs == {"BootstrapVersion": "30"}
    assert client("ssm").get_parameter(Name="/cdk-bootstrap/test/version")["Parameter"]["Value"] == "30"
    created.delete()
    assert client("ssm").describe_parameters()["Parameters"] == []


def test_kms_key_with_tags_rotation_and_scheduled_deletion():
    created = create_stack(
        {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "Description": "data lake",
                    "EnableKeyRotation": True,
                    "PendingWindowInDays": 7,
                    "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                    "Tags": [{"Key": "project", "Value": "showrunner"}],
                },
            }
        },
        outputs={"Arn": {"Fn::GetAtt": ["Key", "Arn"]}},
    )
    kms = client("kms")
    key_id = created.physical["Key"]
    assert created.outputs["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key_id}"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "project", "TagValue": "showrunner"}]
    created.delete()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def _vpc() -> dict[str, Any]:
    return {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.10.0.0/16"}}}


def test_security_group_with_all_traffic_rules_replaces_the_default_egress():
    created = create_stack(
        {
            **_vpc(),
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "nat",
                    "VpcId": {"Ref": "Vpc"},
                    "SecurityGroupIngress": [{"CidrIp": "10.10.0.0/16", "IpProtocol": "-1", "Description": "vpc"}],
                    "SecurityGroupEgress": [
                        {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
                    ],
                },
            },
            "Https": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Ref": "Group"},
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "SourceSecurityGroupId": {"Ref": "Group"},
                },
            },
        }
    )
    [group] = client("ec2").describe_security_groups(GroupIds=[created.physical["Group"]])["SecurityGroups"]
    assert {(p["IpProtocol"], p.get("FromPort")) for p in group["IpPermissionsEgress"]} == {("tcp", 443)}
    ingress = {(p["IpProtocol"], p.get("FromPort")): p for p in group["IpPermissions"]}
    assert ingress["-1", None]["IpRanges"] == [{"CidrIp": "10.10.0.0/16", "Description": "vpc"}]
    assert ingress["tcp", 443]["UserIdGroupPairs"][0]["GroupId"] == created.physical["Group"]
    created.delete()
    assert [g["GroupName"] for g in client("ec2").describe_security_groups()["SecurityGroups"]] == ["default"]


def test_flow_log_to_an_s3_prefix_and_default_security_group_restriction():
    created = create_stack(
        {
            **_vpc(),
            "Logs": {"Type": "AWS::S3::Bucket"},
            "FlowLog": {
                "Type": "AWS::EC2::FlowLog",
                "Properties": {
                    "ResourceId": {"Ref": "Vpc"},
                    "ResourceType": "VPC",
                    "TrafficType": "ALL",
                    "LogDestinationType": "s3",
                    "LogDestination": {"Fn::Join": ["", [{"Fn::GetAtt": ["Logs", "Arn"]}, "/vpc-flow-logs/"]]},
                },
            },
            "Restrict": {
                "Type": "Custom::VpcRestrictDefaultSG",
                "Properties": {
                    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
                    "DefaultSecurityGroupId": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]},
                    "Account": ACCOUNT,
                },
            },
        }
    )
    ec2 = client("ec2")
    [flow_log] = ec2.describe_flow_logs()["FlowLogs"]
    assert flow_log["LogDestination"] == f"arn:aws:s3:::{created.physical['Logs']}/vpc-flow-logs/"
    assert flow_log["ResourceId"] == created.physical["Vpc"]
    [default] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [created.physical["Vpc"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert default["IpPermissions"] == []
    assert default["IpPermissionsEgress"] == []
    created.delete()
    assert ec2.describe_flow_logs()["FlowLogs"] == []


def test_cross_region_exports_are_written_and_read_through_ssm():
    writer = create_stack(
        {
            "Writer": {
                "Type": "Custom::CrossRegionExportWriter",
                "Properties": {
                    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
                    "WriterProps": {
                        "region": "eu-west-1",
                        "exports": {"/cdk/exports/Edge/WebAclArn": "arn:aws:wafv2:acl"},
                    },
                },
            }
        },
        name="waf",
    )
    reader = create_stack(
        {
            "Reader": {
                "Type": "Custom::CrossRegionExportReader",
                "Properties": {
                    "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:x",
                    "ReaderProps": {
                        "region": "eu-west-1",
                        "prefix": "/cdk/exports/Edge/",
                        "imports": {"/cdk/exports/Edge/WebAclArn": "x"},
                    },
                },
            }
        },
        outputs={"Acl": {"Fn::GetAtt": ["Reader", "/cdk/exports/Edge/WebAclArn"]}},
        name="edge",
        region="eu-west-1",
    )
    assert reader.outputs == {"Acl": "arn:aws:wafv2:acl"}
    reader.delete(region="eu-west-1")
    writer.delete()
    assert client("ssm", "eu-west-1").describe_parameters()["Parameters"] == []


def test_cross_region_reader_fails_when_an_import_is_missing():
    with pytest.raises(ClientError, match=r"Reader .*WebAclArn"):
        create_stack(
            {
                "Reader": {
                    "Type": "Custom::CrossRegionExportReader",
                    "Properties": {
                        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
                        "ReaderProps": {
                            "region": "us-east-1",
                            "prefix": "/cdk/exports/Edge/",
                            "imports": {"/cdk/exports/Edge/WebAclArn": "x"},
                        },
                    },
                }
            }
        )


def test_aws_custom_resource_makes_its_sdk_call():
    client("ssm").put_parameter(Name="/showrunner/origin-secret", Value="s3cr3t-header", Type="String")
    call = {
        "service": "SSM",
        "action": "getParameter",
        "parameters": {"Name": "/showrunner/origin-secret"},
        "physicalResourceId": {"responsePath": "Parameter.Name"},
    }
    delete = {
        "service": "@aws-sdk/client-ssm",
        "action": "DeleteParameterCommand",
        "parameters": {"Name": "/showrunner/origin-secret"},
    }
    created = create_stack(
        {
            "Lookup": {
                "Type": "Custom::AWS",
                "Properties": {
                    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:x",
                    "Create": json.dumps(call),
                    "Delete": json.dumps(delete),
                },
            }
        },
        outputs={"Value": {"Fn::GetAtt": ["Lookup", "Parameter.Value"]}},
    )
    assert created.outputs == {"Value": "s3cr3t-header"}
    assert created.physical["Lookup"] == "/showrunner/origin-secret"
    created.delete()
    assert client("ssm").describe_parameters()["Parameters"] == []


def test_cdk_metadata_is_recorded():
    created = create_stack(
        {"CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:abc"}}}
    )
    assert model_of(created.name, "CDKMetadata").properties == {"Analytics": "v2:deflate64:abc"}
