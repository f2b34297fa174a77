"""Every cdk-nag acknowledgment and checkov skip in the project, each with its reason.

An acknowledgment names a construct path pattern (``fnmatch`` syntax,
matched against the full construct path such as ``dev/Storage/LogsBucket/Resource``)
and one rule ID. A rule ID may name settings of the construct's environment
as ``{env}``, ``{region}`` or ``{replica_region}`` (literal braces doubled), because some findings quote names built
from them. ``acknowledge_findings`` applies them all and fails if an
acknowledgment matches no construct, so stale entries cannot pile up here.
``CHECKOV_SKIPS`` (same shape, checkov check IDs) are written into the matched
resources' CloudFormation metadata by ``skip_checkov_checks``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from aws_cdk import Acknowledgment, App, CfnResource, Stage, Validations
from constructs import IConstruct

from stacks.config import EnvironmentConfig


@dataclass(frozen=True)
class Ack:
    path: str
    rule: str
    reason: str
    # Only in environments whose configuration makes the finding real (None: always).
    when: Callable[[EnvironmentConfig], bool] | None = None


_REPLICATION = (
    "S3 replication copies every object version of the content bucket to its replica, so the "
    "replication role's object-level actions (read versions on the source, replicate on the "
    "destination) name all objects of exactly those two buckets; s3.amazonaws.com alone may assume it."
)

_PINNED_AZS = (
    "Availability zones are pinned in configuration (availability_zones) on purpose: synth stays "
    "offline with no AZ lookup, and every environment's subnet layout is reviewable in the template."
)


def _storage_objects(output: str, suffix: str) -> str:
    """How cdk-nag names a wildcard under a Storage bucket's ARN read through a weak cross-stack reference."""
    stack_output = {"StackName": "ENV-Storage", "Region": "REGION", "OutputName": output}
    reference = json.dumps({"Fn::GetStackOutput": stack_output}, separators=(",", ":"))
    template = reference.replace("{", "{{").replace("}", "}}").replace("ENV", "{env}").replace("REGION", "{region}")
    return f"Resource::{template}/{suffix}"


_DATA_LAKE_ARN = "PublishOutputFnGetAttDataLakeBucket0256EA8EArn8D77EE2E"
_LOGS_ARN = "PublishOutputFnGetAttLogsBucket9C4D8843ArnEA733603"
_FIREHOSE = (
    "aws-cdk-lib's Firehose S3 destination grants its role read/write on the data-lake bucket's objects and "
    "the data-lake key: the permissions Firehose documents for S3 delivery (multipart uploads, error output). "
    "Only Firehose can assume the role."
)
_SPARK_PREFIXES = (
    "The objects under one prefix the nightly Spark jobs use: they read events/, write trending/ and "
    "recommendations/ (data lake), and EMR writes its logs under emr/ (logs bucket)."
)
_EMR_TASKS = "aws-cdk-lib's Step Functions EMR tasks"


