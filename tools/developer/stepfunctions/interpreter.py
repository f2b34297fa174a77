"""Runs an Amazon States Language definition, as deployed, with local implementations of its tasks.

moto keeps a state machine's definition but does not run its service integrations.
``run(definition, input, integrations)`` walks the definition itself (``StartAt``,
``Next``, ``Choice`` rules, ``Catch`` and ``Retry``, ``InputPath``, ``Parameters``,
``ResultSelector``, ``ResultPath``, ``OutputPath``) and hands each ``Task`` to the
integration named by its ``Resource`` (``integrations``: resource ARN prefix -> callable
taking the task's resolved parameters). Every state entered is recorded, so a test can
check the order the workflow ran in against the definition.

Implemented: ``Task``, ``Pass``, ``Choice`` (``And``/``Or``/``Not``, ``BooleanEquals``,
``StringEquals``, ``NumericEquals``, ``NumericGreaterThan``, ``NumericLessThan``,
``IsPresent``), ``Succeed``, ``Fail`` (``Error``/``Cause`` or their ``...Path``).
Anything else raises ``UnsupportedError``. Retries run at once (no waiting); a task's
``TimeoutSeconds``/``TimeoutSecondsPath`` is resolved and handed to the integration.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.developer.stepfunctions.paths import PathError, UnsupportedError, evaluate, read, render, write


class TaskFailedError(Exception):
    """What a task raises: Step Functions' ``Error`` name and ``Cause`` text."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause[:200]}")
        self.error = error
        self.cause = cause


@dataclass(frozen=True)
class Task:
    """What an integration is given."""

    state: str
    resource: str
    parameters: Any
    timeout_seconds: int | None
    context: dict[str, Any]


Integration = Callable[[Task], Any]


@dataclass
class Step:
    state: str
    type: str
    resource: str = ""
    error: str = ""


@dataclass
class Execution:
    status: str = "RUNNING"  # SUCCEEDED or FAILED
    output: Any = None
    error: str = ""
    cause: str = ""
    steps: list[Step] = field(default_factory=list)

    @property
    def path(self) -> list[str]:
        return [step.state for step in self.steps]


