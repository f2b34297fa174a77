"""The nightly state machine's EMR tasks, run locally: a cluster that is a name, steps that are local spark-submits.

``LocalEmr(s3).table()`` maps the Step Functions EMR integrations our nightly run uses to callables for
``tools/developer/stepfunctions/interpreter.run``:

* ``elasticmapreduce:createCluster.sync`` checks the request names an EMR 7 release with Spark and
  answers a cluster ID (nothing is launched);
* ``elasticmapreduce:addStep.sync`` runs the step's command as EMR's ``command-runner.jar`` would, on
  local pyspark: it must be ``spark-submit [--deploy-mode cluster] [--py-files s3://...] s3://<script>
  <job arguments>``; the script and the ``--py-files`` package are downloaded from S3 (the deployed CDK
  assets in moto), ``--events s3://...`` is downloaded (every object under the prefix, keys kept, as
  EMRFS lists it), ``--output s3://...`` is synchronized both ways around the run: what the prefix holds
  is downloaded first, so the job's own save mode decides (the jobs overwrite: Spark deletes it), and
  afterwards the prefix holds exactly what the job left (Spark's ``.crc`` side files left out, as
  EMRFS writes none). A job that exits non-zero fails the task as the ``.sync``
  integration does (``States.TaskFailed``, the step's failure in the cause);
* ``elasticmapreduce:terminateCluster.sync`` ends the cluster.

Not modelled: instance fleets, managed scaling, Spot, the security configuration (the S3 objects in
moto are stored as given, encryption recorded but not applied), the cluster's IAM roles (the steps
read and write with moto's default credentials; tests/iam/test_emr_instance_role.py checks the role),
EMR's own Spark defaults and the step's deploy mode (local[2] instead of YARN).
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.developer.emr.spark import reports, spark_submit
from tools.developer.stepfunctions.interpreter import Integration, Task, TaskFailedError


@dataclass(frozen=True)
class StepRun:
    name: str
    args: list[str]
    seconds: float
    report: dict[str, Any]


def _split(url: str) -> tuple[str, str]:
    if not url.startswith("s3://"):
        raise TaskFailedError("States.TaskFailed", f"not an S3 URL: {url}")
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


@dataclass
class LocalEmr:
    s3: Any
    clusters: dict[str, str] = field(default_factory=dict)  # cluster ID -> state
    steps: list[StepRun] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def table(self) -> dict[str, Integration]:
        return {
            "arn:aws:states:::elasticmapreduce:createCluster.sync": self.create_cluster,
            "arn:aws:states:::elasticmapreduce:addStep.sync": self.add_step,
            "arn:aws:states:::elasticmapreduce:terminateCluster.sync": self.terminate_cluster,
        }

    def create_cluster(self, task: Task) -> dict[str, Any]:
        request = task.parameters
        if not str(request.get("ReleaseLabel", "")).startswith("emr-7."):
            raise TaskFailedError("EMR.ValidationException", f"release {request.get('ReleaseLabel')!r} is not EMR 7")
        if {"Name": "Spark"} not in request.get("Applications", []):
            raise TaskFailedError("EMR.ValidationException", "the cluster has no Spark")
        cluster_id = f"j-LOCAL{next(self._ids):08d}"
        self.clusters[cluster_id] = "WAITING"
        return {"ClusterId": cluster_id, "ClusterArn": f"arn:aws:elasticmapreduce:local:cluster/{cluster_id}"}

    def terminate_cluster(self, task: Task) -> dict[str, Any]:
        cluster_id = task.parameters["ClusterId"]
        if cluster_id not in self.clusters:
            raise TaskFailedError("EMR.InvalidRequestException", f"no cluster {cluster_id}")
        self.clusters[cluster_id] = "TERMINATED"
        return {}

    def _download(self, url: str, folder: Path) -> Path:
        bucket, key = _split(url)
        path = folder / Path(key).name
        path.write_bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return path

    def _download_prefix(self, url: str, folder: Path) -> int:
        bucket, prefix = _split(url)
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for found in page.get("Contents", []):
                target = folder / found["Key"][len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.s3.get_object(Bucket=bucket, Key=found["Key"])["Body"].read())
                count += 1
        return count

    def _upload(self, folder: Path, url: str) -> None:
        """The prefix made to hold exactly the files under ``folder`` (nothing, if the job left no folder)."""
        bucket, prefix = _split(url)
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        keep = {prefix + path.relative_to(folder).as_posix() for path in files}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for found in page.get("Contents", []):
                if found["Key"] not in keep:
                    self.s3.delete_object(Bucket=bucket, Key=found["Key"])
        for path in files:
            self.s3.put_object(Bucket=bucket, Key=prefix + path.relative_to(folder).as_posix(), Body=path.read_bytes())

    def add_step(self, task: Task) -> dict[str, Any]:
        request = task.parameters
        if self.clusters.get(request["ClusterId"]) != "WAITING":
            raise TaskFailedError("EMR.InvalidRequestException", f"cluster {request['ClusterId']} is not running")
        step = request["Step"]
        jar = step["HadoopJarStep"]
        args = list(jar["Args"])
        if jar["Jar"] != "command-runner.jar" or args[:1] != ["spark-submit"]:
            raise TaskFailedError("States.TaskFailed", f"only command-runner.jar spark-submit is modelled: {args[:2]}")
        with tempfile.TemporaryDirectory(prefix="local-emr-") as temporary:
            folder = Path(temporary)
            rest = args[1:]
            py_files: list[Path] = []
            while rest and rest[0].startswith("--"):
                option, value, rest = rest[0], rest[1], rest[2:]
                if option == "--py-files":
                    py_files = [self._download(url, folder) for url in value.split(",")]
                elif option != "--deploy-mode":
                    raise TaskFailedError("States.TaskFailed", f"spark-submit option {option} is not modelled")
            script, job_args = self._download(rest[0], folder), rest[1:]
            local_args: list[str] = []
            output: tuple[Path, str] | None = None
            for index, arg in enumerate(job_args):
                option = job_args[index - 1] if index else ""
                if option == "--events":
                    events = folder / "events"
                    self._download_prefix(arg, events)
                    local_args.append(str(events))
                elif option == "--output":
                    output = (folder / "output", arg)
                    if self._download_prefix(arg, output[0]) == 0:
                        output[0].rmdir()  # nothing there: Spark creates the folder itself
                    local_args.append(str(output[0]))
                elif arg.startswith("s3://"):
                    raise TaskFailedError("States.TaskFailed", f"{option} {arg}: only --events and --output are S3")
                else:
                    local_args.append(arg)
            started = time.perf_counter()
            result = spark_submit(script, py_files, local_args)
            seconds = time.perf_counter() - started
            if result.returncode != 0:
                failure = {
                    "Step": {"Name": step["Name"], "Status": {"State": "FAILED"}},
                    "stderr": result.stderr[-2000:],
                }
                raise TaskFailedError("States.TaskFailed", json.dumps(failure))
            if output is not None:
                self._upload(*output)
        found = reports(result.stdout)
        self.steps.append(StepRun(step["Name"], args, seconds, json.loads(found[0]) if found else {}))
        return {"Step": {"Name": step["Name"], "Status": {"State": "COMPLETED"}}}
