"""Typed, validated configuration for every Showrunner environment.

Defaults live in ``DEFAULTS`` below. Users override them without editing
code, through CDK context:

* ``-c config_file=path/to/overrides.json``: a JSON file shaped like
  ``{"dev": {"origin": {"max_capacity": 6}}, "prod": {...}}``;
* ``-c overrides='{"dev": {"alarm_email": "ops@example.com"}}'``: the same
  shape inline (or as an object under ``context.overrides`` in ``cdk.json``).

Overrides are merged into the defaults key by key (objects merge, every other
value replaces), and the result is validated as a whole. Any bad value stops
synth with one ``ConfigError`` that names the setting, e.g.
``dev.origin.min_capacity: Input should be greater than or equal to 0``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ENVIRONMENT_NAMES = ("dev", "staging", "prod")

# Values CloudWatch Logs accepts for a log group's retention (PutRetentionPolicy).
CLOUDWATCH_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

# Interface endpoints we know how to create; see docs/cost.md for when one pays for itself.
INTERFACE_ENDPOINT_SERVICES = frozenset(
    {"ssm", "ssmmessages", "ec2messages", "secretsmanager", "kms", "logs", "monitoring", "kinesis-streams", "sts"}
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_GRAVITON = re.compile(r"[a-z][a-z0-9]*g[a-z]*\.[a-z0-9]+")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

# Baseline CPU utilization per vCPU of each Graviton burstable size (EC2 documentation,
# "Key concepts and definitions for burstable performance instances").
T4G_BASELINE_PERCENT: dict[str, int] = {
    "t4g.nano": 5,
    "t4g.micro": 10,
    "t4g.small": 20,
    "t4g.medium": 20,
    "t4g.large": 30,
    "t4g.xlarge": 40,
    "t4g.2xlarge": 40,
}

# Where "evening" is for each region: the default time zone of the origin's prime-time schedule.
REGION_TIME_ZONES: dict[str, str] = {
    "af-south-1": "Africa/Johannesburg",
    "ap-east-1": "Asia/Hong_Kong",
    "ap-east-2": "Asia/Taipei",
    "ap-northeast-1": "Asia/Tokyo",
    "ap-northeast-2": "Asia/Seoul",
    "ap-northeast-3": "Asia/Tokyo",
    "ap-south-1": "Asia/Kolkata",
    "ap-south-2": "Asia/Kolkata",
    "ap-southeast-1": "Asia/Singapore",
    "ap-southeast-2": "Australia/Sydney",
    "ap-southeast-3": "Asia/Jakarta",
    "ap-southeast-4": "Australia/Melbourne",
    "ap-southeast-5": "Asia/Kuala_Lumpur",
    "ap-southeast-6": "Pacific/Auckland",
    "ap-southeast-7": "Asia/Bangkok",
    "ca-central-1": "America/Toronto",
    "ca-west-1": "America/Edmonton",
    "eu-central-1": "Europe/Berlin",
    "eu-central-2": "Europe/Zurich",
    "eu-north-1": "Europe/Stockholm",
    "eu-south-1": "Europe/Rome",
    "eu-south-2": "Europe/Madrid",
    "eu-west-1": "Europe/Dublin",
    "eu-west-2": "Europe/London",
    "eu-west-3": "Europe/Paris",
    "il-central-1": "Asia/Jerusalem",
    "me-central-1": "Asia/Dubai",
    "me-south-1": "Asia/Bahrain",
    "mx-central-1": "America/Mexico_City",
    "sa-east-1": "America/Sao_Paulo",
    "us-east-1": "America/New_York",
    "us-east-2": "America/New_York",
    "us-west-1": "America/Los_Angeles",
    "us-west-2": "America/Los_Angeles",
}


class ConfigError(Exception):
    """A configuration value is invalid. The message names the setting."""


@cache
def known_regions() -> frozenset[str]:
    """Commercial AWS regions, from botocore's bundled endpoint data (no network)."""
    import botocore.session  # local import: only config validation needs botocore

    return frozenset(botocore.session.get_session().get_available_regions("ec2"))


