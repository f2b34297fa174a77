"""Names the deployed app and the operator tools must agree on. Imports nothing from CDK.

The stacks create resources, tags and outputs with these names; the tools under
``tools/`` find them by the same names. Changing one here changes both sides.
"""

from __future__ import annotations

ENVIRONMENT_NAMES = ("dev", "staging", "prod")

# Tags every stage puts on every taggable resource (cost allocation, and how the tools find resources).
PROJECT_TAG = "showrunner"

# AmazonEMRServicePolicy_v2 acts only on resources tagged so (subnets, security groups, clusters).
EMR_TAG = "for-use-with-amazon-emr-managed-policies"
# The EMR in-transit TLS certificates in the data-lake bucket, made by `python -m tools.operator.emr_certificates`.
TLS_CERTIFICATES_KEY = "emr/tls/certificates.zip"

# The only RSA size CloudFront accepts for a public key.
SIGNING_KEY_BITS = 2048

# Stack outputs the operator tools read.
SIGNING_KEY_SECRET_OUTPUT = "SigningKeySecretArn"  # noqa: S105 (an output name, not a secret) - Playback stack
ACTIVE_SIGNING_KEY_OUTPUT = "ActiveSigningKeyId"  # Edge stack: the key the deployed issuer signs with
ORIGIN_HEADER_SECRET_OUTPUT = "OriginHeaderSecretArn"  # noqa: S105 (an output name, not a secret) - Origin stack
CATALOG_TABLE_OUTPUT = "CatalogTableName"  # Storage stack
CONTENT_KEYS_TABLE_OUTPUT = "ContentKeysTableName"  # Storage stack: protected titles' content keys
VIEWER_POOL_OUTPUT = "ViewerPoolId"  # Api stack, when it creates the Cognito user pool
VIEWER_CLIENT_OUTPUT = "ViewerClientId"  # Api stack: the web player's app client (SRP, no secret)

# The catalog's vocabulary (docs/api.md, "The catalog"; lambda/entitlement/rules.py keeps the same, tested).
CATALOG_STATUSES = ("processing", "published", "failed", "withdrawn")
CATALOG_TIERS = ("free", "standard", "premium")  # lowest first: a plan covers its tier and those below
PLAN_GROUP_PREFIX = "plan-"  # a viewer's plan is the Cognito group plan-<tier>
TITLE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}"
INGEST_BUCKET_OUTPUT = "IngestBucketName"  # Ingest stack: upload sources under incoming/
INGEST_STATE_MACHINE_OUTPUT = "IngestStateMachineArn"  # Ingest stack: one execution per upload

REPLICA_BUCKET_OUTPUT = "ReplicaBucketName"  # ContentReplica stack: its name is unique per stack, so read it

# Every stack's parameter (and output of the same name): the SHA-256 of the other stacks' outputs it
# reads through Fn::GetStackOutput, as `make deploy` found them (tools/operator/deploy.py). A new value
# makes CloudFormation update the stack, which resolves those references again.
PRODUCER_OUTPUTS_PARAMETER = "ProducerOutputs"
PRODUCER_OUTPUTS_UNSET = "none"  # the default: what `cdk deploy` without `make deploy` leaves

# The secret header CloudFront adds to every request it sends to the origin ALB.
ORIGIN_HEADER_NAME = "X-Origin-Verify"
ORIGIN_HEADER_LENGTH = 48  # letters and digits: about 285 bits; an ALB header condition value takes up to 128


def stack_name(environment: str, stack: str) -> str:
    """The CloudFormation name of one of an environment's stacks, e.g. ``dev-Playback``."""
    return f"{environment}-{stack}"


def origin_header_stage(generation: int) -> str:
    """The Secrets Manager staging label that holds the origin header value of ``generation``.

    Generation 0 is the value CloudFormation generated with the secret
    (``AWSCURRENT``); every rotation adds a version labelled
    ``origin-header-<n>`` (tools/operator/rotate_origin_header.py).
    """
    if generation < 0:
        raise ValueError(f"generation must be >= 0, got {generation}")
    return "AWSCURRENT" if generation == 0 else f"origin-header-{generation}"
