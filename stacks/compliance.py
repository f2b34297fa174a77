"""How cdk-nag acknowledgments and checkov skips are written and applied; the ones every stack shares.

Each stack declares its own, beside its code, as ``acknowledgments`` and
``checkov_skips`` (class attributes of ``ShowrunnerStack`` subclasses). An ``Ack``
names a construct path pattern (``fnmatch`` syntax) relative to its stack, such as
``NightlySpark/InstanceRole/DefaultPolicy/Resource``, one rule ID and its reason.
``EVERY_STACK`` (below) holds the few that apply wherever a construct kind appears.

A rule ID may contain placeholders, filled in per environment:

* ``{env}``, ``{region}``, ``{replica_region}``: settings of the construct's environment;
* ``{ref:<Stack>/<path>.<Attribute>}``: how cdk-nag quotes that attribute of the resource at
  ``<Stack>/<path>`` (a CloudFormation resource, or a construct whose default child is one) as
  the acknowledging stack sees it: ``<LogicalId.Arn>`` in the same stack, the ``Fn::GetStackOutput``
  of CDK's weak cross-stack reference from another. No logical ID or output hash is written here.

``apply(app)`` reads every construct path once, applies every acknowledgment and
skip, and fails if one matches no construct in any environment (a stale entry).
Checkov skips go into each matched resource's CloudFormation metadata, which
``make review`` runs checkov against.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fnmatch import translate
from functools import cache, cached_property
from typing import Any, cast

from aws_cdk import Acknowledgment, App, CfnElement, CfnResource, Stack, Stage, Validations
from constructs import Construct, IConstruct

from stacks.config import EnvironmentConfig


@dataclass(frozen=True)
class Ack:
    path: str
    rule: str
    reason: str
    # Only in environments whose configuration makes the finding real (None: always).
    when: Callable[[EnvironmentConfig], bool] | None = None


class StaleAcknowledgmentError(Exception):
    pass


CHECKOV_METADATA_KEY = "checkov"

_CDK_PROVIDER = (
    "aws-cdk-lib's own custom-resource provider (S3 auto-delete-objects, VPC restrict-default-SG), "
    "invoked by CloudFormation only while the stack is created, updated or deleted: "
)
# Named one by one: another provider (say, a cross-region export writer) calls other APIs and
# would need its own reasons.
_CDK_PROVIDER_HANDLERS = (
    "Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler",
    "Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler",
)

# Checkov skips for whatever stack holds the construct.
EVERY_STACK_CHECKOV_SKIPS: tuple[Ack, ...] = (
    Ack(
        "*Logs/Resource",
        "CKV_AWS_158",
        "Every log group (API access logs, WAF logs with credentials and tokens redacted, Lambda, Firehose "
        "and Step Functions logs) holds operational metadata, never secrets or viewer tokens, and CloudWatch "
        "Logs encrypts it at rest; a customer managed key would add a key and a logs-service key policy per "
        "environment without excluding any reader that IAM does not already exclude.",
    ),
    *(
        Ack(path, check, _CDK_PROVIDER + reason)
        for path in _CDK_PROVIDER_HANDLERS
        for check, reason in (
            (
                "CKV_AWS_115",
                "a few invocations per deploy, so reserving concurrency would only take capacity from the "
                "account's pool.",
            ),
            (
                "CKV_AWS_116",
                "CloudFormation invokes it synchronously and rolls the stack back on failure, so a dead-letter "
                "queue for asynchronous invocations would never receive anything.",
            ),
            (
                "CKV_AWS_117",
                "it calls only S3 and EC2 APIs and holds no data; inside the VPC it would need NAT or interface "
                "endpoints to reach them.",
            ),
        )
    ),
)

_OUR_FUNCTION = "A Showrunner function invoked synchronously (API Gateway, Function URL) that calls only AWS APIs: "


def synchronous_function_skips(path: str) -> tuple[Ack, ...]:
    """Checkov skips for one of our Python functions (``PythonFunction``) called synchronously, at ``path``."""
    return tuple(
        Ack(path, check, _OUR_FUNCTION + reason)
        for check, reason in (
            (
                "CKV_AWS_115",
                "its caller bounds its concurrency (API Gateway stage throttling for the API routes; for the "
                "rewriter's Function URL, CloudFront's caching in front of it and the WAF per-IP rate limit); "
                "reserving concurrency would fail in new accounts whose limit leaves no unreserved pool.",
            ),
            (
                "CKV_AWS_116",
                "its caller gets the error synchronously, so a dead-letter queue would never receive anything.",
            ),
            (
                "CKV_AWS_117",
                "inside the VPC it would need NAT or interface endpoints to reach them, and it holds no data.",
            ),
            (
                "CKV_AWS_173",
                "its environment variables hold only resource names and limits, never secrets, and Lambda "
                "encrypts them at rest with its service key.",
            ),
        )
    )


# --- applying them ----------------------------------------------------------------------------------


Constructs = Mapping[str, IConstruct]


def walk(root: IConstruct) -> dict[str, IConstruct]:
    """Every construct under ``root`` by its path, read once.

    Each read is a jsii round trip: ``to_string()`` tells a construct's path in one (``node.path``
    takes two: the node, then its path).
    """
    root_first = root.node.find_all()  # pre-order; the root's to_string() is "<root>" for an app
    return {root.node.path: root} | {_path(construct): construct for construct in root_first[1:]}


def _path(construct: IConstruct) -> str:
    # The classes by their MRO: isinstance() against these ABCs checks every L1 class the first time.
    classes = type(construct).__mro__
    if Construct not in classes:
        return construct.node.path
    text = cast(Construct, construct).to_string()
    # A CloudFormation resource adds its type: "<path> [AWS::S3::Bucket]".
    return text.rpartition(" [")[0] if CfnResource in classes else text


def make_unique_id(components: list[str]) -> str:
    """CloudFormation logical ID of a construct path, as aws-cdk-lib computes it (``makeUniqueId``).

    Human-readable components without ``Default``/``Resource`` and non-alphanumerics, then the
    first 8 hex digits (upper case) of the MD5 of the path. Logical IDs must never change, so
    neither does this.
    """
    components = [c for c in components if c != "Default"]
    if len(components) == 1:
        return re.sub(r"[^A-Za-z0-9]", "", components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    return "".join(re.sub(r"[^A-Za-z0-9]", "", c) for c in human if c != "Resource")[:240] + digest


def _cfn(construct: IConstruct) -> CfnElement:
    if isinstance(construct, CfnElement):
        return construct
    child = construct.node.default_child
    if not isinstance(child, CfnElement):
        raise TypeError(f"{construct.node.path} is not a CloudFormation resource and has none as its default child")
    return child


def reference(consumer: Stack, producer: IConstruct, attribute: str) -> str:
    """How cdk-nag quotes ``Fn::GetAtt`` of ``producer``'s ``attribute`` in a policy of ``consumer``."""
    resource = _cfn(producer)
    producing = Stack.of(resource)
    logical_id = producing.get_logical_id(resource)
    if producing.node.path == consumer.node.path:
        return f"<{logical_id}.{attribute}>"
    # A weak reference: CDK publishes the attribute as an output of the producing stack (construct
    # Publish/Output<the reference as JSON>) and reads it with Fn::GetStackOutput.
    get_att = json.dumps({"Fn::GetAtt": [logical_id, attribute]}, separators=(",", ":"))
    output = make_unique_id(["Publish", f"Output{get_att}"])
    stack_output = {"StackName": producing.stack_name, "Region": producing.region, "OutputName": output}
    return json.dumps({"Fn::GetStackOutput": stack_output}, separators=(",", ":"))


