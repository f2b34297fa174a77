"""The HTTP API players call."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from stacks.config.base import _EMAIL, FieldError, Model, known_regions


class EmailSenderConfig(Model):
    """Cognito's verification and recovery emails sent through Amazon SES (``EmailSendingAccount: DEVELOPER``).

    Without it Cognito sends them itself, from no-reply@verificationemail.com, and caps them at
    50 a day per account (docs/operations.md, "Viewer sign-in emails"). The SES identity (the
    address, or ``verified_domain``) must be verified in ``ses_region`` and SES out of the sandbox.
    """

    from_address: str
    from_name: str | None = None
    reply_to: str | None = None
    # The identity SES verified, when it is the address's domain rather than the address itself.
    verified_domain: str | None = None
    # Where the identity is; unset: the user pool's region.
    ses_region: str | None = None
    configuration_set: str | None = None

    @field_validator("from_address", "reply_to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError(f"must be an email address, got {value!r}")
        return value

    @field_validator("ses_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and value not in known_regions():
            raise ValueError(f"must be an AWS region such as us-east-1, got {value!r}")
        return value

    @model_validator(mode="after")
    def _domain(self) -> EmailSenderConfig:
        domain = self.from_address.rsplit("@", 1)[1]
        if self.verified_domain is not None and domain.lower() != self.verified_domain.lower():
            raise FieldError(
                "verified_domain",
                f"must be the domain of from_address ({domain}), got {self.verified_domain!r}: "
                "SES sends only from a verified identity",
            )
        return self


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
    # The Cognito pool's email through SES; unset: Cognito's own sender (50 emails a day; make review flags prod).
    email_sender: EmailSenderConfig | None = None

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
