"""Packing validated events into Kinesis records: many events per record, one JSON line each.

Every Kinesis record, and so every record Firehose reads from the stream, is billed as a unit
(Firehose rounds each up to 5 KB; on-demand Kinesis to 1 KB; provisioned Kinesis counts 25 KB
PUT payload units), while one event is about 240 bytes. ``pack`` therefore puts consecutive
events of one user into as few records as the limits allow:

* a record's data is the events' JSON lines, each compact JSON and a newline, in the order
  they came; Firehose concatenates records, so the lake holds the same JSON lines as when
  each record held one event, and the Spark jobs read them unchanged;
* the partition key is the events' ``userId``: one user's records go to one shard, in order,
  and within a record the events keep their order;
* a record holds at most ``MAX_RECORD_BYTES`` of data and partition key together (Kinesis's
  limit is 1 MiB); a ``PutRecords`` call at most ``MAX_CALL_RECORDS`` records and
  ``MAX_CALL_BYTES`` (Kinesis: 500 and 5 MiB, partition keys included).

A record is written or refused whole: when Kinesis refuses one, every event in it is reported
as failed (their indexes), so the 207 contract still names exactly the events not written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from event_ingest.schema import PlayerEvent, to_record

MAX_RECORD_BYTES = 1_048_576  # data + partition key, Kinesis PutRecords' limit per record
MAX_CALL_RECORDS = 500
MAX_CALL_BYTES = 5 * 1_048_576


@dataclass(frozen=True)
class Record:
    """One Kinesis record: its partition key, its data, and the (index in the request, event) pairs it holds."""

    partition_key: str
    data: bytes
    events: tuple[tuple[int, PlayerEvent], ...]

    @property
    def size(self) -> int:
        """What Kinesis counts against its limits: the data and the partition key's UTF-8 bytes."""
        return len(self.data) + len(self.partition_key.encode())


def pack(events: Iterable[tuple[int, PlayerEvent]], max_bytes: int | None = None) -> list[Record]:
    """Consecutive events of the same user packed into records of at most ``max_bytes`` (data + key;
    ``MAX_RECORD_BYTES`` unless given).

    An event whose own line would not fit (none can: a valid event is under 1 KB) still gets a
    record of its own, which Kinesis then refuses as that event's failure.
    """
    limit = MAX_RECORD_BYTES if max_bytes is None else max_bytes
    records: list[Record] = []
    key = ""
    lines: list[bytes] = []
    held: list[tuple[int, PlayerEvent]] = []
    size = 0

    def close() -> None:
        if held:
            records.append(Record(key, b"".join(lines), tuple(held)))

    for index, event in events:
        line = to_record(event)
        if held and (event.user_id != key or size + len(line) > limit):
            close()
            held, lines = [], []
        if not held:
            key = event.user_id
            size = len(key.encode())
        held.append((index, event))
        lines.append(line)
        size += len(line)
    close()
    return records


def calls(
    records: Sequence[Record], max_records: int | None = None, max_bytes: int | None = None
) -> list[list[Record]]:
    """The records split into ``PutRecords`` calls within the per-call limits (``MAX_CALL_RECORDS`` and
    ``MAX_CALL_BYTES`` unless given), in order."""
    max_records = MAX_CALL_RECORDS if max_records is None else max_records
    max_bytes = MAX_CALL_BYTES if max_bytes is None else max_bytes
    batches: list[list[Record]] = []
    current: list[Record] = []
    size = 0
    for record in records:
        if current and (len(current) == max_records or size + record.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(record)
        size += record.size
    if current:
        batches.append(current)
    return batches
