"""Ingest end to end, offline: an upload to the deployed ingest bucket becomes a title ffmpeg plays.

The dev stage is deployed into moto. A source is uploaded to the ingest bucket under
``incoming/``; moto's S3 sends the "Object Created" event to EventBridge, where the
deployed rule's pattern selects it for its target, the state machine
(``tools/developer/moto_models/events.py`` records what ``StartExecution`` receives). The
state machine's definition, as deployed, is then run on that event state by state
(``tools/developer/stepfunctions``) with local integrations:
the two functions' real handlers, DynamoDB, S3 and SNS in moto, MediaConvert's Probe
and job by ffprobe and ffmpeg from the deployed job templates. The published title is
signed by the real issuer and played by ffmpeg through the local signature-checking
edge and the rewriter, every rendition, HLS and DASH.

Every bad input ends in a failed run with a clear code and reason, an alert on the
alerts topic, no published title the issuer would sign, and the source kept.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import signed_url.handler
from moto import mock_aws

from stacks.config import load_config
from tests.e2e import cenc
from tests.e2e.conftest import INGEST_LIMIT_GIB, SigningKeyPair, deploy_playback
from tests.e2e.local_edge import LocalEdge, self_signed_certificate
from tests.e2e.test_playback import Decoded, fetch, play, play_each
from tests.support import clearkey
from tests.support.aws import client
from tests.support.events import playback_event
from tests.support.media import FPS, make_source, truncate
from tools.developer.assembly import StackArtifact
from tools.developer.mediaconvert import bmff
from tools.developer.moto_models.base import ResourceModel
from tools.developer.moto_models.events import STARTED
from tools.developer.stepfunctions.interpreter import Execution, run
from tools.developer.stepfunctions.local_integrations import LocalIntegrations

SECONDS = 8
# A 640x360 source: the dev ladder's rungs from 360p down (1080p, 720p and 540p would be upscales).
RENDITIONS = {"360p": (640, 360), "240p": (426, 240)}
HAPPY_PATH = [
    "Validate",
    "Valid?",
    "Claim",
    "Probe",
    "Plan",
    "Plannable?",
    "Transcode",
    "Record",
    "PublishHls",
    "PublishDash",
    "Publish",
    "Published",
]
RESOURCES = {
    "Claim": "arn:aws:states:::dynamodb:putItem",
    "Probe": "arn:aws:states:::aws-sdk:mediaconvert:probe",
    "Transcode": "arn:aws:states:::mediaconvert:createJob.sync",
    "PublishHls": "arn:aws:states:::aws-sdk:s3:copyObject",
    "PublishDash": "arn:aws:states:::aws-sdk:s3:copyObject",
    "Publish": "arn:aws:states:::aws-sdk:dynamodb:updateItem",
}
TIMINGS: dict[str, float] = {}


class _Lines(logging.Handler):
    """Every log record of the module's runs (handlers, integrations), as a log line and its structured extras."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


LOG = _Lines()


@dataclass
class Ingested:
    key: str
    arn: str
    execution: Execution
    event: dict[str, Any]
    seconds: float

    @property
    def title_id(self) -> str:
        return str(self.execution.output["source"]["titleId"]) if self.execution.output else ""