def _analytics_acknowledgments() -> tuple[Ack, ...]:
    firehose_findings = (
        "Action::s3:GetObject*",
        "Action::s3:GetBucket*",
        "Action::s3:List*",
        "Action::s3:DeleteObject*",
        "Action::s3:Abort*",
        "Action::kms:GenerateDataKey*",
        "Action::kms:ReEncrypt*",
        _storage_objects(_DATA_LAKE_ARN, "*"),
    )
    spark_prefixes = (
        _storage_objects(_DATA_LAKE_ARN, "events/*"),
        _storage_objects(_DATA_LAKE_ARN, "trending/*"),
        _storage_objects(_DATA_LAKE_ARN, "recommendations/*"),
        _storage_objects(_LOGS_ARN, "emr/*"),
    )
    state_machine = (
        ("Resource::*", f"elasticmapreduce:RunJobFlow has no resource-level permissions ({_EMR_TASKS})."),
        (
            "Resource::arn:aws:elasticmapreduce:{region}:<AWS::AccountId>:cluster/*",
            "The nightly cluster's ID exists only at run time, so adding steps to it and terminating it "
            f"cannot name one cluster ARN ({_EMR_TASKS}).",
        ),
        (
            "Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/"
            "elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup*",
            f"EMR's cleanup service-linked role, whose path AWS names ({_EMR_TASKS}).",
        ),
    )
    return (
        Ack(
            "*/Analytics/*ToLake/DeliveryStream/Resource",
            "AwsSolutions-KDF1",
            "Firehose refuses delivery-stream encryption when its source is a Kinesis stream; the records are "
            "encrypted in the source stream (aws/kinesis key) and in S3 (SSE-KMS with the data-lake key).",
        ),
        *(
            Ack(
                "*/Analytics/*ToLake/DeliveryStream/S3 Destination Role/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[{f}]",
                _FIREHOSE,
            )
            for f in firehose_findings
        ),
        *(
            Ack(
                "*/Analytics/NightlySpark/InstanceRole/DefaultPolicy/Resource",
                f"AwsSolutions-IAM5[{f}]",
                _SPARK_PREFIXES,
            )
            for f in spark_prefixes
        ),
        Ack(
            "*/Analytics/NightlySpark/ServiceRole/Resource",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]",
            "AmazonEMRServicePolicy_v2 is AWS's scoped EMR service policy: it acts only on resources tagged "
            "for-use-with-amazon-emr-managed-policies=true (our private subnets, EMR security groups and "
            "clusters); a hand-written copy would have to track EMR's needs as they change.",
        ),
        *(
            Ack("*/Analytics/NightlySpark/StateMachine/Role/DefaultPolicy/Resource", f"AwsSolutions-IAM5[{f}]", reason)
            for f, reason in state_machine
        ),
    )


_CONTENT_ARN = "PublishOutputFnGetAttContentBucket52D4B12CArn5110A173"
_ISSUER_HEAD = (
    "The issuer checks that a title exists with HEAD (s3:GetObject) on exactly two keys per title, "
    "vod/<titleId>/master.m3u8 and vod/<titleId>/manifest.mpd; the titleId is the request's validated path "
    "parameter, so the wildcard stands for the title segment only and no media or other object is readable."
)
_REWRITER_READ = (
    "The manifest rewriter reads whichever title's manifest CloudFront forwards, so it may GetObject HLS and "
    "DASH manifests (vod/*.m3u8, vod/*.mpd) and nothing else: no media segment or other object is readable."
)


