"""POST /events: time to check and serialize a full batch, next to the floor of merely parsing and re-serializing it.

    .venv/bin/python benchmarks/event_ingest.py

Both sides run in the same process on the same 500-event body, interleaved round
by round; Kinesis is a stub that accepts everything, so only our code is timed.
The ratio is the price of per-record validation (pydantic, strict) over plain
``json``. ``make bench`` runs it after the playback benchmarks.
"""

from __future__ import annotations

import json
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


class AcceptingKinesis:
    def put_records(self, **kwargs: Any) -> dict[str, Any]:
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "0"} for _ in kwargs["Records"]]}


def main() -> None:
    body = json.dumps([{**PLAYER_EVENT, "eventId": str(uuid.uuid4()), "positionSec": n} for n in range(500)])
    request = {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "u-123"}}}}, "body": body}
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


if __name__ == "__main__":
    main()
