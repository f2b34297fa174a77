"""spark-submit on the local pyspark of the venv, set up as the jobs' tests and the local EMR steps run it.

``local[2]``, two shuffle partitions, ANSI mode on (Spark 4's default; EMR 7's Spark 3.5 has it off,
and the jobs work either way), no UI, and the machine's time zone set to Los Angeles, so a job
that depended on the machine's zone instead of UTC would show it.

The JVM is tuned for a run of seconds on a small machine, not for a cluster: only the quick JIT
tier (C1) and the serial collector. That cuts a local job's time by about a quarter (the trending
job's test 10.3 s to 8.0 s on the 2-core VM). C1's frames are larger, so the threads get an 8 MiB
stack: ALS's deep lineage overflowed the default 1 MiB under C1 (``StackOverflowError``).

The JVM also maps the classes Spark loads from a class-data-sharing archive (AppCDS) instead of
parsing them from the jars again: the first spark-submit on a machine writes the archive
(``build/spark-cds/``, named for this pyspark and this ``java``), later ones read it. A bare
spark-submit takes 2.8 s instead of 5.2 s; writing the archive costs its run 6.7 s once. A JVM that
cannot use the archive (another build) ignores it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

SPARK_SUBMIT = Path(sys.executable).parent / "spark-submit"
REPORT_PREFIX = "SHOWRUNNER_JOB_REPORT "
CDS_DIRECTORY = Path(__file__).resolve().parents[3] / "build" / "spark-cds"
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss8m"  # local[2]: the driver's JVM runs the tasks too


def cds_archive() -> Path:
    """Where the class-data-sharing archive of this pyspark and this ``java`` is kept."""
    home = os.environ.get("JAVA_HOME")  # as pyspark's launcher finds java
    real = (Path(home, "bin", "java") if home else Path(shutil.which("java") or "java")).resolve()
    identity = f"{real}:{real.stat().st_mtime_ns if real.exists() else 0}:{version('pyspark')}"
    return CDS_DIRECTORY / f"spark-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.jsa"


def spark_submit(
    script: Path, py_files: Sequence[Path], args: Sequence[str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    archive = cds_archive()
    writing = None if archive.exists() else archive.with_name(f"{archive.stem}.{os.getpid()}.tmp")
    cds_option = f"-XX:ArchiveClassesAtExit={writing}" if writing else f"-XX:SharedArchiveFile={archive}"
    if writing:
        archive.parent.mkdir(parents=True, exist_ok=True)
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
        "spark.sql.ansi.enabled=true",
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        f"spark.driver.extraJavaOptions={JVM_OPTIONS} {cds_option}",
        *(["--py-files", ",".join(str(p) for p in py_files)] if py_files else []),
        str(script),
        *args,
    ]
    env = {
        **os.environ,
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "TZ": "America/Los_Angeles",  # the jobs must not depend on the machine's time zone
    }
    completed = subprocess.run(  # noqa: S603 - the venv's spark-submit, argv built here
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if writing and writing.exists():
        if completed.returncode == 0:
            writing.replace(archive)  # whole, or not there: another worker may be reading it meanwhile
        else:
            writing.unlink()
    return completed


def reports(stdout: str) -> list[str]:
    """The jobs' ``SHOWRUNNER_JOB_REPORT`` lines (without the prefix)."""
    return [line.removeprefix(REPORT_PREFIX) for line in stdout.splitlines() if line.startswith(REPORT_PREFIX)]
