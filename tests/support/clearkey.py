"""W3C Clear Key (EME) messages as a player's CDM writes them: for the key service's unit and e2e tests."""

from __future__ import annotations

import base64
import json


def b64url(data: bytes) -> str:
    """base64url without padding, as EME's JSON Web Keys write KIDs and keys."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def licence_request(*kids: str, session: str = "temporary") -> bytes:
    """What a Clear Key CDM's ``message`` event carries (W3C EME, "Clear Key", license request format)."""
    return json.dumps({"kids": [b64url(bytes.fromhex(kid)) for kid in kids], "type": session}).encode()
