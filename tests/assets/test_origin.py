"""The origin instance's files: user data (shellcheck, a run against a scratch root) and nginx (-t, live).

Needs Debian's ``nginx`` and ``shellcheck`` (``make setup`` installs them). The
live test starts nginx on 127.0.0.1 with the installed configuration; nothing
touches the system's nginx.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import pwd
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stacks.names import ORIGIN_HEADER_NAME
from stacks.origin_user_data import (
    ASSETS,
    USER_DATA_LIMIT,
    payload_archive,
    payload_files,
    render_user_data,
    shipped,
)
from tests.support.synth import ROOT
from tests.support.user_data import run_user_data

HEADER = ORIGIN_HEADER_NAME  # what CloudFront sends and the ALB rule checks
HEADER_VALUE = "Zq3v9YtVw0Ck2bP7nR5sLh1xJ8mG4dFa6eT0uQyWiNo2Ac7B"  # test-only; the real one is generated
STACK, RESOURCE, REGION = "dev-Origin", "FleetGroupASGF037160E", "us-east-1"
POOL, CLIENT = "us-east-1_AbCdEf123", "4f7kq2abcdefghijklmnopqrs1"  # the shapes of Cognito's IDs


def _user_data() -> str:
    return render_user_data(stack_name=STACK, resource=RESOURCE, region=REGION, viewer_pool=POOL, viewer_client=CLIENT)


# --- user data ---------------------------------------------------------------------------------


def test_shipped_script_and_rendered_user_data_pass_shellcheck(tmp_path: Path):
    rendered = tmp_path / "user-data"
    rendered.write_text(_user_data())
    for script in (ASSETS / "user-data.sh", rendered):
        result = subprocess.run(
            ["shellcheck", "--shell=bash", "--severity=style", str(script)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_user_data_is_the_script_after_its_six_inputs():
    user_data = _user_data()
    lines = user_data.splitlines()
    assert lines[0] == "#!/bin/bash"
    assert lines[1].startswith("SHOWRUNNER_PAYLOAD='H4sI")  # gzip magic, base64
    assert lines[2:7] == [
        f"SHOWRUNNER_STACK='{STACK}'",
        f"SHOWRUNNER_RESOURCE='{RESOURCE}'",
        f"SHOWRUNNER_REGION='{REGION}'",
        f"SHOWRUNNER_VIEWER_POOL='{POOL}'",
        f"SHOWRUNNER_VIEWER_CLIENT='{CLIENT}'",
    ]
    assert "\n".join(lines[7:]) + "\n" == (ASSETS / "user-data.sh").read_text().removeprefix("#!/bin/bash\n")
    assert len(user_data.encode()) < USER_DATA_LIMIT


def test_no_catalog_travels_in_the_user_data():
    """The catalog is the API's (GET /catalog): no static catalog in the payload, nor an nginx route for one."""
    names = [name for name, _ in payload_files()]
    assert not [name for name in names if "catalog" in name], names
    assert "/api/catalog" not in (ASSETS / "showrunner.conf").read_text()


def test_payload_is_reproducible_and_changes_with_the_site(tmp_path: Path):
    assert payload_archive() == payload_archive()
    copy = tmp_path / "origin"
    shutil.copytree(ASSETS, copy)
    assert payload_archive(copy) == payload_archive()
    (copy / "site" / "player.css").write_text("body { color: red; }\n")
    assert payload_archive(copy) != payload_archive()


def test_the_instance_gets_the_code_without_whole_line_comments():
    """Whole-line ``//`` (JavaScript) and ``#`` (nginx) comments stay in the repository; every other line ships
    byte for byte, and each shipped script still parses (node --check)."""
    node = ROOT / "node_modules" / ".bin" / "node"
    js = "const a = 1; // kept\n  // dropped\nconst url = `https://x/${a}`;\n"
    assert shipped("site/x.js", js.encode()) == b"const a = 1; // kept\nconst url = `https://x/${a}`;\n"
    assert shipped("x.conf", b"# dropped\n    # dropped\nlisten 80; # kept\n") == b"listen 80; # kept\n"
    assert shipped("site/x.css", b"#catalog { margin: 0; }\n") == b"#catalog { margin: 0; }\n"
    assert shipped("site/x.html", b"<!-- kept -->\n// kept\n") == b"<!-- kept -->\n// kept\n"
    for name, path in payload_files():
        original = path.read_bytes().splitlines(keepends=True)
        kept = shipped(name, path.read_bytes()).splitlines(keepends=True)
        remaining = iter(original)
        assert all(line in remaining for line in kept), name  # lines dropped, never changed or moved
        if name.endswith(".js"):
            assert len(kept) < len(original), name
            check = subprocess.run(
                [str(node), "--check", "-"], input=b"".join(kept), capture_output=True, check=False, timeout=60
            )
            assert check.returncode == 0, (name, check.stderr.decode())


