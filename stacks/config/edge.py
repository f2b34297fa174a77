"""The CloudFront distribution, its signing keys and its WAF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stacks.config.base import FieldError, Model, known_regions
from stacks.names import SIGNING_KEY_BITS

REPO_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_PUBLIC_KEY = "assets/keys/placeholder.pub.pem"


class EdgeConfig(Model):
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
            raise FieldError(
                "manifest_fresh_seconds",
                f"is {self.manifest_fresh_seconds}, longer than manifest_max_ttl_seconds "
                f"({self.manifest_max_ttl_seconds}); the rewriter may not keep a manifest longer than CloudFront does",
            )
        return self
