"""``GET /playback/{titleId}``: one signed custom policy per play, as URLs and cookies.

Pure logic over three injected dependencies, so tests and benchmarks can run it
without AWS:

* ``formats(title_id)`` -> which manifests exist (``TitleCatalog``, HEAD on S3 with a short cache);
* ``signer()`` -> the ``Signer`` (loaded from Secrets Manager once per container);
* ``clock()`` -> epoch seconds.

Contract (``docs/api.md``): 200 with ``titleId``, ``expiresAt``, ``hls``/``dash``
and ``cookies``, plus ``Set-Cookie`` cookies; errors are JSON
``{"error", "message"}`` with 400, 401, 404 or 503, and never carry a stack
trace or key material.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudfront_token.policy import DOMAIN, KEY_PAIR_ID, TITLE_ID, is_title_id, title_resource
from cloudfront_token.signer import Signer
from showrunner_common.responses import JSON_HEADERS, error

LOGGER = logging.getLogger(__name__)

MANIFESTS = {"hls": "master.m3u8", "dash": "manifest.mpd"}
# URL_TTL_SECONDS: the bounds of playback.url_ttl_seconds (stacks/config/playback.py, docs/api.md), checked
# again here so a hand-edited function answers 503 rather than sign for a week (tests keep the two equal).
MIN_TTL_SECONDS = 300
MAX_TTL_SECONDS = 86_400


class ServiceUnavailableError(Exception):
    """A dependency (signing key, catalog) cannot be used right now. ``code`` is the documented error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ConfigurationError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    distribution_domain: str
    key_pair_id: str
    signing_key_secret_arn: str
    content_bucket: str
    url_ttl_seconds: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Validate the function's environment; the message names the variable, never a value that could be secret."""
        values = {name: environ.get(name, "") for name in _ENV}
        if DOMAIN.fullmatch(values["DISTRIBUTION_DOMAIN"]) is None:
            raise ConfigurationError("DISTRIBUTION_DOMAIN must be a lowercase DNS name")
        if KEY_PAIR_ID.fullmatch(values["KEY_PAIR_ID"]) is None:
            raise ConfigurationError("KEY_PAIR_ID must be a CloudFront public key ID")
        if not values["SIGNING_KEY_SECRET_ARN"].startswith("arn:"):
            raise ConfigurationError("SIGNING_KEY_SECRET_ARN must be a Secrets Manager secret ARN")
        if not values["CONTENT_BUCKET"]:
            raise ConfigurationError("CONTENT_BUCKET must name the content bucket")
        ttl = values["URL_TTL_SECONDS"]
        # Plain ASCII digits only: str.isdigit() also accepts "²" (int() then raises) and "٣٠٠" (int() reads 300),
        # and int() refuses more than 4,300 digits; a length check first keeps int() to a few digits.
        plain = ttl.isascii() and ttl.isdigit() and len(ttl) <= 9
        if not plain or not MIN_TTL_SECONDS <= int(ttl) <= MAX_TTL_SECONDS:
            raise ConfigurationError(
                f"URL_TTL_SECONDS must be whole seconds, ASCII digits, from {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS}"
            )
        return cls(
            distribution_domain=values["DISTRIBUTION_DOMAIN"],
            key_pair_id=values["KEY_PAIR_ID"],
            signing_key_secret_arn=values["SIGNING_KEY_SECRET_ARN"],
            content_bucket=values["CONTENT_BUCKET"],
            url_ttl_seconds=int(ttl),
        )


_ENV = ("DISTRIBUTION_DOMAIN", "KEY_PAIR_ID", "SIGNING_KEY_SECRET_ARN", "CONTENT_BUCKET", "URL_TTL_SECONDS")


class TitleCatalog:
    """Which of a title's manifests exist, from HEAD requests, cached for ``ttl`` seconds.

    Both answers are cached (a title appears at most ``ttl`` seconds after upload), and the
    cache holds at most ``max_entries`` titles, so a flood of made-up titleIds cannot grow it
    without bound.
    """

    def __init__(
        self,
        exists: Callable[[str], bool],
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._exists = exists
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()

    def formats(self, title_id: str) -> tuple[str, ...]:
        """The formats (``hls``, ``dash``) the title has; empty when it has none."""
        now = self._clock()
        cached = self._cache.get(title_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = tuple(fmt for fmt, name in MANIFESTS.items() if self._exists(f"vod/{title_id}/{name}"))
        self._cache[title_id] = (now + self._ttl, found)
        self._cache.move_to_end(title_id)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
        return found


def _subject(event: Mapping[str, Any]) -> str | None:
    try:
        sub = event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    except (KeyError, TypeError):
        return None
    return sub if isinstance(sub, str) and sub.strip() else None


def _title_id(event: Mapping[str, Any]) -> object:
    parameters = event.get("pathParameters")
    return parameters.get("titleId") if isinstance(parameters, dict) else None


class Issuer:
    def __init__(
        self,
        settings: Settings,
        *,
        formats: Callable[[str], tuple[str, ...]],
        signer: Callable[[], Signer],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._formats = formats
        self._signer = signer
        self._clock = clock

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        if _subject(event) is None:
            return error(401, "unauthorized", "the request has no authenticated subject")
        title_id = _title_id(event)
        if not is_title_id(title_id):
            return error(400, "invalid_title_id", f"titleId must match {TITLE_ID.pattern}")
        assert isinstance(title_id, str)
        try:
            formats = self._formats(title_id)
            if not formats:
                return error(404, "title_not_found", "no such title")
            signer = self._signer()
        except ServiceUnavailableError as exc:
            LOGGER.error("playback unavailable: %s", exc.code)
            return error(503, exc.code, "playback is temporarily unavailable; retry later")
        return self._issue(title_id, formats, signer)

    def _issue(self, title_id: str, formats: tuple[str, ...], signer: Signer) -> dict[str, Any]:
        domain = self.settings.distribution_domain
        expires_at = int(self._clock()) + self.settings.url_ttl_seconds
        signed = signer.sign_custom(title_resource(domain, title_id), expires_at)
        # Every value below is validated or generated here (titleId pattern, DNS name, CloudFront base64,
        # key-pair ID, integer), so none needs JSON escaping and the body is written directly: json.dumps
        # would add about 8 µs, a third of the issuer's own time per play (benchmarks/playback.py).
        urls = "".join(
            f'"{fmt}":"{signed.url(f"https://{domain}/vod/{title_id}/{MANIFESTS[fmt]}")}",' for fmt in formats
        )
        cookies = signed.cookies()
        body = (
            f'{{"titleId":"{title_id}","expiresAt":{expires_at},{urls}"cookies":{{'
            + ",".join(f'"{name}":"{value}"' for name, value in cookies.items())
            + "}}"
        )
        attributes = f"; Secure; HttpOnly; SameSite=None; Path=/vod/{title_id}/"
        return {
            "statusCode": 200,
            "headers": dict(JSON_HEADERS),
            "body": body,
            "cookies": [f"{name}={value}{attributes}" for name, value in cookies.items()],
        }