ACKNOWLEDGMENTS: tuple[Ack, ...] = (
    Ack("*/Network/Vpc/*Subnet*/Subnet", "CloudFormation-Validate::W3010", _PINNED_AZS),
    Ack("*/Network/Vpc/publicSubnet*/NatInstance/Resource", "CloudFormation-Validate::W3010", _PINNED_AZS),
    Ack(
        "*/Api/Viewers/Resource",
        "AwsSolutions-COG2",
        "Viewers sign in on TVs, consoles and phones, so MFA is offered (TOTP) rather than required; "
        "the pool's Plus-plan threat protection (FULL_FUNCTION) demands MFA on risky sign-ins and "
        "blocks compromised credentials.",
    ),
    *_analytics_acknowledgments(),
    Ack(
        "*/Storage/ContentBucket/ReplicationRole/DefaultPolicy/Resource",
        "AwsSolutions-IAM5[Resource::<ContentBucket52D4B12C.Arn>/*]",
        _REPLICATION,
    ),
    Ack(
        "*/Storage/ContentBucket/ReplicationRole/DefaultPolicy/Resource",
        "AwsSolutions-IAM5[Resource::arn:aws:s3:::showrunner-{env}-content-replica-<AWS::AccountId>-{replica_region}/*]",
        _REPLICATION,
    ),
    Ack(
        "*/Network/Vpc/publicSubnet*/NatInstance/Resource",
        "AwsSolutions-EC28",
        "Dev's NAT instance (nat.mode=instance) keeps basic 5-minute metrics: detailed monitoring "
        "would add about $2.10/month to a $3/month instance, and nothing autoscales on its metrics.",
    ),
    Ack(
        "*/Network/Vpc/publicSubnet*/NatInstance/Resource",
        "AwsSolutions-EC29",
        "API termination protection on the NAT instance would make CloudFormation unable to delete "
        "it, so 'cdk destroy dev/*' would fail; the instance is stateless and CloudFormation recreates it.",
    ),
    Ack(
        "*/Origin/Fleet/Group/ASG",
        "AwsSolutions-EC26",
        "False positive: cdk-nag 3.0.2's EC26 reads the group's LaunchTemplate property, which a group with "
        "a MixedInstancesPolicy (Spot) does not have, and throws. The launch template it uses has only an "
        "encrypted gp3 root volume (asserted in tests/infra/test_origin.py).",
    ),
    Ack(
        "*/Origin/Fleet/InstanceRole/Resource",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
        "AmazonSSMManagedInstanceCore is the AWS-maintained minimum for the SSM agent (Session Manager "
        "replaces SSH, so the fleet has no key pair and no port 22). Its ssm/ssmmessages/ec2messages "
        "actions take no resource-level scoping, so an inline copy would be the same Resource '*' "
        "without AWS's updates as the agent changes.",
    ),
    Ack(
        "*/Origin/OriginHeader/Secret/Resource",
        "AwsSolutions-SMG4",
        "The origin header is rotated by a staged, zero-downtime procedure instead of a rotation Lambda: "
        "the ALB rule and CloudFront's origin header hold values CloudFormation resolved at deploy, so a "
        "Lambda changing the secret would change neither. tools/operator/rotate_origin_header.py adds the next "
        "version and origin.header_generation deploys it (docs/operations.md, Rotating the origin header).",
    ),
    Ack(
        "*/Origin/Fleet/Group",
        "Annotation::@aws-cdk/aws-autoscaling:desiredCapacitySet",
        "The group has scheduled actions, so CDK sets IgnoreUnmodifiedGroupSizeProperties: a deploy only "
        "resets the group's size when origin.min/desired/max_capacity themselves change "
        "(asserted in tests/infra/test_origin.py).",
    ),
    Ack(
        "*/Playback/Issuer/FunctionRole/DefaultPolicy/Resource",
        f"AwsSolutions-IAM5[{_storage_objects(_CONTENT_ARN, 'vod/*/master.m3u8')}]",
        _ISSUER_HEAD,
    ),
    Ack(
        "*/Playback/Issuer/FunctionRole/DefaultPolicy/Resource",
        f"AwsSolutions-IAM5[{_storage_objects(_CONTENT_ARN, 'vod/*/manifest.mpd')}]",
        _ISSUER_HEAD,
    ),
    Ack(
        "*/Edge/Rewriter/FunctionRole/DefaultPolicy/Resource",
        f"AwsSolutions-IAM5[{_storage_objects(_CONTENT_ARN, 'vod/*.m3u8')}]",
        _REWRITER_READ,
    ),
    Ack(
        "*/Edge/Rewriter/FunctionRole/DefaultPolicy/Resource",
        f"AwsSolutions-IAM5[{_storage_objects(_CONTENT_ARN, 'vod/*.mpd')}]",
        _REWRITER_READ,
    ),
    Ack(
        "*/Edge/Distribution/Resource",
        "AwsSolutions-CFR4",
        "No custom domain is configured (domain_name/certificate_arn), so viewers reach the "
        "distribution's cloudfront.net name, whose default certificate CloudFront fixes at TLSv1; "
        "configure a domain and us-east-1 certificate to get TLSv1.2_2021.",
        when=lambda config: config.domain_name is None,
    ),
    Ack(
        "*/Edge/Distribution/Resource",
        "AwsSolutions-CFR5",
        "No origin certificate is configured (origin.certificate_arn), so CloudFront reaches the ALB "
        "over HTTP; the ALB admits only CloudFront's origin-facing prefix list and forwards only "
        "requests with the secret origin header. Every other origin is HTTPS-only with TLS 1.2.",
        when=lambda config: config.origin.certificate_arn is None,
    ),
    Ack(
        "*/Edge/Distribution/Resource",
        "AwsSolutions-CFR1",
        "The catalog is licensed worldwide unless configured otherwise; allowed_countries or "
        "blocked_countries turn on both CloudFront geo restriction and the WebACL geo rule.",
        when=lambda config: not (config.allowed_countries or config.blocked_countries),
    ),
    Ack(
        "*/Edge/Distribution/Origin*",
        "Annotation::@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac",
        "Intended: the content and replica buckets' own stacks grant CloudFront OAC read on vod/* "
        "(SecureBucket.allow_cloudfront_read), because a statement naming this distribution would "
        "make the bucket stack depend on the Edge stack and back (aws-cdk issue 31462).",
    ),
    Ack(
        "*/Playback/SigningKey/Resource",
        "AwsSolutions-SMG4",
        "The CloudFront signing key is rotated by a staged procedure instead of a rotation Lambda: CloudFront "
        "must trust a new public key (Edge key group) before the issuer signs with its private key, and the "
        "issuer reads the secret version labelled with its KEY_PAIR_ID, so key and ID switch in one deploy. "
        "tools/operator/signing_key.py adds and labels versions (docs/operations.md, Rotating the signing key).",
    ),
    Ack(
        "*/Operations/ChaosMonkey/FunctionRole/DefaultPolicy/Resource",
        "AwsSolutions-IAM5[Resource::*]",
        "autoscaling:DescribeAutoScalingGroups and autoscaling:DescribeInstanceRefreshes take no resource ARN "
        "(Service Authorization Reference); the chaos monkey lists the opted-in groups by tag and reads their "
        "instance refreshes. Nothing in that statement changes anything.",
    ),
    Ack(
        "*/Operations/ChaosMonkey/FunctionRole/DefaultPolicy/Resource",
        "AwsSolutions-IAM5[Resource::arn:aws:autoscaling:{region}:<AWS::AccountId>:autoScalingGroup:*:"
        "autoScalingGroupName/*]",
        "The chaos monkey finds its targets by tag, so TerminateInstanceInAutoScalingGroup names the groups of "
        "this account and region, conditioned on autoscaling:ResourceTag/showrunner:chaos-monkey=opt-in and "
        "autoscaling:ResourceTag/environment=<its environment>: only groups that opted in, in its own environment.",
    ),
    Ack(
        "*/Operations/SchedulerRoleForTarget-*/DefaultPolicy/Resource",
        "AwsSolutions-IAM5[Resource::<ChaosMonkeyFunctionA15AF452.Arn>:*]",
        "The EventBridge Scheduler role may invoke only the chaos-monkey function; CDK's grantInvoke adds "
        "'<function ARN>:*' for that one function's versions and aliases.",
    ),
    Ack(
        "*/Operations/Experiments/Policy/Resource",
        "AwsSolutions-IAM5[Resource::*]",
        "ec2:DescribeInstances and tag:GetResources (FIS resolving the tagged targets) and ssm:ListCommands and "
        "ssm:CancelCommand (following and stopping the CPU-stress command) take no resource ARN.",
    ),
    Ack(
        "*/Operations/Experiments/Policy/Resource",
        "AwsSolutions-IAM5[Resource::arn:aws:ec2:{region}:<AWS::AccountId>:instance/*]",
        "FIS selects origin instances when an experiment starts, so ec2:TerminateInstances and ssm:SendCommand "
        "name the instances of this account and region, each conditioned on the tags showrunner:component=origin "
        "and environment=<its environment>; ssm:SendCommand may send only the AWSFIS-Run-CPU-Stress document.",
    ),
)


