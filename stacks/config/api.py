"""The HTTP API players call."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from stacks.config.base import FieldError, Model


class ApiConfig(Model):
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
            raise FieldError("jwt_audience", "must list at least one audience when jwt_issuer is set")
        if self.jwt_audience and not self.jwt_issuer:
            raise FieldError("jwt_issuer", "must be set when jwt_audience is set")
        if self.throttle_burst_limit < self.throttle_rate_limit:
            raise FieldError("throttle_burst_limit", "must be at least throttle_rate_limit")
        return self
