"""The workflow function's decisions (``lambda/ingest_workflow``): the plan from a probe, the record of a job,
a failure in words. Its settings are built here from the dev configuration the way the stacks build them."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import re
from typing import Any

import pytest
from ingest_workflow.explain import explain
from ingest_workflow.handler import handler
from ingest_workflow.plan import RefusedError, first_rung, fitted, plan
from ingest_workflow.protection import ContentKey
from ingest_workflow.record import record
from ingest_workflow.settings import ConfigurationError, Settings

from stacks.config import load_config
from stacks.config.mediaconvert import workflow_settings

INGEST = load_config()["dev"].ingest
ENV = {"INGEST_SETTINGS": workflow_settings("dev", INGEST, "content-bucket")}
SETTINGS = Settings.from_env(ENV)
SOURCE = {"ok": True, "titleId": "t0123456789abcdef01234567", "bucket": "ingest", "key": "incoming/film.mp4"}


def probe(width: int = 1920, height: int = 1080, seconds: float = 600.0, *, audio: bool = True, rotation: int = 0):
    tracks: list[dict[str, Any]] = [
        {
            "TrackType": "video",
            "Index": 0,
            "Codec": "AVC",
            "VideoProperties": {
                "Width": width,
                "Height": height,
                "Rotation": rotation,
                "FrameRate": {"Numerator": 24000, "Denominator": 1001},
            },
        }
    ]
    if audio:
        tracks.append({"TrackType": "audio", "Index": 1, "Codec": "AAC", "AudioProperties": {"Channels": 2}})
    return {"ProbeResults": [{"Container": {"Format": "mp4", "Duration": seconds, "Tracks": tracks}}]}


@pytest.mark.parametrize(
    ("size", "rungs", "sizes"),
    [
        ((1920, 1080), ["1080p", "720p", "540p", "360p", "240p"], [(1920, 1080), (1280, 720), (960, 540)]),
        ((3840, 2160), ["1080p", "720p", "540p", "360p", "240p"], [(1920, 1080), (1280, 720), (960, 540)]),
        ((1280, 720), ["720p", "540p", "360p", "240p"], [(1280, 720), (960, 540), (640, 360)]),
        ((1920, 800), ["1080p", "720p", "540p", "360p", "240p"], [(1920, 800), (1280, 534), (960, 400)]),
        ((1440, 1080), ["1080p", "720p", "540p", "360p", "240p"], [(1440, 1080), (960, 720), (720, 540)]),
        ((720, 576), ["720p", "540p", "360p", "240p"], [(720, 576), (676, 540), (450, 360)]),
        ((640, 360), ["360p", "240p"], [(640, 360), (426, 240)]),
        ((320, 180), ["240p"], [(320, 180)]),
    ],
)
def test_rungs_above_the_source_are_dropped_and_nothing_is_upscaled(size, rungs, sizes):
    planned = plan(SETTINGS, SOURCE, probe(*size))
    assert [r["name"] for r in planned["renditions"]] == rungs
    assert [(r["width"], r["height"]) for r in planned["renditions"][:3]] == sizes
    assert planned["jobTemplate"] == f"showrunner-dev-ingest-{rungs[0]}"
    for rendition in planned["renditions"]:
        assert rendition["width"] <= size[0]
        assert rendition["height"] <= size[1]


def test_a_rotated_phone_video_is_portrait():
    planned = plan(SETTINGS, SOURCE, probe(1920, 1080, rotation=90))
    assert (planned["source"]["width"], planned["source"]["height"]) == (1080, 1920)
    assert [(r["width"], r["height"]) for r in planned["renditions"][:2]] == [(608, 1080), (406, 720)]


def test_the_plan_names_the_titles_destinations_and_what_to_publish():
    planned = plan(SETTINGS, SOURCE, probe(seconds=3600.5))
    title = SOURCE["titleId"]
    assert planned["outputGroups"] == [
        {"OutputGroupSettings": {"CmafGroupSettings": {"Destination": f"s3://content-bucket/vod/{title}/cmaf"}}},
        {
            "OutputGroupSettings": {
                "FileGroupSettings": {"Destination": f"s3://content-bucket/vod/{title}/images/frame"}
            }
        },
    ]
    assert planned["publish"] == {
        "hls": {"copySource": f"content-bucket/vod/{title}/cmaf.m3u8", "key": f"vod/{title}/master.m3u8"},
        "dash": {"copySource": f"content-bucket/vod/{title}/cmaf.mpd", "key": f"vod/{title}/manifest.mpd"},
    }
    assert planned["poster"] == f"vod/{title}/images/frame_poster.0000001.jpg"  # the frame at 10 s
    assert planned["thumbnails"] == {"prefix": f"vod/{title}/images/frame_thumb.", "count": 361, "intervalSeconds": 10}
    assert planned["timeoutSeconds"] == 3600 + 3 * 3601
    assert planned["source"]["frameRate"] == 23.976
    short = plan(SETTINGS, SOURCE, probe(seconds=8))
    assert short["poster"].endswith("frame_poster.0000000.jpg")  # shorter than poster_at_seconds: the first frame
    assert short["thumbnails"]["count"] == 1


@pytest.mark.parametrize(
    ("probed", "code", "reason"),
    [
        (probe(audio=False), "no_audio_track", "the upload has no audio track"),
        ({"ProbeResults": [{"Container": {"Tracks": [{"TrackType": "audio"}]}}]}, "no_video_track", "no video track"),
        ({"ProbeResults": []}, "unreadable", "found nothing it could read"),
        (probe(seconds=0), "unreadable", "could not read the upload's duration"),
        (probe(width=0), "unreadable", "could not read the video's resolution"),
        (probe(seconds=180 * 60 + 1), "too_long", "the upload lasts 180.0 minutes; the limit is 180"),
    ],
)
def test_refusals(probed: dict[str, Any], code: str, reason: str):
    with pytest.raises(RefusedError) as refused:
        plan(SETTINGS, SOURCE, probed)
    assert refused.value.code == code
    assert reason in refused.value.reason


def test_the_handler_answers_a_refusal_rather_than_raising(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("INGEST_SETTINGS", ENV["INGEST_SETTINGS"])
    answer = handler({"op": "plan", "source": SOURCE, "probe": probe(audio=False)}, None)
    assert answer == {
        "ok": False,
        "code": "no_audio_track",
        "reason": "the upload has no audio track (every title has an AAC stereo rendition)",
        "step": "plan",
    }


def test_fitting():
    ladder = SETTINGS.ladder
    assert first_rung(1920, 1080, ladder) == 0
    assert first_rung(1921, 1080, ladder) == 0
    assert first_rung(1280, 720, ladder) == 1
    assert first_rung(100, 100, ladder) == 4
    assert fitted(640, 360, ladder[4]) == (426, 240)


def job(widths: list[tuple[int, int]], duration_ms: int = 600_040) -> dict[str, Any]:
    details = [{"DurationInMs": duration_ms, "VideoDetails": {"WidthInPx": w, "HeightInPx": h}} for w, h in widths]
    return {"Job": {"Id": "1700000000000-abc123", "OutputGroupDetails": [{"OutputDetails": [*details, {}]}]}}


def test_the_record_is_the_jobs_own_sizes_and_duration_in_dynamodb_json():
    planned = plan(SETTINGS, SOURCE, probe(1280, 720))
    recorded = record(planned, job([(1280, 720), (960, 540), (640, 360), (426, 240)]))
    title = SOURCE["titleId"]
    assert recorded["formats"] == [{"S": "hls"}, {"S": "dash"}]
    assert recorded["manifests"] == {
        "hls": {"S": f"vod/{title}/master.m3u8"},
        "dash": {"S": f"vod/{title}/manifest.mpd"},
    }
    assert recorded["renditions"][0] == {
        "M": {"name": {"S": "720p"}, "width": {"N": "1280"}, "height": {"N": "720"}, "maxBitrate": {"N": "3500000"}}
    }
    assert [r["M"]["name"]["S"] for r in recorded["renditions"]] == ["720p", "540p", "360p", "240p"]
    assert recorded["durationSeconds"] == "600.04"
    assert recorded["jobId"] == "1700000000000-abc123"
    assert recorded["thumbnails"]["count"] == {"N": "61"}
    # Without details, the planned sizes and duration.
    assert record(planned, {"Job": {"Id": "x"}})["renditions"][1]["M"]["width"] == {"N": "960"}


@pytest.mark.parametrize(
    ("step", "error", "expected"),
    [
        (
            "transcode",
            {"Error": "States.TaskFailed",
             "Cause": json.dumps({"Status": "ERROR", "ErrorCode": 1076, "ErrorMessage": "EOF"})},
            {"code": "transcode_failed", "errorCode": "1076", "reason": "MediaConvert Source Read Error (1076): EOF"},
        ),
        (
            "transcode",
            {"Error": "MediaConvert.JobFailed", "Cause": json.dumps({"Job": {"Status": "ERROR", "ErrorCode": 1010}})},
            {"code": "transcode_failed", "errorCode": "1010", "reason": "MediaConvert Input Error (1010): no message"},
        ),
        (
            "transcode",
            {"Error": "States.TaskFailed", "Cause": json.dumps({"detail": {"status": "ERROR", "errorCode": 1040,
                                                                           "errorMessage": "bad"}})},
            {"code": "transcode_failed", "errorCode": "1040", "reason": "MediaConvert Settings Error (1040): bad"},
        ),
        (
            "transcode",
            {"Error": "States.TaskFailed", "Cause": json.dumps({"Status": "CANCELED"})},
            {"code": "canceled", "errorCode": "", "reason": "the MediaConvert job was cancelled"},
        ),
        (
            "transcode",
            {"Error": "MediaConvert.BadRequestException", "Cause": "Invalid JobTemplate"},
            {"code": "transcode_refused", "errorCode": "",
             "reason": "MediaConvert refused the job (MediaConvert.BadRequestException): Invalid JobTemplate"},
        ),
        (
            "transcode",
            {"Error": "States.Timeout", "Cause": ""},
            {"code": "timed_out", "errorCode": "",
             "reason": "the transcode step did not finish in time (the job, if any, was cancelled)"},
        ),
        (
            "probe",
            {"Error": "MediaConvert.UnprocessableEntityException", "Cause": "Unable to probe\x07 the file\nat all"},
            {"code": "unreadable", "errorCode": "",
             "reason": "MediaConvert could not probe the upload (MediaConvert.UnprocessableEntityException): "
                       "Unable to probe the file at all"},
        ),
        (
            "validate",
            {"Error": "Lambda.Unknown", "Cause": json.dumps({"errorMessage": "boom", "errorType": "RuntimeError"})},
            {"code": "internal", "errorCode": "", "reason": "the validate step failed (Lambda.Unknown): boom"},
        ),
    ],
)  # fmt: skip
def test_failures_in_words(step: str, error: dict[str, str], expected: dict[str, str]):
    assert explain(step, error) == {**expected, "step": step}


def test_a_long_cause_is_cut():
    assert len(explain("probe", {"Error": "X", "Cause": "y" * 5000})["reason"]) == 400


def test_settings_must_be_there():
    with pytest.raises(ConfigurationError):
        Settings.from_env({})
    with pytest.raises(ConfigurationError, match="one template per rung"):
        Settings.from_env({"INGEST_SETTINGS": json.dumps({**json.loads(ENV["INGEST_SETTINGS"]), "templates": []})})


PROTECTED = dataclasses.replace(SETTINGS, protection="aes-128")


def test_an_aes128_title_gets_fresh_hls_and_dash_keys_the_protected_template_and_both_formats():
    first = plan(PROTECTED, SOURCE, probe(1280, 720))
    second = plan(PROTECTED, SOURCE, probe(1280, 720))
    assert first["protection"] == "aes-128"
    assert first["jobTemplate"] == "showrunner-dev-ingest-720p-aes128"
    stored = first["contentKey"]
    assert stored["titleId"] == SOURCE["titleId"]
    assert re.fullmatch(r"[0-9a-f]{32}", stored["keyId"])
    key = base64.b64decode(stored["key"])
    assert len(key) == 16
    # Every plan draws a new key and key ID (a re-ingest re-keys the title).
    assert (second["contentKey"]["keyId"], second["contentKey"]["key"]) != (stored["keyId"], stored["key"])
    package = first["outputGroups"][0]["OutputGroupSettings"]["HlsGroupSettings"]
    assert package["Destination"] == f"s3://content-bucket/vod/{SOURCE['titleId']}/hls"
    assert package["Encryption"]["StaticKeyProvider"] == {
        "KeyFormat": "identity",
        "KeyFormatVersions": "1",
        "StaticKeyValue": key.hex(),
        "Url": f"keys/{stored['keyId']}",
    }
    assert stored["scheme"] == "aes-128"
    # A separate DASH key (never the HLS key in another mode), cenc in a DASH-only CMAF group after the images.
    dash = first["dashKey"]
    assert (dash["titleId"], dash["scheme"]) == (SOURCE["titleId"], "cenc")
    assert re.fullmatch(r"[0-9a-f]{32}", dash["keyId"])
    assert dash["keyId"] != stored["keyId"]
    dash_key = base64.b64decode(dash["key"])
    assert len(dash_key) == 16
    assert dash_key != key
    assert first["dashKeyId"] == dash["keyId"]
    assert second["dashKey"]["key"] != dash["key"]
    assert len(first["outputGroups"]) == 3
    cmaf = first["outputGroups"][2]["OutputGroupSettings"]["CmafGroupSettings"]
    assert cmaf == {
        "Destination": f"s3://content-bucket/vod/{SOURCE['titleId']}/dash",
        "Encryption": {
            "EncryptionMethod": "AES_CTR",
            "Type": "STATIC_KEY",
            "StaticKeyProvider": {"StaticKeyValue": dash_key.hex(), "Url": "keys/clearkey"},
        },
    }
    assert first["publish"] == {
        "hls": {
            "copySource": f"content-bucket/vod/{SOURCE['titleId']}/hls.m3u8",
            "key": f"vod/{SOURCE['titleId']}/master.m3u8",
        },
        "dash": {
            "copySource": f"content-bucket/vod/{SOURCE['titleId']}/dash.mpd",
            "key": f"vod/{SOURCE['titleId']}/manifest.mpd",
        },
    }
    assert first["unpublish"] == [
        {"Key": f"vod/{SOURCE['titleId']}/master.m3u8"},
        {"Key": f"vod/{SOURCE['titleId']}/manifest.mpd"},
    ]
    recorded = record(first, {"Job": {"Id": "j"}})
    assert recorded["formats"] == [{"S": "hls"}, {"S": "dash"}]
    assert recorded["protection"] == "aes-128"


def test_the_key_comes_from_the_random_source_it_is_given():
    draws = iter([bytes(range(16)), bytes(range(16, 32)), bytes(range(32, 48)), bytes(range(48, 64))])
    planned = plan(PROTECTED, SOURCE, probe(), new_key=lambda: ContentKey.fresh(lambda n: next(draws)))
    assert planned["contentKey"]["key"] == base64.b64encode(bytes(range(16))).decode()
    assert planned["contentKey"]["keyId"] == bytes(range(16, 32)).hex()
    assert planned["dashKey"]["key"] == base64.b64encode(bytes(range(32, 48))).decode()
    assert planned["dashKey"]["keyId"] == bytes(range(48, 64)).hex()
    same = iter([bytes(range(16))] * 4)  # a random source that repeats itself: no title gets one key twice
    with pytest.raises(ValueError, match="must differ"):
        plan(PROTECTED, SOURCE, probe(), new_key=lambda: ContentKey.fresh(lambda n: next(same)))
    assert "key=" not in repr(ContentKey.fresh())  # its repr never shows the key


def test_a_clear_title_has_no_key_and_publishes_both_formats():
    planned = plan(SETTINGS, SOURCE, probe())
    assert planned["protection"] == "none"
    assert "contentKey" not in planned
    assert "dashKey" not in planned
    assert planned["dashKeyId"] == ""
    assert len(planned["outputGroups"]) == 2
    assert "Encryption" not in planned["outputGroups"][0]["OutputGroupSettings"]["CmafGroupSettings"]
    assert sorted(planned["publish"]) == ["dash", "hls"]
    assert record(planned, {"Job": {"Id": "j"}})["formats"] == [{"S": "hls"}, {"S": "dash"}]


def test_the_handler_never_logs_the_key(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    settings = json.loads(ENV["INGEST_SETTINGS"])
    monkeypatch.setenv("INGEST_SETTINGS", json.dumps({**settings, "protection": "aes-128"}))
    with caplog.at_level(logging.DEBUG):
        planned = handler({"op": "plan", "source": SOURCE, "probe": probe()}, None)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert planned["titleId"] in logged
    for stored in (planned["contentKey"], planned["dashKey"]):
        key = base64.b64decode(stored["key"])
        for form in (key.hex(), stored["key"], key.hex().upper()):
            assert form not in logged


def test_the_uploads_own_protection_wins_over_the_environments_default():
    assert plan(SETTINGS, {**SOURCE, "protection": "aes-128"}, probe())["protection"] == "aes-128"
    assert "contentKey" not in plan(PROTECTED, {**SOURCE, "protection": "none"}, probe())
    assert plan(PROTECTED, {**SOURCE, "protection": ""}, probe())["protection"] == "aes-128"  # none chosen
    with pytest.raises(RefusedError) as refused:
        plan(SETTINGS, {**SOURCE, "protection": "speke"}, probe())  # dev has no SPEKE provider
    assert refused.value.code == "no_key_provider"
    with pytest.raises(RefusedError) as refused:
        plan(SETTINGS, {**SOURCE, "protection": "rot13"}, probe())
    assert refused.value.code == "invalid_protection"