class _FieldError(ValueError):
    """Raised by a model-level check to blame one field (``loc`` of a model check is the model itself)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@cache
def available_time_zones() -> frozenset[str]:
    """IANA time zones of the machine's tz database (no network)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class NatConfig(_Model):
    """Outbound internet for private subnets.

    ``instance``: one NAT instance (t4g.nano, about $3/month) for cheap environments.
    ``gateway``: ``gateways`` managed NAT gateways (about $32/month each, plus data).
    """

    mode: Literal["instance", "gateway"]
    gateways: Annotated[int, Field(ge=1, le=6)] = 1
    instance_type: str = "t4g.nano"

    @field_validator("instance_type")
    @classmethod
    def _graviton(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9]*g[a-z]*\.[a-z0-9]+", value):
            raise ValueError(f"must be a Graviton (arm64) instance type such as t4g.nano, got {value!r}")
        return value


def _clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise ValueError(f"must be a 24-hour time HH:MM such as '18:30', got {value!r}")
    return value


def _time_zone(value: str | None) -> str | None:
    if value is not None and value not in available_time_zones():
        raise ValueError(f"unknown IANA time zone {value!r} (for example 'America/New_York')")
    return value


# A local time of day, and an IANA time zone (unset means the region's, REGION_TIME_ZONES).
Clock = Annotated[str, AfterValidator(_clock)]
TimeZoneName = Annotated[str | None, AfterValidator(_time_zone)]


class PrimeTime(_Model):
    """Scheduled scale-out for the evening peak: ``min_capacity`` from ``start`` to ``end`` (local time)."""

    start: Clock
    end: Clock
    min_capacity: Annotated[int, Field(ge=1, le=100)]
    time_zone: TimeZoneName = None

    @model_validator(mode="after")
    def _window(self) -> PrimeTime:
        if self.start == self.end:
            raise ValueError(f"start and end are both {self.start}; prime time needs a window")
        return self