@dataclass
class Pipeline:
    """The deployed dev stage, its ingest workflow runnable, and the local edge in front of its content."""

    edge: LocalEdge
    s3: Any
    ingest_bucket: str
    content_bucket: str
    table: str
    keys_table: str
    definition: dict[str, Any]
    integrations: LocalIntegrations
    state_machine: str
    alerts: str  # a queue subscribed to the alerts topic

    def upload(self, key: str, body: bytes, metadata: dict[str, str] | None = None) -> dict[str, Any]:
        """Put an object; the event the deployed rule delivered to the state machine for it."""
        before = len(STARTED)
        self.s3.put_object(Bucket=self.ingest_bucket, Key=key, Body=body, Metadata=metadata or {})
        started = STARTED[before:]
        assert [s.state_machine_arn for s in started] == [self.state_machine], f"{len(started)} runs for {key}"
        event = started[0].input
        # moto spells the ETag field "eTag"; S3 writes "etag". The workflow reads neither (it asks S3).
        assert event["detail"]["object"]["key"] == key
        return event

    def run(self, event: dict[str, Any]) -> tuple[str, Execution]:
        arn = f"arn:aws:states:us-east-1:123456789012:execution:showrunner-dev-ingest:{time.monotonic_ns()}"
        return arn, run(self.definition, event, self.integrations.table(), execution_arn=arn)

    def ingest(self, key: str, body: bytes, metadata: dict[str, str] | None = None) -> Ingested:
        started = time.perf_counter()
        event = self.upload(key, body, metadata)
        arn, execution = self.run(event)
        return Ingested(key, arn, execution, event, time.perf_counter() - started)

    def item(self, title_id: str) -> dict[str, Any] | None:
        found = client("dynamodb").get_item(TableName=self.table, Key={"titleId": {"S": title_id}}).get("Item")
        return None if found is None else _plain(found)

    def alerts_received(self) -> list[dict[str, Any]]:
        received = []
        while messages := client("sqs").receive_message(QueueUrl=self.alerts, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                body = json.loads(message["Body"])
                received.append({"subject": body.get("Subject"), **json.loads(body["Message"])})
                client("sqs").delete_message(QueueUrl=self.alerts, ReceiptHandle=message["ReceiptHandle"])
        return received

    def issue(self, title_id: str) -> dict[str, Any]:
        """``GET /playback/{titleId}`` from a premium viewer in the US (an ingested title's tier is premium until
        the catalog operator command sets another)."""
        response = signed_url.handler.handler(playback_event(title_id, "ingest-viewer"), None)
        return {"status": response["statusCode"], **json.loads(response["body"])}

    def exists(self, bucket: str, key: str) -> bool:
        return bool(self.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def _physical(records: Any, stack: str, prefix: str) -> str:
    record = next(r for r in records if r.display_name == f"dev/{stack}")
    (physical,) = (r.physical_id for r in record.resources if r.logical_id.startswith(prefix))
    return str(physical)


def _job_templates() -> dict[str, dict[str, Any]]:
    """The deployed job templates' settings, as CloudFormation was given them (moto's recorded models)."""
    from moto.cloudformation.models import cloudformation_backends

    stack = next(
        s for s in cloudformation_backends["123456789012"]["us-east-1"].stacks.values() if s.name == "dev-Ingest"
    )
    templates = {}
    for resource in stack.resource_map.values():
        if isinstance(resource, ResourceModel) and resource.TYPE == "AWS::MediaConvert::JobTemplate":
            templates[resource.properties["Name"]] = resource.properties["SettingsJson"]
    return templates


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("ingest-sources")
    film = make_source(folder / "film.mp4", seconds=SECONDS)
    return {
        "film": film.read_bytes(),
        "other": make_source(folder / "other.mp4", seconds=2).read_bytes(),
        "silent": make_source(folder / "silent.mp4", seconds=2, audio=False).read_bytes(),
        "truncated": truncate(film, folder / "truncated.mp4").read_bytes(),
    }


@pytest.fixture(scope="module")
def pipeline(
    dev_stage: list[StackArtifact], signing_key_pair: SigningKeyPair, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    root = logging.getLogger()
    root.addHandler(LOG)
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        started = time.perf_counter()
        deployed = deploy_playback(dev_stage, signing_key_pair, monkeypatch)
        TIMINGS["deploy"] = time.perf_counter() - started
        ingest = deployed.outputs["dev/Ingest"]
        machine = client("stepfunctions").describe_state_machine(stateMachineArn=ingest["IngestStateMachineArn"])
        sqs = client("sqs")
        alerts = sqs.create_queue(QueueName="e2e-alerts")["QueueUrl"]
        alerts_arn = sqs.get_queue_attributes(QueueUrl=alerts, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        rule = _physical(deployed.records, "Ingest", "WorkflowOnUpload")
        targets = client("events").list_targets_by_rule(Rule=rule)["Targets"]
        assert [t["Arn"] for t in targets] == [ingest["IngestStateMachineArn"]]
        topic = next(t["TopicArn"] for t in client("sns").list_topics()["Topics"] if "AlertsTopic" in t["TopicArn"])
        client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=alerts_arn)
        integrations = LocalIntegrations(
            clients=client,
            job_templates=_job_templates(),
            job_s3=lambda _role: boto3.client("s3", region_name="us-east-1"),
        )
        edge = deployed.edge(dev_stage, self_signed_certificate(tmp_path_factory.mktemp("ingest-edge-tls")))
        try:
            with edge:
                yield Pipeline(
                    edge=edge,
                    s3=deployed.s3,
                    ingest_bucket=ingest["IngestBucketName"],
                    content_bucket=deployed.bucket,
                    table=deployed.outputs["dev/Storage"]["CatalogTableName"],
                    keys_table=deployed.outputs["dev/Storage"]["ContentKeysTableName"],
                    definition=json.loads(machine["definition"]),
                    integrations=integrations,
                    state_machine=ingest["IngestStateMachineArn"],
                    alerts=alerts,
                )
        finally:
            signed_url.handler.reset()
            root.removeHandler(LOG)
            root.setLevel(previous_level)


@pytest.fixture(scope="module")
def published(pipeline: Pipeline, sources: dict[str, bytes]) -> Ingested:
    ingested = pipeline.ingest("incoming/e2e-film.mp4", sources["film"], {"title": "The Test Pattern"})
    TIMINGS["ingest"] = ingested.seconds
    assert ingested.execution.status == "SUCCEEDED", (ingested.execution.error, ingested.execution.cause)
    return ingested


def test_the_workflow_runs_its_steps_in_the_order_the_definition_wires_them(pipeline: Pipeline, published: Ingested):
    assert published.execution.path == HAPPY_PATH
    states = pipeline.definition["States"]
    assert pipeline.definition["StartAt"] == HAPPY_PATH[0]
    for here, there in itertools.pairwise(HAPPY_PATH):
        state = states[here]
        targets = {c["Next"] for c in state.get("Choices", [])} if state["Type"] == "Choice" else {state["Next"]}
        assert there in targets, f"{here} does not lead to {there}"
    for name, resource in RESOURCES.items():
        assert states[name]["Resource"] == resource
    assert states["Validate"]["Resource"].endswith(":function:" + states["Validate"]["Resource"].rsplit(":", 1)[-1])
    # The one job: the template from 360p down, CMAF into the title's directory, as botocore's model accepts it.
    (job,) = pipeline.integrations.jobs[-1:]
    assert job["JobTemplate"] == "showrunner-dev-ingest-360p"
    destination = job["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["CmafGroupSettings"]["Destination"]
    assert destination == f"s3://{pipeline.content_bucket}/vod/{published.title_id}/cmaf"


def test_the_catalog_item_is_published_with_formats_renditions_duration_and_poster(
    pipeline: Pipeline, published: Ingested
):
    title = published.title_id
    item = pipeline.item(title)
    assert item is not None
    assert item["status"] == "published"
    assert item["name"] == "The Test Pattern"
    assert item["formats"] == ["hls", "dash"]
    assert item["manifests"] == {"hls": f"vod/{title}/master.m3u8", "dash": f"vod/{title}/manifest.mpd"}
    assert [(r["name"], int(r["width"]), int(r["height"])) for r in item["renditions"]] == [
        (name, *size) for name, size in RENDITIONS.items()
    ]
    assert float(item["durationSeconds"]) == pytest.approx(SECONDS, abs=0.05)
    assert item["poster"] == f"vod/{title}/images/frame_poster.0000000.jpg"  # shorter than 10 s: the first frame
    assert pipeline.exists(pipeline.content_bucket, item["poster"])
    assert item["source"]["key"] == "incoming/e2e-film.mp4"
    assert "failure" not in item
    assert pipeline.exists(pipeline.ingest_bucket, "incoming/e2e-film.mp4")  # the source is kept


def _assert_every_frame(decoded: Decoded) -> None:
    assert sorted(decoded.sizes[i] for i in decoded.video()) == sorted(f"{w}x{h}" for w, h in RENDITIONS.values())
    for stream in decoded.video():
        assert decoded.frames[stream] == SECONDS * FPS, decoded
    (audio,) = decoded.audio()
    assert decoded.seconds[audio] == pytest.approx(SECONDS, abs=0.1)


FRAMES: dict[str, dict[str, int]] = {}


def test_the_issuer_signs_it_and_ffmpeg_plays_every_rendition_of_hls(pipeline: Pipeline, published: Ingested):
    issued = pipeline.issue(published.title_id)
    assert issued["status"] == 200, issued
    decoded = play(pipeline.edge.local(issued["hls"]))
    _assert_every_frame(decoded)
    FRAMES["hls"] = {decoded.sizes.get(i, "audio"): decoded.frames[i] for i in decoded.kinds}


def test_and_every_rendition_of_dash(pipeline: Pipeline, published: Ingested):
    issued = pipeline.issue(published.title_id)
    decoded = play_each(pipeline.edge.local(issued["dash"]))
    _assert_every_frame(decoded)
    FRAMES["dash"] = {decoded.sizes.get(i, "audio"): decoded.frames[i] for i in decoded.kinds}


def test_each_iframe_playlist_entry_through_the_edge_is_one_keyframe(
    pipeline: Pipeline, published: Ingested, tmp_path: Path
):
    issued = pipeline.issue(published.title_id)
    base = pipeline.edge.local(issued["hls"]).split("/master.m3u8")[0]
    query = issued["hls"].split("?", 1)[1]
    status, master = fetch(f"{base}/master.m3u8?{query}")
    assert status == 200
    iframe_uris = [
        line.split('URI="', 1)[1].rstrip('"') for line in master.decode().splitlines() if "I-FRAME-STREAM-INF" in line
    ]
    assert len(iframe_uris) == len(RENDITIONS)
    for uri in iframe_uris:
        status, playlist = fetch(f"{base}/{uri}")  # tokenized by the rewriter
        assert status == 200
        lines = playlist.decode().splitlines()
        init_uri = next(line for line in lines if line.startswith("#EXT-X-MAP")).split('URI="')[1].rstrip('"')
        _, init = fetch(f"{base}/{init_uri}")
        entries = [(lines[i + 1], lines[i + 2]) for i, line in enumerate(lines) if line.startswith("#EXTINF")]
        assert len(entries) == SECONDS // 2
        for number, (byterange, segment) in enumerate(entries):
            length, offset = (int(v) for v in byterange.removeprefix("#EXT-X-BYTERANGE:").split("@"))
            status, data = fetch(f"{base}/{segment}", {"Range": f"bytes={offset}-{offset + length - 1}"})
            assert (status, len(data)) == (206, length)
            sample = tmp_path / f"{number}.mp4"
            sample.write_bytes(init + data)
            frames = subprocess.run(
                ["ffprobe", "-v", "quiet", "-select_streams", "v", "-show_entries", "frame=key_frame,pict_type",
                 "-of", "csv=p=0", str(sample)],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            assert [f.strip(",") for f in frames] == ["1,I"]


@dataclass(frozen=True)
class Bad:
    key: str
    source: str  # a name in the sources fixture, or raw bytes below
    code: str
    reason: str
    recorded: bool = True  # the title is marked failed (a duplicate changes nothing)
    metadata: tuple[tuple[str, str], ...] = ()


BAD_INPUTS = [
    Bad("incoming/empty.mp4", "empty", "empty_file", "the upload is empty (0 bytes)"),
    Bad("incoming/notes.mp4", "text", "not_video", "a .mp4 upload must be an MP4/QuickTime (ISO BMFF) file, but its "
        "first bytes are"),
    Bad("incoming/huge.mp4", "huge", "too_large", "the upload is 0.00293 GiB; the limit is 0.00195 GiB"),
    Bad("incoming/film.avi", "other", "unsupported_extension", "'.avi' is not a supported source"),
    Bad("incoming/../vod/hijack/master.mp4", "other", "bad_key", "'..' is not"),
    Bad("incoming/other.mp4", "other", "invalid_title_id", "the title-id metadata '../../vod/sample' does not match",
        metadata=(("title-id", "../../vod/sample"),)),
    Bad("incoming/silent.mp4", "silent", "no_audio_track", "the upload has no audio track"),
    Bad("incoming/truncated.mp4", "truncated", "transcode_failed", "MediaConvert Source Read Error (1076)"),
    Bad("incoming/again/e2e-film.mp4", "film", "duplicate", "already exists", recorded=False),
]  # fmt: skip
OUTCOMES: dict[str, str] = {}


def _body(bad: Bad, sources: dict[str, bytes]) -> bytes:
    if bad.source == "empty":
        return b""
    if bad.source == "text":
        return b"this is not a video, whatever its name says\n" * 50
    if bad.source == "huge":
        return sources["film"][:64] + bytes(3 * 1024 * 1024 - 64)
    return sources[bad.source]


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.code for b in BAD_INPUTS])
def test_every_bad_input_fails_clearly_alerts_publishes_nothing_and_keeps_the_source(
    pipeline: Pipeline, published: Ingested, sources: dict[str, bytes], bad: Bad
):
    pipeline.alerts_received()  # start from an empty queue
    ingested = pipeline.ingest(bad.key, _body(bad, sources), dict(bad.metadata))
    execution = ingested.execution
    assert (execution.status, execution.error) == ("FAILED", bad.code), (execution.error, execution.cause)
    assert bad.reason in execution.cause
    assert execution.path[-2:] == ["Alert", "Failed"]
    (alert,) = pipeline.alerts_received()
    assert alert["event"] == "showrunner.ingest.failed"
    assert (alert["failure"]["code"], alert["upload"]) == (bad.code, bad.key)
    title = alert["titleId"]
    item = pipeline.item(title)
    if bad.recorded:
        assert item is not None
        assert item["status"] == "failed"
        assert item["failure"]["code"] == bad.code
        assert bad.reason in item["failure"]["reason"]
        assert item["source"]["key"] == bad.key
    else:  # the same content as the published film: that title, untouched
        assert title == published.title_id
        assert item is not None
        assert item["status"] == "published"
        assert item["executionArn"] == published.arn
    # Nothing the issuer would sign, and the upload is still there.
    if title != published.title_id:
        refused = pipeline.issue(title)
        # A failed title's item stays (status failed): not entitled; a rejected upload never had one: not found.
        expected = (404, "title_not_found") if item is None else (403, "not_entitled")
        assert (refused["status"], refused["error"]) == expected
        if item is not None:
            assert refused["reason"] == "not_published"
        assert not pipeline.exists(pipeline.content_bucket, f"vod/{title}/master.m3u8")
        assert not pipeline.exists(pipeline.content_bucket, f"vod/{title}/manifest.mpd")
    assert pipeline.exists(pipeline.ingest_bucket, bad.key)
    OUTCOMES[bad.key] = f"{execution.error}: {execution.cause[:90]}"


def test_a_job_that_fails_midway_leaves_segments_but_no_published_manifest(
    pipeline: Pipeline, sources: dict[str, bytes]
):
    ingested = pipeline.ingest("incoming/midway.mp4", sources["truncated"])
    failed_job = pipeline.integrations.jobs[-1]
    assert (failed_job["Status"], failed_job["ErrorCode"]) == ("ERROR", 1076)
    title = ingested.execution.output["source"]["titleId"] if ingested.execution.output else None
    item = pipeline.item(_title_of(pipeline, "incoming/midway.mp4")) if title is None else pipeline.item(title)
    assert item is not None
    assert item["failure"] == {
        "code": "transcode_failed",
        "errorCode": "1076",
        "reason": item["failure"]["reason"],
        "step": "transcode",
    }
    prefix = f"vod/{item['titleId']}/"
    written = [o["Key"] for o in pipeline.s3.list_objects_v2(Bucket=pipeline.content_bucket, Prefix=prefix)["Contents"]]
    assert written, "the job wrote segments before it failed"
    assert not [key for key in written if key.endswith((".m3u8", ".mpd"))]


def _title_of(pipeline: Pipeline, key: str) -> str:
    items = client("dynamodb").scan(TableName=pipeline.table)["Items"]
    (title,) = (i["titleId"]["S"] for i in items if i.get("source", {}).get("M", {}).get("key", {}).get("S") == key)
    return str(title)


def test_a_redelivered_event_is_the_same_title(pipeline: Pipeline, published: Ingested):
    """EventBridge delivers at least once: the same event twice is still one title."""
    _arn, again = pipeline.run(published.event)
    assert (again.status, again.error) == ("FAILED", "duplicate")
    item = pipeline.item(published.title_id)
    assert item is not None
    assert (item["status"], item["executionArn"]) == ("published", published.arn)
    items = client("dynamodb").scan(TableName=pipeline.table)["Items"]
    assert sum(1 for i in items if i["status"]["S"] == "published") == 1
    pipeline.alerts_received()


# --- a protected title: aes-128, as staging and prod ingest ------------------------------------------------------

PROTECTED_TITLE = "e2e-protected-film"
PROTECTED_PATH = [
    *HAPPY_PATH[: HAPPY_PATH.index("Plannable?") + 1],
    "StoreKey",
    "StoreDashKey",
    "Transcode",
    "Record",
    "PublishHls",
    "PublishDash",
    "Publish",
    "Published",
]


@dataclass
class Protected:
    ingested: Ingested
    key_id: str
    key: bytes  # the HLS AES-128 key
    dash_key_id: str
    dash_key: bytes  # the DASH cenc key


@pytest.fixture(scope="module")
def protected(pipeline: Pipeline, sources: dict[str, bytes]) -> Protected:
    """The same film ingested with the workflow function configured as staging and prod configure it
    (``ingest.protection.default: aes-128``): its deployed ``INGEST_SETTINGS`` with that one field changed."""
    lambdas = client("lambda")
    (function,) = (
        f for f in lambdas.list_functions()["Functions"] if "Ingest-WorkflowWorkflowFunction" in f["FunctionName"]
    )
    variables = function["Environment"]["Variables"]
    settings = json.loads(variables["INGEST_SETTINGS"])
    assert settings["protection"] == "none"  # dev's default
    lambdas.update_function_configuration(
        FunctionName=function["FunctionName"],
        Environment={"Variables": {**variables, "INGEST_SETTINGS": json.dumps({**settings, "protection": "aes-128"})}},
    )
    try:
        ingested = pipeline.ingest(
            "incoming/e2e-protected.mp4", sources["film"], {"title": "The Locked Pattern", "title-id": PROTECTED_TITLE}
        )
    finally:
        lambdas.update_function_configuration(
            FunctionName=function["FunctionName"], Environment={"Variables": variables}
        )
    TIMINGS["protected"] = ingested.seconds
    assert ingested.execution.status == "SUCCEEDED", (ingested.execution.error, ingested.execution.cause)
    items = client("dynamodb").query(
        TableName=pipeline.keys_table,
        KeyConditionExpression="titleId = :t",
        ExpressionAttributeValues={":t": {"S": PROTECTED_TITLE}},
    )["Items"]
    by_scheme = {item["scheme"]["S"]: item for item in items}
    assert sorted(by_scheme) == ["aes-128", "cenc"], items  # two keys, each row saying which endpoint releases it
    hls, dash = by_scheme["aes-128"], by_scheme["cenc"]
    return Protected(ingested, hls["keyId"]["S"], bytes(hls["key"]["B"]), dash["keyId"]["S"], bytes(dash["key"]["B"]))


def test_a_protected_title_stores_both_keys_before_the_job_and_publishes_hls_and_dash(
    pipeline: Pipeline, protected: Protected
):
    assert protected.ingested.execution.path == PROTECTED_PATH
    assert len(protected.key) == len(protected.dash_key) == 16
    assert protected.key != protected.dash_key
    assert protected.key_id != protected.dash_key_id
    item = pipeline.item(PROTECTED_TITLE)
    assert item is not None
    assert (item["status"], item["protection"], item["formats"]) == ("published", "aes-128", ["hls", "dash"])
    assert item["manifests"] == {
        "hls": f"vod/{PROTECTED_TITLE}/master.m3u8",
        "dash": f"vod/{PROTECTED_TITLE}/manifest.mpd",
    }
    job = pipeline.integrations.jobs[-1]
    assert job["JobTemplate"] == "showrunner-dev-ingest-360p-aes128"
    hls = job["Settings"]["OutputGroups"][0]["OutputGroupSettings"]["HlsGroupSettings"]
    assert hls["Encryption"]["StaticKeyProvider"]["Url"] == f"keys/{protected.key_id}"
    dash = job["Settings"]["OutputGroups"][2]["OutputGroupSettings"]["CmafGroupSettings"]
    assert (dash["WriteHlsManifest"], dash["WriteDashManifest"]) == ("DISABLED", "ENABLED")
    assert (dash["Encryption"]["Type"], dash["Encryption"]["EncryptionMethod"]) == ("STATIC_KEY", "AES_CTR")
    assert dash["Encryption"]["StaticKeyProvider"]["Url"] == "keys/clearkey"
    assert job["UserMetadata"]["dashKeyId"] == protected.dash_key_id
    assert pipeline.exists(pipeline.content_bucket, f"vod/{PROTECTED_TITLE}/manifest.mpd")


def _content_objects(pipeline: Pipeline, prefix: str) -> dict[str, bytes]:
    listed = pipeline.s3.list_objects_v2(Bucket=pipeline.content_bucket, Prefix=prefix).get("Contents", [])
    return {
        o["Key"]: pipeline.s3.get_object(Bucket=pipeline.content_bucket, Key=o["Key"])["Body"].read() for o in listed
    }


def test_the_key_is_nowhere_in_the_content_bucket_and_no_segment_is_clear(pipeline: Pipeline, protected: Protected):
    objects = _content_objects(pipeline, "vod/")
    assert any(key.startswith(f"vod/{PROTECTED_TITLE}/") for key in objects)
    forms = [form.encode() if isinstance(form, str) else form for form in _key_forms(protected)]
    for key, data in objects.items():
        for form in forms:
            assert form not in data, key
    segments = {k: v for k, v in objects.items() if k.startswith(f"vod/{PROTECTED_TITLE}/") and k.endswith(".ts")}
    assert segments
    for key, data in segments.items():
        assert len(data) % 16 == 0, key
        assert not (data[0] == 0x47 and data[188] == 0x47), f"{key} is a clear transport stream"


def test_ffmpeg_plays_every_rendition_through_the_edge_fetching_the_key_from_the_key_service(
    pipeline: Pipeline, protected: Protected
):
    issued = pipeline.issue(PROTECTED_TITLE)
    assert issued["status"] == 200, issued
    since = len(pipeline.edge.log.requests)
    decoded = play(pipeline.edge.local(issued["hls"]))
    _assert_every_frame(decoded)
    FRAMES["protected-hls"] = {decoded.sizes.get(i, "audio"): decoded.frames[i] for i in decoded.kinds}
    key_path = f"/vod/{PROTECTED_TITLE}/keys/{protected.key_id}"
    requests = pipeline.edge.log.requests[since:]
    assert (key_path, 200) in requests  # the key, from the key service, through the edge's signature check
    assert all(status in (200, 206) for _, status in requests), requests


def test_the_segments_fetched_alone_do_not_decode(pipeline: Pipeline, protected: Protected, tmp_path: Path):
    issued = pipeline.issue(PROTECTED_TITLE)
    base, query = pipeline.edge.local(issued["hls"]).split("/master.m3u8?")
    status, playlist = fetch(f"{base}/hls_360p.m3u8?{query}")
    assert status == 200
    segments = [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]
    assert segments
    for number, uri in enumerate(segments):
        status, data = fetch(f"{base}/{uri}")  # tokenized by the rewriter: CloudFront serves it
        assert status == 200
        path = tmp_path / f"{number}.ts"
        path.write_bytes(data)
        result = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:v?", "-f", "framecrc", "-"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        frames = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
        assert result.returncode != 0 or frames == [], f"segment {uri} decoded {len(frames)} frames without its key"


def _key_forms(protected: Protected) -> list[str | bytes]:
    """Both keys in every form they travel in: bytes, hex, base64, base64url (the Clear Key licence's)."""
    forms: list[str | bytes] = []
    for key in (protected.key, protected.dash_key):
        forms += [key, key.hex(), key.hex().upper(), base64.b64encode(key).decode(), clearkey.b64url(key)]
    return forms


# --- the protected title's DASH: cenc, the Clear Key licence ------------------------------------------------------


def _dash(pipeline: Pipeline) -> tuple[str, bytes, str]:
    """The published MPD through the edge (rewritten, tokenized), its URL, and the viewer's token query."""
    issued = pipeline.issue(PROTECTED_TITLE)
    assert issued["status"] == 200, issued
    url = pipeline.edge.local(issued["dash"])
    status, mpd = fetch(url)
    assert status == 200
    return url, mpd, issued["dash"].split("?", 1)[1]


def _licence_url(pipeline: Pipeline, query: str, title: str = PROTECTED_TITLE) -> str:
    return f"{pipeline.edge.base_url}/vod/{title}/keys/clearkey" + (f"?{query}" if query else "")


def test_every_dash_segment_is_cenc_under_the_stored_kid_and_the_mpd_signals_it(
    pipeline: Pipeline, protected: Protected
):
    url, mpd, _ = _dash(pipeline)
    assert cenc.default_kids(mpd) == [protected.dash_key_id] * 2  # video and audio adaptation sets
    objects = _content_objects(pipeline, f"vod/{PROTECTED_TITLE}/dash")
    inits = {k: v for k, v in objects.items() if k.endswith("_init.mp4")}
    media = {k: v for k, v in objects.items() if k.endswith(".mp4") and k not in inits}
    assert sorted(inits) == [f"vod/{PROTECTED_TITLE}/dash_{name}_init.mp4" for name in ("240p", "360p", "audio")]
    for key, data in inits.items():
        assert bmff.protection(data) == bmff.Protection("cenc", protected.dash_key_id, True), key
    assert len(media) >= 3 * 2  # 8 s in 6 s segments, per rendition
    for key, data in media.items():
        fragments, encrypted = bmff.encrypted_fragments(data)
        assert fragments >= 1
        assert encrypted == fragments, f"{key}: {fragments - encrypted} fragments without sample encryption"
    assert len(cenc.representations(mpd, url)) == 3


def test_ffmpeg_plays_every_dash_rendition_with_the_key_from_the_clear_key_licence(
    pipeline: Pipeline, protected: Protected, tmp_path: Path
):
    url, mpd, query = _dash(pipeline)
    since = len(pipeline.edge.log.requests)
    (kid,) = set(cenc.default_kids(mpd))
    status, headers, answer = cenc.post(_licence_url(pipeline, query), clearkey.licence_request(kid))
    assert status == 200, answer
    assert headers["Cache-Control"] == "no-store"
    keys = cenc.licence_keys(answer)
    assert list(keys) == [kid]
    merged = Decoded(kinds={}, frames={}, seconds={}, sizes={})
    for index, representation in enumerate(cenc.representations(mpd, url)):
        clear = cenc.decrypt(cenc.download(representation, tmp_path), representation.kind, kid, keys[kid])
        decoded = play(str(clear))
        assert list(decoded.kinds) == [0], decoded
        merged.kinds[index], merged.frames[index] = decoded.kinds[0], decoded.frames[0]
        merged.seconds[index] = decoded.seconds[0]
        if 0 in decoded.sizes:
            merged.sizes[index] = decoded.sizes[0]
    _assert_every_frame(merged)
    FRAMES["protected-dash"] = {merged.sizes.get(i, "audio"): merged.frames[i] for i in merged.kinds}
    requests = pipeline.edge.log.requests[since:]
    assert (f"/vod/{PROTECTED_TITLE}/keys/clearkey", 200) in requests  # the licence, through the signature check
    assert all(status == 200 for _, status in requests), requests


def test_the_dash_segments_do_not_decode_without_the_key(pipeline: Pipeline, protected: Protected, tmp_path: Path):
    url, mpd, _ = _dash(pipeline)
    for representation in cenc.representations(mpd, url):
        encrypted = cenc.download(representation, tmp_path)
        result = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(encrypted), "-f", "framecrc", "-"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode != 0 or result.stderr != "", f"{representation.init} decoded cleanly without its key"


@contextmanager
def _past_the_tokens_expiry(pipeline: Pipeline) -> Iterator[None]:
    pipeline.edge.frozen_at = time.time() + 10 * 86400  # the edge's clock, past the token's expiry
    try:
        yield
    finally:
        pipeline.edge.frozen_at = None


@contextmanager
def _a_us_viewer_of_a_title_only_in_france(pipeline: Pipeline) -> Iterator[None]:
    table, key = client("dynamodb"), {"titleId": {"S": PROTECTED_TITLE}}
    table.update_item(
        TableName=pipeline.table,
        Key=key,
        UpdateExpression="SET countries = :c",
        ExpressionAttributeValues={":c": {"L": [{"S": "FR"}]}},
    )
    pipeline.edge.viewer_country = "US"
    try:
        yield
    finally:
        table.update_item(TableName=pipeline.table, Key=key, UpdateExpression="REMOVE countries")


def test_the_clear_key_licence_refuses(pipeline: Pipeline, protected: Protected, published: Ingested):
    """Every refusal through the edge, each never cacheable and without the key; the function's own refusals
    (another protected title's KID, every malformed body) are in tests/functions/key_service."""
    _, _, own = _dash(pipeline)
    other = pipeline.issue(published.title_id)["hls"].split("?", 1)[1]
    body = clearkey.licence_request(protected.dash_key_id)
    outcomes = {
        "no token": cenc.post(_licence_url(pipeline, ""), body),
        "another title's token": cenc.post(_licence_url(pipeline, other), body),
        "another title's path and token": cenc.post(_licence_url(pipeline, other, published.title_id), body),
        "the HLS key's ID": cenc.post(_licence_url(pipeline, own), clearkey.licence_request(protected.key_id)),
        "an unknown KID": cenc.post(_licence_url(pipeline, own), clearkey.licence_request("0" * 32)),
        "a body that is not JSON": cenc.post(_licence_url(pipeline, own), b"kids"),
        "a KID that is not base64url": cenc.post(_licence_url(pipeline, own), b'{"kids":["***"]}'),
        "no payload hash (OAC)": cenc.post(_licence_url(pipeline, own), body, signed_payload=False),
    }
    with _past_the_tokens_expiry(pipeline):
        outcomes["an expired token"] = cenc.post(_licence_url(pipeline, own), body)
    with _a_us_viewer_of_a_title_only_in_france(pipeline):
        outcomes["a viewer outside the title's countries"] = cenc.post(_licence_url(pipeline, own), body)
    answered = {case: (status, _code(answer)) for case, (status, _, answer) in outcomes.items()}
    assert answered == {
        "no token": (403, "AccessDenied"),
        "another title's token": (403, "AccessDenied"),
        "another title's path and token": (404, "not_found"),  # a clear title has no DASH key
        "the HLS key's ID": (404, "not_found"),
        "an unknown KID": (404, "not_found"),
        "a body that is not JSON": (400, "bad_body"),
        "a KID that is not base64url": (400, "bad_kid"),
        "no payload hash (OAC)": (403, "Forbidden"),
        "an expired token": (403, "AccessDenied"),
        "a viewer outside the title's countries": (403, "not_entitled:country_not_allowed"),
    }
    REFUSALS.update({f"licence: {case}": f"{status} {code}" for case, (status, code) in answered.items()})
    for case, (_, headers, answer) in outcomes.items():
        assert protected.dash_key not in answer, case
        assert clearkey.b64url(protected.dash_key).encode() not in answer, case
        if headers.get("Content-Type") == "application/json" and case != "no payload hash (OAC)":
            assert headers["Cache-Control"] == "no-store", case


def _key_request(pipeline: Pipeline, query: str, key_id: str, title: str = PROTECTED_TITLE) -> tuple[int, bytes]:
    return fetch(f"{pipeline.edge.base_url}/vod/{title}/keys/{key_id}" + (f"?{query}" if query else ""))


def test_the_key_service_answers_the_key_never_cacheable(pipeline: Pipeline, protected: Protected):
    query = pipeline.issue(PROTECTED_TITLE)["hls"].split("?", 1)[1]
    status, body = _key_request(pipeline, query, protected.key_id)
    assert (status, body) == (200, protected.key)
    response = pipeline.edge.serve(
        "GET", f"/vod/{PROTECTED_TITLE}/keys/{protected.key_id}?{query}", {"Host": "x"}, "127.0.0.1"
    )
    assert response[1]["Cache-Control"] == "no-store"


def test_the_key_service_refuses(pipeline: Pipeline, protected: Protected, published: Ingested):
    """No token, another title's token, an expired token, a viewer no longer entitled, another title's key ID."""
    own = pipeline.issue(PROTECTED_TITLE)["hls"].split("?", 1)[1]
    other = pipeline.issue(published.title_id)["hls"].split("?", 1)[1]
    outcomes = {
        "no token": _key_request(pipeline, "", protected.key_id),
        "another title's token": _key_request(pipeline, other, protected.key_id),
    }
    # Another title's key ID, under that other title's path with its own token: the clear title has no key.
    outcomes["another title's path"] = _key_request(pipeline, other, protected.key_id, published.title_id)
    outcomes["an unknown key ID"] = _key_request(pipeline, own, "0" * 32)
    with _past_the_tokens_expiry(pipeline):
        outcomes["an expired token"] = _key_request(pipeline, own, protected.key_id)
    table = client("dynamodb")
    table.update_item(
        TableName=pipeline.table,
        Key={"titleId": {"S": PROTECTED_TITLE}},
        UpdateExpression="SET #s = :w",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":w": {"S": "withdrawn"}},
    )
    try:
        outcomes["a withdrawn title"] = _key_request(pipeline, own, protected.key_id)
    finally:
        table.update_item(
            TableName=pipeline.table,
            Key={"titleId": {"S": PROTECTED_TITLE}},
            UpdateExpression="SET #s = :p",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":p": {"S": "published"}},
        )
    with _a_us_viewer_of_a_title_only_in_france(pipeline):
        outcomes["a viewer outside the title's countries"] = _key_request(pipeline, own, protected.key_id)
    # A viewer whose plan does not cover the title never gets a token to ask with (ingested titles are premium).
    free = signed_url.handler.handler(playback_event(PROTECTED_TITLE, "free-viewer", groups="[plan-free]"), None)
    outcomes["a viewer whose plan is too low (at the issuer)"] = (free["statusCode"], free["body"].encode())
    answered = {case: (status, _code(body)) for case, (status, body) in outcomes.items()}
    assert answered == {
        "no token": (403, "AccessDenied"),  # CloudFront: the behavior trusts the key group
        "another title's token": (403, "AccessDenied"),  # CloudFront: the policy's resource is the other title
        "another title's path": (404, "not_found"),
        "an unknown key ID": (404, "not_found"),
        "an expired token": (403, "AccessDenied"),  # CloudFront: DateLessThan has passed
        "a withdrawn title": (403, "not_entitled:withdrawn"),
        "a viewer outside the title's countries": (403, "not_entitled:country_not_allowed"),
        "a viewer whose plan is too low (at the issuer)": (403, "not_entitled:plan_too_low"),
    }
    REFUSALS.update({case: f"{status} {code}" for case, (status, code) in answered.items()})
    for _case, (_status, body) in outcomes.items():
        assert protected.key not in body


REFUSALS: dict[str, str] = {}


def test_the_key_appears_in_no_log_line_and_no_template(
    dev_stage: list[StackArtifact], protected: Protected, pipeline: Pipeline
):
    """After the protected title's ingest, its plays and the refusals: every log line any handler wrote, and every
    template of the deployed stage, scanned for the key in each form it travels in (bytes, hex, base64)."""
    forms = [form for form in _key_forms(protected) if isinstance(form, str)]
    assert len(LOG.lines) > 50  # the scan saw the runs
    assert any(PROTECTED_TITLE in line for line in LOG.lines)
    assert any(protected.key_id in line for line in LOG.lines)  # what the key service released, by ID
    assert any(protected.dash_key_id in line for line in LOG.lines)
    for line in LOG.lines:
        for form in forms:
            assert form not in line
    templates = [artifact.template_path.read_bytes() for artifact in dev_stage]
    assert len(templates) > 10
    for template in templates:
        assert protected.key not in template
        assert protected.dash_key not in template
        for form in forms:
            assert form.encode() not in template
        assert b"StaticKeyValue" not in template  # no template carries a static key at all


def _code(body: bytes) -> str:
    if body.startswith(b"<Error>"):
        return body.split(b"<Code>")[1].split(b"</Code>")[0].decode()
    document = json.loads(body)
    if "Message" in document:  # Lambda's own answer to a request whose signature it refused
        return str(document["Message"])
    return str(document["error"]) + (f":{document['reason']}" if "reason" in document else "")


def test_report(published: Ingested) -> None:
    """The figures for the notes (``pytest -s``): frames per rendition, each bad input's outcome, timings."""
    assert FRAMES, "run the playback tests first (they are earlier in this module)"
    config_limit = load_config()["dev"].ingest.max_source_gib
    print(f"\ningest e2e: deploy {TIMINGS.get('deploy', 0):.1f} s, upload -> published {TIMINGS['ingest']:.1f} s")
    print(f"frames: {FRAMES}")
    print(f"protected title: upload -> published {TIMINGS.get('protected', 0):.1f} s; key service: {REFUSALS}")
    for key, outcome in OUTCOMES.items():
        print(f"  {key}: {outcome}")
    print(f"(dev's real source limit is {config_limit} GiB; this stage was synthesized with {INGEST_LIMIT_GIB:.5f})")
