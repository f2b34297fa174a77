"""The CloudFront key group that /vod/ behaviors trust."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct


class SigningKeyGroup(Construct):
    """One CloudFront public key per PEM, all in one key group.

    CloudFront accepts a signature from any key in the group. The first key is
    the active one: the signed-URL issuer signs with its private half, and
    ``active_key_id`` is its ``KEY_PAIR_ID``. A second key lets keys rotate
    without downtime (docs/operations.md).

    Each public key's construct ID comes from its content, not its position, so
    reordering the keys (which is how a rotation switches the active key)
    never replaces a key and never changes a key ID.
    """

    MAX_KEYS = 2

    def __init__(self, scope: Construct, construct_id: str, *, public_key_pems: Sequence[str], comment: str) -> None:
        super().__init__(scope, construct_id)
        if not 1 <= len(public_key_pems) <= self.MAX_KEYS:
            raise ValueError(f"a signing key group holds 1 or {self.MAX_KEYS} public keys, got {len(public_key_pems)}")
        self.public_keys = []
        for pem in public_key_pems:
            fingerprint = hashlib.sha256(pem.strip().encode("ascii")).hexdigest()[:12]
            self.public_keys.append(
                cloudfront.PublicKey(
                    self, f"PublicKey{fingerprint}", encoded_key=pem, comment=f"{comment} (sha256 {fingerprint})"
                )
            )
        self.key_group = cloudfront.KeyGroup(self, "KeyGroup", items=self.public_keys, comment=comment)
        self.active_key_id = self.public_keys[0].public_key_id