class OriginCapacity(_Model):
    """The EC2 application origin: Auto Scaling bounds and fleet settings.

    * ``instance_types``: Graviton types; the first is the on-demand choice, the
      rest widen the Spot pools. Either all burstable (t4g, launched in standard
      credit mode, with ``cpu_target_percent`` at or below their baseline) or none.
    * ``on_demand_base_capacity`` / ``on_demand_percentage_above_base``: how much of
      the fleet is on-demand; the remainder is Spot (with capacity rebalancing).
    * ``cpu_target_percent`` / ``requests_per_target``: target tracking on average
      CPU and on ALB requests per target per minute.
    * ``prime_time``: scheduled evening scale-out (null disables it).
    * ``header_generation``: which version of the origin header secret is live
      (docs/operations.md, "Rotating the origin header").
    * ``certificate_arn`` / ``domain_name``: an ACM certificate in the
      environment's region for HTTPS between CloudFront and the ALB, and the
      name it covers; set together, or neither (then HTTP).
    """

    min_capacity: Annotated[int, Field(ge=0, le=100)]
    desired_capacity: Annotated[int, Field(ge=0, le=100)]
    max_capacity: Annotated[int, Field(ge=1, le=100)]
    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)] = [
        "c7g.medium",
        "c6g.medium",
        "m7g.medium",
        "m6g.medium",
    ]
    on_demand_base_capacity: Annotated[int, Field(ge=0, le=100)] = 0
    on_demand_percentage_above_base: Annotated[int, Field(ge=0, le=100)] = 0
    cpu_target_percent: Annotated[int, Field(ge=10, le=90)] = 50
    requests_per_target: Annotated[int, Field(ge=10, le=100_000)] = 1000
    prime_time: PrimeTime | None = None
    header_generation: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    certificate_arn: str | None = None
    domain_name: str | None = None

    @field_validator("instance_types")
    @classmethod
    def _graviton_types(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not _GRAVITON.fullmatch(t)]
        if bad:
            raise ValueError(f"must be Graviton (arm64) instance types such as c7g.medium, got {bad}")
        burstable = [t for t in value if t in T4G_BASELINE_PERCENT]
        if any(t.startswith("t") for t in value if t not in burstable):
            raise ValueError(f"burstable types must be one of {sorted(T4G_BASELINE_PERCENT)}, got {value}")
        if burstable and len(burstable) != len(value):
            raise ValueError(
                "mixes burstable and non-burstable types; the launch template's credit specification "
                f"(standard) applies to burstable types only, got {value}"
            )
        if len(set(value)) != len(value):
            raise ValueError("lists an instance type more than once")
        return value

    @field_validator("domain_name")
    @classmethod
    def _origin_domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.fullmatch(value):
            raise ValueError(f"must be a lowercase DNS name such as 'origin.example.com', got {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> OriginCapacity:
        if not self.min_capacity <= self.desired_capacity <= self.max_capacity:
            raise ValueError(
                "must satisfy min_capacity <= desired_capacity <= max_capacity, got "
                f"{self.min_capacity} <= {self.desired_capacity} <= {self.max_capacity}"
            )
        if self.on_demand_base_capacity > self.max_capacity:
            raise _FieldError(
                "on_demand_base_capacity",
                f"is {self.on_demand_base_capacity}, more than max_capacity {self.max_capacity}",
            )
        if self.prime_time is not None and not self.min_capacity <= self.prime_time.min_capacity <= self.max_capacity:
            raise _FieldError(
                "prime_time.min_capacity",
                f"is {self.prime_time.min_capacity}; it must lie between min_capacity {self.min_capacity} "
                f"and max_capacity {self.max_capacity}",
            )
        if (self.certificate_arn is None) != (self.domain_name is None):
            raise _FieldError("certificate_arn", "certificate_arn and domain_name must be set together, or neither")
        if self.burstable:
            baseline = min(T4G_BASELINE_PERCENT[t] for t in self.instance_types)
            if self.cpu_target_percent > baseline:
                raise _FieldError(
                    "cpu_target_percent",
                    f"is {self.cpu_target_percent}, above the {baseline}% CPU baseline of {self.instance_types}: "
                    "in standard credit mode an instance that has spent its credits is held at the baseline, "
                    "so CPU tracking above it would never scale out",
                )
        return self

    @property
    def burstable(self) -> bool:
        """Burstable (t4g) instances, launched in standard credit mode (never billed for surplus credits)."""
        return self.instance_types[0] in T4G_BASELINE_PERCENT


class Retention(_Model):
    """How long each kind of data is kept."""

    cloudwatch_logs_days: int
    access_logs_days: Annotated[int, Field(ge=1, le=3650)]
    noncurrent_versions_days: Annotated[int, Field(ge=1, le=3650)]

    @field_validator("cloudwatch_logs_days")
    @classmethod
    def _cloudwatch_value(cls, value: int) -> int:
        if value not in CLOUDWATCH_RETENTION_DAYS:
            allowed = ", ".join(str(v) for v in sorted(CLOUDWATCH_RETENTION_DAYS))
            raise ValueError(f"must be one of the values CloudWatch Logs accepts ({allowed}), got {value}")
        return value


class ApiConfig(_Model):
    """The HTTP API that players call (``/playback/*``, ``/events``).

    With ``jwt_issuer`` unset, a Cognito user pool is created and its app
    client is the audience. With an external identity provider, set both
    ``jwt_issuer`` (an https URL) and ``jwt_audience``.
    """

    jwt_issuer: str | None = None
    jwt_audience: list[str] = []
    throttle_rate_limit: Annotated[int, Field(ge=1, le=100_000)]
    throttle_burst_limit: Annotated[int, Field(ge=1, le=100_000)]

    @field_validator("jwt_issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?", value):
            raise ValueError(f"must be an https:// URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _audience(self) -> ApiConfig:
        if self.jwt_issuer and not self.jwt_audience:
            raise _FieldError("jwt_audience", "must list at least one audience when jwt_issuer is set")
        if self.jwt_audience and not self.jwt_issuer:
            raise _FieldError("jwt_issuer", "must be set when jwt_audience is set")
        if self.throttle_burst_limit < self.throttle_rate_limit:
            raise _FieldError("throttle_burst_limit", "must be at least throttle_rate_limit")
        return self


REPO_ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER_PUBLIC_KEY = "assets/keys/placeholder.pub.pem"
SIGNING_KEY_BITS = 2048  # the only RSA size CloudFront accepts for a public key


class EdgeConfig(_Model):
    """The CloudFront distribution and its us-east-1 WAF.

    ``signing_public_keys``: one or two PEM files (paths relative to the
    repository) of the RSA-2048 public keys the ``/vod/`` behaviors trust. The
    first is the key the issuer signs with; a second is only there during a
    rotation (docs/operations.md). The default is a placeholder whose private
    key was never kept, so nothing plays until an operator installs a key.
    """

    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
    signing_public_keys: Annotated[list[str], Field(min_length=1, max_length=2)] = [PLACEHOLDER_PUBLIC_KEY]
    waf_rate_limit: Annotated[int, Field(ge=10, le=2_000_000_000)] = 2000
    realtime_log_sampling_percent: Annotated[int, Field(ge=1, le=100)]
    replica_region: str | None = None
    cors_allowed_origins: list[str] = []
    manifest_max_ttl_seconds: Annotated[int, Field(ge=1, le=60)] = 5
    # How long the rewriter answers a manifest from memory before asking S3 again (0: every request asks).
    # No longer than CloudFront keeps a stored manifest, so a changed manifest reaches viewers within
    # manifest_fresh_seconds + manifest_max_ttl_seconds (docs/api.md).
    manifest_fresh_seconds: Annotated[int, Field(ge=0, le=60)] = 5
    # CloudFront's additional metrics (cache-hit rate, origin latency, error rates by status), billed as
    # CloudWatch custom metrics per distribution; the dashboard's cache-hit chart needs them.
    additional_metrics: bool = False
    segment_ttl_days: Annotated[int, Field(ge=1, le=365)] = 365

    @field_validator("replica_region")
    @classmethod
    def _replica_region(cls, value: str | None) -> str | None:
        if value is not None and value not in known_regions():
            raise ValueError(f"unknown AWS region {value!r}")
        return value

    @field_validator("signing_public_keys")
    @classmethod
    def _public_keys(cls, value: list[str]) -> list[str]:
        from cryptography.hazmat.primitives.asymmetric import rsa  # local import: only this check needs it
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        for path in value:
            try:
                key = load_pem_public_key((REPO_ROOT / path).read_bytes())
            except OSError as exc:
                raise ValueError(f"{path!r} cannot be read ({exc.strerror})") from None
            except ValueError:
                raise ValueError(f"{path!r} is not a PEM public key") from None
            if not isinstance(key, rsa.RSAPublicKey) or key.key_size != SIGNING_KEY_BITS:
                raise ValueError(f"{path!r} must be an RSA-{SIGNING_KEY_BITS} public key (CloudFront accepts no other)")
        if len(set(value)) != len(value):
            raise ValueError("lists a key more than once")
        return value

    def public_key_pems(self) -> list[str]:
        return [(REPO_ROOT / path).read_text(encoding="ascii") for path in self.signing_public_keys]

    @field_validator("cors_allowed_origins")
    @classmethod
    def _cors(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.fullmatch(r"https://[a-z0-9.-]+(:\d+)?|http://localhost(:\d+)?", origin):
                raise ValueError(f"must be origins such as 'https://player.example.com', got {origin!r}")
        return value

    @model_validator(mode="after")
    def _manifest_freshness(self) -> EdgeConfig:
        if self.manifest_fresh_seconds > self.manifest_max_ttl_seconds:
            raise _FieldError(
                "manifest_fresh_seconds",
                f"is {self.manifest_fresh_seconds}, longer than manifest_max_ttl_seconds "
                f"({self.manifest_max_ttl_seconds}); the rewriter may not keep a manifest longer than CloudFront does",
            )
        return self


WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class BusinessHours(_Model):
    """When the chaos monkey may act: ``days`` from ``start`` to ``end`` (local time, same day)."""

    days: Annotated[list[Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]], Field(min_length=1)] = [
        "MON",
        "TUE",
        "WED",
        "THU",
        "FRI",
    ]
    start: Clock = "10:00"
    end: Clock = "16:00"
    time_zone: TimeZoneName = None

    @field_validator("days")
    @classmethod
    def _unique_days(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a day more than once: {value}")
        return sorted(value, key=WEEKDAYS.index)

    @model_validator(mode="after")
    def _window(self) -> BusinessHours:
        if self.end <= self.start:
            raise _FieldError("end", f"is {self.end}, not after start {self.start}; business hours end the same day")
        return self


class ChaosMonkeySettings(_Model):
    """The chaos-monkey Lambda (docs/operations.md, "Chaos monkey").

    * ``enabled``: whether its schedule runs (hourly within ``business_hours``).
      The kill-switch parameter starts as ``enabled`` or ``disabled`` to match.
    * ``dry_run``: decide and log, never terminate.
    """

    enabled: bool
    dry_run: bool = False
    business_hours: BusinessHours = Field(default_factory=BusinessHours)


class BudgetSettings(_Model):
    """The environment's monthly AWS Budget and its alerts (percentages of the limit)."""

    monthly_limit_usd: Annotated[int, Field(ge=1, le=10_000_000)]
    actual_alert_percents: Annotated[list[Annotated[int, Field(ge=1, le=1000)]], Field(min_length=1, max_length=4)] = [
        80,
        100,
    ]
    forecast_alert_percent: Annotated[int, Field(ge=1, le=1000)] = 100

    @field_validator("actual_alert_percents")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if sorted(set(value)) != value:
            raise ValueError(f"must be distinct and ascending, got {value}")
        return value


class AlarmThresholds(_Model):
    """Alarm thresholds of the Operations stack (docs/operations.md, "Alarms")."""

    origin_5xx_percent: Annotated[float, Field(gt=0, le=100)] = 5.0
    origin_p99_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    cloudfront_5xx_percent: Annotated[float, Field(gt=0, le=100)] = 5.0
    lambda_error_percent: Annotated[float, Field(gt=0, le=100)] = 1.0


class OperationsConfig(_Model):
    """Chaos monkey, budget and alarm thresholds of one environment."""

    chaos_monkey: ChaosMonkeySettings
    budget: BudgetSettings
    alarms: AlarmThresholds = Field(default_factory=AlarmThresholds)


_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
_SCHEDULE = re.compile(r"^cron\([^()]+\)$")


class StreamSettings(_Model):
    """One Kinesis data stream: ``provisioned`` with ``shards`` shards, or ``on_demand`` (``shards`` unused)."""

    mode: Literal["provisioned", "on_demand"]
    shards: Annotated[int, Field(ge=1, le=500)] = 1


class EmrSettings(_Model):
    """The nightly transient EMR cluster that runs the Spark jobs (docs/architecture.md#analytics)."""

    release_label: Annotated[str, Field(pattern=r"^emr-7\.[0-9]{1,2}\.[0-9]{1,2}$")]
    schedule: str
    primary_instance_types: Annotated[list[str], Field(min_length=1, max_length=5)]
    core_instance_types: Annotated[list[str], Field(min_length=1, max_length=5)]
    task_instance_types: Annotated[list[str], Field(min_length=1, max_length=15)]
    core_units: Annotated[int, Field(ge=1, le=100)]
    task_spot_units: Annotated[int, Field(ge=1, le=500)]
    max_units: Annotated[int, Field(ge=2, le=1000)]
    step_timeout_minutes: Annotated[int, Field(ge=10, le=1440)]
    idle_timeout_minutes: Annotated[int, Field(ge=5, le=1440)]

    @field_validator("primary_instance_types", "core_instance_types", "task_instance_types")
    @classmethod
    def _instance_types(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not _INSTANCE_TYPE.fullmatch(t)]
        if bad:
            raise ValueError(f"must be EC2 instance types such as m7g.xlarge, got {bad}")
        if len(set(value)) != len(value):
            raise ValueError("lists an instance type more than once")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not _SCHEDULE.fullmatch(value) or len(value[5:-1].split()) != 6:
            raise ValueError(f"must be an EventBridge cron expression such as 'cron(0 3 * * ? *)', got {value!r}")
        return value

    @model_validator(mode="after")
    def _capacity(self) -> EmrSettings:
        if self.max_units < self.core_units + self.task_spot_units:
            raise _FieldError(
                "max_units",
                f"is {self.max_units}, below core_units + task_spot_units "
                f"({self.core_units} + {self.task_spot_units}), the capacity every run starts with",
            )
        return self


class AnalyticsConfig(_Model):
    """Viewing analytics: Kinesis streams, Firehose to the data lake, nightly EMR."""

    player_events: StreamSettings
    # The CloudFront real-time log stream; null turns real-time logs off (the Edge stack then has none).
    cdn_logs: StreamSettings | None
    stream_retention_hours: Annotated[int, Field(ge=24, le=8760)]
    iterator_age_alarm_minutes: Annotated[int, Field(ge=1, le=1440)]
    firehose_buffer_seconds: Annotated[int, Field(ge=0, le=900)]
    firehose_buffer_mib: Annotated[int, Field(ge=1, le=128)]
    emr: EmrSettings

    @model_validator(mode="after")
    def _alarm_before_loss(self) -> AnalyticsConfig:
        if self.iterator_age_alarm_minutes * 60 >= self.stream_retention_hours * 3600:
            raise _FieldError(
                "iterator_age_alarm_minutes",
                f"is {self.iterator_age_alarm_minutes} minutes, not less than the stream retention "
                f"({self.stream_retention_hours} hours): records would expire before the alarm fires",
            )
        return self


class PlaybackConfig(_Model):
    """The signed-URL issuer.

    ``url_ttl_seconds`` is how long a play's signed URLs and cookies stay valid.
    The rewriter copies the same token into every segment URI, so it must
    outlast the longest viewing session; shorter limits what a leaked token is
    worth. The domain it signs for and the key ID come from the Edge stack.
    """

    url_ttl_seconds: Annotated[int, Field(ge=300, le=86_400)] = 21_600


class EnvironmentConfig(_Model):
    """Everything that differs between dev, staging and prod."""

    name: str
    production: bool
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    region: str
    edge_region: Literal["us-east-1"] = "us-east-1"
    availability_zones: Annotated[list[str], Field(min_length=2, max_length=6)]
    vpc_cidr: Annotated[str, Field(pattern=r"^10\.\d{1,3}\.0\.0/16$")]
    nat: NatConfig
    interface_endpoints: list[str] = []
    origin: OriginCapacity
    api: ApiConfig
    edge: EdgeConfig
    analytics: AnalyticsConfig
    retention: Retention
    data_removal: Literal["destroy", "retain"]
    domain_name: str | None = None
    certificate_arn: str | None = None
    allowed_countries: list[str] = []
    blocked_countries: list[str] = []
    alarm_email: str | None = None
    operations: OperationsConfig
    playback: PlaybackConfig = PlaybackConfig()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,15}", value):
            raise ValueError(f"must be lowercase letters, digits or '-', at most 16 characters, got {value!r}")
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value not in known_regions():
            raise ValueError(f"unknown AWS region {value!r}")
        return value

    @field_validator("interface_endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - INTERFACE_ENDPOINT_SERVICES)
        if unknown:
            raise ValueError(
                f"unknown interface endpoint service(s) {unknown}; known: {sorted(INTERFACE_ENDPOINT_SERVICES)}"
            )
        if len(set(value)) != len(value):
            raise ValueError("lists a service more than once")
        return value

    @field_validator("allowed_countries", "blocked_countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not _COUNTRY.fullmatch(c)]
        if bad:
            raise ValueError(f"must be ISO 3166-1 alpha-2 codes such as 'US', got {bad}")
        return value

    @field_validator("domain_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.fullmatch(value):
            raise ValueError(f"must be a lowercase DNS name such as 'watch.example.com', got {value!r}")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not _ACM_ARN.fullmatch(value):
            raise ValueError(
                "must be the ARN of an ACM certificate in us-east-1 (CloudFront only uses certificates there)"
            )
        return value

    @field_validator("alarm_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError(f"is not an email address: {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EnvironmentConfig:
        for zone in self.availability_zones:
            if not re.fullmatch(re.escape(self.region) + r"[a-z]", zone):
                raise _FieldError("availability_zones", f"{zone!r} is not an availability zone of {self.region}")
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise _FieldError("availability_zones", "lists a zone more than once")
        if self.nat.mode == "gateway" and self.nat.gateways > len(self.availability_zones):
            raise _FieldError(
                "nat.gateways",
                f"is {self.nat.gateways} but there are only {len(self.availability_zones)} availability zones",
            )
        if self.production and self.data_removal == "destroy":
            raise _FieldError(
                "data_removal", "is 'destroy' in a production environment; production data must be retained"
            )
        if (self.domain_name is None) != (self.certificate_arn is None):
            raise _FieldError("certificate_arn", "domain_name and certificate_arn must be set together, or neither")
        if self.edge.replica_region == self.region:
            raise _FieldError(
                "edge.replica_region", f"must differ from region {self.region}: it holds the failover copy"
            )
        if self.allowed_countries and self.blocked_countries:
            raise _FieldError("blocked_countries", "set allowed_countries or blocked_countries, not both")
        self._check_origin()
        return self

    def _check_origin(self) -> None:
        origin = self.origin
        if self.production and origin.on_demand_base_capacity < origin.min_capacity:
            raise _FieldError(
                "origin.on_demand_base_capacity",
                f"is {origin.on_demand_base_capacity} in a production environment; it must cover "
                f"min_capacity ({origin.min_capacity}) so the minimum fleet never runs on Spot",
            )
        prime_time = origin.prime_time
        if prime_time is not None and prime_time.time_zone is None and self.region not in REGION_TIME_ZONES:
            raise _FieldError(
                "origin.prime_time.time_zone", f"has no default for region {self.region}; set an IANA time zone"
            )
        hours = self.operations.chaos_monkey.business_hours
        if hours.time_zone is None and self.region not in REGION_TIME_ZONES:
            raise _FieldError(
                "operations.chaos_monkey.business_hours.time_zone",
                f"has no default for region {self.region}; set an IANA time zone",
            )
        if origin.certificate_arn is not None:
            pattern = rf"^arn:aws[a-z-]*:acm:{re.escape(self.region)}:\d{{12}}:certificate/[0-9a-f-]{{36}}$"
            if not re.fullmatch(pattern, origin.certificate_arn):
                raise _FieldError(
                    "origin.certificate_arn",
                    f"must be the ARN of an ACM certificate in {self.region} (a load balancer "
                    "only uses certificates of its own region)",
                )

    @property
    def origin_time_zone(self) -> str:
        """The time zone of the origin's prime-time schedule."""
        prime_time = self.origin.prime_time
        if prime_time is not None and prime_time.time_zone is not None:
            return prime_time.time_zone
        return REGION_TIME_ZONES[self.region]

    @property
    def chaos_time_zone(self) -> str:
        """The time zone of the chaos monkey's business hours."""
        return self.operations.chaos_monkey.business_hours.time_zone or REGION_TIME_ZONES[self.region]

    @property
    def retain_data(self) -> bool:
        return self.data_removal == "retain"


_COMMON: dict[str, Any] = {
    "region": "us-east-1",
    "availability_zones": ["us-east-1a", "us-east-1b"],
}

# The nightly EMR run; every environment overrides the capacity.
_EMR: dict[str, Any] = {
    "release_label": "emr-7.13.0",
    "schedule": "cron(0 3 * * ? *)",
    "primary_instance_types": ["m7g.xlarge", "m6g.xlarge"],
    "core_instance_types": ["m7g.xlarge", "m6g.xlarge"],
    "task_instance_types": ["m7g.xlarge", "m6g.xlarge", "r7g.xlarge", "c7g.xlarge"],
    "step_timeout_minutes": 120,
    "idle_timeout_minutes": 30,
}

DEFAULTS: dict[str, dict[str, Any]] = {
    "dev": {
        **_COMMON,
        "production": False,
        "vpc_cidr": "10.10.0.0/16",
        "nat": {"mode": "instance"},
        "origin": {
            "min_capacity": 1,
            "desired_capacity": 1,
            "max_capacity": 2,
            # Burstable in standard credit mode: the cheapest floor (docs/cost.md), CPU tracking at the baseline.
            "instance_types": ["t4g.micro", "t4g.small"],
            "cpu_target_percent": 10,
            "prime_time": {"start": "18:00", "end": "23:00", "min_capacity": 2},
        },
        "api": {"throttle_rate_limit": 50, "throttle_burst_limit": 100},
        "edge": {"price_class": "PriceClass_100", "realtime_log_sampling_percent": 100},
        "analytics": {
            "player_events": {"mode": "provisioned", "shards": 1},
            # No CloudFront real-time logs in dev: the stream is the largest idle cost left ($10.95/month,
            # docs/cost.md); standard logs still reach the logs bucket.
            "cdn_logs": None,
            "stream_retention_hours": 24,
            "iterator_age_alarm_minutes": 30,
            "firehose_buffer_seconds": 900,
            "firehose_buffer_mib": 64,
            # Weekly in dev (Sundays 03:00 UTC): a dev data lake changes little, and each run costs ≈ $0.26
            # (docs/cost.md, "Dev, and the $75 target"). Start one by hand any time (docs/operations.md).
            "emr": {**_EMR, "schedule": "cron(0 3 ? * SUN *)", "core_units": 1, "task_spot_units": 1, "max_units": 4},
        },
        "retention": {"cloudwatch_logs_days": 14, "access_logs_days": 30, "noncurrent_versions_days": 7},
        "data_removal": "destroy",
        "operations": {"chaos_monkey": {"enabled": True}, "budget": {"monthly_limit_usd": 150}},
    },
    "staging": {
        **_COMMON,
        "production": False,
        "vpc_cidr": "10.20.0.0/16",
        "nat": {"mode": "gateway", "gateways": 1},
        "origin": {
            "min_capacity": 2,
            "desired_capacity": 2,
            "max_capacity": 4,
            "prime_time": {"start": "18:00", "end": "23:00", "min_capacity": 3},
        },
        "api": {"throttle_rate_limit": 200, "throttle_burst_limit": 400},
        "edge": {"price_class": "PriceClass_100", "realtime_log_sampling_percent": 50},
        "analytics": {
            "player_events": {"mode": "provisioned", "shards": 1},
            "cdn_logs": {"mode": "provisioned", "shards": 1},
            "stream_retention_hours": 24,
            "iterator_age_alarm_minutes": 30,
            "firehose_buffer_seconds": 300,
            "firehose_buffer_mib": 64,
            "emr": {**_EMR, "core_units": 1, "task_spot_units": 2, "max_units": 6},
        },
        "retention": {"cloudwatch_logs_days": 30, "access_logs_days": 90, "noncurrent_versions_days": 30},
        "data_removal": "destroy",
        "operations": {"chaos_monkey": {"enabled": True}, "budget": {"monthly_limit_usd": 400}},
    },
    "prod": {
        **_COMMON,
        "production": True,
        "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "vpc_cidr": "10.30.0.0/16",
        "nat": {"mode": "gateway", "gateways": 3},
        "origin": {
            "min_capacity": 3,
            "desired_capacity": 3,
            "max_capacity": 12,
            "instance_types": ["c7g.medium", "c6g.medium", "m7g.medium"],
            "on_demand_base_capacity": 3,
            "on_demand_percentage_above_base": 50,
            "prime_time": {"start": "18:00", "end": "23:00", "min_capacity": 6},
        },
        "api": {"throttle_rate_limit": 5000, "throttle_burst_limit": 10000},
        "edge": {
            "price_class": "PriceClass_All",
            "realtime_log_sampling_percent": 5,
            "replica_region": "us-west-2",
            "additional_metrics": True,
        },
        "analytics": {
            "player_events": {"mode": "on_demand"},
            "cdn_logs": {"mode": "on_demand"},
            "stream_retention_hours": 168,
            "iterator_age_alarm_minutes": 15,
            "firehose_buffer_seconds": 300,
            "firehose_buffer_mib": 128,
            "emr": {
                **_EMR,
                "core_instance_types": ["m7g.2xlarge", "m6g.2xlarge"],
                "task_instance_types": ["m7g.2xlarge", "m6g.2xlarge", "r7g.2xlarge", "c7g.2xlarge"],
                "core_units": 2,
                "task_spot_units": 4,
                "max_units": 20,
            },
        },
        "retention": {"cloudwatch_logs_days": 365, "access_logs_days": 365, "noncurrent_versions_days": 90},
        "data_removal": "retain",
        "operations": {"chaos_monkey": {"enabled": False}, "budget": {"monthly_limit_usd": 2500}},
    },
}


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _format(env: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        parts = [env, *(str(part) for part in item["loc"])]
        message = item["msg"].removeprefix("Value error, ")
        ctx_error = (item.get("ctx") or {}).get("error")
        if isinstance(ctx_error, _FieldError):
            parts.append(ctx_error.field)
            message = ctx_error.message
        lines.append(f"{'.'.join(parts)}: {message}")
    return "; ".join(lines)


def _as_mapping(value: Any, source: str) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: must be a JSON object keyed by environment name")
    unknown = sorted(set(value) - set(ENVIRONMENT_NAMES))
    if unknown:
        raise ConfigError(f"{source}: unknown environment(s) {unknown}; expected some of {list(ENVIRONMENT_NAMES)}")
    for env, body in value.items():
        if not isinstance(body, Mapping):
            raise ConfigError(f"{source}: {env} must be a JSON object")
    return value


def load_config(*, config_file: str | Path | None = None, overrides: Any = None) -> dict[str, EnvironmentConfig]:
    """Build and validate every environment's configuration."""
    layers: list[Mapping[str, Any]] = []
    if config_file is not None:
        path = Path(config_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"config_file {str(path)!r}: cannot be read ({exc.strerror})") from None
        layers.append(_as_mapping(text, f"config_file {str(path)!r}"))
    if overrides is not None:
        layers.append(_as_mapping(overrides, "overrides"))

    result: dict[str, EnvironmentConfig] = {}
    for env in ENVIRONMENT_NAMES:
        raw = {"name": env, **DEFAULTS[env]}
        for layer in layers:
            raw = _merge(raw, layer.get(env, {}))
        try:
            result[env] = EnvironmentConfig.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(f"Invalid Showrunner configuration: {_format(env, exc)}") from None
    return result
