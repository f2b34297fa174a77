"""What both Showrunner Spark jobs share: arguments, the session, and reading player events.

Shipped next to the jobs (``spark-submit --py-files showrunner_events.py JOB.py ...``).
The code runs on EMR 7.x (Spark 3.5, Python 3.9) and on local pyspark in the
tests, with ANSI SQL mode on or off: nothing here casts or parses in a way
that raises on bad data (``from_json`` is permissive, ``try_to_timestamp``
returns null).

A player event is one JSON object per line (DESIGN.md section 2)::

    {"eventId": "<uuid>", "userId": "u-123", "titleId": "t-9", "type": "play",
     "positionSec": 12.5, "timestamp": "2026-11-26T20:15:00Z", "device": "tv",
     "country": "US", "bitrateKbps": 4500, "rebufferMs": 0}

A line is *malformed*, and skipped, when it is not a JSON object or a required
field is missing or breaks its rule (the same rules ``POST /events`` applies;
see ``lambda/event_ingest/schema.py``). Blank lines are ignored. The jobs count
malformed lines and report them; they never fail because of them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 (the usual Spark spelling)

EVENT_TYPES = ("play", "pause", "resume", "seek", "stop", "heartbeat", "complete", "error")
DEVICES = ("tv", "web", "mobile", "tablet")
MAX_POSITION_SEC = 86_400.0

# The patterns of lambda/event_ingest/schema.py, character for character (tests/assets/emr checks both on one corpus),
# except that each ends in \z: Java's $ also matches before a final line break.
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z"
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}\z"
TITLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}\z"
COUNTRY_PATTERN = r"^[A-Z]{2}\z"
# ISO 8601 date-time with seconds and an explicit zone (Z or +hh:mm), so no event depends on a session time zone.
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})\z"

# Only the fields the jobs read. Unknown fields are ignored; optional ones (bitrateKbps, rebufferMs) are unused.
EVENT_SCHEMA = (
    "eventId STRING, userId STRING, titleId STRING, type STRING, positionSec DOUBLE, "
    "timestamp STRING, device STRING, country STRING"
)

REPORT_PREFIX = "SHOWRUNNER_JOB_REPORT "


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be between 1 and 1000, got {value}")
    return value


def non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--events IN --output OUT [--top-n 10]``; argparse exits with status 2 and a message on bad input."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--events", required=True, type=non_empty, help="directory or S3 prefix of JSON-lines events")
    parser.add_argument("--output", required=True, type=non_empty, help="where the JSON-lines results are written")
    parser.add_argument("--top-n", type=positive_int, default=10, help="results per group (1-1000, default 10)")
    args = parser.parse_args(argv)
    if args.events.rstrip("/") == args.output.rstrip("/"):
        parser.error("--output must differ from --events (the output is overwritten)")
    return args


def spark_session(app_name: str) -> SparkSession:
    # Dates are UTC dates whatever the cluster's clock says.
    return SparkSession.builder.appName(app_name).config("spark.sql.session.timeZone", "UTC").getOrCreate()


@dataclass
class Events:
    """The valid events (persisted: read once, used by every later stage) and the input counts."""

    frame: DataFrame
    lines: int
    malformed: int

    @property
    def valid(self) -> int:
        return self.lines - self.malformed


def _in(column: Column, values: Sequence[str]) -> Column:
    return column.isin(*values)


def _is_valid(e: Column, ts: Column) -> Column:
    checks = [
        e["eventId"].rlike(UUID_PATTERN),
        e["userId"].rlike(USER_ID_PATTERN),
        e["titleId"].rlike(TITLE_ID_PATTERN),
        _in(e["type"], EVENT_TYPES),
        e["positionSec"].between(0.0, MAX_POSITION_SEC),
        e["timestamp"].rlike(TIMESTAMP_PATTERN),
        ts.isNotNull(),
        _in(e["device"], DEVICES),
        e["country"].rlike(COUNTRY_PATTERN),
    ]
    condition = checks[0]
    for check in checks[1:]:
        condition = condition & check
    # A null (missing field, or a non-object line) means invalid.
    return F.coalesce(condition, F.lit(False))


def read_events(spark: SparkSession, path: str) -> Events:
    """Read every file under ``path`` (recursively; gzip is decompressed), keep the valid events.

    The frame has the schema's fields plus ``ts``, the event time as a UTC timestamp.
    """
    lines = spark.read.option("recursiveFileLookup", "true").text(path).where(F.trim("value") != "")
    e = F.from_json("value", EVENT_SCHEMA)
    parsed = lines.select(e.alias("e")).select("e", F.try_to_timestamp(F.col("e.timestamp")).alias("ts"))
    checked = parsed.select("e.*", "ts", _is_valid(F.col("e"), F.col("ts")).alias("valid"))
    checked = checked.persist(StorageLevel.MEMORY_AND_DISK)
    counts = {row["valid"]: row["count"] for row in checked.groupBy("valid").count().collect()}
    valid_count, malformed = counts.get(True, 0), counts.get(False, 0)
    return Events(frame=checked.where("valid").drop("valid"), lines=valid_count + malformed, malformed=malformed)


def report(job: str, events: Events, **figures: Any) -> None:
    """One JSON line on stdout with the input counts; on EMR it lands in the step's stdout log in S3."""
    body = {"job": job, "lines": events.lines, "valid": events.valid, "malformed": events.malformed, **figures}
    print(REPORT_PREFIX + json.dumps(body, sort_keys=True), flush=True)
