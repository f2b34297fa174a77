"""Runs the EMR Spark jobs with spark-submit on local pyspark (local[2], ANSI mode on)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
JOBS = ROOT / "assets" / "emr" / "jobs"
SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
REPORT_PREFIX = "SHOWRUNNER_JOB_REPORT "


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
    command = [
        str(SPARK_SUBMIT),
        "--master",
        "local[2]",
        "--driver-memory",
        "1g",
        "--conf",
        "spark.sql.shuffle.partitions=2",
        "--conf",
        "spark.default.parallelism=2",
        "--conf",
        "spark.sql.ansi.enabled=true",  # Spark 4's default; EMR 7 (Spark 3.5) has it off. The jobs work either way.
        "--conf",
        "spark.ui.enabled=false",
        "--py-files",
        str(JOBS / "showrunner_events.py"),
        str(JOBS / f"{job}.py"),
        "--events",
        str(events),
        "--output",
        str(output),
        *args,
    ]
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "TZ": "America/Los_Angeles",  # the jobs must not depend on the machine's time zone
    }
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)


def run_job(job: str, events: Path, output: Path, *args: str) -> JobRun:
    started = time.perf_counter()
    result = spark_submit(job, events, output, *args)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"spark-submit {job} failed ({result.returncode}):\n{result.stderr[-4000:]}"
    reports = [
        line.removeprefix(REPORT_PREFIX) for line in result.stdout.splitlines() if line.startswith(REPORT_PREFIX)
    ]
    assert len(reports) == 1, result.stdout
    rows = [json.loads(line) for part in sorted(output.glob("part-*")) for line in part.read_text().splitlines()]
    assert (output / "_SUCCESS").exists()
    return JobRun(report=json.loads(reports[0]), rows=rows, seconds=seconds)
