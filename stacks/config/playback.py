"""The signed-URL issuer."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from stacks.config.base import FieldError, Model


class PlaybackConfig(Model):
    """The signed-URL issuer.

    A play's signed URLs and cookies live for the title's duration plus
    ``token_margin_seconds`` (room for pauses and a slow start), at least
    ``token_min_seconds`` and at most ``url_ttl_seconds``, and never past the
    title's ``availableUntil``. The rewriter copies the same token into every
    segment URI, so it must outlast the viewing; shorter limits what a leaked
    token is worth. A pause longer than the margin ends with the player asking
    ``GET /playback/{titleId}`` again, which checks entitlement again
    (docs/api.md, "Token lifetime"). The domain it signs for and the key ID come
    from the Edge stack.
    """

    url_ttl_seconds: Annotated[int, Field(ge=300, le=86_400)] = 21_600
    token_min_seconds: Annotated[int, Field(ge=300, le=86_400)] = 900
    token_margin_seconds: Annotated[int, Field(ge=0, le=14_400)] = 1_800

    @model_validator(mode="after")
    def _bounds(self) -> PlaybackConfig:
        if self.token_min_seconds > self.url_ttl_seconds:
            raise FieldError("token_min_seconds", "must not exceed url_ttl_seconds")
        return self