class StaleAcknowledgmentError(Exception):
    pass


Constructs = list[tuple[str, IConstruct]]


def walk(root: IConstruct) -> Constructs:
    """Every construct under ``root`` with its path, read once: each ``node.path`` is a jsii round trip."""
    return [(construct.node.path, construct) for construct in root.node.find_all()]


def _matching(constructs: Constructs, ack: Ack, kind: str) -> list[tuple[IConstruct, EnvironmentConfig | None]]:
    """The constructs ``ack`` names, with their environment's config, where its ``when`` holds."""
    matched = [construct for path, construct in constructs if fnmatchcase(path, ack.path)]
    if not matched:
        raise StaleAcknowledgmentError(f"{kind} {ack.rule} matches no construct: {ack.path}")
    applying = []
    for construct in matched:
        config = _config(construct)
        if ack.when is None or (config is not None and ack.when(config)):
            applying.append((construct, config))
    return applying


def acknowledge_findings(
    app: App, acknowledgments: tuple[Ack, ...] = ACKNOWLEDGMENTS, constructs: Constructs | None = None
) -> None:
    """Acknowledge each finding on the constructs it names (``constructs``: ``walk(app)``, if already read)."""
    constructs = walk(app) if constructs is None else constructs
    for ack in acknowledgments:
        for construct, config in _matching(constructs, ack, "cdk-nag acknowledgment"):
            rule = ack.rule.format_map(_settings(config))
            Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=ack.reason))


