"""The catalog API and the issuer's reads of the catalog."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stacks.config.base import Model


class CatalogConfig(Model):
    """How the catalog is read.

    ``cache_seconds`` is how long a function keeps what it read of the catalog: a withdrawal, a
    window or a tier change reaches the issuer and ``GET /catalog`` at most that long after the
    operator's command. ``page_size`` is how many titles ``GET /catalog`` answers when the
    request does not say (``limit``, at most 100).
    """

    cache_seconds: Annotated[int, Field(ge=1, le=60)] = 10
    page_size: Annotated[int, Field(ge=1, le=100)] = 24
