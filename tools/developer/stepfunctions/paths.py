"""The JSONPath subset of Amazon States Language our state machines use, and ``States.Format``.

Paths: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a-b']`` and the context object ``$$.Execution.Id``,
``$$.State.EnteredTime``. A path to a field that is not there raises ``PathError``,
as Step Functions fails the state with ``States.Runtime``. Anything else (filters,
wildcards, other intrinsic functions) raises ``UnsupportedError``: the interpreter
refuses what it cannot evaluate rather than guess.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any


class PathError(Exception):
    """A path names a field that is not there (Step Functions: ``States.Runtime``)."""


class UnsupportedError(Exception):
    """An ASL feature this interpreter does not implement."""


_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']+)'\]")
_FORMAT = re.compile(r"States\.Format\((.*)\)\s*", re.DOTALL)


def _steps(path: str) -> list[str | int]:
    root = "$$" if path.startswith("$$") else "$"
    rest = path[len(root) :]
    steps: list[str | int] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if not match:
            raise UnsupportedError(f"JSONPath {path!r}: only .field, [index] and ['field'] are supported")
        steps.append(match[1] if match[1] is not None else int(match[2]) if match[2] is not None else match[3])
        position = match.end()
    return steps


def read(path: str, data: Any, context: dict[str, Any]) -> Any:
    """The value at ``path`` in ``data`` (``$``) or the context object (``$$``)."""
    if not path.startswith("$"):
        raise UnsupportedError(f"not a path: {path!r}")
    value = context if path.startswith("$$") else data
    for step in _steps(path):
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                raise PathError(f"{path}: no item {step}")
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                raise PathError(f"{path}: no field {step!r}")
            value = value[step]
    return copy.deepcopy(value)


def write(path: str, data: Any, value: Any) -> Any:
    """``data`` with ``value`` put at ``path`` (a ``ResultPath``): ``$`` replaces it, missing objects are made."""
    if path == "$":
        return copy.deepcopy(value)
    steps = _steps(path)
    result = copy.deepcopy(data) if isinstance(data, dict) else {}
    target = result
    for step in steps[:-1]:
        if not isinstance(step, str):
            raise UnsupportedError(f"ResultPath {path!r}: no list indexes")
        nested = target.get(step)
        if not isinstance(nested, dict):
            nested = {}
            target[step] = nested
        target = nested
    last = steps[-1]
    if not isinstance(last, str):
        raise UnsupportedError(f"ResultPath {path!r}: no list indexes")
    target[last] = copy.deepcopy(value)
    return result


def _arguments(text: str) -> list[str]:
    """Split ``States.Format``'s arguments at top-level commas (quotes respected)."""
    args, current, quoted, escaped = [], "", False, False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char == "'":
            quoted = not quoted
            current += char
        elif char == "," and not quoted:
            args.append(current.strip())
            current = ""
        else:
            current += char
    args.append(current.strip())
    return args


def evaluate(expression: str, data: Any, context: dict[str, Any]) -> Any:
    """A ``.$`` value: a path, or ``States.Format('...{}...', args)``."""
    match = _FORMAT.fullmatch(expression)
    if match:
        template, *args = _arguments(match[1])
        if not (template.startswith("'") and template.endswith("'")):
            raise UnsupportedError(f"States.Format template must be a string literal: {expression!r}")
        text = template[1:-1].replace("\\'", "'")
        values = []
        for arg in args:
            value = read(arg, data, context) if arg.startswith("$") else json.loads(arg.replace("'", '"'))
            values.append(value if isinstance(value, str) else json.dumps(value, separators=(",", ":")))
        parts = text.split("{}")
        if len(parts) - 1 != len(values):
            raise PathError(f"States.Format: {len(parts) - 1} placeholders, {len(values)} arguments")
        return "".join(part + (values[i] if i < len(values) else "") for i, part in enumerate(parts))
    if expression.startswith("States."):
        raise UnsupportedError(f"intrinsic function {expression.split('(')[0]} is not implemented")
    return read(expression, data, context)


def render(template: Any, data: Any, context: dict[str, Any]) -> Any:
    """A ``Parameters`` / ``ResultSelector`` template: keys ending in ``.$`` are evaluated, the rest copied."""
    if isinstance(template, dict):
        result = {}
        for key, value in template.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    raise UnsupportedError(f"{key}: a .$ field takes a path or an intrinsic function")
                result[key[:-2]] = evaluate(value, data, context)
            else:
                result[key] = render(value, data, context)
        return result
    if isinstance(template, list):
        return [render(item, data, context) for item in template]
    return copy.deepcopy(template)
