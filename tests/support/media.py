"""Source videos for the ingest tests, made with ffmpeg at test time (nothing binary is committed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FPS = 24


def make_source(
    path: Path,
    *,
    width: int = 640,
    height: int = 360,
    seconds: int = 8,
    audio: bool = True,
    faststart: bool = True,
) -> Path:
    """A test pattern (and a 440 Hz tone) of ``seconds`` at 24 frames a second, H.264 and AAC, in ``path``'s
    container."""
    assert shutil.which("ffmpeg"), "ffmpeg is missing: make setup installs it (APT_PACKAGES)"
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi"]
    command += ["-i", f"testsrc2=size={width}x{height}:rate={FPS}:duration={seconds}"]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", str(FPS)]
    if audio:
        command += ["-c:a", "aac", "-ac", "2"]
    if faststart and path.suffix in (".mp4", ".mov"):
        command += ["-movflags", "+faststart"]
    subprocess.run([*command, str(path)], check=True, capture_output=True, timeout=120)
    return path


def truncate(source: Path, path: Path, fraction: float = 0.6) -> Path:
    """The first ``fraction`` of ``source``: a header that promises the whole film, media data that stops midway."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path
