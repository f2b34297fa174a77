"""``GET /playback/{titleId}``: entitlement first, then one signed custom policy per play, as URLs and cookies.

Pure logic over three injected dependencies, so tests and benchmarks can run it
without AWS:

* ``titles(title_id)`` -> the catalog's ``Title``, or None (``TitleCatalog``: DynamoDB with a short cache);
* ``signer()`` -> the ``Signer`` (loaded from Secrets Manager once per container);
* ``clock()`` -> epoch seconds.

Contract (``docs/api.md``): 200 with ``titleId``, ``expiresAt``, ``hls``/``dash``
and ``cookies``, plus ``Set-Cookie`` cookies; 403 ``not_entitled`` with a ``reason``
(``entitlement.rules.REASONS``); other errors are JSON ``{"error", "message"}`` with 400,
401, 404 or 503, and never carry a stack trace or key material.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudfront_token.policy import DOMAIN, KEY_PAIR_ID, TITLE_ID, is_title_id, title_resource
from cloudfront_token.signer import Signer
from entitlement.rules import MESSAGES, NOT_PUBLISHED, InvalidTitleError, Title, Viewer, decide
from showrunner_common.container import NotConfiguredError
from showrunner_common.responses import JSON_HEADERS, error

LOGGER = logging.getLogger(__name__)

MANIFESTS = {"hls": "master.m3u8", "dash": "manifest.mpd"}
# Bounds of the token lifetime settings (stacks/config/playback.py, docs/api.md), checked again here so a
# hand-edited function answers 503 rather than sign for a week (tests keep the two equal).
MIN_TTL_SECONDS = 300
MAX_TTL_SECONDS = 86_400
MAX_MARGIN_SECONDS = 14_400
MAX_CACHE_SECONDS = 60


class ServiceUnavailableError(Exception):
    """A dependency (signing key, catalog) cannot be used right now. ``code`` is the documented error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ConfigurationError(NotConfiguredError):
    pass


