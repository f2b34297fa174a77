"""Firehose's delivery from a Kinesis stream into S3, run locally against moto.

moto keeps a delivery stream's configuration (``describe_delivery_stream``) but moves no record
from a Kinesis source to S3. ``LocalFirehose.deliver`` does what Firehose's S3 destination does
with one buffer, from the deployed configuration:

* reads the records of every shard of the source stream not yet delivered (from the trim horizon
  on the first call), each shard in sequence order;
* concatenates their data byte for byte, as Firehose does (it adds no separator: each of our
  records already ends its JSON lines with a newline);
* compresses the object as ``CompressionFormat`` says (``GZIP`` or ``UNCOMPRESSED``);
* names it ``<Prefix><delivery stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><FileExtension>``, with
  the prefix's ``!{timestamp:...}`` expressions evaluated in UTC at the delivery time;
* writes it with SSE-KMS under the configured key.

Not modelled: buffering by size or interval (each call is one flush), the error output prefix and
its record wrapping, record format conversion, dynamic partitioning, Lambda processing, retries,
and Firehose's per-shard parallelism (shards are read one after another).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

_TIMESTAMP = re.compile(r"!\{timestamp:([^}]*)\}")
_JAVA_FIELDS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


@dataclass(frozen=True)
class Delivery:
    bucket: str
    key: str
    records: int
    bytes: int  # before compression


def prefix_at(prefix: str, when: dt.datetime) -> str:
    """``prefix`` with each ``!{timestamp:<Java date pattern>}`` evaluated at ``when`` (UTC)."""

    def render(match: re.Match[str]) -> str:
        pattern = match[1]
        parts = re.findall(r"yyyy|MM|dd|HH|mm|ss|[^A-Za-z]+", pattern)
        if "".join(parts) != pattern:
            raise ValueError(f"timestamp pattern {pattern!r} is not modelled")
        return "".join(when.strftime(_JAVA_FIELDS[p]) if p in _JAVA_FIELDS else p for p in parts)

    if "!{firehose:" in prefix:
        raise ValueError(f"{prefix!r}: !{{firehose:...}} belongs in error output prefixes")
    return _TIMESTAMP.sub(render, prefix)


@dataclass
class LocalFirehose:
    firehose: Any
    kinesis: Any
    s3: Any
    # (stream ARN, shard ID) -> the last sequence number delivered
    positions: dict[tuple[str, str], str] = field(default_factory=dict)

    def _records(self, stream_arn: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for shard in self.kinesis.list_shards(StreamARN=stream_arn)["Shards"]:
            shard_id = shard["ShardId"]
            last = self.positions.get((stream_arn, shard_id))
            start = (
                {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": last}
                if last
                else {"ShardIteratorType": "TRIM_HORIZON"}
            )
            iterator = self.kinesis.get_shard_iterator(StreamARN=stream_arn, ShardId=shard_id, **start)["ShardIterator"]
            while iterator:
                page = self.kinesis.get_records(StreamARN=stream_arn, ShardIterator=iterator, Limit=10_000)
                found += page["Records"]
                if page["Records"]:
                    self.positions[(stream_arn, shard_id)] = page["Records"][-1]["SequenceNumber"]
                if not page["Records"] or not page.get("MillisBehindLatest"):
                    break
                iterator = page.get("NextShardIterator")
        return found

    def deliver(self, delivery_stream_name: str, when: dt.datetime | None = None) -> Delivery | None:
        """One flush of the delivery stream: the records not yet delivered as one object (None: there were none)."""
        when = when or dt.datetime.now(dt.UTC)
        description = self.firehose.describe_delivery_stream(DeliveryStreamName=delivery_stream_name)[
            "DeliveryStreamDescription"
        ]
        stream_arn = description["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"]
        (destination,) = description["Destinations"]
        config = destination["ExtendedS3DestinationDescription"]
        records = self._records(stream_arn)
        if not records:
            return None
        data = b"".join(record["Data"] for record in records)
        compression = config.get("CompressionFormat", "UNCOMPRESSED")
        if compression not in ("GZIP", "UNCOMPRESSED"):
            raise ValueError(f"compression {compression} is not modelled")
        body = gzip.compress(data) if compression == "GZIP" else data
        stamp = when.strftime("%Y-%m-%d-%H-%M-%S")
        name = f"{delivery_stream_name}-{description['VersionId']}-{stamp}-{uuid.uuid4()}"
        key = prefix_at(config.get("Prefix", ""), when) + name + config.get("FileExtension", "")
        bucket = config["BucketARN"].removeprefix("arn:aws:s3:::")
        encryption: dict[str, str] = {}
        kms = config.get("EncryptionConfiguration", {}).get("KMSEncryptionConfig", {})
        if kms.get("AWSKMSKeyARN"):
            encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms["AWSKMSKeyARN"]}
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, **encryption)
        return Delivery(bucket, key, len(records), len(data))
