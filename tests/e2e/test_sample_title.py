"""``assets/sample/make-title.sh``: what it makes, and how it refuses bad input without touching anything."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from defusedxml import ElementTree

from tests.e2e import cenc
from tests.e2e.conftest import MAKE_TITLE, PROTECTED_KEY_ID, TITLE_SECONDS, ProtectedSample
from tests.e2e.test_playback import play
from tools.developer.mediaconvert import bmff

MPD = "{urn:mpeg:dash:schema:mpd:2011}"


def test_hls_master_two_video_renditions_and_an_audio_rendition(sample_title: Path) -> None:
    master = (sample_title / "master.m3u8").read_text()
    media = re.findall(r"#EXT-X-MEDIA:(.*)", master)
    assert len(media) == 1
    assert 'TYPE=AUDIO,GROUP-ID="group_audio"' in media[0]
    assert 'URI="audio/index.m3u8"' in media[0]
    variants = re.findall(r"#EXT-X-STREAM-INF:.*RESOLUTION=(\d+x\d+).*AUDIO=\"group_audio\"\n(\S+)", master)
    assert variants == [("320x180", "180p/index.m3u8"), ("160x90", "90p/index.m3u8")]
    for rendition, init in (("180p", "init_0.mp4"), ("90p", "init_1.mp4"), ("audio", "init_2.mp4")):
        playlist = (sample_title / rendition / "index.m3u8").read_text()
        assert f'#EXT-X-MAP:URI="{init}"' in playlist  # fMP4: an init segment per rendition
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
        assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
        segments = re.findall(r"^seg-\d{3}\.m4s$", playlist, re.MULTILINE)
        assert len(segments) >= TITLE_SECONDS
        assert all((sample_title / rendition / name).stat().st_size > 0 for name in [init, *segments])


def test_dash_manifest_video_and_audio_adaptation_sets(sample_title: Path) -> None:
    root = ElementTree.parse(sample_title / "manifest.mpd").getroot()
    assert root is not None
    assert root.get("type") == "static"
    assert root.get("mediaPresentationDuration") == f"PT{TITLE_SECONDS}.0S"
    sets = root.findall(f"{MPD}Period/{MPD}AdaptationSet")
    assert [s.get("contentType") for s in sets] == ["video", "audio"]
    video = [(r.get("width"), r.get("height")) for r in sets[0].findall(f"{MPD}Representation")]
    assert video == [("320", "180"), ("160", "90")]
    assert len(sets[1].findall(f"{MPD}Representation")) == 1
    for template in root.iter(f"{MPD}SegmentTemplate"):
        assert template.get("initialization") == "dash/init-$RepresentationID$.m4s"
    for representation in ("0", "1", "2"):
        assert (sample_title / "dash" / f"init-{representation}.m4s").stat().st_size > 0
        assert len(list((sample_title / "dash").glob(f"chunk-{representation}-*.m4s"))) >= TITLE_SECONDS


def test_the_script_passes_shellcheck() -> None:
    subprocess.run(["shellcheck", "--shell=bash", "--severity=style", str(MAKE_TITLE)], check=True)


@pytest.mark.parametrize("arguments", [[], ["a", "4", "extra"], ["{out}", "0"], ["{out}", "601"], ["{out}", "4s"]])
def test_bad_arguments_are_refused_with_usage(tmp_path: Path, arguments: list[str]) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [str(MAKE_TITLE), *(a.format(out=out) for a in arguments)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ")
    assert not out.exists()


def test_a_non_empty_directory_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = subprocess.run([str(MAKE_TITLE), str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "exists and is not empty" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_the_encrypted_sample_without_cenc_is_hls_only_every_segment_encrypted_under_its_key(
    protected_sample: ProtectedSample,
) -> None:
    out = protected_sample.path
    assert not (out / "manifest.mpd").exists()
    assert not (out / "dash").exists()
    for rendition in ("180p", "90p", "audio"):
        playlist = (out / rendition / "index.m3u8").read_text()
        assert f'#EXT-X-KEY:METHOD=AES-128,URI="../keys/{PROTECTED_KEY_ID}"' in playlist
        segments = sorted((out / rendition).glob("seg-*.ts"))
        assert len(segments) >= TITLE_SECONDS
        for segment in segments:
            data = segment.read_bytes()
            assert len(data) % 16 == 0
            assert data[0] != 0x47 or data[188] != 0x47  # not a clear transport stream
            assert protected_sample.key not in data
    assert not list(out.rglob("*.key"))  # the key file stayed outside the title


@pytest.mark.parametrize(
    ("key_bytes", "key_id", "message"),
    [
        (16, "ABC", "KEY_ID must be 32 lowercase hexadecimal digits"),
        (15, "0" * 32, "KEY_FILE must be a file of exactly 16 bytes"),
    ],
)
def test_bad_encryption_arguments_are_refused(tmp_path: Path, key_bytes: int, key_id: str, message: str) -> None:
    key_file = tmp_path / "k"
    key_file.write_bytes(bytes(key_bytes))
    out = tmp_path / "out"
    result = subprocess.run(
        [str(MAKE_TITLE), str(out), "4", "--aes-128", str(key_file), key_id],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


CENC_KEY_ID = "c0" * 16


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    hls, dash = tmp_path / "hls.key", tmp_path / "dash.key"
    hls.write_bytes(bytes(range(16)))
    dash.write_bytes(bytes(range(16, 32)))
    return hls, dash


def test_with_cenc_the_encrypted_sample_has_dash_every_segment_cenc_under_the_second_key(tmp_path: Path) -> None:
    hls_key, dash_key = _keys(tmp_path)
    out = tmp_path / "title"
    subprocess.run(
        [str(MAKE_TITLE), str(out), "4", "--aes-128", str(hls_key), PROTECTED_KEY_ID, "--cenc", str(dash_key),
         CENC_KEY_ID],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    mpd = (out / "manifest.mpd").read_bytes()
    assert cenc.default_kids(mpd) == [CENC_KEY_ID] * 2
    representations = cenc.representations(mpd, (out / "manifest.mpd").as_uri())
    assert sorted(r.kind for r in representations) == ["audio", "video", "video"]
    key = dash_key.read_bytes()
    for representation in representations:
        init = Path(representation.init.removeprefix("file://"))
        assert bmff.protection(init.read_bytes()) == bmff.Protection("cenc", CENC_KEY_ID, True)
        media = [Path(url.removeprefix("file://")) for url in representation.media]
        assert len(media) == TITLE_SECONDS
        for segment in media:
            fragments, encrypted = bmff.encrypted_fragments(segment.read_bytes())
            assert fragments == encrypted >= 1, segment
        joined = tmp_path / f"{representation.kind}-{representation.id}.mp4"
        joined.write_bytes(b"".join(p.read_bytes() for p in [init, *media]))
        decoded = play(str(cenc.decrypt(joined, representation.kind, CENC_KEY_ID, key)))
        if representation.kind == "video":
            assert decoded.frames[0] == TITLE_SECONDS * 24
        else:
            assert decoded.seconds[0] == pytest.approx(TITLE_SECONDS, abs=0.05)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (key, hls_key.read_bytes(), key.hex().encode()):
                assert secret not in data, path


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--cenc", "{dash}", CENC_KEY_ID], "--cenc goes with --aes-128"),
        (["--aes-128", "{hls}", PROTECTED_KEY_ID, "--cenc", "{hls}", CENC_KEY_ID], "must not be the HLS key's"),
        (["--aes-128", "{hls}", PROTECTED_KEY_ID, "--cenc", "{dash}", PROTECTED_KEY_ID], "must not be the HLS key's"),
        (["--aes-128", "{hls}", PROTECTED_KEY_ID, "--cenc", "{dash}", "XYZ"], "KEY_ID must be 32 lowercase"),
    ],
)
def test_bad_cenc_arguments_are_refused(tmp_path: Path, arguments: list[str], message: str) -> None:
    hls_key, dash_key = _keys(tmp_path)
    out = tmp_path / "out"
    filled = [a.format(hls=hls_key, dash=dash_key) for a in arguments]
    result = subprocess.run([str(MAKE_TITLE), str(out), "4", *filled], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()