_KNOWN = {
    "Task": {"Type", "Resource", "Parameters", "ResultSelector", "ResultPath", "InputPath", "OutputPath", "Next",
             "End", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath", "Comment"},
    "Pass": {"Type", "Result", "Parameters", "ResultPath", "InputPath", "OutputPath", "Next", "End", "Comment"},
    "Choice": {"Type", "Choices", "Default", "InputPath", "OutputPath", "Comment"},
    "Succeed": {"Type", "InputPath", "OutputPath", "Comment"},
    "Fail": {"Type", "Error", "Cause", "ErrorPath", "CausePath", "Comment"},
}  # fmt: skip


_UNCATCHABLE = ("States.Runtime", "States.DataLimitExceeded")


def _matches(names: list[str], error: str) -> bool:
    """ASL error matching: the name itself; ``States.ALL`` any but the two uncatchable; ``States.TaskFailed``
    any but those and ``States.Timeout``."""
    if error in names:
        return True
    if "States.ALL" in names:
        return error not in _UNCATCHABLE
    return "States.TaskFailed" in names and error not in (*_UNCATCHABLE, "States.Timeout")


def _choice(rule: dict[str, Any], data: Any, context: dict[str, Any]) -> bool:
    if "And" in rule:
        return all(_choice(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(_choice(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not _choice(rule["Not"], data, context)
    variable = rule["Variable"]
    if "IsPresent" in rule:
        try:
            read(variable, data, context)
        except PathError:
            return not rule["IsPresent"]
        return bool(rule["IsPresent"])
    value = read(variable, data, context)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if "BooleanEquals" in rule:
        return isinstance(value, bool) and value == rule["BooleanEquals"]
    if "StringEquals" in rule:
        return isinstance(value, str) and value == rule["StringEquals"]
    if "NumericEquals" in rule:
        return number and value == rule["NumericEquals"]
    if "NumericGreaterThan" in rule:
        return number and value > rule["NumericGreaterThan"]
    if "NumericLessThan" in rule:
        return number and value < rule["NumericLessThan"]
    raise UnsupportedError(f"choice rule {sorted(rule)} is not implemented")


def _resource_integration(resource: str, integrations: dict[str, Integration]) -> Integration:
    matches = [prefix for prefix in integrations if resource.startswith(prefix)]
    if not matches:
        raise UnsupportedError(f"no local integration for {resource}")
    return integrations[max(matches, key=len)]


def run(
    definition: dict[str, Any],
    execution_input: Any,
    integrations: dict[str, Integration],
    *,
    execution_arn: str = "arn:aws:states:us-east-1:123456789012:execution:local:run",
    max_steps: int = 200,
) -> Execution:
    """Run ``definition`` on ``execution_input`` to its end (a path to a missing field fails it: ``States.Runtime``)."""
    execution = Execution()
    try:
        return _run(definition, execution_input, integrations, execution, execution_arn, max_steps)
    except PathError as error:
        execution.status, execution.error, execution.cause = "FAILED", "States.Runtime", str(error)
        return execution


def _run(
    definition: dict[str, Any],
    execution_input: Any,
    integrations: dict[str, Integration],
    execution: Execution,
    execution_arn: str,
    max_steps: int,
) -> Execution:
    states: dict[str, Any] = definition["States"]
    name: str = definition["StartAt"]
    data = copy.deepcopy(execution_input)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    for _ in range(max_steps):
        state = states[name]
        kind = state["Type"]
        unknown = set(state) - _KNOWN.get(kind, set())
        if kind not in _KNOWN or unknown:
            raise UnsupportedError(f"state {name}: {kind} {sorted(unknown)} is not implemented")
        entered = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        execution_context = {"Id": execution_arn, "Input": execution_input, "StartTime": started}
        context = {
            "Execution": {**execution_context, "Name": execution_arn.rsplit(":", 1)[-1]},
            "State": {"Name": name, "EnteredTime": entered},
        }
        step = Step(name, kind, state.get("Resource", ""))
        execution.steps.append(step)
        effective = read(state["InputPath"], data, context) if "InputPath" in state else data
        if kind == "Succeed":
            execution.status, execution.output = "SUCCEEDED", _output(state, effective, context)
            return execution
        if kind == "Fail":
            execution.status = "FAILED"
            execution.error = str(
                read(state["ErrorPath"], data, context) if "ErrorPath" in state else state.get("Error", "")
            )
            execution.cause = str(
                read(state["CausePath"], data, context) if "CausePath" in state else state.get("Cause", "")
            )
            return execution
        if kind == "Choice":
            target = next((c["Next"] for c in state["Choices"] if _choice(c, effective, context)), state.get("Default"))
            if target is None:
                raise TaskFailedError("States.NoChoiceMatched", f"state {name}")
            data = _output(state, effective, context)
            name = target
            continue
        if kind == "Pass":
            result = (
                state["Result"]
                if "Result" in state
                else (render(state["Parameters"], effective, context) if "Parameters" in state else effective)
            )
            data = _output(state, _result_path(state, data, result), context)
        else:  # Task
            outcome = _task(name, state, effective, context, integrations, step)
            if isinstance(outcome, TaskFailedError):
                catcher = next((c for c in state.get("Catch", []) if _matches(c["ErrorEquals"], outcome.error)), None)
                if catcher is None:
                    execution.status, execution.error, execution.cause = "FAILED", outcome.error, outcome.cause
                    return execution
                error = {"Error": outcome.error, "Cause": outcome.cause}
                if "ResultPath" not in catcher or catcher["ResultPath"] is not None:
                    data = write(catcher.get("ResultPath", "$"), data, error)
                name = catcher["Next"]
                continue
            if "ResultSelector" in state:
                outcome = render(state["ResultSelector"], outcome, context)
            data = _output(state, _result_path(state, data, outcome), context)
        if state.get("End"):
            execution.status, execution.output = "SUCCEEDED", data
            return execution
        name = state["Next"]
    raise RuntimeError(f"more than {max_steps} states: a loop?")


def _result_path(state: dict[str, Any], data: Any, result: Any) -> Any:
    if "ResultPath" in state and state["ResultPath"] is None:
        return data
    return write(state.get("ResultPath", "$"), data, result)


def _output(state: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
    return read(state["OutputPath"], data, context) if "OutputPath" in state else data


def _task(
    name: str,
    state: dict[str, Any],
    data: Any,
    context: dict[str, Any],
    integrations: dict[str, Integration],
    step: Step,
) -> Any:
    integration = _resource_integration(state["Resource"], integrations)
    parameters = render(state["Parameters"], data, context) if "Parameters" in state else data
    timeout = state.get("TimeoutSeconds")
    if "TimeoutSecondsPath" in state:
        timeout = evaluate(state["TimeoutSecondsPath"], data, context)
        if not isinstance(timeout, int) or timeout <= 0:
            return TaskFailedError("States.Runtime", f"TimeoutSecondsPath gave {timeout!r}")
    retries = {id(r): 0 for r in state.get("Retry", [])}
    while True:
        try:
            return integration(Task(name, state["Resource"], parameters, timeout, context))
        except TaskFailedError as failure:
            step.error = failure.error
            retrier = next((r for r in state.get("Retry", []) if _matches(r["ErrorEquals"], failure.error)), None)
            if retrier is None or retries[id(retrier)] >= retrier.get("MaxAttempts", 3):
                return failure
            retries[id(retrier)] += 1


def lambda_error(exc: Exception) -> TaskFailedError:
    """How Step Functions reports a function that raised: ``Error`` its type, ``Cause`` Lambda's error JSON."""
    return TaskFailedError(
        type(exc).__name__, json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []})
    )
