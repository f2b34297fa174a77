"""Runs the EMR Spark jobs with spark-submit on local pyspark (local[2], ANSI mode on)."""

from __future__ import annotations

import gzip
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.developer.emr.spark import reports
from tools.developer.emr.spark import spark_submit as local_spark_submit

ROOT = Path(__file__).resolve().parents[3]
JOBS = ROOT / "assets" / "emr" / "jobs"


@dataclass
class JobRun:
    report: dict[str, Any]
    rows: list[dict[str, Any]]
    seconds: float


def write_lines(path: Path, lines: list[str]) -> None:
    """Write JSON lines; a ``.gz`` name is gzip-compressed, as Firehose delivers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def as_lines(records: list[Any]) -> list[str]:
    return [json.dumps(record) for record in records]


def spark_submit(job: str, events: Path, output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The job from the repository, as the local EMR steps run it (tools/developer/emr/spark.py)."""
    return local_spark_submit(
        JOBS / f"{job}.py", [JOBS / "showrunner_events.py"], ["--events", str(events), "--output", str(output), *args]
    )


def run_job(job: str, events: Path, output: Path, *args: str) -> JobRun:
    started = time.perf_counter()
    result = spark_submit(job, events, output, *args)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"spark-submit {job} failed ({result.returncode}):\n{result.stderr[-4000:]}"
    found = reports(result.stdout)
    assert len(found) == 1, result.stdout
    rows = [json.loads(line) for part in sorted(output.glob("part-*")) for line in part.read_text().splitlines()]
    assert (output / "_SUCCESS").exists()
    return JobRun(report=json.loads(found[0]), rows=rows, seconds=seconds)
