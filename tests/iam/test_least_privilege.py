"""Least privilege, proven by running it (issue 11; docs/least-privilege.md).

Every project-written function of the dev stage runs its real handler under its own
synthesized role in moto, with IAM enforced (tests/iam/enforcement.py):

* the happy path succeeds, no call is denied, and its IAM checks are exactly the scenario's;
* removing any one statement of the role's policy that the run uses makes the handler
  fail, with a call denied; so does removing any one action of such a statement, or giving
  any of its condition keys another value;
* a statement whose removal changes nothing fails the test unless acknowledged
  (tests/iam/acknowledgments.py), and every acknowledgment must match such a statement.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.iam.acknowledgments import OWN_LOG_GROUP, SERVICE_ROLES, SURPLUS, Surplus
from tests.iam.conftest import (
    STAGE,
    FunctionUnderTest,
    Proof,
    Run,
    StatementRef,
    package_exists,
    project_functions,
)
from tests.iam.enforcement import Check, decide, enforced, statement_id
from tests.iam.scenarios import SCENARIOS
from tests.support.aws import ACCOUNT, REGION
from tests.support.synth import Synthesized
from tools.developer.review.iam import summarize_roles
from tools.developer.review.intrinsics import AssemblyIndex

# The project-written functions and their stacks; a new one must be added here and in SCENARIOS.
FUNCTIONS = {
    "signed_url": "Playback",
    "catalog_api": "Playback",
    "manifest_rewriter": "Edge",
    "key_service": "Edge",
    "event_ingest": "Analytics",
    "chaos_monkey": "Operations",
    "ingest_validate": "Ingest",
    "ingest_workflow": "Ingest",
    "rows_api": "Analytics",
    "rows_loader": "Analytics",
}


def _acknowledgment(package: str, ref: StatementRef) -> Surplus | None:
    name = statement_id(ref.statement)
    matches = [
        s for s in SURPLUS if fnmatch.fnmatchcase(package, s.function) and fnmatch.fnmatchcase(name, s.statement)
    ]
    return matches[0] if matches else None


def _verify_acknowledged(function: FunctionUnderTest, ref: StatementRef, surplus: Surplus) -> None:
    if surplus.check == OWN_LOG_GROUP:
        own = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{function.log_group}"
        assert function.log_group, f"{function.package} has no log group of its own"
        assert ref.statement["Resource"] == own, f"{function.package}: {ref.statement} is not scoped to {own}"
        assert ref.statement.get("Effect") == "Allow"
        assert "Condition" not in ref.statement
        return
    raise AssertionError(f"unknown acknowledgment check {surplus.check!r}")


def test_every_project_function_of_every_stage_is_proven_here(synthesized: Synthesized):
    """The dev stage holds every project-written function any stage has, and each has a scenario."""
    in_dev = {(stack, props["Handler"].split(".")[0]) for stack, _id, props in project_functions(synthesized, STAGE)}
    for stage in ("staging", "prod"):
        elsewhere = {
            (stack, props["Handler"].split(".")[0]) for stack, _id, props in project_functions(synthesized, stage)
        }
        assert elsewhere <= in_dev, f"{stage} has functions dev does not: {elsewhere - in_dev}"
    assert {package: stack for stack, package in in_dev} == FUNCTIONS
    assert set(SCENARIOS) == set(FUNCTIONS)


def test_every_role_is_executed_here_or_reviewed(synthesized: Synthesized):
    """Every role of every stage: a function role proven by execution, or a service role in the review's IAM summary."""
    index = AssemblyIndex(synthesized.stacks)
    seen: set[str] = set()
    for stack in synthesized.stacks:
        function_roles = {
            props["Role"]["Fn::GetAtt"][0]
            for logical_id, props in (
                (lid, r["Properties"]) for lid, r in stack.resources.items() if r["Type"] == "AWS::Lambda::Function"
            )
            if package_exists(str(props.get("Handler", "")).split(".")[0])
        }
        summarized = {summary.key.logical_id: summary for summary in summarize_roles(index, stack.stack_name)}
        for logical_id, resource in stack.resources.items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            path = resource["Metadata"]["aws:cdk:path"].split("/", 1)[1]
            assert logical_id in summarized, f"{stack.display_name}: {path} is missing from the review's IAM summary"
            if logical_id in function_roles:
                assert path.endswith("FunctionRole/Resource"), path  # a PythonFunction's own role
                continue
            assert path in SERVICE_ROLES, f"{stack.display_name}: {path} is neither executed here nor in SERVICE_ROLES"
            seen.add(path)
    assert seen == set(SERVICE_ROLES), f"SERVICE_ROLES entries no stage has: {set(SERVICE_ROLES) - seen}"