def _config(construct: IConstruct) -> EnvironmentConfig | None:
    config = getattr(Stage.of(construct), "config", None)
    return config if isinstance(config, EnvironmentConfig) else None


def _settings(config: EnvironmentConfig | None) -> dict[str, str]:
    if config is None:
        return {}
    return {"env": config.name, "region": config.region, "replica_region": config.edge.replica_region or ""}


# checkov (run on cdk.out by `make review`) reads skips from each resource's
# CloudFormation metadata: {"checkov": {"skip": [{"id": ..., "comment": ...}]}}.
# Same Ack shape: construct path pattern, check ID, specific reason.
_CDK_PROVIDER = (
    "aws-cdk-lib's own custom-resource provider (S3 auto-delete-objects, VPC restrict-default-SG), "
    "invoked by CloudFormation only while the stack is created, updated or deleted: "
)
# Named one by one: another provider (say, a cross-region export writer) calls other APIs and
# would need its own reasons.
_CDK_PROVIDER_HANDLERS = (
    "*/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler",
    "*/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler",
)

_ORIGIN_HTTP = (
    "Without origin.certificate_arn there is no origin domain to present a certificate for, so the "
    "listener is HTTP on port 80; it admits only CloudFront's origin-facing prefix list, forwards only "
    "requests carrying the secret X-Origin-Verify header and answers everything else 403. Setting "
    "origin.certificate_arn and origin.domain_name makes it HTTPS with ELBSecurityPolicy-TLS13-1-2-2021-06."
)

_OUR_FUNCTION = "A Showrunner function invoked synchronously (API Gateway, Function URL) that calls only AWS APIs: "
# Our Python functions (stacks/constructs/python_function.py), by construct path.
_FUNCTIONS = (
    "*/Analytics/Ingestion/Function/Resource",
    "*/Issuer/Function/Resource",
    "*/Rewriter/Function/Resource",
)

