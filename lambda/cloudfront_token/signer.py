"""CloudFront signed URLs and signed cookies, with ``cryptography`` doing the RSA work.

CloudFront verifies RSA-SHA1 PKCS#1 v1.5 signatures of the policy bytes. A canned
policy (``Expires=``) covers one exact URL; a custom policy (``Policy=``) may use a
wildcard resource, which is what a play needs: one signature covers the master
playlist, every rendition and every segment of the title.

Load the PEM once per process (``load_signer``): parsing it costs about 36 ms,
while one signature costs about 0.25 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cloudfront_token.policy import (
    KEY_PAIR_ID,
    TOKEN_COOKIES,
    cloudfront_b64encode,
    custom_policy,
)

# CloudFront accepts RSA key pairs of 2048 bits (and no other RSA size) for public keys in key groups
# (stacks/names.py SIGNING_KEY_BITS, which the stacks check the public keys against): a private key of another
# size signs what CloudFront's key group can never verify, so it is refused when loaded.
KEY_BITS = 2048
_PADDING = padding.PKCS1v15()
_SHA1 = hashes.SHA1()  # noqa: S303 - CloudFront's signed URL scheme is defined as RSA-SHA1


class SigningKeyError(ValueError):
    """The private key cannot be used. The message never contains key material."""


@dataclass(frozen=True)
class SignedPolicy:
    """A policy and its signature, ready to go into a query string or cookies."""

    policy: str  # CloudFront base64 of the policy JSON
    signature: str  # CloudFront base64 of the RSA-SHA1 signature
    key_pair_id: str

    @property
    def query(self) -> str:
        return f"Policy={self.policy}&Signature={self.signature}&Key-Pair-Id={self.key_pair_id}"

    def url(self, base_url: str) -> str:
        return base_url + ("&" if "?" in base_url else "?") + self.query

    def cookies(self) -> dict[str, str]:
        """The three signed cookies, named as CloudFront expects."""
        values = {"Policy": self.policy, "Signature": self.signature, "Key-Pair-Id": self.key_pair_id}
        return {TOKEN_COOKIES[param]: value for param, value in values.items()}


class Signer:
    """Signs CloudFront policies with one private key and its key-pair (public key) ID."""

    def __init__(self, private_key: rsa.RSAPrivateKey, key_pair_id: str) -> None:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise SigningKeyError("the signing key is not an RSA private key")
        if private_key.key_size != KEY_BITS:
            raise SigningKeyError(f"the signing key has {private_key.key_size} bits; CloudFront accepts {KEY_BITS}")
        if KEY_PAIR_ID.fullmatch(key_pair_id) is None:
            raise SigningKeyError(f"not a CloudFront key-pair ID: {key_pair_id!r}")
        self._key = private_key
        self.key_pair_id = key_pair_id

    def sign(self, message: bytes) -> bytes:
        """RSA-SHA1, PKCS#1 v1.5: the raw signature bytes (also usable as botocore's ``rsa_signer``)."""
        return self._key.sign(message, _PADDING, _SHA1)

    def sign_policy(self, policy_json: str) -> SignedPolicy:
        data = policy_json.encode("utf-8")
        return SignedPolicy(
            policy=cloudfront_b64encode(data),
            signature=cloudfront_b64encode(self.sign(data)),
            key_pair_id=self.key_pair_id,
        )

    def sign_custom(self, resource: str, expires_at: int) -> SignedPolicy:
        """A custom policy for ``resource`` (which may end in ``*``), valid until ``expires_at``."""
        return self.sign_policy(custom_policy(resource, expires_at))

    def canned_url(self, url: str, expires_at: int) -> str:
        """A canned-policy signed URL: byte-identical to botocore's ``CloudFrontSigner``."""
        if "*" in url:
            raise ValueError("a canned policy covers one exact URL; use a custom policy for wildcards")
        signature = cloudfront_b64encode(self.sign(custom_policy(url, expires_at).encode("utf-8")))
        query = f"Expires={expires_at}&Signature={signature}&Key-Pair-Id={self.key_pair_id}"
        return url + ("&" if "?" in url else "?") + query

    def custom_url(self, url: str, resource: str, expires_at: int) -> str:
        """``url`` signed with a custom policy for ``resource``."""
        return self.sign_custom(resource, expires_at).url(url)


def load_signer(pem: str | bytes, key_pair_id: str) -> Signer:
    """Parse an unencrypted PEM RSA private key (PKCS#1 or PKCS#8). Errors never echo the key."""
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:  # cryptography raises these for bad, encrypted or non-PEM input
        raise SigningKeyError(f"the signing key is not an unencrypted PEM private key ({type(exc).__name__})") from None
    except Exception as exc:  # e.g. UnsupportedAlgorithm; never let the key reach a traceback
        raise SigningKeyError(f"the signing key cannot be loaded ({type(exc).__name__})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError("the signing key is not an RSA private key")
    return Signer(key, key_pair_id)
