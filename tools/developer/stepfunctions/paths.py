"""The JSONPath subset of Amazon States Language our state machines use, and some intrinsic functions.

Paths: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a-b']`` and the context object ``$$.Execution.Id``,
``$$.State.EnteredTime``. A path to a field that is not there raises ``PathError``,
as Step Functions fails the state with ``States.Runtime``. Anything else (filters,
wildcards, intrinsic functions other than ``States.Format``, ``States.Array``,
``States.ArrayGetItem`` and ``States.StringSplit``) raises ``UnsupportedError``: the interpreter
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


class _Intrinsic:
    """A recursive-descent reader of one intrinsic function call: ``States.Name(arg, ...)``.

    Arguments are string literals (``'...'``, with ``\\'``, ``\\{``, ``\\}`` and ``\\\\`` escapes), numbers,
    ``true``/``false``/``null``, paths (``$...``, ``$$...``) and nested calls.
    """

    def __init__(self, text: str, data: Any, context: dict[str, Any]) -> None:
        self.text, self.position, self.data, self.context = text, 0, data, context

    def error(self, message: str) -> UnsupportedError:
        return UnsupportedError(f"{message} at {self.position} of {self.text!r}")

    def skip(self) -> None:
        while self.position < len(self.text) and self.text[self.position].isspace():
            self.position += 1

    def call(self) -> Any:
        match = re.compile(r"States\.([A-Za-z0-9]+)\(").match(self.text, self.position)
        if not match:
            raise self.error("expected States.<function>(")
        self.position = match.end()
        args: list[Any] = []
        self.skip()
        if self.text.startswith(")", self.position):
            self.position += 1
        else:
            while True:
                args.append(self.argument())
                self.skip()
                if self.text.startswith(",", self.position):
                    self.position += 1
                    continue
                if self.text.startswith(")", self.position):
                    self.position += 1
                    break
                raise self.error("expected , or )")
        return _apply(match[1], args)

    def argument(self) -> Any:
        self.skip()
        rest = self.text[self.position :]
        if rest.startswith("'"):
            return self.string()
        if rest.startswith("States."):
            return self.call()
        if rest.startswith("$"):
            end = self.position
            while end < len(self.text) and self.text[end] not in ",)" and not self.text[end].isspace():
                end += 1
            path, self.position = self.text[self.position : end], end
            return read(path, self.data, self.context)
        literal = re.compile(r"-?\d+(\.\d+)?|true|false|null").match(self.text, self.position)
        if literal:
            self.position = literal.end()
            return json.loads(literal[0])
        raise self.error("expected an argument")

    def string(self) -> str:
        self.position += 1
        out = []
        while self.position < len(self.text):
            char = self.text[self.position]
            if char == "\\":
                out.append(self.text[self.position + 1])
                self.position += 2
                continue
            if char == "'":
                self.position += 1
                return "".join(out)
            out.append(char)
            self.position += 1
        raise self.error("unterminated string")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _apply(name: str, args: list[Any]) -> Any:
    if name == "Format":
        template, *values = args
        if not isinstance(template, str):
            raise UnsupportedError("States.Format: the template must be a string")
        parts = template.split("{}")
        if len(parts) - 1 != len(values):
            raise PathError(f"States.Format: {len(parts) - 1} placeholders, {len(values)} arguments")
        return "".join(part + (_text(values[i]) if i < len(values) else "") for i, part in enumerate(parts))
    if name == "Array":
        return list(args)
    if name == "ArrayGetItem":
        array, index = args
        if not isinstance(array, list) or not isinstance(index, int) or not 0 <= index < len(array):
            raise PathError(f"States.ArrayGetItem: no item {index!r}")
        return array[index]
    if name == "StringSplit":
        text, separators = args
        if not isinstance(text, str) or not isinstance(separators, str):
            raise PathError("States.StringSplit takes two strings")
        return [part for part in re.split("|".join(map(re.escape, separators)), text) if part]
    raise UnsupportedError(f"intrinsic function States.{name} is not implemented")


def evaluate(expression: str, data: Any, context: dict[str, Any]) -> Any:
    """A ``.$`` value: a path, or an intrinsic function (``States.Format``, ``Array``, ``ArrayGetItem``,
    ``StringSplit``, nested)."""
    if expression.startswith("States."):
        reader = _Intrinsic(expression.strip(), data, context)
        value = reader.call()
        reader.skip()
        if reader.position != len(reader.text):
            raise reader.error("unexpected text after the call")
        return value
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
