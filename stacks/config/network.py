"""Networking: NAT."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from stacks.config.base import Model


class NatConfig(Model):
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
