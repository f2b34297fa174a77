"""Nothing is skipped silently: unsupported types, unanswerable attributes and undeletable
resources fail, naming the resource; weak cross-stack references and termination protection
behave as in CloudFormation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import client
from tests.support.moto_stacks import create_stack
from tests.support.synth import Synthesized
from tools.developer.moto_models import Emulation, UnsupportedResourceTypeError, support_level
from tools.developer.rehearsal.deployer import check_supported

pytestmark = pytest.mark.usefixtures("aws")


def test_create_stack_fails_on_an_unknown_type_naming_logical_id_and_type():
    with pytest.raises(ClientError) as raised:
        create_stack({"Bucket": {"Type": "AWS::S3::Bucket"}, "Mystery": {"Type": "AWS::Example::Widget"}})
    message = raised.value.response["Error"]["Message"]
    assert "resource Mystery has type AWS::Example::Widget" in message


def test_an_unknown_custom_resource_fails_instead_of_waiting_for_docker():
    with pytest.raises(ClientError, match=r"resource Seeder has type Custom::SeedData"):
        create_stack({"Seeder": {"Type": "Custom::SeedData", "Properties": {"ServiceToken": "arn:aws:lambda:x"}}})


def test_the_deployer_rejects_an_unknown_type_in_a_synthesized_stack_before_creating_anything(
    synthesized: Synthesized,
):
    stack = synthesized.stack("dev", "Storage")
    stack.template["Resources"]["Mystery"] = {"Type": "AWS::Example::Widget"}
    try:
        with pytest.raises(UnsupportedResourceTypeError) as raised:
            check_supported(stack)
    finally:
        del stack.template["Resources"]["Mystery"]
    assert (raised.value.logical_id, raised.value.resource_type) == ("Mystery", "AWS::Example::Widget")
    assert "resource Mystery has type AWS::Example::Widget" in str(raised.value)


def test_support_levels():
    assert support_level("AWS::EC2::VPC") is Emulation.NATIVE
    assert support_level("AWS::S3::BucketPolicy") is Emulation.EMULATED
    assert support_level("AWS::CloudFront::CachePolicy") is Emulation.RECORDED
    assert support_level("AWS::Example::Widget") is None
    assert support_level("Custom::Anything") is None


def test_a_get_att_no_model_answers_fails_naming_resource_and_attribute():
    with pytest.raises(ClientError, match=r"resource Policy does not support attribute type Nonexistent"):
        create_stack(
            {
                "Bucket": {"Type": "AWS::S3::Bucket"},
                "Policy": {
                    "Type": "AWS::S3::BucketPolicy",
                    "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {"Statement": []}},
                },
                "Topic": {
                    "Type": "AWS::SNS::Topic",
                    "Properties": {"DisplayName": {"Fn::GetAtt": ["Policy", "Nonexistent"]}},
                },
            }
        )


def test_a_model_error_names_the_resource_instead_of_reporting_it_undefined():
    # moto's own security group model raised KeyError('FromPort'), which moto reported as
    # "Fn::GetAtt references undefined resource". Ours must name the resource and the cause.
    with pytest.raises(ClientError, match=r"resource Logs \(AWS::EC2::FlowLog\) could not be created: KeyError"):
        create_stack({"Logs": {"Type": "AWS::EC2::FlowLog", "Properties": {"ResourceType": "VPC"}}})


@pytest.mark.parametrize(
    ("resource", "existing", "cause"),
    [
        (
            {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "taken"}},
            lambda: client("logs").create_log_group(logGroupName="taken"),
            "ResourceAlreadyExistsException: The specified log group already exists",
        ),
        (
            {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "taken"}},
            lambda: client("s3").create_bucket(Bucket="taken"),
            "BucketAlreadyExists: The requested bucket name is not available",
        ),
    ],
)
def test_a_name_already_taken_fails_naming_the_resource_and_the_services_error(resource, existing, cause):
    # A retained resource left by an earlier deployment holds the name (what `make rehearse RECREATE=1` finds).
    # moto answered with the service's own error, in the service's protocol, which the CDK CLI cannot parse.
    existing()
    with pytest.raises(ClientError, match=rf"resource Named \({resource['Type']}\) could not be created: {cause}"):
        create_stack({"Named": resource})


def test_fn_get_stack_output_reads_the_producer_stacks_output_in_its_region():
    create_stack(
        {"Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "producer-logs"}}},
        outputs={"LogsArn": {"Fn::GetAtt": ["Logs", "Arn"]}},
        name="producer",
        region="eu-west-1",
    )
    consumer = create_stack(
        {
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "DisplayName": {
                        "Fn::GetStackOutput": {"StackName": "producer", "Region": "eu-west-1", "OutputName": "LogsArn"}
                    }
                },
            }
        },
        outputs={"Name": {"Fn::GetAtt": ["Topic", "TopicName"]}},
        name="consumer",
    )
    attributes = client("sns").get_topic_attributes(TopicArn=consumer.physical["Topic"])["Attributes"]
    assert attributes["DisplayName"] == "arn:aws:s3:::producer-logs"


def _update(name: str, template: dict[str, object], **parameters: str) -> None:
    cfn = client("cloudformation")
    cfn.update_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_a_stack_update_resolves_fn_get_stack_output_again():
    """CloudFormation resolves a weak reference on every create and update of the consumer."""
    producer: dict[str, Any] = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"Arn": {"Value": {"Ref": "Topic"}}},
    }
    create_stack(producer["Resources"], outputs={"Arn": {"Ref": "Topic"}}, name="producer")
    consumer: dict[str, Any] = {
        "Parameters": {"Fingerprint": {"Type": "String", "Default": "none"}},
        "Resources": {
            "Reader": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": "/reader/topic",
                    "Type": "String",
                    "Value": {"Fn::GetStackOutput": {"StackName": "producer", "OutputName": "Arn"}},
                },
            }
        },
        "Outputs": {"Fingerprint": {"Value": {"Ref": "Fingerprint"}}},
    }
    create_stack(consumer["Resources"], name="consumer", parameters=consumer["Parameters"])
    ssm = client("ssm")
    first = ssm.get_parameter(Name="/reader/topic")["Parameter"]["Value"]
    assert first.startswith("arn:aws:sns:us-east-1:123456789012:producer-Topic-")

    # The producer's topic is replaced (a new name): a new ARN in its output.
    producer["Resources"]["Topic"]["Properties"] = {"TopicName": "replaced"}
    _update("producer", producer)
    # The consumer's template is unchanged; only a parameter changes, as `make deploy` does.
    _update("consumer", consumer, Fingerprint="a" * 64)
    assert (
        ssm.get_parameter(Name="/reader/topic")["Parameter"]["Value"] == "arn:aws:sns:us-east-1:123456789012:replaced"
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"StackName": "nowhere", "OutputName": "X"}, "stack nowhere does not exist in us-east-1"),
        ({"StackName": "producer", "OutputName": "Missing"}, "stack producer in us-east-1 has no output Missing"),
        ({"StackName": "producer"}, "needs StackName and OutputName"),
    ],
)
def test_fn_get_stack_output_errors(spec, message):
    create_stack({"Topic": {"Type": "AWS::SNS::Topic"}}, outputs={"Arn": {"Ref": "Topic"}}, name="producer")
    with pytest.raises(ClientError, match=message):
        create_stack(
            {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::GetStackOutput": spec}}}},
            name="consumer",
        )


def test_termination_protection_blocks_deletion_until_disabled():
    created = create_stack({"Topic": {"Type": "AWS::SNS::Topic"}})
    cfn = client("cloudformation")
    cfn.update_termination_protection(StackName=created.name, EnableTerminationProtection=True)
    assert cfn.describe_stacks(StackName=created.name)["Stacks"][0]["EnableTerminationProtection"] is True
    with pytest.raises(ClientError, match=r"cannot be deleted while TerminationProtection is enabled"):
        cfn.delete_stack(StackName=created.name)
    assert client("sns").list_topics()["Topics"] != []
    cfn.update_termination_protection(StackName=created.name, EnableTerminationProtection=False)
    created.delete()
    assert client("sns").list_topics()["Topics"] == []


def test_vpc_resources_moto_cannot_delete_are_deleted():
    created = create_stack(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
            "Table": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            "Association": {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Table"}},
            },
            "Gateway": {"Type": "AWS::EC2::InternetGateway"},
            "Attachment": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}},
            },
            "Default": {
                "Type": "AWS::EC2::Route",
                "DependsOn": ["Attachment"],
                "Properties": {
                    "RouteTableId": {"Ref": "Table"},
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": {"Ref": "Gateway"},
                },
            },
            "Ip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {
                "Type": "AWS::EC2::NatGateway",
                "Properties": {"SubnetId": {"Ref": "Subnet"}, "AllocationId": {"Fn::GetAtt": ["Ip", "AllocationId"]}},
            },
        }
    )
    ec2 = client("ec2")
    created.delete()
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert ec2.describe_addresses()["Addresses"] == []
    assert ec2.describe_network_interfaces()["NetworkInterfaces"] == []
    assert {g["State"] for g in ec2.describe_nat_gateways()["NatGateways"]} <= {"deleted"}


def test_a_nat_gateway_takes_only_its_own_network_interface_with_it():
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    bystander = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    created = create_stack(
        {
            "Ip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {
                "Type": "AWS::EC2::NatGateway",
                "Properties": {"SubnetId": subnet, "AllocationId": {"Fn::GetAtt": ["Ip", "AllocationId"]}},
            },
        }
    )
    assert len(ec2.describe_network_interfaces()["NetworkInterfaces"]) == 2
    created.delete()
    assert [i["NetworkInterfaceId"] for i in ec2.describe_network_interfaces()["NetworkInterfaces"]] == [bystander]


def test_recorded_only_resources_keep_their_resolved_properties():
    created = create_stack(
        {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Policy": {
                "Type": "AWS::CloudFront::ResponseHeadersPolicy",
                "Properties": {"ResponseHeadersPolicyConfig": {"Name": "hsts", "Comment": {"Ref": "Topic"}}},
            },
        }
    )
    from tests.support.moto_stacks import model_of

    recorded = model_of(created.name, "Policy")
    assert recorded.properties == {
        "ResponseHeadersPolicyConfig": {"Name": "hsts", "Comment": created.physical["Topic"]}
    }
    assert recorded.emulation() is Emulation.RECORDED
    assert json.dumps(recorded.attributes) == json.dumps(
        {"Id": created.physical["Policy"], "LastModifiedTime": created.physical["Policy"]}
    )
