"""moto's IAM enforcement, made precise enough to prove least privilege for assumed roles.

moto 5.2 checks an assumed role's identity policies once ``INITIAL_NO_AUTH_ACTION_COUNT``
requests have been served, but (``moto/iam/access_control.py``):

* only S3 requests carry their resource ARN (``arn:aws:s3:::bucket/key``); every other
  service is checked against the resource ``*``, which no ARN-scoped statement matches;
* a statement's ``Condition`` is ignored (treated as true) unless the caller supplies values,
  which moto does only for ``sts:AssumeRole``;
* nothing checks the KMS permission that reading a customer-managed-key secret needs.

``enforced()`` installs, for assumed-role credentials only, a decision that fixes those three
for the actions our functions call, and records every decision:

* the resource ARN is resolved from the request (``RESOLVERS``); an action without a resolver
  keeps moto's resource, so an ARN-scoped statement cannot allow it (fails closed);
* conditions are evaluated with the request's context keys (``tools.developer.moto_models.s3``'s
  IAM operator semantics); a key without a value fails its condition (fails closed);
* ``secretsmanager:GetSecretValue`` on a secret with its own KMS key also needs
  ``kms:Decrypt`` on that key, with ``kms:ViaService`` and ``kms:EncryptionContext:SecretARN``,
  as Secrets Manager asks KMS with the caller's credentials; so do a DynamoDB read or write of a
  table with its own key (``kms:ViaService`` DynamoDB) and a GET of an SSE-KMS object (through S3);
* ``s3:ListBucket`` carries the ``s3:prefix`` the listing asks for.

Action and Resource matching is moto's (``IAMPolicyStatement``) with IAM's wildcard rules: ``*``
any run of characters, ``?`` one, everything else literal (moto reads the pattern as a regular
expression, so ``.`` matched any character and ``$`` could match nothing).
Not modelled: permission boundaries, SCPs, session policies, resource-based policies other
than S3 bucket policies (moto's own), ``NotResource``/``NotAction`` statements (rejected
below, none of our function roles uses them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import AssumedRoleAccessKey, IAMPolicyStatement, IAMRequestBase, PermissionResult
from moto.iam.models import Policy

from tools.developer.moto_models.s3 import REQUEST_CONTEXT, condition_holds


class NotEvaluableError(Exception):
    """A statement uses a policy element these checks do not evaluate: no verdict, rather than a wrong one."""


@dataclass(frozen=True)
class Check:
    """One authorization question: may the role do ``action`` on ``resource`` with this condition ``context``?"""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    check: Check
    allowed: bool
    statements: tuple[str, ...]  # the statements that allowed it, as ``statement_id`` names them


@dataclass(frozen=True)
class Caller:
    """What a resolver sees of the request."""

    account: str
    region: str
    params: dict[str, Any]
    resource: str  # moto's: the S3 ARN, or "*"
    method: str = "POST"  # the HTTP method (S3: GET, HEAD, PUT...)


def statement_id(statement: dict[str, Any]) -> str:
    """A readable, stable name of a statement: its Sid, or its actions."""
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return statement.get("Sid") or ",".join(sorted(actions))


# --- resources and condition context of the actions our functions call --------------------------------


def _secret(caller: Caller) -> list[Check]:
    from moto.kms.models import kms_backends
    from moto.secretsmanager.models import FakeSecret, secretsmanager_backends

    secret = secretsmanager_backends[caller.account][caller.region].secrets[caller.params["SecretId"]]
    assert isinstance(secret, FakeSecret), f"{caller.params['SecretId']} is a replica"
    checks = [Check("secretsmanager:GetSecretValue", secret.arn)]
    if secret.kms_key_id:
        key = kms_backends[caller.account][caller.region].describe_key(secret.kms_key_id)
        context = {
            "kms:viaservice": f"secretsmanager.{caller.region}.amazonaws.com",
            "kms:encryptioncontext:secretarn": secret.arn,
        }
        checks.append(Check("kms:Decrypt", key.arn, context))
    return checks


def _table_checks(caller: Caller, action: str, table_name: str, index: str | None = None) -> list[Check]:
    """An action on a DynamoDB table (or the index it names), and ``kms:Decrypt`` on the table's customer managed
    key through DynamoDB: DynamoDB reads and writes a KMS-encrypted table with the caller's permission on the key."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.kms.models import kms_backends

    table = dynamodb_backends[caller.account][caller.region].get_table(table_name)
    checks = [Check(action, table.table_arn + (f"/index/{index}" if index else ""))]
    key_id = (table.sse_specification or {}).get("KMSMasterKeyId")
    if key_id:
        key = kms_backends[caller.account][caller.region].describe_key(key_id)
        checks.append(Check("kms:Decrypt", key.arn, {"kms:viaservice": f"dynamodb.{caller.region}.amazonaws.com"}))
    return checks


