"""Renders ``assets/origin/user-data.sh`` and its payload into the origin's user data.

The payload (``nginx.conf``, ``showrunner.conf`` and ``site/``) travels inside the
user data as a base64 tar.gz, so an instance needs no S3 access to get it and
any change to those files produces a new launch template version, which
CloudFormation's rolling update rolls out. The archive is deterministic
(sorted entries, zero timestamps and owners) so an unchanged site never
changes the template. Whole-line comments of the scripts and the nginx
configuration stay in the repository (``shipped``): they are most of what would
otherwise push the user data past EC2's 16 KB, and the instance runs the code.
"""

from __future__ import annotations

import base64
import gzip
import io
import re
import tarfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "origin"
SCRIPT = "user-data.sh"
CONFIG_FILES = ("nginx.conf", "showrunner.conf")
SITE = "site"
# EC2 rejects user data over 16 KB (before base64). Keep room for the CloudFormation
# tokens (stack name, logical ID) that are longer once resolved.
USER_DATA_LIMIT = 16 * 1024
_TOKEN_SLACK = 256
_SHEBANG = "#!/bin/bash\n"
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:/${}\[\]-]*$")


def payload_files(root: Path = ASSETS) -> list[tuple[str, Path]]:
    """(archive name, source file) for every file the instance needs, sorted."""
    files = [(name, root / name) for name in CONFIG_FILES]
    files += [(path.relative_to(root).as_posix(), path) for path in (root / SITE).rglob("*") if path.is_file()]
    missing = [name for name, path in files if not path.is_file()]
    if missing or not (root / SITE / "index.html").is_file():
        raise FileNotFoundError(f"origin assets incomplete under {root}: missing {missing or ['site/index.html']}")
    return sorted(files)


# Whole-line comment markers by file suffix: a line that starts (after indentation) with one is left out.
_COMMENT_LINES = {".js": b"//", ".conf": b"#"}


def shipped(name: str, data: bytes) -> bytes:
    """What the instance gets of a payload file: the file without its whole-line comments (JavaScript ``//``,
    nginx ``#``); every other line, trailing comments included, byte for byte."""
    marker = _COMMENT_LINES.get(Path(name).suffix)
    if marker is None:
        return data
    return b"".join(line for line in data.splitlines(keepends=True) if not line.lstrip().startswith(marker))


def payload_archive(root: Path = ASSETS) -> bytes:
    """A reproducible tar.gz of the payload files: same files in, same bytes out."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, path in payload_files(root):
            data = shipped(name, path.read_bytes())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def render_user_data(
    *,
    stack_name: str,
    resource: str,
    region: str,
    viewer_pool: str = "",
    viewer_client: str = "",
    root: Path = ASSETS,
) -> str:
    """The launch template's user data: the shipped script, preceded by its inputs.

    ``stack_name``, ``resource`` and ``region`` may be CDK tokens; they name
    where the script sends its CloudFormation signal. ``viewer_pool`` and
    ``viewer_client`` (tokens too, or empty without a Cognito user pool) are the
    sign-in page's user pool and app client, written to the site's config.json.
    """
    script = (root / SCRIPT).read_text(encoding="utf-8")
    if not script.startswith(_SHEBANG):
        raise ValueError(f"{SCRIPT} must start with {_SHEBANG.strip()!r}")
    for label, value in (("stack_name", stack_name), ("resource", resource), ("region", region)):
        if not value or not _SAFE_VALUE.fullmatch(value):
            raise ValueError(f"{label} {value!r} cannot be put in a shell variable unquoted")
    for label, value in (("viewer_pool", viewer_pool), ("viewer_client", viewer_client)):
        if not _SAFE_VALUE.fullmatch(value):
            raise ValueError(f"{label} {value!r} cannot be put in a shell variable unquoted")
    payload = base64.b64encode(payload_archive(root)).decode("ascii")
    user_data = (
        _SHEBANG
        + f"SHOWRUNNER_PAYLOAD='{payload}'\n"
        + f"SHOWRUNNER_STACK='{stack_name}'\n"
        + f"SHOWRUNNER_RESOURCE='{resource}'\n"
        + f"SHOWRUNNER_REGION='{region}'\n"
        + f"SHOWRUNNER_VIEWER_POOL='{viewer_pool}'\n"
        + f"SHOWRUNNER_VIEWER_CLIENT='{viewer_client}'\n"
        + script.removeprefix(_SHEBANG)
    )
    if len(user_data.encode()) > USER_DATA_LIMIT - _TOKEN_SLACK:
        raise ValueError(
            f"origin user data is {len(user_data.encode())} bytes; EC2 accepts {USER_DATA_LIMIT} "
            f"(keep assets/origin/{SITE} small, or serve large files from S3)"
        )
    return user_data
