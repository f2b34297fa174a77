"""Models for the types the Origin, Playback, Edge, Analytics and Operations stacks will use,
each deployed from a small template and read back through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.aws import ACCOUNT, client
from tests.support.moto_stacks import create_stack, model_of

pytestmark = pytest.mark.usefixtures("aws")

ROLE: dict[str, Any] = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    },
}
FUNCTION: dict[str, Any] = {
    "Type": "AWS::Lambda::Function",
    "Properties": {
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "def handler(event, context):\n    return {}\n"},
    },
}


def _public_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_cloudfront_distribution_with_oac_key_group_function_and_recorded_policies():
    pem = _public_key_pem()
    created = create_stack(
        {
            "Content": {"Type": "AWS::S3::Bucket"},
            "Oac": {
                "Type": "AWS::CloudFront::OriginAccessControl",
                "Properties": {
                    "OriginAccessControlConfig": {
                        "Name": "content-oac",
                        "OriginAccessControlOriginType": "s3",
                        "SigningBehavior": "always",
                        "SigningProtocol": "sigv4",
                    }
                },
            },
            "PublicKey": {
                "Type": "AWS::CloudFront::PublicKey",
                "Properties": {"PublicKeyConfig": {"CallerReference": "k1", "Name": "signing", "EncodedKey": pem}},
            },
            "KeyGroup": {
                "Type": "AWS::CloudFront::KeyGroup",
                "Properties": {"KeyGroupConfig": {"Name": "viewers", "Items": [{"Ref": "PublicKey"}]}},
            },
            "Rewrite": {
                "Type": "AWS::CloudFront::Function",
                "Properties": {
                    "Name": "rewrite",
                    "AutoPublish": True,
                    "FunctionConfig": {"Comment": "index", "Runtime": "cloudfront-js-2.0"},
                    "FunctionCode": "function handler(event) { return event.request; }",
                },
            },
            "CachePolicy": {
                "Type": "AWS::CloudFront::CachePolicy",
                "Properties": {"CachePolicyConfig": {"Name": "vod", "MinTTL": 0, "MaxTTL": 86400, "DefaultTTL": 3600}},
            },
            "Distribution": {
                "Type": "AWS::CloudFront::Distribution",
                "Properties": {
                    "DistributionConfig": {
                        "Enabled": True,
                        "Comment": "showrunner",
                        "HttpVersion": "http2and3",
                        "Origins": [
                            {
                                "Id": "content",
                                "DomainName": {"Fn::GetAtt": ["Content", "RegionalDomainName"]},
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                                "OriginAccessControlId": {"Fn::GetAtt": ["Oac", "Id"]},
                            },
                            {
                                "Id": "app",
                                "DomainName": "origin.example.com",
                                "CustomOriginConfig": {
                                    "OriginProtocolPolicy": "https-only",
                                    "OriginSSLProtocols": ["TLSv1.2"],
                                },
                                "OriginCustomHeaders": [{"HeaderName": "X-Origin-Secret", "HeaderValue": "v"}],
                            },
                        ],
                        "DefaultCacheBehavior": {
                            "TargetOriginId": "app",
                            "ViewerProtocolPolicy": "redirect-to-https",
                            "CachePolicyId": {"Ref": "CachePolicy"},
                        },
                        "CacheBehaviors": [
                            {
                                "PathPattern": "/vod/*",
                                "TargetOriginId": "content",
                                "ViewerProtocolPolicy": "https-only",
                                "TrustedKeyGroups": [{"Ref": "KeyGroup"}],
                                "CachePolicyId": {"Ref": "CachePolicy"},
                                "FunctionAssociations": [
                                    {
                                        "EventType": "viewer-request",
                                        "FunctionARN": {"Fn::GetAtt": ["Rewrite", "FunctionARN"]},
                                    }
                                ],
                            }
                        ],
                    }
                },
            },
            "Metrics": {
                "Type": "AWS::CloudFront::MonitoringSubscription",
                "Properties": {
                    "DistributionId": {"Ref": "Distribution"},
                    "MonitoringSubscription": {
                        "RealtimeMetricsSubscriptionConfig": {"RealtimeMetricsSubscriptionStatus": "Enabled"}
                    },
                },
            },
        },
        outputs={"Domain": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
    )
    cloudfront = client("cloudfront")
    assert created.physical["Metrics"] == created.physical["Distribution"]  # recorded only; named by its distribution
    distribution = cloudfront.get_distribution(Id=created.physical["Distribution"])["Distribution"]
    assert distribution["DomainName"] == created.outputs["Domain"]
    config = distribution["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]["Items"]}
    assert origins["content"]["DomainName"] == f"{created.physical['Content']}.s3.us-east-1.amazonaws.com"
    assert origins["app"]["DomainName"] == "origin.example.com"
    [behavior] = config["CacheBehaviors"]["Items"]
    assert behavior["PathPattern"] == "/vod/*"
    assert behavior["TargetOriginId"] == "content"
    assert behavior["TrustedKeyGroups"]["Items"] == [created.physical["KeyGroup"]]
    key_group = cloudfront.get_key_group(Id=created.physical["KeyGroup"])["KeyGroup"]["KeyGroupConfig"]
    assert key_group["Items"] == [created.physical["PublicKey"]]
    public_key = cloudfront.get_public_key(Id=created.physical["PublicKey"])["PublicKey"]["PublicKeyConfig"]
    assert public_key["EncodedKey"] == pem
    oac = cloudfront.get_origin_access_control(Id=created.physical["Oac"])["OriginAccessControl"]
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert cloudfront.describe_function(Name="rewrite")["FunctionSummary"]["FunctionMetadata"]["Stage"] == "LIVE"
    # A recorded-only type still answers Ref with a stable ID that the distribution uses.
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == created.physical["CachePolicy"]
    created.delete()
    assert cloudfront.list_distributions()["DistributionList"].get("Items", []) == []
    assert cloudfront.list_public_keys()["PublicKeyList"].get("Items", []) == []


def test_secret_generated_from_a_template_and_its_resource_policy():
    created = create_stack(
        {
            "Secret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Description": "origin header",
                    "GenerateSecretString": {
                        "SecretStringTemplate": '{"user": "origin"}',
                        "GenerateStringKey": "password",
                        "PasswordLength": 40,
                        "ExcludePunctuation": True,
                    },
                },
            },
            "Policy": {
                "Type": "AWS::SecretsManager::ResourcePolicy",
                "Properties": {
                    "SecretId": {"Ref": "Secret"},
                    "ResourcePolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Action": "secretsmanager:DeleteSecret",
                                "Resource": "*",
                            }
                        ],
                    },
                },
            },
        }
    )
    secrets = client("secretsmanager")
    arn = created.physical["Secret"]
    value = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    assert value["user"] == "origin"
    assert len(value["password"]) == 40
    assert value["password"].isalnum()
    policy = json.loads(secrets.get_resource_policy(SecretId=arn)["ResourcePolicy"])
    assert policy["Statement"][0]["Action"] == "secretsmanager:DeleteSecret"
    created.delete()
    assert secrets.list_secrets()["SecretList"] == []


def test_event_invoke_config_sets_the_functions_asynchronous_retries():
    created = create_stack(
        {
            "Role": ROLE,
            "Function": FUNCTION,
            "InvokeConfig": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": "Function"},
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": 0,
                    "MaximumEventAgeInSeconds": 300,
                },
            },
        }
    )
    function = created.physical["Function"]
    config = client("lambda").get_function_event_invoke_config(FunctionName=function, Qualifier="$LATEST")
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 300)
    created.delete()
    assert client("lambda").list_functions()["Functions"] == []


def test_function_url_http_api_and_cognito_authorizer():
    created = create_stack(
        {
            "Role": ROLE,
            "Function": FUNCTION,
            "Url": {
                "Type": "AWS::Lambda::Url",
                "Properties": {"TargetFunctionArn": {"Fn::GetAtt": ["Function", "Arn"]}, "AuthType": "AWS_IAM"},
            },
            "Pool": {
                "Type": "AWS::Cognito::UserPool",
                "Properties": {"UserPoolName": "viewers", "UsernameAttributes": ["email"]},
            },
            "PoolClient": {
                "Type": "AWS::Cognito::UserPoolClient",
                "Properties": {"UserPoolId": {"Ref": "Pool"}, "ClientName": "player"},
            },
            "Domain": {
                "Type": "AWS::Cognito::UserPoolDomain",
                "Properties": {"UserPoolId": {"Ref": "Pool"}, "Domain": "showrunner-dev"},
            },
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "playback", "ProtocolType": "HTTP"}},
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": {"Fn::GetAtt": ["Function", "Arn"]},
                    "PayloadFormatVersion": "2.0",
                },
            },
            "Authorizer": {
                "Type": "AWS::ApiGatewayV2::Authorizer",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "AuthorizerType": "JWT",
                    "Name": "cognito",
                    "IdentitySource": ["$request.header.Authorization"],
                    "JwtConfiguration": {
                        "Audience": [{"Ref": "PoolClient"}],
                        "Issuer": {"Fn::GetAtt": ["Pool", "ProviderURL"]},
                    },
                },
            },
            "Route": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "RouteKey": "GET /playback/{titleId}",
                    "AuthorizationType": "JWT",
                    "AuthorizerId": {"Ref": "Authorizer"},
                    "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Integration"}]]},
                },
            },
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True},
            },
        },
        outputs={"Url": {"Fn::GetAtt": ["Url", "FunctionUrl"]}, "Endpoint": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}},
    )
    url = client("lambda").get_function_url_config(FunctionName=created.physical["Function"])
    assert (url["FunctionUrl"], url["AuthType"]) == (created.outputs["Url"], "AWS_IAM")
    api = client("apigatewayv2")
    api_id = created.physical["Api"]
    [route] = api.get_routes(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "GET /playback/{titleId}"
    assert route["AuthorizerId"] == created.physical["Authorizer"]
    assert route["Target"] == f"integrations/{created.physical['Integration']}"
    authorizer = api.get_authorizer(ApiId=api_id, AuthorizerId=created.physical["Authorizer"])
    assert authorizer["JwtConfiguration"] == {
        "Audience": [created.physical["PoolClient"]],
        "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{created.physical['Pool']}",
    }
    assert api.get_stage(ApiId=api_id, StageName="$default")["AutoDeploy"] is True
    assert (
        client("cognito-idp").describe_user_pool_client(
            UserPoolId=created.physical["Pool"], ClientId=created.physical["PoolClient"]
        )["UserPoolClient"]["ClientName"]
        == "player"
    )
    created.delete()
    assert api.get_apis()["Items"] == []
    assert client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []


def _asg_resources() -> dict[str, Any]:
    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.10.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.10.0.0/24", "AvailabilityZone": "us-east-1a"},
        },
        "Template": {
            "Type": "AWS::EC2::LaunchTemplate",
            "Properties": {"LaunchTemplateData": {"ImageId": "ami-12c6146b", "InstanceType": "t4g.micro"}},
        },
        "Group": {
            "Type": "AWS::AutoScaling::AutoScalingGroup",
            "Properties": {
                "MinSize": "1",
                "MaxSize": "4",
                "VPCZoneIdentifier": [{"Ref": "Subnet"}],
                "LaunchTemplate": {
                    "LaunchTemplateId": {"Ref": "Template"},
                    "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                },
            },
        },
    }


def test_scaling_policy_lifecycle_hook_and_alarms():
    created = create_stack(
        {
            **_asg_resources(),
            "Topic": {"Type": "AWS::SNS::Topic"},
            "StepUp": {
                "Type": "AWS::AutoScaling::ScalingPolicy",
                "Properties": {
                    "AutoScalingGroupName": {"Ref": "Group"},
                    "PolicyType": "StepScaling",
                    "AdjustmentType": "ChangeInCapacity",
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}],
                },
            },
            "Hook": {
                "Type": "AWS::AutoScaling::LifecycleHook",
                "Properties": {
                    "AutoScalingGroupName": {"Ref": "Group"},
                    "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                    "HeartbeatTimeout": 120,
                    "DefaultResult": "CONTINUE",
                },
            },
            "HighCpu": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "Namespace": "AWS/EC2",
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "AutoScalingGroupName", "Value": {"Ref": "Group"}}],
                    "Statistic": "Average",
                    "Period": 60,
                    "EvaluationPeriods": 3,
                    "Threshold": 70,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "AlarmActions": [{"Ref": "StepUp"}, {"Ref": "Topic"}],
                },
            },
            "Degraded": {
                "Type": "AWS::CloudWatch::CompositeAlarm",
                "Properties": {"AlarmRule": {"Fn::Sub": "ALARM(${HighCpu})"}, "AlarmActions": [{"Ref": "Topic"}]},
            },
        }
    )
    group = created.physical["Group"]
    [policy] = client("autoscaling").describe_policies(AutoScalingGroupName=group)["ScalingPolicies"]
    assert policy["PolicyARN"] == created.physical["StepUp"]
    assert policy["StepAdjustments"][0]["ScalingAdjustment"] == 2
    [hook] = client("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=group)["LifecycleHooks"]
    assert (hook["LifecycleTransition"], hook["HeartbeatTimeout"]) == ("autoscaling:EC2_INSTANCE_TERMINATING", 120)
    cloudwatch = client("cloudwatch")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=[created.physical["HighCpu"]])["MetricAlarms"]
    assert alarm["AlarmActions"] == [created.physical["StepUp"], created.physical["Topic"]]
    assert alarm["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": group}]
    # moto has no composite alarms: recorded only, with its rule resolved.
    recorded = model_of(created.name, "Degraded")
    assert recorded.properties["AlarmRule"] == f"ALARM({created.physical['HighCpu']})"
    assert recorded.emulation().value == "recorded"
    created.delete()
    assert cloudwatch.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])["MetricAlarms"] == []


def test_firehose_to_the_data_lake_and_waf_web_acl():
    created = create_stack(
        {
            "Lake": {"Type": "AWS::S3::Bucket"},
            "Events": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}},
            "Role": ROLE,
            "Delivery": {
                "Type": "AWS::KinesisFirehose::DeliveryStream",
                "Properties": {
                    "DeliveryStreamType": "KinesisStreamAsSource",
                    "KinesisStreamSourceConfiguration": {
                        "KinesisStreamARN": {"Fn::GetAtt": ["Events", "Arn"]},
                        "RoleARN": {"Fn::GetAtt": ["Role", "Arn"]},
                    },
                    "ExtendedS3DestinationConfiguration": {
                        "BucketARN": {"Fn::GetAtt": ["Lake", "Arn"]},
                        "RoleARN": {"Fn::GetAtt": ["Role", "Arn"]},
                        "Prefix": "events/dt=!{timestamp:yyyy-MM-dd}/",
                        "ErrorOutputPrefix": "errors/",
                        "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 64},
                    },
                },
            },
            "Blocked": {
                "Type": "AWS::WAFv2::IPSet",
                "Properties": {"Scope": "CLOUDFRONT", "IPAddressVersion": "IPV4", "Addresses": ["192.0.2.0/24"]},
            },
            "AclLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws-waf-logs-test"}},
            "AclLogging": {
                "Type": "AWS::WAFv2::LoggingConfiguration",
                "Properties": {
                    "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
                    "LogDestinationConfigs": [{"Fn::GetAtt": ["AclLogs", "Arn"]}],
                    "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
                },
            },
            "Acl": {
                "Type": "AWS::WAFv2::WebACL",
                "Properties": {
                    "Scope": "CLOUDFRONT",
                    "DefaultAction": {"Allow": {}},
                    "VisibilityConfig": {
                        "SampledRequestsEnabled": True,
                        "CloudWatchMetricsEnabled": True,
                        "MetricName": "acl",
                    },
                    "Rules": [
                        {
                            "Name": "rate",
                            "Priority": 0,
                            "Action": {"Block": {}},
                            "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
                            "VisibilityConfig": {
                                "SampledRequestsEnabled": True,
                                "CloudWatchMetricsEnabled": True,
                                "MetricName": "rate",
                            },
                        }
                    ],
                },
            },
        },
        outputs={"AclArn": {"Fn::GetAtt": ["Acl", "Arn"]}},
    )
    stream = client("firehose").describe_delivery_stream(DeliveryStreamName=created.physical["Delivery"])[
        "DeliveryStreamDescription"
    ]
    [destination] = stream["Destinations"]
    s3 = destination["ExtendedS3DestinationDescription"]
    assert s3["BucketARN"] == f"arn:aws:s3:::{created.physical['Lake']}"
    assert s3["Prefix"] == "events/dt=!{timestamp:yyyy-MM-dd}/"
    assert stream["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"].endswith(
        f"stream/{created.physical['Events']}"
    )
    name, acl_id, scope = created.physical["Acl"].split("|")
    acl = client("wafv2").get_web_acl(Name=name, Scope=scope, Id=acl_id)["WebACL"]
    assert acl["ARN"] == created.outputs["AclArn"]
    assert acl["Rules"][0]["Statement"] == {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}
    logging = client("wafv2").get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
    assert logging["LogDestinationConfigs"] == [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-waf-logs-test"]
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
    created.delete()
    assert client("firehose").list_delivery_streams()["DeliveryStreamNames"] == []
    assert client("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"] == []


def test_schedule_budget_experiment_template_and_log_stream():
    created = create_stack(
        {
            "Role": ROLE,
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 14}},
            "Stream": {
                "Type": "AWS::Logs::LogStream",
                "Properties": {"LogGroupName": {"Ref": "Logs"}, "LogStreamName": "chaos"},
            },
            "Nightly": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "ScheduleExpression": "cron(0 2 * * ? *)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:spark",
                        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    },
                },
            },
            "Budget": {
                "Type": "AWS::Budgets::Budget",
                "Properties": {
                    "Budget": {
                        "BudgetName": "dev-monthly",
                        "BudgetLimit": {"Amount": 50, "Unit": "USD"},
                        "TimeUnit": "MONTHLY",
                        "BudgetType": "COST",
                    },
                    "NotificationsWithSubscribers": [
                        {
                            "Notification": {
                                "NotificationType": "ACTUAL",
                                "ComparisonOperator": "GREATER_THAN",
                                "Threshold": 80,
                            },
                            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "ops@example.com"}],
                        }
                    ],
                },
            },
            "Experiment": {
                "Type": "AWS::FIS::ExperimentTemplate",
                "Properties": {
                    "Description": "terminate one origin instance",
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "StopConditions": [{"Source": "none"}],
                    "Targets": {
                        "origin": {
                            "ResourceType": "aws:ec2:instance",
                            "ResourceTags": {"app": "origin"},
                            "SelectionMode": "COUNT(1)",
                        }
                    },
                    "Actions": {
                        "terminate": {"ActionId": "aws:ec2:terminate-instances", "Targets": {"Instances": "origin"}}
                    },
                    "Tags": {"environment": "dev"},
                },
            },
        }
    )
    schedule = client("scheduler").get_schedule(Name=created.physical["Nightly"])
    assert schedule["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert schedule["Target"]["Arn"].endswith(":stateMachine:spark")
    budget = client("budgets").describe_budget(AccountId=ACCOUNT, BudgetName="dev-monthly")["Budget"]
    assert budget["BudgetLimit"] == {"Amount": "50", "Unit": "USD"}
    template = client("fis").get_experiment_template(id=created.physical["Experiment"])["experimentTemplate"]
    assert template["targets"]["origin"]["resourceTags"] == {"app": "origin"}
    assert template["actions"]["terminate"]["actionId"] == "aws:ec2:terminate-instances"
    streams = client("logs").describe_log_streams(logGroupName=created.physical["Logs"])["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["chaos"]
    created.delete()
    assert client("scheduler").list_schedules()["Schedules"] == []
    assert client("budgets").describe_budgets(AccountId=ACCOUNT).get("Budgets", []) == []
    assert client("fis").list_experiment_templates()["experimentTemplates"] == []


def test_dangling_references_finds_environment_values_naming_missing_resources():
    from tests.moto.references import dangling_references

    created = create_stack(
        {
            "Role": ROLE,
            "Content": {"Type": "AWS::S3::Bucket"},
            "Key": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "pem"}},
            "Function": {
                **FUNCTION,
                "Properties": {
                    **FUNCTION["Properties"],
                    "Environment": {
                        "Variables": {
                            "CONTENT_BUCKET": {"Ref": "Content"},
                            "SIGNING_KEY_SECRET_ARN": {"Ref": "Key"},
                            "LOGS_BUCKET": "no-such-bucket",
                            "ALERTS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:missing",
                            "URL_TTL_SECONDS": "300",
                        }
                    },
                },
            },
        }
    )
    function = created.physical["Function"]
    assert sorted(dangling_references(client)) == [
        f"{function}.ALERTS_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:missing",
        f"{function}.LOGS_BUCKET=no-such-bucket",
    ]