_PLACEHOLDER = re.compile(r"\{(?P<name>env|region|replica_region|ref:(?P<path>[^{}]+)\.(?P<attribute>\w+))\}")


def render_rule(rule: str, target: Target, constructs: Constructs) -> str:
    """``rule`` with its placeholders filled in for ``target``'s stack and environment."""
    stage_path = target.path.rsplit("/", 1)[0]
    config = target.config

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if match["path"] is not None:
            producer = constructs.get(f"{stage_path}/{match['path']}")
            if producer is None:
                raise StaleAcknowledgmentError(f"{rule} names {match['path']}, which {stage_path} does not have")
            return reference(target.stack, producer, match["attribute"])
        settings = {"env": config.name, "region": config.region, "replica_region": config.edge.replica_region or ""}
        return settings[name]

    return _PLACEHOLDER.sub(fill, rule)


@dataclass(frozen=True)
class Target:
    stack: Stack
    config: EnvironmentConfig
    acks: tuple[Ack, ...]

    @cached_property
    def path(self) -> str:
        return self.stack.node.path


_GLOB = re.compile(r"[*?\[]")


@cache
def _pattern(path: str) -> re.Pattern[str] | None:
    """``path`` as a compiled ``fnmatch`` pattern, or None when it names one construct."""
    return re.compile(translate(path)) if _GLOB.search(path) else None


