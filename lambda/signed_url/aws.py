"""The issuer's two AWS calls: reading a title's catalog item, and reading the signing key.

Imported on the first request, not at module import, so a cold start does not
pay for botocore before it has to.
"""

from __future__ import annotations

import logging
import threading
from time import monotonic
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cloudfront_token.signer import Signer, SigningKeyError, load_signer

from signed_url.issuer import ServiceUnavailableError

LOGGER = logging.getLogger(__name__)

# After a failed read, requests in the next few seconds get 503 without calling Secrets Manager
# again: while the secret still holds the placeholder, every play request would otherwise cost
# two GetSecretValue calls.
RETRY_AFTER_SECONDS = 5.0


def _key_unavailable() -> ServiceUnavailableError:
    return ServiceUnavailableError("signing_key_unavailable", "the signing key cannot be read")


# What the issuer reads of a catalog item (docs/api.md, "The catalog"); "status" is a reserved word.
PROJECTION = "titleId, #status, formats, durationSeconds, availableFrom, availableUntil, countries, tier"


class CatalogItems:
    """``lookup(title_id)``: the title's catalog item (DynamoDB's attribute-value map) or None, by GetItem."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    def __call__(self, title_id: str) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(
                TableName=self._table,
                Key={"titleId": {"S": title_id}},
                ProjectionExpression=PROJECTION,
                ExpressionAttributeNames={"#status": "status"},
            )
        except ClientError as exc:
            LOGGER.error("GetItem %s failed: %s", title_id, exc.response.get("Error", {}).get("Code", "?"))
            raise ServiceUnavailableError("catalog_unavailable", "cannot read the catalog") from None
        except BotoCoreError as exc:
            LOGGER.error("GetItem %s failed: %s", title_id, type(exc).__name__)
            raise ServiceUnavailableError("catalog_unavailable", "cannot read the catalog") from None
        item: dict[str, Any] | None = response.get("Item")
        return item


class SigningKey:
    """The ``Signer``, read from Secrets Manager once per container and kept; after a failure, read
    again by the first request ``RETRY_AFTER_SECONDS`` later.

    The secret version labelled with the key-pair ID is preferred over ``AWSCURRENT``, so a key
    rotation can switch the PEM and ``KEY_PAIR_ID`` together (docs/operations.md). The PEM is
    never logged, and neither is any error text that could quote it.
    """

    def __init__(self, client: Any, secret_arn: str, key_pair_id: str) -> None:
        self._client = client
        self._secret_arn = secret_arn
        self._key_pair_id = key_pair_id
        self._signer: Signer | None = None
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Signer:
        signer = self._signer
        if signer is None:
            with self._lock:
                if self._signer is None:
                    if self._failed_at is not None and monotonic() - self._failed_at < RETRY_AFTER_SECONDS:
                        raise _key_unavailable()
                    try:
                        self._signer = self._load()
                    except ServiceUnavailableError:
                        self._failed_at = monotonic()
                        raise
                signer = self._signer
        return signer

    def _load(self) -> Signer:
        try:
            try:
                secret = self._client.get_secret_value(SecretId=self._secret_arn, VersionStage=self._key_pair_id)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                secret = self._client.get_secret_value(SecretId=self._secret_arn)
            pem = secret.get("SecretString")
            if not isinstance(pem, str):
                raise SigningKeyError("the secret has no SecretString")
            return load_signer(pem, self._key_pair_id)
        except ClientError as exc:
            LOGGER.error("cannot read the signing key: %s", exc.response.get("Error", {}).get("Code", "?"))
        except (BotoCoreError, SigningKeyError) as exc:
            LOGGER.error("cannot use the signing key: %s", exc if isinstance(exc, SigningKeyError) else type(exc))
        raise _key_unavailable()
