"""The local MediaConvert (``tools/developer/mediaconvert``): ffmpeg driven by the synthesizable documents.

It must honour every setting it is given or refuse it, write the layout the stacks
promise (CMAF fMP4, both manifests, an I-frame playlist per video rendition, poster and
thumbnails), answer in MediaConvert's own response shapes, and fail midway like a job does.
"""

from __future__ import annotations

import contextlib
import copy
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator
from moto import mock_aws

from stacks.config import load_config
from stacks.config.mediaconvert import job_template_settings, template_variants
from tests.e2e import cenc
from tests.support.media import FPS, make_source, truncate
from tools.developer.mediaconvert import bmff
from tools.developer.mediaconvert.merge import merged
from tools.developer.mediaconvert.probe import ProbeError, probe
from tools.developer.mediaconvert.transcoder import (
    JobFailedError,
    UnsupportedSettingError,
    check_supported,
    run_job,
)

INGEST = load_config()["dev"].ingest
SECONDS = 8
TITLE = "t0000000000000000000000001"


def output_shape(operation: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("mediaconvert").operation_model(operation).output_shape


def conforms(value: dict[str, Any], operation: str) -> list[str]:
    """Problems of ``value`` as ``operation``'s response (botocore's validator works on any shape)."""
    report = ParamValidator().validate(value, output_shape(operation))
    return report.generate_report().splitlines() if report.has_errors() else []


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    film = make_source(folder / "film.mp4", seconds=SECONDS)
    return {
        "film": film,
        "silent": make_source(folder / "silent.mp4", seconds=2, audio=False),
        "truncated": truncate(film, folder / "truncated.mp4"),
        "text": _text(folder / "notes.mp4"),
    }


def _text(path: Path) -> Path:
    path.write_text("not a video\n" * 100)
    return path


@contextlib.contextmanager
def _buckets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="ingest")
        client.create_bucket(Bucket="content")
        yield client


@pytest.fixture
def s3() -> Iterator[Any]:
    with _buckets() as client:
        yield client


def template(first: str) -> dict[str, Any]:
    variant = next(v for v in template_variants("dev", INGEST) if v.rungs[0].name == first)
    return job_template_settings(INGEST, list(variant.rungs))


def job_request(key: str) -> dict[str, Any]:
    return {
        "Role": "arn:aws:iam::123456789012:role/mediaconvert",
        "JobTemplate": "showrunner-dev-ingest-360p",
        "Settings": {
            "Inputs": [{"FileInput": f"s3://ingest/{key}"}],
            "OutputGroups": [
                {"OutputGroupSettings": {"CmafGroupSettings": {"Destination": f"s3://content/vod/{TITLE}/cmaf"}}},
                {
                    "OutputGroupSettings": {
                        "FileGroupSettings": {"Destination": f"s3://content/vod/{TITLE}/images/frame"}
                    }
                },
            ],
        },
    }


def run(s3: Any, source: Path, tmp_path: Path, first: str = "360p") -> dict[str, Any]:
    key = f"incoming/{source.name}"
    s3.put_object(Bucket="ingest", Key=key, Body=source.read_bytes())
    return run_job(job_request(key), template(first), s3, tmp_path / "work", region="us-east-1", account="123456789012")


def keys(s3: Any) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket="content").get("Contents", []))


def download(s3: Any, folder: Path) -> Path:
    for key in keys(s3):
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3.get_object(Bucket="content", Key=key)["Body"].read())
    return folder / "vod" / TITLE


def frames(path: Path, stream: str) -> list[str]:
    result = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", stream, "-f", "framecrc", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line and not line.startswith("#")]


def test_probe_answers_in_mediaconverts_shape(sources: dict[str, Path]):
    answer = probe(sources["film"], file_url="s3://ingest/incoming/film.mp4")
    assert conforms(answer, "Probe") == []
    container = answer["ProbeResults"][0]["Container"]
    assert container["Format"] == "mp4"
    assert container["Duration"] == pytest.approx(SECONDS, abs=0.05)
    video, audio = container["Tracks"]
    assert video["TrackType"] == "video"
    assert video["Codec"] == "AVC"
    assert video["VideoProperties"]["Width"] == 640
    assert video["VideoProperties"]["Height"] == 360
    assert video["VideoProperties"]["FrameRate"] == {"Numerator": FPS, "Denominator": 1}
    assert audio["TrackType"] == "audio"
    assert audio["AudioProperties"]["Channels"] == 2
    with pytest.raises(ProbeError, match=r"Unable to probe s3://x/notes\.mp4"):
        probe(sources["text"], file_url="s3://x/notes.mp4")


