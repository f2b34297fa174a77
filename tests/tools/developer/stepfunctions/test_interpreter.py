"""The local Step Functions interpreter (``tools/developer/stepfunctions``): ASL semantics on small definitions."""

from __future__ import annotations

from typing import Any

import pytest

from tools.developer.stepfunctions.interpreter import Task, TaskFailedError, run
from tools.developer.stepfunctions.paths import PathError, UnsupportedError, evaluate, render, write

CONTEXT = {"Execution": {"Id": "arn:x"}, "State": {"Name": "S"}}


def test_paths_and_format():
    data = {"a": {"b": [1, {"c": "x"}]}, "k-y": 2}
    assert evaluate("$.a.b[1].c", data, CONTEXT) == "x"
    assert evaluate("$['k-y']", data, CONTEXT) == 2
    assert evaluate("$$.Execution.Id", data, CONTEXT) == "arn:x"
    assert evaluate("States.Format('s3://{}/{}', $.a.b[1].c, $.a.b[0])", data, CONTEXT) == "s3://x/1"
    assert render({"p.$": "$.a.b[0]", "q": {"r.$": "$$.State.Name"}, "s": [1]}, data, CONTEXT) == {
        "p": 1,
        "q": {"r": "S"},
        "s": [1],
    }
    assert write("$.x.y", {"a": 1}, 2) == {"a": 1, "x": {"y": 2}}
    with pytest.raises(PathError):
        evaluate("$.missing", data, CONTEXT)
    with pytest.raises(UnsupportedError):
        evaluate("$.a[*]", data, CONTEXT)
    with pytest.raises(UnsupportedError):
        evaluate("States.StringToJson($.a)", data, CONTEXT)


def definition(*, catch: list[dict[str, Any]] | None = None, retry: list[dict[str, Any]] | None = None):
    work: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::test:work",
        "Parameters": {"n.$": "$.n"},
        "ResultSelector": {"doubled.$": "$.value"},
        "ResultPath": "$.work",
        "Next": "Big?",
    }
    if catch:
        work["Catch"] = catch
    if retry:
        work["Retry"] = retry
    return {
        "StartAt": "Work",
        "States": {
            "Work": work,
            "Big?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.work.doubled", "NumericGreaterThan": 10, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "Done"},
            "Small": {"Type": "Pass", "Parameters": {"size": "small", "n.$": "$.n"}, "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Handled": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
        },
    }


def worker(task: Task) -> dict[str, Any]:
    if task.parameters["n"] < 0:
        raise TaskFailedError("Test.Negative", "n < 0")
    return {"value": task.parameters["n"] * 2}


def test_a_run_follows_the_wiring():
    execution = run(definition(), {"n": 6}, {"arn:aws:states:::test:": worker})
    assert execution.status == "SUCCEEDED"
    assert execution.path == ["Work", "Big?", "Big", "Done"]
    assert execution.output == {"n": 6, "work": {"doubled": 12}, "size": "big"}
    small = run(definition(), {"n": 2}, {"arn:aws:states:::test:": worker})
    assert small.path == ["Work", "Big?", "Small", "Done"]
    assert small.output == {"size": "small", "n": 2}


def test_an_uncaught_error_fails_the_run_and_a_caught_one_goes_where_catch_says():
    failed = run(definition(), {"n": -1}, {"arn:aws:states:::test:": worker})
    assert (failed.status, failed.error, failed.cause) == ("FAILED", "Test.Negative", "n < 0")
    caught = run(
        definition(catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}]),
        {"n": -1},
        {"arn:aws:states:::test:": worker},
    )
    assert caught.path == ["Work", "Handled"]
    assert (caught.status, caught.error, caught.cause) == ("FAILED", "Test.Negative", "n < 0")


def test_retries_then_catch():
    calls = []

    def flaky(task: Task) -> dict[str, Any]:
        calls.append(task.state)
        if len(calls) < 3:
            raise TaskFailedError("Test.Flaky")
        return {"value": 1}

    retry = [{"ErrorEquals": ["Test.Flaky"], "MaxAttempts": 2}]
    assert run(definition(retry=retry), {"n": 1}, {"arn:aws:states:::test:": flaky}).status == "SUCCEEDED"
    assert len(calls) == 3
    calls.clear()
    retry = [{"ErrorEquals": ["Test.Flaky"], "MaxAttempts": 1}]
    assert run(definition(retry=retry), {"n": 1}, {"arn:aws:states:::test:": flaky}).error == "Test.Flaky"


def test_a_missing_field_is_a_runtime_error_no_catch_can_handle():
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}]
    execution = run(definition(catch=catch), {"m": 1}, {"arn:aws:states:::test:": worker})
    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")


def test_unknown_states_and_resources_are_refused():
    with pytest.raises(UnsupportedError, match="no local integration"):
        run(definition(), {"n": 1}, {})
    with pytest.raises(UnsupportedError, match="Map"):
        run({"StartAt": "M", "States": {"M": {"Type": "Map"}}}, {}, {})
