"""Running the origin's user data against a scratch root, with the system commands it calls stubbed.

``tests/assets/test_origin.py`` checks what it installs; the browser test serves the site it installed
(the same files, ``config.json`` and Content-Security-Policy an instance would serve).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

STUBBED = ("dnf", "systemctl", "nginx", "curl", "cfn-signal", "sleep")
SITE_DIR = "usr/share/nginx/showrunner"
NGINX_SITE = "etc/nginx/conf.d/showrunner.conf"


@dataclass
class UserDataRun:
    root: Path
    returncode: int
    output: str
    calls: list[list[str]]


def stub_bin(tmp_path: Path, *, healthy: bool) -> Path:
    """Stubs that record their arguments; curl fails when ``healthy`` is false."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in STUBBED:
        status = 22 if name == "curl" and not healthy else 0
        stub = bin_dir / name
        stub.write_text(
            '#!/bin/bash\nprintf "%s\\0" "$(basename "$0")" "$@" >> "$STUB_LOG"\nprintf "\\n" >> "$STUB_LOG"\n'
            f"exit {status}\n"
        )
        stub.chmod(0o755)
    return bin_dir


def run_user_data(tmp_path: Path, user_data: str, *, healthy: bool = True) -> UserDataRun:
    root = tmp_path / "root"
    root.mkdir()
    script = tmp_path / "user-data"
    script.write_text(user_data)
    log = tmp_path / "calls.log"
    log.touch()
    env = {
        "PATH": f"{stub_bin(tmp_path, healthy=healthy)}:/usr/bin:/bin",
        "SHOWRUNNER_ROOT": str(root),
        "STUB_LOG": str(log),
        "TMPDIR": str(tmp_path),
    }
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60, check=False)
    calls = [line.rstrip("\0").split("\0") for line in log.read_text().splitlines() if line]
    return UserDataRun(root, result.returncode, result.stdout + result.stderr, calls)