def _matches(within: Constructs, ack: Ack) -> list[IConstruct]:
    """The constructs of one stack (by path relative to it) that ``ack`` names."""
    pattern = _pattern(ack.path)
    if pattern is None:
        found = within.get(ack.path)
        return [] if found is None else [found]
    return [construct for path, construct in within.items() if pattern.match(path)]


def _applied(
    constructs: Constructs, targets: Iterable[Target], kind: str, apply: Callable[[IConstruct, Ack, Target], None]
) -> None:
    """Apply each entry of each target where its ``when`` holds; an entry that matches no construct in any
    environment is stale, and an error."""
    matched: dict[Ack, bool] = {}
    for target in targets:
        prefix = target.path + "/"
        within = {path[len(prefix) :]: c for path, c in constructs.items() if path.startswith(prefix)}
        for ack in target.acks:
            found = _matches(within, ack)
            matched[ack] = matched.get(ack, False) or bool(found)
            if ack.when is None or ack.when(target.config):
                for construct in found:
                    apply(construct, ack, target)
    stale = [ack for ack, found in matched.items() if not found]
    if stale:
        raise StaleAcknowledgmentError(f"{kind} {stale[0].rule} matches no construct: {stale[0].path}")


def acknowledge(constructs: Constructs, targets: Iterable[Target]) -> None:
    def apply(construct: IConstruct, ack: Ack, target: Target) -> None:
        rule = render_rule(ack.rule, target, constructs)
        Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=ack.reason))

    _applied(constructs, targets, "cdk-nag acknowledgment", apply)


def skip_checkov(constructs: Constructs, targets: Iterable[Target]) -> None:
    """Write each resource's skips into its metadata, once per resource, after any it already has."""
    skips: dict[CfnResource, list[dict[str, str]]] = {}

    def collect(construct: IConstruct, skip: Ack, target: Target) -> None:
        if not isinstance(construct, CfnResource):
            raise TypeError(f"checkov skip {skip.rule} must name a CloudFormation resource, not {_path(construct)}")
        skips.setdefault(construct, []).append({"id": skip.rule, "comment": skip.reason})

    _applied(constructs, targets, "checkov skip", collect)
    for resource, entries in skips.items():
        existing: Any = resource.get_metadata(CHECKOV_METADATA_KEY) or {"skip": []}
        resource.add_metadata(CHECKOV_METADATA_KEY, {"skip": [*existing["skip"], *entries]})


def _stacks(app: App) -> list[tuple[Stack, EnvironmentConfig]]:
    found = []
    for stage in app.node.children:
        config = getattr(stage, "config", None)
        if not isinstance(stage, Stage) or not isinstance(config, EnvironmentConfig):
            continue
        found += [(stack, config) for stack in stage.node.children if isinstance(stack, Stack)]
    return found


def apply(app: App) -> None:
    """Apply every stack's acknowledgments and checkov skips, and those of every stack, to ``app``."""
    constructs = walk(app)
    stacks = _stacks(app)
    acknowledge(
        constructs,
        [Target(stack, config, tuple(getattr(stack, "acknowledgments", ()))) for stack, config in stacks],
    )
    skip_checkov(
        constructs,
        [
            Target(stack, config, (*EVERY_STACK_CHECKOV_SKIPS, *getattr(stack, "checkov_skips", ())))
            for stack, config in stacks
        ],
    )