def _batch(action: str) -> Callable[[Caller], list[Check]]:
    """BatchGetItem, BatchWriteItem: each table of ``RequestItems``."""

    def resolve(caller: Caller) -> list[Check]:
        return [check for name in caller.params["RequestItems"] for check in _table_checks(caller, action, name)]

    return resolve


def _item(action: str) -> Callable[[Caller], list[Check]]:
    """GetItem, Query, PutItem...: the table ``TableName`` names (or its index ``IndexName``)."""

    def resolve(caller: Caller) -> list[Check]:
        return _table_checks(caller, action, str(caller.params["TableName"]), caller.params.get("IndexName"))

    return resolve


def _listing(caller: Caller) -> list[Check]:
    """ListObjects(V2) on a bucket, with the ``s3:prefix`` it asks for (absent when it asks for none)."""
    prefix = caller.params.get("prefix")
    return [Check("s3:ListBucket", caller.resource, {"s3:prefix": str(prefix)} if prefix is not None else {})]


def _object_read(caller: Caller) -> list[Check]:
    """GET of an object; one stored with SSE-KMS also needs ``kms:Decrypt`` on its key through S3, which S3
    asks with the caller's permission (a HEAD reads no data, so no key)."""
    from moto.kms.models import kms_backends
    from moto.s3.models import s3_backends

    checks = [Check("s3:GetObject", caller.resource)]
    bucket, _, key = caller.resource.removeprefix("arn:aws:s3:::").partition("/")
    if caller.method != "GET" or not key:
        return checks
    try:
        stored = s3_backends[caller.account]["aws"].get_object(bucket, key)
    except Exception:  # no such object: S3 answers 404 (or 403 without ListBucket) whatever the key
        return checks
    if stored is not None and stored.encryption == "aws:kms" and stored.kms_key_id:
        key_arn = kms_backends[caller.account][caller.region].describe_key(stored.kms_key_id).arn
        checks.append(Check("kms:Decrypt", key_arn, {"kms:viaservice": f"s3.{caller.region}.amazonaws.com"}))
    return checks


def _stream(action: str) -> Callable[[Caller], list[Check]]:
    def resolve(caller: Caller) -> list[Check]:
        arn = caller.params.get("StreamARN") or (
            f"arn:aws:kinesis:{caller.region}:{caller.account}:stream/{caller.params['StreamName']}"
        )
        return [Check(action, arn)]

    return resolve


def _parameter(action: str) -> Callable[[Caller], list[Check]]:
    def resolve(caller: Caller) -> list[Check]:
        name = str(caller.params["Name"])
        path = name if name.startswith("/") else f"/{name}"
        return [Check(action, f"arn:aws:ssm:{caller.region}:{caller.account}:parameter{path}")]

    return resolve


def _alarms(caller: Caller) -> list[Check]:
    """DescribeAlarms naming alarms: one check per alarm ARN (resource type ``alarm``); naming none, ``*``."""
    names = caller.params.get("AlarmNames") or []
    if not names:
        return [Check("cloudwatch:DescribeAlarms", "*")]
    prefix = f"arn:aws:cloudwatch:{caller.region}:{caller.account}:alarm:"
    return [Check("cloudwatch:DescribeAlarms", prefix + str(name)) for name in names]


def _terminate_in_group(caller: Caller) -> list[Check]:
    from moto.autoscaling.models import autoscaling_backends

    instance_id = caller.params["InstanceId"]
    groups = autoscaling_backends[caller.account][caller.region].autoscaling_groups.values()
    group = next(g for g in groups if any(s.instance.id == instance_id for s in g.instance_states))
    context = {f"autoscaling:resourcetag/{t['Key'].lower()}": t["Value"] for t in group.tags}
    return [Check("autoscaling:TerminateInstanceInAutoScalingGroup", group.arn, context)]


def _any_resource(action: str) -> Callable[[Caller], list[Check]]:
    """Actions without resource-level permissions (Service Authorization Reference): resource ``*``."""
    return lambda _caller: [Check(action, "*")]


RESOLVERS: dict[str, Callable[[Caller], list[Check]]] = {
    "secretsmanager:GetSecretValue": _secret,
    "dynamodb:GetItem": _item("dynamodb:GetItem"),
    "dynamodb:Query": _item("dynamodb:Query"),
    "dynamodb:BatchGetItem": _batch("dynamodb:BatchGetItem"),
    "dynamodb:BatchWriteItem": _batch("dynamodb:BatchWriteItem"),
    "s3:ListBucket": _listing,
    "s3:GetObject": _object_read,
    "kinesis:PutRecords": _stream("kinesis:PutRecords"),
    "kinesis:PutRecord": _stream("kinesis:PutRecord"),
    "kinesis:ListShards": _stream("kinesis:ListShards"),
    "ssm:GetParameter": _parameter("ssm:GetParameter"),
    "ssm:PutParameter": _parameter("ssm:PutParameter"),
    # moto names the action by CloudWatch's signing name ("monitoring"); IAM's name is cloudwatch:DescribeAlarms.
    "monitoring:DescribeAlarms": _alarms,
    "autoscaling:DescribeAutoScalingGroups": _any_resource("autoscaling:DescribeAutoScalingGroups"),
    "autoscaling:DescribeInstanceRefreshes": _any_resource("autoscaling:DescribeInstanceRefreshes"),
    "autoscaling:TerminateInstanceInAutoScalingGroup": _terminate_in_group,
}