def test_each_function_has_a_role_of_its_own(proof: Proof):
    roles = [f.role_name for f in proof.functions.values()]
    assert sorted(proof.functions) == sorted(FUNCTIONS)
    assert len(set(roles)) == len(roles) == len(FUNCTIONS)
    for function in proof.functions.values():
        assert proof.iam.list_attached_role_policies(function.role_name)[0] == [], (
            f"{function.package}: attached managed policies are not mutated by this test; use inline statements"
        )


def test_trust_policies_are_back_as_synthesized(proof: Proof, synthesized: Synthesized):
    """The probe principal was in each trust policy only while it assumed the role."""
    for function in proof.functions.values():
        template = synthesized.stack(STAGE, function.stack).resources
        role_logical_id = template[function.logical_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        expected = template[role_logical_id]["Properties"]["AssumeRolePolicyDocument"]
        actual = proof.iam.get_role(function.role_name).assume_role_policy_document
        assert json.loads(actual) == expected
        assert expected["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]


@pytest.mark.parametrize("package", sorted(FUNCTIONS))
def test_the_happy_path_succeeds_under_the_function_role(proof: Proof, package: str):
    run = proof.run(proof.functions[package])
    assert run.failure is None, run.failure
    assert run.denied == [], run.denied
    assert all(d.allowed for d in run.decisions)
    # The statements exercised: each check of the path, and the one statement that allowed it.
    exercised = tuple((d.check.action, *d.statements) for d in run.decisions)
    assert exercised == SCENARIOS[package].checks


@pytest.mark.parametrize("package", sorted(FUNCTIONS))
def test_every_statement_is_needed_or_acknowledged(proof: Proof, package: str, record_property: Any):
    function = proof.functions[package]
    assert proof.statements(function), f"{package}: its role has no inline statement"
    report, problems = _mutations(proof, function)
    record_property("statements", report)
    assert problems == [], "\n".join(problems)


def test_a_planted_statement_is_reported_as_surplus(proof: Proof):
    """The mutation check can fail: a statement the handler does not need is caught."""
    function = proof.functions["manifest_rewriter"]
    bucket = function.environment["CONTENT_BUCKET"]
    planted = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/vod/*"}
    proof.iam.put_role_policy(
        function.role_name, "Planted", json.dumps({"Version": "2012-10-17", "Statement": [planted]})
    )
    try:
        report, problems = _mutations(proof, function)
    finally:
        proof.iam.delete_role_policy(function.role_name, "Planted")
    assert problems == ["s3:PutObject: surplus (removing it changes nothing), and not acknowledged"]
    assert report["s3:GetObject"].startswith("needed: s3.GetObject denied (s3:GetObject on arn:aws:s3:::")


def _mutations(proof: Proof, function: FunctionUnderTest) -> tuple[dict[str, str], list[str]]:
    """Each statement of the role removed in turn: what happened (by statement), and the problems found."""
    package = function.package
    report: dict[str, str] = {}
    problems = []
    for ref in proof.statements(function):
        name = statement_id(ref.statement)
        with proof.replaced(function, ref, None):
            run = proof.run(function)
        surplus = _acknowledgment(package, ref)
        if run.failure is None and not run.denied:
            if surplus is None:
                problems.append(f"{name}: surplus (removing it changes nothing), and not acknowledged")
            else:
                _verify_acknowledged(function, ref, surplus)
                report[name] = f"acknowledged: {surplus.reason}"
            continue
        if surplus is not None:
            problems.append(f"{name}: acknowledged as surplus, but removing it broke the run ({run.failure})")
        if run.failure is None:
            problems.append(f"{name}: removing it denied {run.denied}, yet the handler still succeeded")
        elif not run.denied:
            problems.append(f"{name}: removing it failed the run without an AccessDenied: {run.failure}")
        else:
            report[name] = f"needed: {_denial(run)}"
            problems += _surplus_actions(proof, function, ref, report)
            problems += _conditions_evaluated(proof, function, ref, report)
    return report, problems


def _denial(run: Run) -> str:
    """The first call denied, the IAM check that denied it, and what the handler made of it."""
    call = run.denied[0]
    check = next((d.check for d in run.decisions if not d.allowed), None)
    because = f"{check.action} on {check.resource}" if check else "moto's own check"
    return f"{call.operation} denied ({because}); the handler {run.failure}"[:300]


def _surplus_actions(proof: Proof, function: FunctionUnderTest, ref: StatementRef, report: dict[str, str]) -> list[str]:
    """Each action of a needed statement with several actions: removing it alone must break the run too."""
    actions = ref.statement["Action"]
    if isinstance(actions, str) or len(actions) == 1:
        return []
    problems = []
    for action in actions:
        changed = {**ref.statement, "Action": [a for a in actions if a != action]}
        name = f"{statement_id(ref.statement)} / {action}"
        problems += _must_deny(proof, function, ref, changed, name, report, "needed", "removing this action alone")
    return problems


def _conditions_evaluated(
    proof: Proof, function: FunctionUnderTest, ref: StatementRef, report: dict[str, str]
) -> list[str]:
    """Each condition key of a needed statement, given a value the request does not have, must deny the run.

    This shows the key is evaluated against the request (not ignored, as moto alone would),
    and that the value the template names is the one the request carries.
    """
    problems = []
    for operator, keys in ref.statement.get("Condition", {}).items():
        for key in keys:
            changed = {
                **ref.statement,
                "Condition": {**ref.statement["Condition"], operator: {**keys, key: "no-such-value"}},
            }
            name = f"{statement_id(ref.statement)} / {operator} {key}"
            problems += _must_deny(
                proof, function, ref, changed, name, report, "evaluated: another value ->", "another value"
            )
    return problems


def _must_deny(
    proof: Proof,
    function: FunctionUnderTest,
    ref: StatementRef,
    changed: dict[str, Any],
    name: str,
    report: dict[str, str],
    verdict: str,
    change: str,
) -> list[str]:
    """Run the handler with ``ref`` replaced by ``changed``: it must fail with a call denied."""
    with proof.replaced(function, ref, changed):
        run = proof.run(function)
    if run.failure is not None and run.denied:
        report[name] = f"{verdict} {_denial(run)}"
        return []
    return [f"{name}: {change} changes nothing ({run.failure or 'still succeeds'})"]


def test_the_probe_cannot_assume_a_role_whose_trust_policy_is_as_synthesized(proof: Proof):
    """The trust policy check is real: without the probe statement, AssumeRole is refused."""
    function = proof.functions["signed_url"]
    role_arn = proof.iam.get_role(function.role_name).arn
    with enforced(), pytest.raises(ClientError) as refused:
        proof.probe.assume_role(RoleArn=role_arn, RoleSessionName="refused")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_every_acknowledgment_matches_a_statement(proof: Proof):
    used = {
        surplus
        for function in proof.functions.values()
        for ref in proof.statements(function)
        if (surplus := _acknowledgment(function.package, ref)) is not None
    }
    assert used == set(SURPLUS), f"unused acknowledgments: {set(SURPLUS) - used}"


def test_the_key_service_may_decrypt_only_the_two_table_keys_and_only_through_dynamodb(proof: Proof):
    """The content-keys table's KMS key: decryptable by the key service when DynamoDB asks for it, never directly
    (a kms:Decrypt call of its own), and no other KMS key at all."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kms.models import kms_backends

    function = proof.functions["key_service"]
    policies = [proof.policy(function.role_name, name) for name in proof.iam.list_role_policies(function.role_name)]
    tables = dynamodb_backends[ACCOUNT][REGION]
    keys = kms_backends[ACCOUNT][REGION]

    def key_of(table: str) -> str:
        key_id = (tables.get_table(table).sse_specification or {})["KMSMasterKeyId"]
        return str(keys.describe_key(key_id).arn)

    content_keys_key = key_of(function.environment["CONTENT_KEYS_TABLE"])
    catalog_key = key_of(function.environment["CATALOG_TABLE"])
    assert content_keys_key != catalog_key
    via_dynamodb = {"kms:viaservice": f"dynamodb.{REGION}.amazonaws.com"}
    for key in (content_keys_key, catalog_key):
        assert decide(policies, Check("kms:Decrypt", key, via_dynamodb)).allowed
        assert not decide(policies, Check("kms:Decrypt", key, {})).allowed  # called directly
        assert not decide(policies, Check("kms:Decrypt", key, {"kms:viaservice": f"s3.{REGION}.amazonaws.com"})).allowed
    others = [k.arn for k in keys.keys.values() if k.arn not in (content_keys_key, catalog_key)]
    assert others  # the stage has other keys (data lake, alerts, signing key...): none is decryptable
    for other in others:
        assert not decide(policies, Check("kms:Decrypt", other, via_dynamodb)).allowed