def test_a_job_writes_the_promised_layout_and_answers_like_getjob(s3: Any, sources: dict[str, Path], tmp_path: Path):
    job = run(s3, sources["film"], tmp_path)
    assert conforms({"Job": job}, "GetJob") == []
    assert job["Status"] == "COMPLETE"
    video = job["OutputGroupDetails"][0]["OutputDetails"]
    assert [d["VideoDetails"] for d in video[:2]] == [
        {"WidthInPx": 640, "HeightInPx": 360},
        {"WidthInPx": 426, "HeightInPx": 240},
    ]
    assert all(d["DurationInMs"] == pytest.approx(SECONDS * 1000, abs=50) for d in video)
    written = {k.removeprefix(f"vod/{TITLE}/") for k in keys(s3)}
    assert {"cmaf.m3u8", "cmaf.mpd", "cmaf_360p.m3u8", "cmaf_240p.m3u8", "cmaf_audio.m3u8"} <= written
    assert {"cmaf_360p_iframes.m3u8", "cmaf_240p_iframes.m3u8", "cmaf_360p_init.mp4", "cmaf_audio_init.mp4"} <= written
    assert {"images/frame_poster.0000000.jpg", "images/frame_thumb.0000000.jpg"} <= written
    assert "master.m3u8" not in written
    assert "manifest.mpd" not in written
    title = download(s3, tmp_path / "out")
    master = (title / "cmaf.m3u8").read_text()
    assert 'URI="cmaf_360p_iframes.m3u8"' in master
    assert "RESOLUTION=426x240" in master
    # Every frame of every rendition, through HLS and through DASH, from the same segments.
    for manifest in ("cmaf.m3u8", "cmaf.mpd"):
        for stream in ("0:v:0", "0:v:1"):
            assert len(frames(title / manifest, stream)) == SECONDS * FPS
    mpd = (title / "cmaf.mpd").read_text()
    assert 'media="cmaf_360p_$Number%05d$.mp4"' in mpd
    assert 'media="cmaf_audio_$Number%05d$.mp4"' in mpd