def test_incomplete_assets_are_refused_before_synth(tmp_path: Path):
    copy = tmp_path / "origin"
    shutil.copytree(ASSETS, copy)
    (copy / "showrunner.conf").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing \['showrunner.conf'\]"):
        payload_archive(copy)
    shutil.copytree(ASSETS, tmp_path / "nosite")
    (tmp_path / "nosite" / "site" / "index.html").unlink()
    with pytest.raises(FileNotFoundError, match=r"site/index.html"):
        payload_files(tmp_path / "nosite")


@pytest.mark.parametrize(
    ("value", "label"), [("dev-Origin; rm -rf /", "stack_name"), ("", "stack_name"), ("it's", "stack_name")]
)
def test_values_that_would_break_the_shell_are_refused(value: str, label: str):
    with pytest.raises(ValueError, match=f"{label} .* cannot be put in a shell variable"):
        render_user_data(stack_name=value, resource=RESOURCE, region=REGION)


def test_user_data_over_the_ec2_limit_is_refused(tmp_path: Path):
    copy = tmp_path / "origin"
    shutil.copytree(ASSETS, copy)
    (copy / "site" / "big.bin").write_bytes(os.urandom(20_000))  # random bytes do not compress
    with pytest.raises(ValueError, match=r"origin user data is \d+ bytes; EC2 accepts 16384"):
        render_user_data(stack_name=STACK, resource=RESOURCE, region=REGION, root=copy)


def test_user_data_installs_nginx_config_and_site_then_signals_success(tmp_path: Path):
    run = run_user_data(tmp_path, _user_data())
    assert run.returncode == 0, run.output
    nginx_conf = shipped("nginx.conf", (ASSETS / "nginx.conf").read_bytes())
    assert (run.root / "etc/nginx/nginx.conf").read_bytes() == nginx_conf
    installed_conf = (run.root / "etc/nginx/conf.d/showrunner.conf").read_text()
    conf = shipped("showrunner.conf", (ASSETS / "showrunner.conf").read_bytes()).decode()
    assert installed_conf == conf.replace("@SHOWRUNNER_REGION@", REGION)
    assert "connect-src 'self' https://cognito-idp.us-east-1.amazonaws.com;" in installed_conf
    site = run.root / "usr/share/nginx/showrunner"
    in_repository = sorted(p.relative_to(ASSETS / "site") for p in (ASSETS / "site").rglob("*") if p.is_file())
    installed = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert installed == sorted([*in_repository, Path("config.json")])
    assert json.loads((site / "config.json").read_text()) == {"region": REGION, "userPoolId": POOL, "clientId": CLIENT}
    assert (site / "config.json").stat().st_mode & 0o777 == 0o644
    for relative in in_repository:
        source = (ASSETS / "site" / relative).read_bytes()
        assert (site / relative).read_bytes() == shipped(f"site/{relative.as_posix()}", source)
        assert (site / relative).stat().st_mode & 0o777 == 0o644
    assert (run.root / "var/lib/nginx/tmp").is_dir()
    assert (run.root / "var/log/nginx").is_dir()

    assert run.calls == [
        ["dnf", "install", "-y", "--setopt=install_weak_deps=False", "nginx", "aws-cfn-bootstrap"],
        ["nginx", "-t"],
        ["systemctl", "enable", "nginx"],
        ["systemctl", "restart", "nginx"],
        ["curl", "--silent", "--fail", "--max-time", "2", "--output", "/dev/null", "http://127.0.0.1/healthz"],
        [
            "cfn-signal",
            "--exit-code",
            "0",
            "--stack",
            STACK,
            "--resource",
            RESOURCE,
            "--region",
            REGION,
        ],
    ]
    assert not list(tmp_path.glob("tmp.*")), "the unpacked payload should be removed"


def test_user_data_signals_failure_when_nginx_never_answers(tmp_path: Path):
    run = run_user_data(tmp_path, _user_data(), healthy=False)
    assert run.returncode == 1
    assert "nginx did not answer /healthz" in run.output
    assert [c[0] for c in run.calls].count("curl") == 30
    assert run.calls[-1][:3] == ["cfn-signal", "--exit-code", "1"]


