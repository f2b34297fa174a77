"""Change sets as the CDK CLI uses them: one name (``cdk-deploy-change-set``) in every stack, deleted
before each deploy, parameters it is not given passed with ``UsePreviousValue``."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.support.aws import client
from tools.developer import moto_models

moto_models.install()

pytestmark = pytest.mark.usefixtures("aws")

NAME = "cdk-deploy-change-set"
TEMPLATE = {
    "Parameters": {
        # As in every CDK stack: an SSM-typed parameter whose default is the parameter's name.
        "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/version"},
        "Fingerprint": {"Type": "String", "Default": "none"},
    },
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"Fingerprint": {"Value": {"Ref": "Fingerprint"}}, "Version": {"Value": {"Ref": "BootstrapVersion"}}},
}


def _deploy(stack: str, change_set_type: str, parameters: list[dict[str, object]]) -> None:
    cfn = client("cloudformation")
    cfn.create_change_set(
        StackName=stack,
        ChangeSetName=NAME,
        ChangeSetType=change_set_type,
        TemplateBody=json.dumps(TEMPLATE),
        Parameters=parameters,
    )
    cfn.execute_change_set(StackName=stack, ChangeSetName=NAME)


def _outputs(stack: str) -> dict[str, str]:
    described = client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}


def test_a_change_set_name_is_the_stacks_own_and_an_update_resolves_previous_values_again():
    client("ssm").put_parameter(Name="/cdk-bootstrap/version", Value="30", Type="String")
    cfn = client("cloudformation")
    for stack in ("first", "second"):
        _deploy(stack, "CREATE", [])

    # What the CDK CLI does before it deploys "first" again: delete its change set, wait until it is gone.
    cfn.delete_change_set(StackName="first", ChangeSetName=NAME)
    with pytest.raises(ClientError) as gone:
        cfn.describe_change_set(StackName="first", ChangeSetName=NAME)
    assert gone.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert "ChangeSet [cdk-deploy-change-set] does not exist" in str(gone.value)
    cfn.delete_change_set(StackName="first", ChangeSetName=NAME)  # "if it exists": no error when it does not
    # The other stack's change set of the same name is untouched.
    assert cfn.describe_change_set(StackName="second", ChangeSetName=NAME)["StackName"] == "second"
    assert [s["StackName"] for s in cfn.list_change_sets(StackName="second")["Summaries"]] == ["second"]

    # An update with only a new parameter value; the CLI passes the others as UsePreviousValue.
    _deploy(
        "first",
        "UPDATE",
        [
            {"ParameterKey": "Fingerprint", "ParameterValue": "a" * 64},
            {"ParameterKey": "BootstrapVersion", "UsePreviousValue": True},
        ],
    )
    assert cfn.describe_stacks(StackName="first")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert _outputs("first") == {"Fingerprint": "a" * 64, "Version": "30"}


def test_a_change_set_name_is_taken_until_deleted_and_executing_one_deletes_the_others():
    client("ssm").put_parameter(Name="/cdk-bootstrap/version", Value="30", Type="String")
    cfn = client("cloudformation")
    _deploy("first", "CREATE", [])
    with pytest.raises(ClientError, match=r"ChangeSet \[cdk-deploy-change-set\] already exists in stack \[first\]"):
        _deploy("first", "UPDATE", [])
    cfn.delete_change_set(StackName="first", ChangeSetName=NAME)
    for name, value in (("other", "b" * 64), (NAME, "c" * 64)):
        cfn.create_change_set(
            StackName="first",
            ChangeSetName=name,
            ChangeSetType="UPDATE",
            TemplateBody=json.dumps(TEMPLATE),
            Parameters=[{"ParameterKey": "Fingerprint", "ParameterValue": value}],
        )
    cfn.execute_change_set(StackName="first", ChangeSetName=NAME)
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="first")["Summaries"]] == [NAME]
    assert _outputs("first")["Fingerprint"] == "c" * 64