def test_each_iframe_playlist_entry_is_one_keyframe(s3: Any, sources: dict[str, Path], tmp_path: Path):
    run(s3, sources["film"], tmp_path)
    title = download(s3, tmp_path / "out")
    lines = (title / "cmaf_240p_iframes.m3u8").read_text().splitlines()
    assert "#EXT-X-I-FRAMES-ONLY" in lines
    init = (title / "cmaf_240p_init.mp4").read_bytes()
    entries = [(lines[i], lines[i + 1], lines[i + 2]) for i, line in enumerate(lines) if line.startswith("#EXTINF")]
    assert len(entries) == SECONDS // INGEST.gop_seconds  # one per GOP
    for number, (extinf, byterange, segment) in enumerate(entries):
        assert extinf == f"#EXTINF:{INGEST.gop_seconds:.6f},"
        length, offset = (int(v) for v in byterange.removeprefix("#EXT-X-BYTERANGE:").split("@"))
        data = (title / segment).read_bytes()[offset : offset + length]
        sample = tmp_path / f"iframe-{number}.mp4"
        sample.write_bytes(init + data)
        probed = subprocess.run(
            ["ffprobe", "-v", "quiet", "-select_streams", "v", "-show_entries", "frame=key_frame,pict_type",
             "-of", "csv=p=0", str(sample)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert [line.strip(",") for line in probed.stdout.split()] == ["1,I"], probed.stdout


def test_a_source_smaller_than_a_rung_is_not_upscaled(s3: Any, tmp_path: Path):
    small = make_source(tmp_path / "small.mp4", width=320, height=180, seconds=2)
    job = run(s3, small, tmp_path, first="240p")
    assert job["OutputGroupDetails"][0]["OutputDetails"][0]["VideoDetails"] == {"WidthInPx": 320, "HeightInPx": 180}
    poster = job["OutputGroupDetails"][1]["OutputDetails"][0]["VideoDetails"]
    assert poster == {"WidthInPx": 320, "HeightInPx": 180}  # the 1280-wide poster box, never enlarged


def test_a_source_that_stops_midway_fails_like_a_job_and_publishes_no_manifest(
    s3: Any, sources: dict[str, Path], tmp_path: Path
):
    with pytest.raises(JobFailedError) as failed:
        run(s3, sources["truncated"], tmp_path)
    job = failed.value.job
    assert (job["Status"], job["ErrorCode"]) == ("ERROR", 1076)
    assert job["ErrorMessage"].startswith("Source Read Error")
    assert conforms({"Job": job}, "GetJob") == []
    written = keys(s3)
    assert written, "a job that fails midway has written some segments"
    assert not [k for k in written if k.endswith((".m3u8", ".mpd"))]


@pytest.mark.parametrize(
    ("source", "code"),
    [("text", 1010), ("silent", 1021)],
)
def test_unreadable_and_silent_sources(s3: Any, sources: dict[str, Path], tmp_path: Path, source: str, code: int):
    with pytest.raises(JobFailedError) as failed:
        run(s3, sources[source], tmp_path)
    assert failed.value.job["ErrorCode"] == code


def test_a_missing_input(s3: Any, tmp_path: Path):
    with pytest.raises(JobFailedError) as failed:
        run_job(job_request("incoming/gone.mp4"), template("360p"), s3, tmp_path / "w", region="us-east-1", account="1")
    assert failed.value.job["ErrorCode"] == 1404


def test_settings_it_does_not_implement_are_refused():
    settings = template("1080p")
    check_supported(settings)
    added = copy.deepcopy(settings)
    added["OutputGroups"][0]["OutputGroupSettings"]["CmafGroupSettings"]["DashIFrameTrickPlayNameModifier"] = "_t"
    with pytest.raises(UnsupportedSettingError, match="DashIFrameTrickPlayNameModifier: the local transcoder does not"):
        check_supported(added)
    changed = copy.deepcopy(settings)
    changed["OutputGroups"][0]["Outputs"][0]["VideoDescription"]["ScalingBehavior"] = "STRETCH_TO_OUTPUT"
    with pytest.raises(UnsupportedSettingError, match="'STRETCH_TO_OUTPUT' is not implemented locally"):
        check_supported(changed)


def test_merge_applies_the_job_over_the_template_by_key_and_by_position():
    template_settings = {"A": {"x": 1, "y": 2}, "L": [{"p": 1, "q": 1}, {"p": 2}], "S": "t"}
    job = {"A": {"y": 3}, "L": [{"q": 9}], "S": "j", "N": [1]}
    assert merged(template_settings, job) == {
        "A": {"x": 1, "y": 3},
        "L": [{"p": 1, "q": 9}, {"p": 2}],
        "S": "j",
        "N": [1],
    }


def test_frame_captures_are_the_first_frame_then_one_every_interval(s3: Any, sources: dict[str, Path], tmp_path: Path):
    settings = template("360p")
    thumbs = settings["OutputGroups"][1]["Outputs"][1]["VideoDescription"]["CodecSettings"]["FrameCaptureSettings"]
    thumbs["FramerateDenominator"] = 3  # one every 3 s: at 0, 3 and 6 s of the 8 s film
    s3.put_object(Bucket="ingest", Key="incoming/film.mp4", Body=sources["film"].read_bytes())
    run_job(job_request("incoming/film.mp4"), settings, s3, tmp_path / "w", region="us-east-1", account="1")
    images = [k.rsplit("/", 1)[1] for k in keys(s3) if "/images/" in k]
    assert images == [
        "frame_poster.0000000.jpg",  # 8 s is shorter than poster_at_seconds (10): the first frame only
        "frame_thumb.0000000.jpg",
        "frame_thumb.0000001.jpg",
        "frame_thumb.0000002.jpg",
    ]


KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
KEY_ID = "ab" * 16
DASH_KEY = bytes.fromhex("f0e0d0c0b0a090807060504030201000")
DASH_KEY_ID = "cd" * 16


def encrypted_request(key: str) -> dict[str, Any]:
    request = job_request(key)
    request["JobTemplate"] = "showrunner-dev-ingest-360p-aes128"
    request["Settings"]["OutputGroups"][0] = {
        "OutputGroupSettings": {
            "HlsGroupSettings": {
                "Destination": f"s3://content/vod/{TITLE}/hls",
                "Encryption": {
                    "EncryptionMethod": "AES128",
                    "Type": "STATIC_KEY",
                    "InitializationVectorInManifest": "EXCLUDE",
                    "StaticKeyProvider": {
                        "KeyFormat": "identity",
                        "KeyFormatVersions": "1",
                        "StaticKeyValue": KEY.hex(),
                        "Url": f"keys/{KEY_ID}",
                    },
                },
            }
        }
    }
    request["Settings"]["OutputGroups"].append(
        {
            "OutputGroupSettings": {
                "CmafGroupSettings": {
                    "Destination": f"s3://content/vod/{TITLE}/dash",
                    "Encryption": {
                        "EncryptionMethod": "AES_CTR",
                        "Type": "STATIC_KEY",
                        "StaticKeyProvider": {"StaticKeyValue": DASH_KEY.hex(), "Url": "keys/clearkey"},
                    },
                }
            }
        }
    )
    request["UserMetadata"] = {"titleId": TITLE, "dashKeyId": DASH_KEY_ID}
    return request


@dataclass(frozen=True)
class EncryptedJob:
    job: dict[str, Any]  # as GetJob answers it
    written: set[str]  # the keys under the title's prefix
    title: Path  # what the job wrote, downloaded
    workdir: Path  # the job's working directory


@pytest.fixture(scope="module")
def encrypted_job(sources: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> EncryptedJob:
    """The film through dev's 360p aes-128 template, with the job's keys (``encrypted_request``): run once for
    the module's HLS and DASH tests, which only read what it wrote."""
    root = tmp_path_factory.mktemp("encrypted")
    variant = next(v for v in template_variants("dev", INGEST) if v.name == "showrunner-dev-ingest-360p-aes128")
    settings = job_template_settings(INGEST, list(variant.rungs), variant.protection)
    key = f"incoming/{sources['film'].name}"
    with _buckets() as s3:
        s3.put_object(Bucket="ingest", Key=key, Body=sources["film"].read_bytes())
        job = run_job(encrypted_request(key), settings, s3, root / "work", region="us-east-1", account="123456789012")
        written = {k.removeprefix(f"vod/{TITLE}/") for k in keys(s3)}
        title = download(s3, root / "out")
    return EncryptedJob(job=job, written=written, title=title, workdir=root / "work")


def test_an_aes128_hls_job_encrypts_every_segment_with_the_jobs_key(encrypted_job: EncryptedJob, tmp_path: Path):
    """The HLS group of an aes-128 title: whole-segment AES-128, key URI from the job, playable only with the key."""
    job, written = encrypted_job.job, encrypted_job.written
    assert job["Status"] == "COMPLETE"
    assert conforms({"Job": job}, "GetJob") == []
    assert not encrypted_job.workdir.exists()  # the key file went with the job's working directory
    assert {"hls.m3u8", "hls_360p.m3u8", "hls_240p.m3u8", "hls_audio.m3u8"} <= written
    segments = sorted(k for k in written if k.endswith(".ts"))
    assert segments
    title = shutil.copytree(encrypted_job.title, tmp_path / "title")  # the key file is written beside it below
    for playlist in ("hls_360p.m3u8", "hls_240p.m3u8", "hls_audio.m3u8"):
        assert f'#EXT-X-KEY:METHOD=AES-128,URI="keys/{KEY_ID}"' in (title / playlist).read_text()
    # No segment is a transport stream anymore (TS packets start 0x47 every 188 bytes), and none holds the key.
    for name in segments:
        data = (title / name).read_bytes()
        assert len(data) % 16 == 0
        assert not (data[0] == 0x47 and data[188] == 0x47), name
        assert KEY not in data
    # With the key where the playlists say it is, ffmpeg decodes every frame of every rendition.
    (title / "keys").mkdir()
    (title / "keys" / KEY_ID).write_bytes(KEY)
    for stream in ("0:v:0", "0:v:1"):
        decoded = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-allowed_extensions", "ALL", "-i", str(title / "hls.m3u8"),
             "-map", stream, "-f", "framecrc", "-"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert decoded.returncode == 0, decoded.stderr
        assert len([x for x in decoded.stdout.splitlines() if x and not x.startswith("#")]) == SECONDS * FPS
    # With a wrong key, nothing decodes.
    (title / "keys" / KEY_ID).write_bytes(bytes(16))
    wrong = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(title / "hls_360p.m3u8"), "-map", "0:v:0", "-f", "framecrc",
         "-"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert len([x for x in wrong.stdout.splitlines() if x and not x.startswith("#")]) < SECONDS * FPS // 2


def test_an_aes128_jobs_dash_group_is_cenc_under_its_own_key_and_kid(encrypted_job: EncryptedJob, tmp_path: Path):
    """The DASH-only CMAF group of an aes-128 title: Shaka Packager's cenc, every fragment, the job's KID, no HLS."""
    job = encrypted_job.job
    written = {name for name in encrypted_job.written if name.startswith("dash")}
    assert {"dash.mpd", "dash_360p_init.mp4", "dash_240p_init.mp4", "dash_audio_init.mp4"} <= written
    assert not [name for name in written if name.endswith(".m3u8")]  # WriteHlsManifest: DISABLED
    assert [len(details) for details in (g["OutputDetails"] for g in job["OutputGroupDetails"])] == [3, 2, 3]
    title = encrypted_job.title
    for name in ("dash_360p", "dash_240p", "dash_audio"):
        init = (title / f"{name}_init.mp4").read_bytes()
        assert bmff.protection(init) == bmff.Protection("cenc", DASH_KEY_ID, True)
        media = sorted(title.glob(f"{name}_0*.mp4"))
        assert media
        for segment in media:
            data = segment.read_bytes()
            fragments, encrypted = bmff.encrypted_fragments(data)
            assert fragments == encrypted >= 1, segment.name
            assert DASH_KEY not in data
            assert KEY not in data
        # The right key decrypts to every frame; the HLS key (or no key) does not.
        joined = tmp_path / f"{name}.mp4"
        joined.write_bytes(init + b"".join(p.read_bytes() for p in media))
        kind = "audio" if name.endswith("audio") else "video"
        clear = cenc.decrypt(joined, kind, DASH_KEY_ID, DASH_KEY)
        if kind == "video":
            assert len(frames(clear, "0:v:0")) == SECONDS * FPS
        else:  # AAC frames of 1024 samples at 48 kHz, the encoder's priming frame included
            assert abs(len(frames(clear, "0:a:0")) - SECONDS * 48000 / 1024) <= 2
        wrong = cenc.decrypt(joined, kind, DASH_KEY_ID, KEY)
        result = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(wrong), "-f", "framecrc", "-"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode != 0 or result.stderr != "", f"{name} decoded cleanly under the wrong key"
    mpd = (title / "dash.mpd").read_bytes()
    assert cenc.default_kids(mpd) == [DASH_KEY_ID] * 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r, g: r["UserMetadata"].pop("dashKeyId"), "UserMetadata.dashKeyId"),
        (lambda r, g: g.update(WriteHlsManifest="ENABLED"), "DASH-only"),
        (lambda r, g: g["Encryption"].update(EncryptionMethod="SAMPLE_AES"), "SAMPLE_AES"),
    ],
)
def test_an_encrypted_cmaf_group_it_cannot_honour_is_refused(
    s3: Any, sources: dict[str, Path], tmp_path: Path, change: Any, message: str
):
    variant = next(v for v in template_variants("dev", INGEST) if v.name == "showrunner-dev-ingest-360p-aes128")
    settings = job_template_settings(INGEST, list(variant.rungs), variant.protection)
    key = f"incoming/{sources['film'].name}"
    s3.put_object(Bucket="ingest", Key=key, Body=sources["film"].read_bytes())
    request = encrypted_request(key)
    change(request, request["Settings"]["OutputGroups"][2]["OutputGroupSettings"]["CmafGroupSettings"])
    with pytest.raises(UnsupportedSettingError, match=message):
        run_job(request, settings, s3, tmp_path / "work", region="us-east-1", account="123456789012")
    # Refused before anything is encoded: the title's HLS and images (groups 0 and 1) are not written either.
    assert s3.list_objects_v2(Bucket="content").get("KeyCount") == 0