def test_user_data_with_a_payload_missing_the_site_fails_and_says_so(tmp_path: Path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name in ("nginx.conf", "showrunner.conf"):
            archive.add(ASSETS / name, arcname=name)
    broken = base64.b64encode(gzip.compress(raw.getvalue())).decode()
    lines = _user_data().split("\n")
    lines[1] = f"SHOWRUNNER_PAYLOAD='{broken}'"
    run = run_user_data(tmp_path, "\n".join(lines))
    assert run.returncode == 1
    assert "payload has no site/index.html" in run.output
    assert not (run.root / "etc/nginx/nginx.conf").exists(), "nothing is installed from a broken payload"
    assert [c[0] for c in run.calls] == ["dnf", "cfn-signal"]
    assert run.calls[-1][:3] == ["cfn-signal", "--exit-code", "1"]


@pytest.mark.parametrize(
    ("line", "value"),
    [(5, 'us-east-1_x"}, {"a'), (6, "UPPER-case"), (4, "us-east-1; rm -rf /")],
)
def test_user_data_refuses_sign_in_values_it_would_write_into_the_site(tmp_path: Path, line: int, value: str):
    lines = _user_data().split("\n")
    name = lines[line].split("=", 1)[0]
    lines[line] = f"{name}='{value}'"
    run = run_user_data(tmp_path, "\n".join(lines))
    assert run.returncode == 1
    assert "is not a valid value" in run.output
    assert not (run.root / "usr/share/nginx/showrunner/config.json").exists()


def test_without_a_user_pool_the_site_says_so_in_its_config(tmp_path: Path):
    user_data = render_user_data(stack_name=STACK, resource=RESOURCE, region=REGION)
    run = run_user_data(tmp_path, user_data)
    assert run.returncode == 0, run.output
    config = json.loads((run.root / "usr/share/nginx/showrunner/config.json").read_text())
    assert config == {"region": REGION, "userPoolId": "", "clientId": ""}


def test_user_data_without_a_stack_sends_no_signal(tmp_path: Path):
    lines = _user_data().split("\n")
    lines[2] = "SHOWRUNNER_STACK=''"
    run = run_user_data(tmp_path, "\n".join(lines))
    assert run.returncode == 0, run.output
    assert "cfn-signal" not in [c[0] for c in run.calls]


# --- nginx -------------------------------------------------------------------------------------


def _install_for_test(root: Path, port: int) -> Path:
    """The installed configuration with its absolute paths moved under ``root`` and a loopback listener.

    Only these substitutions are made; each must match, so the test runs the
    shipped configuration and nothing else.
    """
    user = pwd.getpwuid(os.getuid()).pw_name
    replacements = {
        "user nginx;": f"user {user};",
        "/var/log/nginx/": f"{root}/var/log/nginx/",
        "/run/nginx.pid": f"{root}/run/nginx.pid",
        "/var/lib/nginx/": f"{root}/var/lib/nginx/",
        "/etc/nginx/conf.d/": f"{root}/etc/nginx/conf.d/",
        "/usr/share/nginx/showrunner": f"{root}/usr/share/nginx/showrunner",
        "listen 80 default_server;": f"listen 127.0.0.1:{port} default_server;",
    }
    unused = set(replacements)
    for relative in ("etc/nginx/nginx.conf", "etc/nginx/conf.d/showrunner.conf"):
        path = root / relative
        text = path.read_text()
        for old, new in replacements.items():
            if old in text:
                unused.discard(old)
                text = text.replace(old, new)
        path.write_text(text)
    assert not unused, f"the shipped configuration no longer contains {sorted(unused)}"
    (root / "run").mkdir(exist_ok=True)
    return root / "etc/nginx/nginx.conf"


@contextmanager
def _reserved_port() -> Iterator[int]:
    """A free loopback port, kept bound (not listening) until the context ends.

    A port picked by binding to 0 and closing the socket is free for any other process to
    take before nginx binds it; the readiness probe then reaches that process instead. While
    this socket stays bound, the kernel gives the port to no one else (neither to a bind to
    port 0 nor to an outgoing connection), and nginx, which sets SO_REUSEADDR on its listening
    sockets as this one does, can still bind and listen on it.
    """
    with socket.socket() as reservation:
        reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reservation.bind(("127.0.0.1", 0))
        port: int = reservation.getsockname()[1]
        yield port


def _nginx(config: Path, *args: str) -> list[str]:
    return ["nginx", "-c", str(config), "-p", str(config.parent), "-e", str(config.parent / "startup-error.log"), *args]


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[tuple[Path, Path, int]]:
    run = run_user_data(tmp_path, _user_data())
    assert run.returncode == 0, run.output
    with _reserved_port() as port:
        yield run.root, _install_for_test(run.root, port), port


def test_nginx_accepts_the_shipped_configuration(installed: tuple[Path, Path, int]):
    _, config, _ = installed
    result = subprocess.run(_nginx(config, "-t"), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert "test is successful" in result.stderr


def test_nginx_rejects_a_broken_configuration(installed: tuple[Path, Path, int]):
    root, config, _ = installed
    site_config = root / "etc/nginx/conf.d/showrunner.conf"
    site_config.write_text(site_config.read_text().replace("return 403;", "return 403", 1))
    result = subprocess.run(_nginx(config, "-t"), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0
    assert "showrunner.conf" in result.stderr


@pytest.fixture
def running(installed: tuple[Path, Path, int]) -> Iterator[tuple[Path, int]]:
    root, config, port = installed
    server = subprocess.Popen(_nginx(config, "-g", "daemon off;"), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, f"nginx exited: {server.stderr.read() if server.stderr else ''}"
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.05)
        yield root, port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()  # no nginx left behind for the next test, and the teardown still fails
            server.wait()
            raise


def _get(port: int, path: str, *, header: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={HEADER: header} if header else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _log_entries(log: Path, *, expected: int) -> list[dict[str, object]]:
    """The access log's complete JSON lines once `expected` of them are there (or all of them after 10 s).

    nginx writes a request's log line in its log phase, after the response has gone out, so a client
    that has read its response can look at the log before the line is written (or while it is being
    written: only lines that already end in a newline count).
    """
    deadline = time.monotonic() + 10
    while True:
        text = log.read_text() if log.exists() else ""
        lines = text[: text.rfind("\n") + 1].splitlines()
        if len(lines) >= expected or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def test_live_nginx_serves_health_rejects_without_the_header_and_logs_json(running: tuple[Path, int]):
    root, port = running
    status, _, body = _get(port, "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})

    for path in ("/", "/index.html", "/config.json", "/player.js"):
        status, headers, _ = _get(port, path)
        assert status == 403, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "nginx/" not in headers.get("Server", ""), "server_tokens must stay off"

    status, headers, body = _get(port, "/?session=opaque-token-123", header=HEADER_VALUE)
    assert status == 200
    assert body == (ASSETS / "site/index.html").read_bytes()
    assert headers["Content-Type"] == "text/html"
    assert headers["Cache-Control"] == "max-age=300"
    assert headers["X-Frame-Options"] == "DENY"
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self' https://cdn.jsdelivr.net"  # no inline code, no eval
    assert csp["connect-src"] == "'self' https://cognito-idp.us-east-1.amazonaws.com"  # sign-in, nothing else
    assert (csp["object-src"], csp["base-uri"], csp["frame-ancestors"]) == ("'none'", "'none'", "'none'")

    status, headers, body = _get(port, "/config.json", header=HEADER_VALUE)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"region": REGION, "userPoolId": POOL, "clientId": CLIENT}

    assert _get(port, "/no-such-page", header=HEADER_VALUE)[0] == 404

    log = root / "var/log/nginx/showrunner.json.log"
    entries = _log_entries(log, expected=7)
    log_text = log.read_text()
    # Workers write their own lines, so the order across connections is not fixed.
    assert sorted((e["path"], e["status"]) for e in entries) == sorted(
        [
            ("/", 403),
            ("/index.html", 403),
            ("/config.json", 403),
            ("/player.js", 403),
            ("/", 200),
            ("/config.json", 200),
            ("/no-such-page", 404),
        ]
    ), "one JSON object per request, health checks left out"
    (served,) = [e for e in entries if (e["path"], e["status"]) == ("/", 200)]
    assert served["method"] == "GET"
    assert served["bytes"] == len((ASSETS / "site/index.html").read_bytes())
    assert isinstance(served["duration_s"], float)
    assert served["peer"] == "127.0.0.1"
    assert HEADER_VALUE not in log_text, "the origin header value must never reach a log"
    assert "opaque-token-123" not in log_text, "query strings are not logged"
