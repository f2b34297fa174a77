"""The EC2 application origin."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from stacks.config.base import _DOMAIN, _GRAVITON, Clock, FieldError, Model, TimeZoneName
from stacks.config.reference import T4G_BASELINE_PERCENT


class PrimeTime(Model):
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


class OriginCapacity(Model):
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
            raise FieldError(
                "on_demand_base_capacity",
                f"is {self.on_demand_base_capacity}, more than max_capacity {self.max_capacity}",
            )
        if self.prime_time is not None and not self.min_capacity <= self.prime_time.min_capacity <= self.max_capacity:
            raise FieldError(
                "prime_time.min_capacity",
                f"is {self.prime_time.min_capacity}; it must lie between min_capacity {self.min_capacity} "
                f"and max_capacity {self.max_capacity}",
            )
        if (self.certificate_arn is None) != (self.domain_name is None):
            raise FieldError("certificate_arn", "certificate_arn and domain_name must be set together, or neither")
        if self.burstable:
            baseline = min(T4G_BASELINE_PERCENT[t] for t in self.instance_types)
            if self.cpu_target_percent > baseline:
                raise FieldError(
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
