"""The service integrations of our state machines, run locally: moto for AWS services, ffmpeg for MediaConvert.

``LocalIntegrations(...).table()`` maps each resource ARN our workflows use to a callable
for ``interpreter.run``:

* a Lambda function's ARN -> its handler, imported from ``lambda/`` and called in-process
  with the function's environment as deployed (``Handler`` and ``Environment`` read from moto);
* ``dynamodb:putItem`` / ``updateItem``, ``sns:publish``, ``aws-sdk:s3:copyObject`` /
  ``deleteObjects`` -> the same call through boto3 (moto), with the parameters as given and
  errors named as Step Functions names them (``DynamoDB.ConditionalCheckFailedException``);
* ``aws-sdk:mediaconvert:probe`` -> ffprobe on the object (``tools/developer/mediaconvert/probe.py``);
* ``mediaconvert:createJob.sync`` -> the request checked against botocore's ``CreateJob`` model,
  its job template read from the deployed ``AWS::MediaConvert::JobTemplate`` (what CloudFormation
  was given), and the job run by ffmpeg (``transcoder.py``) with the S3 client ``job_s3`` returns
  for the job's role; a job that ends in ``ERROR`` fails the task with the job as its cause.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.config.mediaconvert_model import problems
from tools.developer.mediaconvert.probe import ProbeError, probe
from tools.developer.mediaconvert.transcoder import JobFailedError, run_job
from tools.developer.stepfunctions.interpreter import Integration, Task, TaskFailedError, lambda_error

Clients = Callable[[str], Any]


def _client_error(exc: Exception, service: str) -> TaskFailedError | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    name = code if code.endswith("Exception") else f"{code}Exception"
    return TaskFailedError(f"{service}.{name}", str(error.get("Message", "")))


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _wire_binaries(value: Any) -> Any:
    """Step Functions hands DynamoDB the task's JSON as the wire request, where a binary (``B``, ``BS``) is
    base64 text; boto3 takes bytes and base64-encodes them itself, so decode them first (else DynamoDB would
    store the base64 text as the bytes)."""
    if isinstance(value, dict):
        converted = {key: _wire_binaries(item) for key, item in value.items()}
        if set(value) == {"B"} and isinstance(value["B"], str):
            converted["B"] = base64.b64decode(value["B"], validate=True)
        elif set(value) == {"BS"} and isinstance(value["BS"], list):
            converted["BS"] = [base64.b64decode(item, validate=True) for item in value["BS"]]
        return converted
    if isinstance(value, list):
        return [_wire_binaries(item) for item in value]
    return value


@dataclass
class LocalIntegrations:
    clients: Clients  # boto3 clients on moto, for the native integrations
    job_templates: Mapping[str, Mapping[str, Any]]  # job template name -> SettingsJson, as deployed
    job_s3: Callable[[str], Any]  # the S3 client a MediaConvert job with this role ARN uses
    region: str = "us-east-1"
    account: str = "123456789012"
    jobs: list[dict[str, Any]] = field(default_factory=list)  # every job run, as GetJob describes it

    def table(self) -> dict[str, Integration]:
        return {
            f"arn:aws:lambda:{self.region}:{self.account}:function:": self.invoke,
            "arn:aws:states:::dynamodb:putItem": self.dynamodb("put_item"),
            "arn:aws:states:::dynamodb:updateItem": self.dynamodb("update_item"),
            "arn:aws:states:::aws-sdk:dynamodb:updateItem": self.dynamodb("update_item", "DynamoDb"),
            "arn:aws:states:::sns:publish": self.publish,
            "arn:aws:states:::aws-sdk:s3:copyObject": self.s3("copy_object"),
            "arn:aws:states:::aws-sdk:s3:deleteObjects": self.s3("delete_objects"),
            "arn:aws:states:::aws-sdk:mediaconvert:probe": self.probe,
            "arn:aws:states:::mediaconvert:createJob.sync": self.create_job,
        }

    # --- Lambda ---------------------------------------------------------------------------------------

    def invoke(self, task: Task) -> Any:
        configuration = self.clients("lambda").get_function_configuration(FunctionName=task.resource)
        module_name, function_name = str(configuration["Handler"]).rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), function_name)
        with _environment(configuration.get("Environment", {}).get("Variables", {})):
            try:
                return handler(task.parameters, None)
            except Exception as exc:  # the function raised: Step Functions reports its error type
                raise lambda_error(exc) from exc

    # --- AWS services through moto ----------------------------------------------------------------------

    def dynamodb(self, method: str, errors: str = "DynamoDB") -> Integration:
        """``errors``: how Step Functions prefixes DynamoDB's errors: ``DynamoDB`` (optimized), ``DynamoDb`` (SDK)."""

        def call(task: Task) -> Any:
            try:
                answer = getattr(self.clients("dynamodb"), method)(**_wire_binaries(task.parameters))
            except Exception as exc:
                failure = _client_error(exc, errors)
                if failure is None:
                    raise
                raise failure from exc
            answer.pop("ResponseMetadata", None)
            return answer

        return call

    def publish(self, task: Task) -> Any:
        parameters = dict(task.parameters)
        if not isinstance(parameters.get("Message"), str):
            parameters["Message"] = json.dumps(parameters["Message"], separators=(",", ":"))
        return self.clients("sns").publish(**parameters)

    def s3(self, method: str) -> Integration:
        def call(task: Task) -> Any:
            try:
                answer = getattr(self.clients("s3"), method)(**task.parameters)
            except Exception as exc:
                failure = _client_error(exc, "S3")
                if failure is None:
                    raise
                raise failure from exc
            answer.pop("ResponseMetadata", None)
            return json.loads(json.dumps(answer, default=str))

        return call

    # --- MediaConvert, locally --------------------------------------------------------------------------

    def probe(self, task: Task) -> Any:
        (request,) = task.parameters["InputFiles"]
        url = str(request["FileUrl"])
        bucket, key = url.removeprefix("s3://").split("/", 1)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(key).name
            try:
                path.write_bytes(self.clients("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
            except Exception as exc:
                raise TaskFailedError("MediaConvert.NotFoundException", f"{url}: {exc}") from exc
            try:
                return probe(path, file_url=url)
            except ProbeError as exc:
                raise TaskFailedError(ProbeError.error, str(exc)) from exc

    def create_job(self, task: Task) -> Any:
        request = task.parameters
        found = problems("CreateJob", request)
        if found:
            raise TaskFailedError("MediaConvert.BadRequestException", "; ".join(found))
        name = request.get("JobTemplate", "")
        if name not in self.job_templates:
            raise TaskFailedError("MediaConvert.BadRequestException", f"no job template named {name!r}")
        with tempfile.TemporaryDirectory() as folder:
            try:
                job = run_job(
                    request,
                    dict(self.job_templates[name]),
                    self.job_s3(request["Role"]),
                    Path(folder) / "job",
                    region=self.region,
                    account=self.account,
                )
            except JobFailedError as failed:
                self.jobs.append(failed.job)
                # As a .sync task: the task fails, and the cause is the job as GetJob describes it.
                raise TaskFailedError("States.TaskFailed", json.dumps(failed.job, default=str)) from failed
        self.jobs.append(job)
        return {"Job": job}
