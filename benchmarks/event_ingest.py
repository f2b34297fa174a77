"""POST /events: time to check and serialize a full batch, next to the floor of merely parsing and re-serializing it.

    .venv/bin/python benchmarks/event_ingest.py

Both sides run in the same process on the same 500-event body, interleaved round
by round; Kinesis is a stub that accepts everything, so only our code is timed.
The ratio is the price of per-record validation (pydantic, strict) over plain
``json``. It then prints what the batch puts on the stream: how many Kinesis
records (the events are packed, ``lambda/event_ingest/records.py``) and the
units each service bills them in, next to one record per event (the figures
docs/analytics.md's cost table uses). ``make bench`` runs it after the playback
benchmarks.
"""

from __future__ import annotations

import json
import math
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]

from event_ingest.ingest import handle  # noqa: E402

from benchmarks.timing import print_result, side_by_side  # noqa: E402
from tools.developer.samples import PLAYER_EVENT  # noqa: E402

ROUNDS = 200


# A Cognito subject and a titleId as the ingest workflow assigns them: the sizes of real events.
SUBJECT = "3f1c2a9e-8b7d-4c6e-9a5b-1d2e3f4a5b6c"
TITLE_ID = "t" + "0123456789abcdef01234567"


class AcceptingKinesis:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        self.records = list(kwargs["Records"])
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "0"} for _ in kwargs["Records"]]}


def units(sizes: list[int], unit: int) -> int:
    """Billing units: each record rounded up to a whole number of ``unit`` bytes."""
    return sum(math.ceil(size / unit) for size in sizes)


def print_records(events: int, kinesis: AcceptingKinesis) -> None:
    packed = [len(r["Data"]) + len(r["PartitionKey"]) for r in kinesis.records]
    lines = [len(line) + 1 for r in kinesis.records for line in r["Data"].splitlines()]
    each = [line + len(SUBJECT) for line in lines]  # one record per event, as before the packing
    print(f"on the stream: {events} events -> {len(packed)} Kinesis record(s), {sum(packed)} bytes")
    print(f"  (one record per event: {len(each)} records, {sum(each)} bytes)")
    kib = 1024
    for service, unit in (
        ("Firehose (5 KB)", 5 * kib),
        ("Kinesis on-demand (1 KB)", kib),
        ("Kinesis PUT units (25 KB)", 25 * kib),
    ):
        print(f"  {service:<26} {units(packed, unit):>5} units packed, {units(each, unit):>5} one per event")


def main() -> None:
    sent = [
        {**PLAYER_EVENT, "eventId": str(uuid.uuid4()), "userId": SUBJECT, "titleId": TITLE_ID, "positionSec": 10.0 * n}
        for n in range(500)
    ]
    body = json.dumps(sent)
    request = {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": SUBJECT}}}}, "body": body}
    kinesis = AcceptingKinesis()
    result = side_by_side(
        f"POST /events: 500 events, {len(body)} bytes, medians of {ROUNDS} interleaved rounds",
        {
            "baseline json.loads + json.dumps": lambda: [json.dumps(e).encode() + b"\n" for e in json.loads(body)],
            "handle (validate, serialize, put)": lambda: handle(
                request,
                kinesis=kinesis,  # type: ignore[arg-type]
                stream_arn="arn:aws:kinesis:::stream/x",
            ),
        },
        ROUNDS,
    )
    print_result(result)
    baseline, ours = result.medians.values()
    print(f"ratio: handle takes {ours / baseline:.1f}x the baseline (no target: the figure docs/analytics.md cites)")
    handle(request, kinesis=kinesis, stream_arn="arn:aws:kinesis:::stream/x")  # type: ignore[arg-type]
    print_records(len(sent), kinesis)


if __name__ == "__main__":
    main()
