"""One environment's whole configuration."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.analytics import AnalyticsConfig
from stacks.config.api import ApiConfig
from stacks.config.base import _ACM_ARN, _COUNTRY, _DOMAIN, _EMAIL, FieldError, Model, known_regions
from stacks.config.catalog import CatalogConfig
from stacks.config.edge import EdgeConfig
from stacks.config.ingest import IngestConfig
from stacks.config.network import NatConfig
from stacks.config.operations import OperationsConfig
from stacks.config.origin import OriginCapacity
from stacks.config.playback import PlaybackConfig
from stacks.config.reference import CLOUDWATCH_RETENTION_DAYS, INTERFACE_ENDPOINT_SERVICES, REGION_TIME_ZONES


class Retention(Model):
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


class EnvironmentConfig(Model):
    """Everything that differs between dev, staging and prod."""

    name: str
    production: bool
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    region: str
    edge_region: Literal["us-east-1"] = "us-east-1"
    availability_zones: Annotated[list[str], Field(min_length=2, max_length=6)]
    # The same zones by ID, in the same order (names map to different zones per account; IDs do not).
    availability_zone_ids: Annotated[list[str], Field(min_length=2, max_length=6)]
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
    catalog: CatalogConfig = CatalogConfig()
    ingest: IngestConfig = Field(default_factory=IngestConfig)

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
                raise FieldError("availability_zones", f"{zone!r} is not an availability zone of {self.region}")
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise FieldError("availability_zones", "lists a zone more than once")
        if len(self.availability_zone_ids) != len(self.availability_zones):
            raise FieldError(
                "availability_zone_ids",
                f"must list the ID of each of the {len(self.availability_zones)} availability_zones, in their order",
            )
        for zone_id in self.availability_zone_ids:
            if not re.fullmatch(r"[a-z]{2,5}[0-9]-az[0-9]+", zone_id):
                raise FieldError(
                    "availability_zone_ids", f"{zone_id!r} is not an availability zone ID such as use1-az4"
                )
        if len(set(self.availability_zone_ids)) != len(self.availability_zone_ids):
            raise FieldError("availability_zone_ids", "lists a zone more than once")
        if self.nat.mode == "gateway" and self.nat.gateways > len(self.availability_zones):
            raise FieldError(
                "nat.gateways",
                f"is {self.nat.gateways} but there are only {len(self.availability_zones)} availability zones",
            )
        if self.production and self.data_removal == "destroy":
            raise FieldError(
                "data_removal", "is 'destroy' in a production environment; production data must be retained"
            )
        if (self.domain_name is None) != (self.certificate_arn is None):
            raise FieldError("certificate_arn", "domain_name and certificate_arn must be set together, or neither")
        if self.edge.replica_region == self.region:
            raise FieldError(
                "edge.replica_region", f"must differ from region {self.region}: it holds the failover copy"
            )
        if self.allowed_countries and self.blocked_countries:
            raise FieldError("blocked_countries", "set allowed_countries or blocked_countries, not both")
        self._check_origin()
        return self

    def _check_origin(self) -> None:
        origin = self.origin
        if self.production and origin.on_demand_base_capacity < origin.min_capacity:
            raise FieldError(
                "origin.on_demand_base_capacity",
                f"is {origin.on_demand_base_capacity} in a production environment; it must cover "
                f"min_capacity ({origin.min_capacity}) so the minimum fleet never runs on Spot",
            )
        prime_time = origin.prime_time
        if prime_time is not None and prime_time.time_zone is None and self.region not in REGION_TIME_ZONES:
            raise FieldError(
                "origin.prime_time.time_zone", f"has no default for region {self.region}; set an IANA time zone"
            )
        hours = self.operations.chaos_monkey.business_hours
        if hours.time_zone is None and self.region not in REGION_TIME_ZONES:
            raise FieldError(
                "operations.chaos_monkey.business_hours.time_zone",
                f"has no default for region {self.region}; set an IANA time zone",
            )
        if origin.certificate_arn is not None:
            pattern = rf"^arn:aws[a-z-]*:acm:{re.escape(self.region)}:\d{{12}}:certificate/[0-9a-f-]{{36}}$"
            if not re.fullmatch(pattern, origin.certificate_arn):
                raise FieldError(
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