def _seconds(environ: Mapping[str, str], name: str, low: int, high: int) -> int:
    # Plain ASCII digits only: str.isdigit() also accepts "²" (int() then raises) and "٣٠٠" (int() reads 300),
    # and int() refuses more than 4,300 digits; a length check first keeps int() to a few digits.
    value = environ.get(name, "")
    plain = value.isascii() and value.isdigit() and len(value) <= 9
    if not plain or not low <= int(value) <= high:
        raise ConfigurationError(f"{name} must be whole seconds, ASCII digits, from {low} to {high}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    distribution_domain: str
    key_pair_id: str
    signing_key_secret_arn: str
    catalog_table: str
    url_ttl_seconds: int  # the longest a token lives
    token_min_seconds: int  # the shortest (unless the title's window ends sooner)
    token_margin_seconds: int  # added to the title's duration
    catalog_cache_seconds: int

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
        if not values["CATALOG_TABLE"]:
            raise ConfigurationError("CATALOG_TABLE must name the catalog table")
        ttl = _seconds(environ, "URL_TTL_SECONDS", MIN_TTL_SECONDS, MAX_TTL_SECONDS)
        minimum = _seconds(environ, "TOKEN_MIN_SECONDS", MIN_TTL_SECONDS, MAX_TTL_SECONDS)
        if minimum > ttl:
            raise ConfigurationError("TOKEN_MIN_SECONDS must not exceed URL_TTL_SECONDS")
        return cls(
            distribution_domain=values["DISTRIBUTION_DOMAIN"],
            key_pair_id=values["KEY_PAIR_ID"],
            signing_key_secret_arn=values["SIGNING_KEY_SECRET_ARN"],
            catalog_table=values["CATALOG_TABLE"],
            url_ttl_seconds=ttl,
            token_min_seconds=minimum,
            token_margin_seconds=_seconds(environ, "TOKEN_MARGIN_SECONDS", 0, MAX_MARGIN_SECONDS),
            catalog_cache_seconds=_seconds(environ, "CATALOG_CACHE_SECONDS", 1, MAX_CACHE_SECONDS),
        )

    def expires_at(self, title: Title, now: int) -> int:
        """When a play of ``title`` starting at ``now`` stops being valid (docs/api.md, "Token lifetime").

        The title's duration plus the margin, within [token_min_seconds, url_ttl_seconds]; never after the
        title's ``availableUntil``. A title without a duration gets the longest lifetime.
        """
        if title.duration_seconds is None:
            lifetime = self.url_ttl_seconds
        else:
            wanted = math.ceil(title.duration_seconds) + self.token_margin_seconds
            lifetime = min(max(wanted, self.token_min_seconds), self.url_ttl_seconds)
        expires = now + lifetime
        if title.available_until is not None:
            expires = min(expires, title.available_until)
        return expires


_ENV = (
    "DISTRIBUTION_DOMAIN",
    "KEY_PAIR_ID",
    "SIGNING_KEY_SECRET_ARN",
    "CATALOG_TABLE",
    "URL_TTL_SECONDS",
    "TOKEN_MIN_SECONDS",
    "TOKEN_MARGIN_SECONDS",
    "CATALOG_CACHE_SECONDS",
)

# A catalog item that breaks the schema: never played, and said once in the log per cache fill.
_INVALID = object()


class TitleCatalog:
    """Titles by ID from the catalog table (``lookup(title_id)`` -> the raw item or None), cached ``ttl`` seconds.

    Found, missing and invalid items are all cached, so a withdrawal or a window change reaches the
    issuer within ``ttl`` seconds, and the cache holds at most ``max_entries`` titles, so a flood of
    made-up titleIds cannot grow it without bound.
    """

    def __init__(
        self,
        lookup: Callable[[str], Mapping[str, Any] | None],
        *,
        ttl: float = 10.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, object]] = OrderedDict()

    def title(self, title_id: str) -> Title | None:
        """The title, or None when the catalog has no such item; ``InvalidTitleError`` for a broken one."""
        now = self._clock()
        cached = self._cache.get(title_id)
        if cached is None or cached[0] <= now:
            item = self._lookup(title_id)
            value: object = None
            if item is not None:
                try:
                    value = Title.from_item(item)
                except InvalidTitleError as exc:
                    LOGGER.error("catalog item %s is invalid: %s", title_id, exc)
                    value = _INVALID
            cached = (now + self._ttl, value)
            self._cache[title_id] = cached
            self._cache.move_to_end(title_id)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        if cached[1] is _INVALID:
            raise InvalidTitleError(title_id)
        title: Title | None = cached[1]  # type: ignore[assignment]
        return title


def refusal(reason: str) -> dict[str, Any]:
    """403 ``not_entitled`` with one of ``entitlement.rules.REASONS``."""
    return error(403, "not_entitled", MESSAGES[reason], reason=reason)


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
        titles: Callable[[str], Title | None],
        signer: Callable[[], Signer],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._titles = titles
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
            try:
                title = self._titles(title_id)
            except InvalidTitleError:
                return refusal(NOT_PUBLISHED)
            if title is None:
                return error(404, "title_not_found", "no such title")
            now = int(self._clock())
            reason = decide(title, Viewer.from_request(event), now)
            if reason is not None:
                return refusal(reason)
            signer = self._signer()
        except ServiceUnavailableError as exc:
            LOGGER.error("playback unavailable: %s", exc.code)
            return error(503, exc.code, "playback is temporarily unavailable; retry later")
        return self._issue(title, self.settings.expires_at(title, now), signer)

    def _issue(self, title: Title, expires_at: int, signer: Signer) -> dict[str, Any]:
        domain = self.settings.distribution_domain
        title_id = title.title_id
        signed = signer.sign_custom(title_resource(domain, title_id), expires_at)
        # Every value below is validated or generated here (titleId pattern, DNS name, CloudFront base64,
        # key-pair ID, integer), so none needs JSON escaping and the body is written directly: json.dumps
        # would add about 8 µs, a third of the issuer's own time per play (benchmarks/playback.py).
        urls = "".join(
            f'"{fmt}":"{signed.url(f"https://{domain}/vod/{title_id}/{MANIFESTS[fmt]}")}",' for fmt in title.formats
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
