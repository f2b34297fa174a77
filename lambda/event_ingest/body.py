"""Reading a POST /events body as strict JSON: every body gets a clear answer, never an exception.

* Not UTF-8, not JSON, or nested deeper than the decoder goes: ``BodyError`` (400 ``malformed_json``;
  nothing in it can be read as events, so nothing is written).
* Readable, but holding something an event cannot: the value is replaced by an ``Invalid`` marker
  in its place, so only that event is rejected (with ``problems``) and the others are written:
  a number of more than ``MAX_NUMBER_CHARS`` characters (Python's int() refuses more than 4,300
  digits, and no event field needs more than a handful), a number too large for a double,
  ``NaN``/``Infinity`` (not JSON, RFC 8259 §6), and a name repeated in one object (RFC 8259 §4:
  parsers disagree on which value counts).

Lone surrogates (``"\\ud800"``) are read as they are; no string field of the schema accepts one.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_NUMBER_CHARS = 32


class BodyError(ValueError):
    """The body cannot be read as JSON at all. ``code`` is the documented error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Invalid:
    """A value no event can hold, kept where it was found; ``reason`` says why."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Invalid({self.reason!r})"


class _Repeated(dict[str, Any]):
    """An object in which some names appear more than once (the first value of each is kept)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    repeated: list[str] = []
    for name, value in pairs:
        if name in result:
            repeated.append(name)
        else:
            result[name] = value
    if not repeated:
        return result
    marked = _Repeated(result)
    marked.repeated = tuple(dict.fromkeys(repeated))
    return marked


def _too_long(text: str) -> Invalid:
    return Invalid(f"is a number of {len(text)} characters; at most {MAX_NUMBER_CHARS} are read")


def _int(text: str) -> int | Invalid:
    return _too_long(text) if len(text) > MAX_NUMBER_CHARS else int(text)


def _float(text: str) -> float | Invalid:
    if len(text) > MAX_NUMBER_CHARS:
        return _too_long(text)
    value = float(text)
    return value if math.isfinite(value) else Invalid("is a number too large for a double")


def _constant(name: str) -> Invalid:
    return Invalid(f"is {name}, which is not a JSON number")


def read(raw: bytes) -> Any:
    """The body's JSON value, with ``Invalid`` markers in place of values no event can hold."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("malformed_json", "the body is not valid UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise BodyError("malformed_json", f"the body is not valid JSON at {where}") from None
    except RecursionError:
        message = "the body is nested too deeply to read; an event is a flat JSON object"
        raise BodyError("malformed_json", message) from None


def problems(record: object) -> list[dict[str, str]]:
    """What the reading found wrong in one event (its own fields; deeper values fail the schema anyway)."""
    if isinstance(record, Invalid):
        return [{"field": "", "reason": record.reason}]
    if not isinstance(record, dict):
        return []
    found = [
        {"field": name, "reason": "appears more than once; JSON parsers disagree on which value counts"}
        for name in getattr(record, "repeated", ())
    ]
    found += [{"field": name, "reason": value.reason} for name, value in record.items() if isinstance(value, Invalid)]
    return found