# --- the decision ------------------------------------------------------------------------------------------


class _Statement(IAMPolicyStatement):
    @staticmethod
    def _match(pattern: str, string: str) -> re.Match[str] | None:
        regex = "".join({"*": ".*", "?": "."}.get(char, re.escape(char)) for char in pattern)
        return re.fullmatch(regex, string)


def documents(policies: list[Any]) -> list[dict[str, Any]]:
    """The policy documents moto collected for a role: inline (JSON text) and attached managed ``Policy``."""
    result = []
    for policy in policies:
        if isinstance(policy, Policy):
            text = next(v.document for v in policy.versions if v.is_default)
        else:
            text = policy if isinstance(policy, str) else policy["policy_document"]
        result.append(json.loads(text) if isinstance(text, str) else text)
    return result


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def decide(policy_documents: list[dict[str, Any]], check: Check) -> Decision:
    """Explicit deny wins, then any allow; otherwise an implicit deny."""
    allowing = []
    context = {**REQUEST_CONTEXT, **check.context}
    for document in policy_documents:
        for statement in _statements(document):
            if "NotResource" in statement or "NotAction" in statement or "Resource" not in statement:
                raise NotEvaluableError(f"statement {statement_id(statement)}: only Action and Resource are evaluated")
            bare = {key: value for key, value in statement.items() if key != "Condition"}
            result = _Statement(bare).is_action_permitted(check.action, check.resource)
            if result is PermissionResult.NEUTRAL:
                continue
            conditions = statement.get("Condition", {})
            if not all(
                condition_holds(operator, key, expected, context)
                for operator, keys in conditions.items()
                for key, expected in keys.items()
            ):
                continue
            if result is PermissionResult.DENIED:
                return Decision(check, False, ())
            allowing.append(statement_id(statement))
    return Decision(check, bool(allowing), tuple(allowing))


def _params(request: IAMRequestBase) -> dict[str, Any]:
    body = request._body
    if body and request._headers.get("Content-Type", "").startswith("application/x-amz-json"):
        parsed: dict[str, Any] = json.loads(body)
        return parsed
    return {
        key: value[0] if isinstance(value, list) and len(value) == 1 else value for key, value in request._data.items()
    }


@dataclass
class Enforcement:
    """Every decision taken for an assumed role while enforcement is on, in order."""

    decisions: list[Decision] = field(default_factory=list)

    def check_action_permitted(self, original: Callable[[IAMRequestBase, str], None]) -> Callable[..., None]:
        enforcement = self

        def check_action_permitted(request: IAMRequestBase, resource: str) -> None:
            if not isinstance(request._access_key, AssumedRoleAccessKey):
                original(request, resource)  # the test principal (an IAM user), e.g. sts:AssumeRole
                return
            caller = Caller(request.account_id, request._region, _params(request), resource, request._method)
            resolver = RESOLVERS.get(request._action)
            checks = resolver(caller) if resolver else [Check(request._action, resource)]
            policies = documents(request._access_key.collect_policies())
            for check in checks:
                decision = decide(policies, check)
                enforcement.decisions.append(decision)
                if not decision.allowed:
                    request._raise_access_denied()

        return check_action_permitted


def _is_unknown_principal(original: Callable[[IAMPolicyStatement, Any], bool]) -> Callable[..., bool]:
    """A trust statement naming only a service (``lambda.amazonaws.com``) does not concern an IAM user.

    moto treats a principal without an ``AWS`` key as a mismatch (an explicit deny), or fails
    with a TypeError; here such a statement is neutral, as moto treats the principals it cannot verify.
    """

    def is_unknown_principal(statement: IAMPolicyStatement, principal: Any) -> bool:
        return original(statement, principal) or (isinstance(principal, dict) and "AWS" not in principal)

    return is_unknown_principal


@contextmanager
def enforced() -> Iterator[Enforcement]:
    """moto checks every request from here on; assumed roles get the decision above."""
    enforcement = Enforcement()
    original = IAMRequestBase.check_action_permitted
    saved = settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count
    unknown = IAMPolicyStatement.is_unknown_principal
    IAMRequestBase.check_action_permitted = enforcement.check_action_permitted(original)  # type: ignore[method-assign]
    IAMPolicyStatement.is_unknown_principal = _is_unknown_principal(unknown)  # type: ignore[method-assign]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    try:
        yield enforcement
    finally:
        IAMRequestBase.check_action_permitted = original  # type: ignore[method-assign]
        IAMPolicyStatement.is_unknown_principal = unknown  # type: ignore[method-assign]
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved
