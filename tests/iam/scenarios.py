"""For each project-written function: what to seed, the request, and what success is.

A scenario drives the handler down the path that uses every AWS call the function
makes in normal operation, and says why a result is not success (``failure``
returns None on success). Adding a function under ``lambda/`` to a stack without
a scenario here fails ``test_every_project_function_has_a_scenario``.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import catalog_api.handler
import chaos_monkey.handler
import event_ingest.handler
import ingest_validate.handler
import key_service.handler
import manifest_rewriter.handler
import pytest
import rows_api.handler
import rows_loader.handler
import signed_url.handler

from tests.support import catalog
from tests.support.event_corpus import BASE
from tests.support.events import catalog_event, events_post, function_url_event, playback_event
from tests.support.rows import rows_request
from tools.developer.samples import master_playlist, private_pem, token

# One title per function: both seed the same content bucket (and the issuer's, the catalog table).
ISSUED_TITLE = "least-privilege-issued"
LISTED_TITLE = "least-privilege-listed"
REWRITTEN_TITLE = "least-privilege-rewritten"
SUBJECT = BASE["userId"]
Client = Callable[[str], Any]


@dataclass(frozen=True)
class Scenario:
    seed: Callable[[Client, dict[str, str]], None]  # (admin client factory, the function's environment)
    event: Callable[[dict[str, str]], Any]
    failure: Callable[[Any, dict[str, str]], str | None]
    reset: Callable[[], None]
    # Every IAM check of the happy path, in order: (action, the statement that allows it, by statement_id)
    checks: tuple[tuple[str, str], ...]
    patched: Callable[[], AbstractContextManager[None]] = nullcontext


def _status(result: Any, expected: int = 200) -> str | None:
    if isinstance(result, Exception):
        return f"raised {type(result).__name__}: {result}"
    if result.get("statusCode") != expected:
        return f"answered {result.get('statusCode')}: {result.get('body', '')[:200]}"
    return None


# --- signed_url: GET /playback/{titleId} -> signed URLs; reads the title's catalog item and the signing key ----


def _seed_issuer(client: Client, env: dict[str, str]) -> None:
    secrets = client("secretsmanager")
    secrets.put_secret_value(
        SecretId=env["SIGNING_KEY_SECRET_ARN"], SecretString=private_pem(), VersionStages=[env["KEY_PAIR_ID"]]
    )
    client("dynamodb").put_item(TableName=env["CATALOG_TABLE"], Item=catalog.item(ISSUED_TITLE, tier="premium"))


def _issuer_event(_env: dict[str, str]) -> dict[str, Any]:
    return playback_event(ISSUED_TITLE, SUBJECT)


def _issuer_failure(result: Any, env: dict[str, str]) -> str | None:
    problem = _status(result)
    if problem:
        return problem
    body = json.loads(result["body"])
    prefix = f"https://{env['DISTRIBUTION_DOMAIN']}/vod/{ISSUED_TITLE}/"
    for name, manifest in (("hls", "master.m3u8"), ("dash", "manifest.mpd")):
        if not str(body.get(name, "")).startswith(f"{prefix}{manifest}?"):
            return f"no signed {name} URL: {body.get(name)!r}"
    if body["cookies"]["CloudFront-Key-Pair-Id"] != env["KEY_PAIR_ID"]:
        return f"signed with key pair {body['cookies']['CloudFront-Key-Pair-Id']}"
    return None


# --- catalog_api: GET /catalog lists a title (Query on the index), GET /catalog/{titleId} shows it (GetItem) ----


def _seed_catalog(client: Client, env: dict[str, str]) -> None:
    client("dynamodb").put_item(TableName=env["CATALOG_TABLE"], Item=catalog.item(LISTED_TITLE, name="Listed"))


def _catalog_events(_env: dict[str, str]) -> list[dict[str, Any]]:
    return [catalog_event(sub=SUBJECT), catalog_event(LISTED_TITLE, sub=SUBJECT)]


def _catalog_failure(results: Any, _env: dict[str, str]) -> str | None:
    listing, one = results
    for result in results:
        problem = _status(result)
        if problem:
            return problem
    if LISTED_TITLE not in [t["titleId"] for t in json.loads(listing["body"])["titles"]]:
        return f"the listing misses {LISTED_TITLE}: {listing['body'][:200]}"
    if json.loads(one["body"]).get("titleId") != LISTED_TITLE:
        return f"GET /catalog/{LISTED_TITLE} answered {one['body'][:200]}"
    return None


# --- manifest_rewriter: a token-carrying GET of a master playlist; reads it from S3 --------------------------


def _seed_rewriter(client: Client, env: dict[str, str]) -> None:
    client("s3").put_object(
        Bucket=env["CONTENT_BUCKET"], Key=f"vod/{REWRITTEN_TITLE}/master.m3u8", Body=master_playlist().encode()
    )


def _rewriter_event(_env: dict[str, str]) -> dict[str, Any]:
    return function_url_event(f"/vod/{REWRITTEN_TITLE}/master.m3u8", token(title=REWRITTEN_TITLE).query)


def _rewriter_failure(result: Any, _env: dict[str, str]) -> str | None:
    problem = _status(result)
    if problem:
        return problem
    if f"Key-Pair-Id={token(title=REWRITTEN_TITLE).key_pair_id}" not in result["body"]:
        return "the playlist came back without the token"
    return None


# --- event_ingest: POST /events with one valid event; PutRecords on the stream --------------------------------


def _ingest_event(_env: dict[str, str]) -> dict[str, Any]:
    return events_post(json.dumps(BASE), SUBJECT)


def _ingest_failure(result: Any, _env: dict[str, str]) -> str | None:
    problem = _status(result)
    if problem:
        return problem
    body = json.loads(result["body"])
    return None if body["accepted"] == 1 else f"accepted {body['accepted']}: {body}"


# --- chaos_monkey: a business-hours run terminates one instance of the opted-in origin group ------------------

WEDNESDAY_NOON_NEW_YORK = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
# Origin 5xx, origin p99 latency, fleet below minimum (dev keeps one instance), CloudFront 5xx (us-east-1).
STAND_DOWN_ALARMS_IN_DEV = 4
_runs = itertools.count()


def _seed_monkey(client: Client, env: dict[str, str]) -> None:
    client("ssm").put_parameter(Name=env["KILL_SWITCH_PARAMETER"], Value="enabled", Type="String", Overwrite=True)


@contextmanager
def _monkey_patched() -> Iterator[None]:
    """A frozen clock in business hours, and DescribeInstanceRefreshes (moto 5.2 lacks it) answering none.

    Each run is a week after the one before, on the same weekday and hour: the group's last recorded
    termination is then always past the minimum interval, and every run may terminate again.
    The patched response method runs after moto's authorization, so the call is still checked.
    """
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult

    at = WEDNESDAY_NOON_NEW_YORK + timedelta(weeks=next(_runs))

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls.fromtimestamp(at.timestamp(), tz)

    def describe_instance_refreshes(_self: AutoScalingResponse) -> ActionResult:
        return ActionResult({"InstanceRefreshes": []})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(chaos_monkey.handler, "datetime", Frozen)
        patch.setattr(AutoScalingResponse, "describe_instance_refreshes", describe_instance_refreshes, raising=False)
        yield


def _monkey_failure(result: Any, _env: dict[str, str]) -> str | None:
    if isinstance(result, Exception):
        return f"raised {type(result).__name__}: {result}"
    if (result.get("action"), result.get("reason")) != ("terminate", "selected"):
        return f"decided {result.get('action')}/{result.get('reason')}: {result}"
    return None


# --- ingest_validate: the first step of an ingest run, on an upload that passes; HEAD and 64 bytes of it -------

UPLOAD_KEY = "incoming/least-privilege.mp4"
# The start of an MP4 file: an ftyp box.
MP4_START = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(992)
_upload: dict[str, str] = {}


def _seed_validate(client: Client, _env: dict[str, str]) -> None:
    s3 = client("s3")
    (bucket,) = (b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("dev-ingest-ingestbucket"))
    version = s3.put_object(Bucket=bucket, Key=UPLOAD_KEY, Body=MP4_START)["VersionId"]
    _upload.update(bucket=bucket, version=version)


def _validate_event(_env: dict[str, str]) -> dict[str, Any]:
    """The detail of S3's "Object Created" event, which the state machine hands the function."""
    return {
        "bucket": {"name": _upload["bucket"]},
        "object": {"key": UPLOAD_KEY, "size": len(MP4_START), "version-id": _upload["version"]},
    }


def _validate_failure(result: Any, _env: dict[str, str]) -> str | None:
    if isinstance(result, Exception):
        return f"raised {type(result).__name__}: {result}"
    if not result.get("ok") or result.get("container") != "isobmff":
        return f"refused the upload: {result.get('code')} {result.get('reason')}"
    return None


# --- ingest_workflow: the plan for a probed 720p source; it calls no AWS API ---------------------------------


def _plan_event(_env: dict[str, str]) -> dict[str, Any]:
    video = {"TrackType": "video", "VideoProperties": {"Width": 1280, "Height": 720}}
    audio = {"TrackType": "audio"}
    return {
        "op": "plan",
        "source": {"ok": True, "titleId": "least-privilege-planned"},
        "probe": {"ProbeResults": [{"Container": {"Duration": 60.0, "Tracks": [video, audio]}}]},
    }


def _plan_failure(result: Any, _env: dict[str, str]) -> str | None:
    if isinstance(result, Exception):
        return f"raised {type(result).__name__}: {result}"
    if not result.get("ok") or not str(result.get("jobTemplate", "")).endswith("-ingest-720p"):
        return f"planned {result}"
    return None


# --- rows_api: GET /me/recommendations; the run pointer, the viewer's row, the titles' catalog items -----------

ROW_TITLE = "least-privilege-row"
ROW_RUN = "least-privilege-run"


def _seed_rows_api(client: Client, env: dict[str, str]) -> None:
    dynamodb = client("dynamodb")
    pointer = {"pk": {"S": "pointer"}, "run": {"S": "current"}, "runId": {"S": ROW_RUN}}
    dynamodb.put_item(TableName=env["ROWS_TABLE"], Item={**pointer, "runDate": {"S": "2026-11-27"}})
    row = {"M": {"titleId": {"S": ROW_TITLE}, "score": {"N": "0.9"}}}
    expires = {"N": str(int(datetime.now(UTC).timestamp()) + 86_400)}
    dynamodb.put_item(
        TableName=env["ROWS_TABLE"],
        Item={"pk": {"S": f"user#{SUBJECT}"}, "run": {"S": ROW_RUN}, "titles": {"L": [row]}, "expiresAt": expires},
    )
    dynamodb.put_item(TableName=env["CATALOG_TABLE"], Item=catalog.item(ROW_TITLE, name="Least privilege"))


def _rows_api_failure(result: Any, _env: dict[str, str]) -> str | None:
    problem = _status(result)
    if problem:
        return problem
    body = json.loads(result["body"])
    if (body["source"], body["titles"]) != ("recommendations", [{"titleId": ROW_TITLE, "name": "Least privilege"}]):
        return f"answered {body}"
    return None


# --- rows_loader: one job's output into the rows table; lists and reads the lake, writes the table ------------

LOAD_DATE = "2026-11-27"


def _seed_rows_loader(client: Client, env: dict[str, str]) -> None:
    s3 = client("s3")
    bucket = env["DATA_LAKE_BUCKET"]
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    key = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    prefix = f"recommendations/date={LOAD_DATE}/"
    line = json.dumps({"userId": SUBJECT, "recommendations": [{"titleId": ROW_TITLE, "score": 0.9}]}) + "\n"
    for name, body in (("part-00000-c000.json", line.encode()), ("_SUCCESS", b"")):
        s3.put_object(Bucket=bucket, Key=prefix + name, Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=key)


def _rows_loader_event(_env: dict[str, str]) -> dict[str, Any]:
    return {"job": "recommendations", "runId": ROW_RUN, "runDate": LOAD_DATE, "startedAt": f"{LOAD_DATE}T03:00:00Z"}


def _rows_loader_failure(result: Any, _env: dict[str, str]) -> str | None:
    if isinstance(result, Exception):
        return f"raised {type(result).__name__}: {result}"
    if (result.get("objects"), result.get("items")) != (1, 1):
        return f"loaded {result}"
    return None


# --- key_service: an entitled viewer's GET of an aes-128 title's key; the catalog item and the key (GetItem each) -

KEYED_TITLE = "least-privilege-keyed"
KEY_ID = "5eed" * 8
CONTENT_KEY = bytes(range(16))


def _seed_keys(client: Client, env: dict[str, str]) -> None:
    dynamodb = client("dynamodb")
    dynamodb.put_item(
        TableName=env["CATALOG_TABLE"],
        Item=catalog.item(KEYED_TITLE, formats=("hls",), protection={"S": "aes-128"}),
    )
    dynamodb.put_item(
        TableName=env["CONTENT_KEYS_TABLE"],
        Item={"titleId": {"S": KEYED_TITLE}, "keyId": {"S": KEY_ID}, "key": {"B": CONTENT_KEY}},
    )


def _keys_event(_env: dict[str, str]) -> dict[str, Any]:
    return function_url_event(f"/vod/{KEYED_TITLE}/keys/{KEY_ID}", token(title=KEYED_TITLE).query)


def _keys_failure(result: Any, _env: dict[str, str]) -> str | None:
    problem = _status(result)
    if problem:
        return problem
    if result["body"] != base64.b64encode(CONTENT_KEY).decode():
        return "answered other bytes than the title's key"
    return None


SCENARIOS: dict[str, Scenario] = {
    "signed_url": Scenario(
        _seed_issuer,
        _issuer_event,
        _issuer_failure,
        signed_url.handler.reset,
        checks=(
            ("dynamodb:GetItem", "dynamodb:GetItem"),  # the title's catalog item
            ("kms:Decrypt", "kms:Decrypt"),  # DynamoDB decrypting it with the catalog's key for the caller
            ("secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue"),  # the version labelled KEY_PAIR_ID
            ("kms:Decrypt", "kms:Decrypt"),  # Secrets Manager decrypting it for the caller
        ),
    ),
    "catalog_api": Scenario(
        _seed_catalog,
        _catalog_events,
        _catalog_failure,
        catalog_api.handler.reset,
        checks=(
            ("dynamodb:Query", "dynamodb:Query"),  # GET /catalog: the published-by-name index
            ("kms:Decrypt", "kms:Decrypt"),
            ("dynamodb:GetItem", "dynamodb:GetItem"),  # GET /catalog/{titleId}
            ("kms:Decrypt", "kms:Decrypt"),
        ),
    ),
    "manifest_rewriter": Scenario(
        _seed_rewriter,
        _rewriter_event,
        _rewriter_failure,
        manifest_rewriter.handler.reset,
        checks=(("s3:GetObject", "s3:GetObject"),),
    ),
    "event_ingest": Scenario(
        lambda _client, _env: None,
        _ingest_event,
        _ingest_failure,
        event_ingest.handler._kinesis.cache_clear,
        checks=(("kinesis:PutRecords", "kinesis:PutRecords"),),
    ),
    "chaos_monkey": Scenario(
        _seed_monkey,
        lambda _env: {},
        _monkey_failure,
        chaos_monkey.handler._clients.cache_clear,
        checks=(
            ("ssm:GetParameter", "ReadKillSwitch"),
            *[("cloudwatch:DescribeAlarms", "ReadStandDownAlarms")] * STAND_DOWN_ALARMS_IN_DEV,
            ("ssm:GetParameter", "RecordTerminations"),
            ("autoscaling:DescribeAutoScalingGroups", "DescribeGroups"),
            ("autoscaling:DescribeInstanceRefreshes", "DescribeGroups"),
            ("ssm:PutParameter", "RecordTerminations"),  # recorded before it terminates
            ("autoscaling:TerminateInstanceInAutoScalingGroup", "TerminateInOptedInGroupsOfThisEnvironment"),
        ),
        patched=_monkey_patched,
    ),
    "ingest_validate": Scenario(
        _seed_validate,
        _validate_event,
        _validate_failure,
        ingest_validate.handler.reset,
        checks=(
            ("s3:GetObject", "s3:GetObject"),  # HEAD the upload
            ("s3:GetObject", "s3:GetObject"),  # its first 64 bytes
        ),
    ),
    "key_service": Scenario(
        _seed_keys,
        _keys_event,
        _keys_failure,
        key_service.handler.reset,
        checks=(
            ("dynamodb:GetItem", "dynamodb:GetItem"),  # the title's catalog item (entitlement, protection)
            ("kms:Decrypt", "kms:Decrypt"),  # through DynamoDB, with the catalog's key
            ("dynamodb:GetItem", "dynamodb:GetItem"),  # the content key
            ("kms:Decrypt", "kms:Decrypt"),  # through DynamoDB, with the content-keys table's key
        ),
    ),
    "ingest_workflow": Scenario(
        lambda _client, _env: None,
        _plan_event,
        _plan_failure,
        lambda: None,
        checks=(),  # no AWS call: its role may only write its own log group
    ),
    "rows_api": Scenario(
        _seed_rows_api,
        lambda _env: rows_request("GET /me/recommendations", SUBJECT),
        _rows_api_failure,
        rows_api.handler.reset,
        checks=(
            ("dynamodb:GetItem", "ReadTheRows"),  # the run pointer
            ("kms:Decrypt", "UseTheRowsKeyThroughDynamoDB"),
            ("dynamodb:GetItem", "ReadTheRows"),  # the viewer's row of that run
            ("kms:Decrypt", "UseTheRowsKeyThroughDynamoDB"),
            ("dynamodb:BatchGetItem", "ReadTheCatalog"),  # its titles' catalog items
            ("kms:Decrypt", "UseTheCatalogKeyThroughDynamoDB"),
        ),
    ),
    "rows_loader": Scenario(
        _seed_rows_loader,
        _rows_loader_event,
        _rows_loader_failure,
        rows_loader.handler.reset,
        checks=(
            ("s3:ListBucket", "ListTheJobOutputs"),  # the part files under recommendations/date=<day>/
            ("s3:GetObject", "ReadTheJobOutputs"),
            ("kms:Decrypt", "UseTheLakeKeyThroughS3"),
            ("dynamodb:BatchWriteItem", "WriteTheRows"),
            ("kms:Decrypt", "UseTheRowsKeyThroughDynamoDB"),
        ),
    ),
}
