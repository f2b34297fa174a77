"""POST /events: time to check and serialize a full batch, next to the floor of merely parsing and re-serializing it.

    .venv/bin/python benchmarks/event_ingest.py

Both sides run in the same process on the same 500-event body; Kinesis is a stub
that accepts everything, so only our code is timed. The ratio is the price of
per-record validation (pydantic, strict) over plain ``json``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lambda")]

from event_ingest.ingest import handle  # noqa: E402

from tests.event_corpus import event  # noqa: E402

ROUNDS = 200


class AcceptingKinesis:
    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "0"} for _ in kwargs["Records"]]}


def median_ms(work: Callable[[], object]) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    body = json.dumps([event(eventId=str(uuid.uuid4()), positionSec=n) for n in range(500)])
    request = {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "u-123"}}}}, "body": body}
    kinesis = AcceptingKinesis()
    baseline = median_ms(lambda: [json.dumps(e).encode() + b"\n" for e in json.loads(body)])
    ours = median_ms(lambda: handle(request, kinesis=kinesis, stream_arn="arn:aws:kinesis:::stream/x"))  # type: ignore[arg-type]
    print(f"500 events, {len(body)} bytes, median of {ROUNDS}:")
    print(f"  baseline json.loads + json.dumps  {baseline:7.2f} ms")
    print(f"  handle (validate, serialize, put) {ours:7.2f} ms   ratio {ours / baseline:.1f}x")


if __name__ == "__main__":
    main()