CHECKOV_SKIPS: tuple[Ack, ...] = (
    Ack(
        "*Logs/Resource",
        "CKV_AWS_158",
        "Every log group (API access logs, WAF logs with credentials and tokens redacted, Lambda, Firehose "
        "and Step Functions logs) holds operational metadata, never secrets or viewer tokens, and CloudWatch "
        "Logs encrypts it at rest; a customer managed key would add a key and a logs-service key policy per "
        "environment without excluding any reader that IAM does not already exclude.",
    ),
    *(
        Ack(path, check, _OUR_FUNCTION + reason)
        for path in _FUNCTIONS
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
    ),
    Ack(
        "*/Edge/Distribution/Resource",
        "CKV_AWS_174",
        "No custom domain is configured (domain_name/certificate_arn), so viewers reach the distribution's "
        "cloudfront.net name with CloudFront's default certificate, whose policy CloudFront fixes; a "
        "configured domain gets TLSv1.2_2021.",
        when=lambda config: config.domain_name is None,
    ),
    Ack(
        "*/Analytics/NightlySpark/StateMachine/Role/DefaultPolicy/Resource",
        "CKV_AWS_111",
        "Step Functions' EMR integration must call RunJobFlow before the cluster (and so its ARN) exists, and "
        "its log delivery and X-Ray actions do not support resource-level permissions; every other statement "
        "names clusters, roles or rules (the cdk-nag IAM5 acknowledgments above give each wildcard's reason).",
    ),
    Ack(
        "*/Storage/LogsBucket/Resource",
        "CKV_AWS_18",
        "The logs bucket is the target of every other bucket's server access logs; logging its own "
        "access would write a log record about every log record.",
    ),
    Ack(
        "*/ContentReplica/ReplicaLogsBucket/Resource",
        "CKV_AWS_18",
        "The replica region's logs bucket receives the replica bucket's server access logs; logging its "
        "own access would write a log record about every log record.",
    ),
    Ack(
        "*/Alerts/AlertsKey/Resource",
        "CKV_AWS_33",
        "The one '*' principal (AllowAutoScalingNotifications) is narrowed by aws:PrincipalArn to this "
        "account's AWSServiceRoleForAutoScaling and by kms:CallerAccount to this account; the role cannot "
        "be named as the principal because it may not exist yet, and a missing principal invalidates the key policy.",
    ),
    Ack("*/Origin/Alb/LoadBalancer/Listener/Resource", "CKV_AWS_2", _ORIGIN_HTTP),
    Ack("*/Origin/Alb/LoadBalancer/Listener/Resource", "CKV_AWS_103", _ORIGIN_HTTP),
    Ack(
        "*/Origin/OriginHeader/Secret/Resource",
        "CKV_AWS_149",
        "Only CloudFormation reads the origin-header secret, through dynamic references while it deploys; "
        "no function or instance does. The AWS managed key encrypts it at rest, and a customer managed key "
        "would separate no reader from another.",
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
    *(
        Ack(
            "*/Operations/ChaosMonkey/Function/Resource",
            check,
            "The chaos monkey, run hourly by EventBridge Scheduler with no retries (reserved concurrency 1), "
            "calls only the Auto Scaling and SSM APIs: " + reason,
        )
        for check, reason in (
            (
                "CKV_AWS_116",
                "Lambda's own retries are off and every run logs its decision, a failed run included, and "
                "raises the chaos-monkey-failed alarm; a dead-letter queue would hold only the empty schedule event.",
            ),
            (
                "CKV_AWS_117",
                "inside the VPC it would need NAT or interface endpoints to reach them, and it holds no data.",
            ),
            (
                "CKV_AWS_173",
                "its environment variables hold the environment's name, the kill switch's parameter name and "
                "the business hours, never secrets, and Lambda encrypts them at rest with its service key.",
            ),
        )
    ),
)

CHECKOV_METADATA_KEY = "checkov"


def skip_checkov_checks(app: App, skips: tuple[Ack, ...] = CHECKOV_SKIPS, constructs: Constructs | None = None) -> None:
    """Write each skip, with its reason, into the matched resources' CloudFormation metadata.

    Fails if a skip matches no construct, or matches a construct that is not a
    CloudFormation resource (its metadata would never reach the template).
    """
    constructs = walk(app) if constructs is None else constructs
    for skip in skips:
        for construct, _ in _matching(constructs, skip, "checkov skip"):
            if not isinstance(construct, CfnResource):
                raise TypeError(
                    f"checkov skip {skip.rule} must name a CloudFormation resource, not {construct.node.path}"
                )
            existing = construct.get_metadata(CHECKOV_METADATA_KEY) or {"skip": []}
            entries = [*existing["skip"], {"id": skip.rule, "comment": skip.reason}]
            construct.add_metadata(CHECKOV_METADATA_KEY, {"skip": entries})
