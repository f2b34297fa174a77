"""The signed-URL issuer."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stacks.config.base import Model


class PlaybackConfig(Model):
    """The signed-URL issuer.

    ``url_ttl_seconds`` is how long a play's signed URLs and cookies stay valid.
    The rewriter copies the same token into every segment URI, so it must
    outlast the longest viewing session; shorter limits what a leaked token is
    worth. The domain it signs for and the key ID come from the Edge stack.
    """

    url_ttl_seconds: Annotated[int, Field(ge=300, le=86_400)] = 21_600
