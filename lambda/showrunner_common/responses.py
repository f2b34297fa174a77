"""JSON responses in the shape API Gateway (payload v2.0) and Function URLs return them."""

from __future__ import annotations

import json
from typing import Any

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}
COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def json_response(status: int, body: Any) -> dict[str, Any]:
    """``status`` with ``body`` as compact JSON, never cached."""
    return {"statusCode": status, "headers": dict(JSON_HEADERS), "body": COMPACT_JSON.encode(body)}


def error(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The documented error shape: ``{"error": code, "message": message, ...extra}`` (docs/api.md)."""
    return json_response(status, {"error": code, "message": message, **extra})
