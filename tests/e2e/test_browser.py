"""hls.js in Debian's headless Chromium plays the sample title from the origin site's pages.

The watch page (``assets/origin/site/watch.html``) gets the issuer's signed HLS URL in its fragment, and
hls.js fetches the manifests (rewritten) and segments through the local edge, which checks every
request's signature. Passing means ``currentTime`` advanced past most of the title, with frames decoded.
A viewer signs up, confirms, signs in on the real sign-in page (SRP against the Cognito double), sees
``GET /catalog``, is refused a premium title on the free plan and a title outside its window with the
reason in words, and plays an entitled one from the catalog page, on the distribution's own domain.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import signed_url.handler

from tests.e2e.chromium import Chromium, DevToolsError
from tests.e2e.conftest import (
    COGNITO_JS,
    COGNITO_JS_CDN_PATH,
    HLS_JS,
    HLS_JS_CDN_PATH,
    MAKE_TITLE,
    PROTECTED_KEY_ID,
    PROTECTED_TITLE,
    SITE,
    TITLE_A,
    TITLE_SECONDS,
    Playback,
    list_title,
    upload_title,
)
from tests.support.aws import client
from tests.support.synth import ROOT
from tools.operator.catalog import main as catalog_command

STATE = """(() => {
  const video = document.getElementById("player");
  return {
    currentTime: video ? video.currentTime : -1,
    decodedFrames: video ? video.getVideoPlaybackQuality().totalVideoFrames : 0,
    error: video && video.error ? video.error.message || String(video.error.code) : null,
    status: (document.getElementById("status") || {}).textContent || "",
    hls: typeof window.Hls === "function",
    mediaSource: video ? video.currentSrc.startsWith("blob:") : false,
  };
})()"""


# Once the page has loaded: an inline script and a script from another host, each added to the
# page, must be refused by the origin's Content-Security-Policy (and report a violation).
CSP_PROBE = """new Promise((resolve) => {
  const violations = [];
  document.addEventListener("securitypolicyviolation", (e) => violations.push([e.violatedDirective, e.blockedURI]));
  const inline = document.createElement("script");
  inline.textContent = "window.inlineRan = true;";
  const offsite = document.createElement("script");
  offsite.src = "https://example.invalid/x.js";
  document.head.append(inline, offsite);
  setTimeout(() => resolve({ violations, inlineRan: window.inlineRan === true }), 1000);
})"""


def test_the_watch_page_pins_the_npm_hls_js_by_version_and_hash() -> None:
    """The page's script is the file in node_modules/hls.js (package.json's version), byte for byte (SRI)."""
    digest = base64.b64encode(hashlib.sha384(HLS_JS.read_bytes()).digest()).decode()
    scripts = re.findall(
        r'<script src="([^"]+)"(?:\s+integrity="([^"]+)" crossorigin="anonymous")?', (SITE / "watch.html").read_text()
    )
    cognito = base64.b64encode(hashlib.sha384(COGNITO_JS.read_bytes()).digest()).decode()
    assert scripts == [
        (f"https://cdn.jsdelivr.net{HLS_JS_CDN_PATH}", f"sha384-{digest}"),
        (f"https://cdn.jsdelivr.net{COGNITO_JS_CDN_PATH}", f"sha384-{cognito}"),
        ("/auth.js", ""),
        ("/watch.js", ""),
        ("/events.js", ""),
    ]


def test_the_sign_in_library_is_pinned_by_version_and_hash_on_every_page_that_signs_in() -> None:
    digest = base64.b64encode(hashlib.sha384(COGNITO_JS.read_bytes()).digest()).decode()
    for page, own in (("index.html", ["/player.js", "/rows.js"]), ("signin.html", ["/signin.js"])):
        scripts = re.findall(
            r'<script src="([^"]+)"(?:\s+integrity="([^"]+)" crossorigin="anonymous")?', (SITE / page).read_text()
        )
        assert scripts == [
            (f"https://cdn.jsdelivr.net{COGNITO_JS_CDN_PATH}", f"sha384-{digest}"),
            ("/auth.js", ""),
            *((script, "") for script in own),
        ], page


def _chromium() -> str:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: make setup installs it (APT_PACKAGES)"
    assert HLS_JS.is_file(), "hls.js is missing: make setup installs it (package.json)"
    return chromium


def _resolver(playback: Playback, *hosts: str) -> str:
    """Chromium's resolver sending ``hosts`` (jsDelivr's among them: offline, the edge plays it) to the local edge.

    Cognito's endpoint too: the edge hands its requests to the Cognito double (tests/e2e/cognito.py)."""
    port = playback.edge.base_url.rsplit(":", 1)[1]
    return "--host-resolver-rules=" + ", ".join(
        f"MAP {host} 127.0.0.1:{port}" for host in ("cdn.jsdelivr.net", playback.cognito.host, *hosts)
    )


def _watch(browser: Chromium, session: str) -> list[dict[str, object]]:
    """The player's state, sampled until it has played most of the title (or failed; 60 s at most)."""
    samples: list[dict[str, object]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            state = browser.evaluate(session, STATE)
        except DevToolsError:  # between two pages (the catalog page opening the watch page)
            time.sleep(0.2)
            continue
        samples.append(state)
        if state["error"] or float(state["currentTime"]) >= TITLE_SECONDS - 1:
            break
        time.sleep(0.2)
    assert samples, "the page never answered"
    return samples


def _assert_played_through(samples: list[dict[str, object]]) -> None:
    final = samples[-1]
    assert final["hls"] is True
    assert final["mediaSource"] is True  # hls.js feeding Media Source Extensions, not Chromium's own HLS
    assert final["error"] is None, final
    times = [float(str(s["currentTime"])) for s in samples if s["currentTime"] != -1]
    assert times[-1] >= TITLE_SECONDS - 1, final  # currentTime advanced through most of the title
    assert times == sorted(times)
    assert len(set(times)) >= 3  # observed advancing, not jumping
    assert int(str(final["decodedFrames"])) >= 24 * (TITLE_SECONDS - 2)
    assert str(final["status"]).startswith("Playing, ")


def test_hls_js_plays_the_signed_url_in_headless_chromium(playback: Playback, tmp_path: Path) -> None:
    src = playback.edge.local(playback.issue(TITLE_A)["hls"])
    since = len(playback.edge.log.requests)
    with Chromium(_chromium(), tmp_path / "profile", extra_arguments=(_resolver(playback),)) as browser:
        session = browser.open(f"{playback.edge.base_url}/watch.html#src={quote(src, safe='')}")
        samples = _watch(browser, session)
        csp = browser.evaluate(session, CSP_PROBE, await_promise=True)
    _assert_played_through(samples)
    # hls.js (jsDelivr), its worker and the media played under the origin's CSP, which still refuses
    # inline code and scripts from anywhere else.
    assert csp["inlineRan"] is False
    assert sorted(csp["violations"]) == [
        ["script-src-elem", "https://example.invalid/x.js"],
        ["script-src-elem", "inline"],
    ]

    served = playback.edge.log.requests[since:]
    paths = {path for path, _ in served}
    assert f"/vod/{TITLE_A}/master.m3u8" in paths
    assert any(path.endswith(".m4s") for path in paths)
    assert {status for _, status in served} <= {200, 206}


PLAYED: dict[str, object] = {}


def test_hls_js_plays_the_encrypted_sample_fetching_its_key_from_the_key_service(
    playback: Playback, tmp_path: Path
) -> None:
    """AES-128 HLS: hls.js fetches the key URI (tokenized by the rewriter) from the key service through the edge,
    decrypts every segment, and plays through the title."""
    src = playback.edge.local(playback.issue(PROTECTED_TITLE)["hls"])
    since = len(playback.edge.log.requests)
    with Chromium(_chromium(), tmp_path / "profile", extra_arguments=(_resolver(playback),)) as browser:
        session = browser.open(f"{playback.edge.base_url}/watch.html#src={quote(src, safe='')}")
        samples = _watch(browser, session)
    _assert_played_through(samples)
    PLAYED["currentTime"], PLAYED["decodedFrames"] = samples[-1]["currentTime"], samples[-1]["decodedFrames"]
    served = playback.edge.log.requests[since:]
    assert (f"/vod/{PROTECTED_TITLE}/keys/{PROTECTED_KEY_ID}", 200) in served
    assert any(path.endswith(".ts") for path, _ in served)
    assert {status for _, status in served} <= {200, 206}
    print(f"\nhls.js, encrypted sample: currentTime {PLAYED['currentTime']}, frames {PLAYED['decodedFrames']}")


# Shaka Player from npm (package.json's devDependencies): a test page plays DASH cenc with EME Clear Key. (dash.js
# 4.7.4 was tried first: for org.w3.clearkey it hands the MPD's common-system PSSH to generateRequest as "keyids"
# init data, which Chromium rejects with a TypeError; it licenses Clear Key only under DASH-IF's e2719d58 scheme.)
SHAKA_PLAYER = ROOT / "node_modules" / "shaka-player" / "dist" / "shaka-player.compiled.js"
PAGES = Path(__file__).parent / "pages"
DASH_TITLE, DASH_HLS_KEY_ID, DASH_KEY_ID = "sample-dash-locked", "6b" * 16, "7c" * 16
DASH_STATE = """(() => {
  const video = document.getElementById("player");
  return {
    currentTime: video.currentTime,
    decodedFrames: video.getVideoPlaybackQuality().totalVideoFrames,
    error: video.error ? video.error.message || String(video.error.code) : null,
    status: document.getElementById("status").textContent,
    mediaKeys: video.mediaKeys !== null,
  };
})()"""


def test_shaka_player_plays_cenc_dash_with_the_clear_key_licence_in_headless_chromium(
    playback: Playback, tmp_path: Path
) -> None:
    """DASH cenc (make-title.sh --cenc): Shaka Player, EME org.w3.clearkey in Chromium, the licence POSTed through the
    edge with the viewer's token and the payload hash origin access control requires; every segment decrypted by
    Chromium's Clear Key CDM, the video played through the title."""
    assert SHAKA_PLAYER.is_file(), "shaka-player is missing: make setup installs it (package.json)"
    hls_key, dash_key = secrets.token_bytes(16), secrets.token_bytes(16)
    (tmp_path / "hls.key").write_bytes(hls_key)
    (tmp_path / "dash.key").write_bytes(dash_key)
    out = tmp_path / "title"
    subprocess.run(
        [str(MAKE_TITLE), str(out), str(TITLE_SECONDS), "--aes-128", str(tmp_path / "hls.key"), DASH_HLS_KEY_ID,
         "--cenc", str(tmp_path / "dash.key"), DASH_KEY_ID],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    upload_title(playback.s3, playback.bucket, out, DASH_TITLE)
    list_title(playback.table, DASH_TITLE, formats=("hls", "dash"), protection={"S": "aes-128"})
    for key_id, key, scheme in ((DASH_HLS_KEY_ID, hls_key, "aes-128"), (DASH_KEY_ID, dash_key, "cenc")):
        client("dynamodb").put_item(
            TableName=os.environ["CONTENT_KEYS_TABLE"],
            Item={"titleId": {"S": DASH_TITLE}, "keyId": {"S": key_id}, "key": {"B": key}, "scheme": {"S": scheme}},
        )
    pages = {
        "/test/clearkey.html": PAGES / "clearkey.html",
        "/test/clearkey.js": PAGES / "clearkey.js",
        "/test/shaka-player.compiled.js": SHAKA_PLAYER,
    }
    try:
        playback.edge.site.update(pages)
        dash = playback.issue(DASH_TITLE)["dash"]
        src = playback.edge.local(dash)
        licence = f"{playback.edge.base_url}/vod/{DASH_TITLE}/keys/clearkey?{dash.split('?', 1)[1]}"
        since = len(playback.edge.log.requests)
        fragment = f"src={quote(src, safe='')}&licence={quote(licence, safe='')}"
        with Chromium(_chromium(), tmp_path / "profile", extra_arguments=(_resolver(playback),)) as browser:
            session = browser.open(f"{playback.edge.base_url}/test/clearkey.html#{fragment}")
            samples: list[dict[str, object]] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    state = browser.evaluate(session, DASH_STATE)
                except DevToolsError:  # the page is still loading
                    time.sleep(0.2)
                    continue
                samples.append(state)
                if (
                    state["error"]
                    or str(state["status"]).startswith("Error")
                    or float(state["currentTime"]) >= (TITLE_SECONDS - 1)
                ):
                    break
                time.sleep(0.2)
        assert samples, "the page never answered"
        final = samples[-1]
        assert final["error"] is None, final
        assert not str(final["status"]).startswith("Error"), final
        assert final["mediaKeys"] is True  # EME: the Clear Key CDM decrypted, not a clear stream
        assert float(str(final["currentTime"])) >= TITLE_SECONDS - 1, final
        assert int(str(final["decodedFrames"])) >= 24 * (TITLE_SECONDS - 2), final
        served = playback.edge.log.requests[since:]
        assert (f"/vod/{DASH_TITLE}/keys/clearkey", 200) in served, served
        assert any(path.startswith(f"/vod/{DASH_TITLE}/dash/chunk-") for path, _ in served)
        assert {status for _, status in served} <= {200, 206}, served
    finally:  # the other tests of this module see the site and the catalog as the fixture made them
        for path in pages:
            del playback.edge.site[path]
        client("dynamodb").delete_item(TableName=playback.table, Key={"titleId": {"S": DASH_TITLE}})
        for key_id in (DASH_HLS_KEY_ID, DASH_KEY_ID):
            client("dynamodb").delete_item(
                TableName=os.environ["CONTENT_KEYS_TABLE"],
                Key={"titleId": {"S": DASH_TITLE}, "keyId": {"S": key_id}},
            )
    print(f"\nShaka Player, cenc sample: currentTime {final['currentTime']}, frames {final['decodedFrames']}")


CATALOG_BUTTONS = "[...document.querySelectorAll('#catalog button')].map((b) => b.textContent)"
STATUS = "(document.getElementById('status') || {}).textContent"
EMAIL, PASSWORD, NEW_PASSWORD = "viewer@example.com", "Correct-Horse-9-battery", "Staple-Battery-7-horse"


def _until(browser: Chromium, session: str, expression: str, wanted: object, seconds: float = 20) -> object:
    """``expression``'s value once it equals ``wanted``, or the last value seen within ``seconds``."""
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        try:
            value = browser.evaluate(session, expression)
        except DevToolsError:  # between two pages
            value = None
        if value == wanted:
            break
        time.sleep(0.1)
    return value


def _submit(browser: Chromium, session: str, form: str, **fields: str) -> None:
    """Fill ``form``'s fields and submit it, as a viewer typing and pressing Enter."""
    assignments = "".join(f"f.elements[{name!r}].value = {value!r};" for name, value in fields.items())
    browser.evaluate(
        session, f"(() => {{ const f = document.getElementById({form!r}); {assignments} f.requestSubmit(); }})()"
    )


def _said(browser: Chromium, session: str, wanted: str) -> None:
    assert _until(browser, session, STATUS, wanted) == wanted


def _click_title(browser: Chromium, session: str, title_id: str) -> None:
    browser.evaluate(session, f"document.querySelector('[data-title-id=\"{title_id}\"]').click()")


def test_a_viewer_signs_in_sees_the_catalog_is_refused_with_reasons_and_plays(
    playback: Playback, tmp_path: Path
) -> None:
    """The whole sign-in page against the Cognito double, then the catalog page over GET /catalog and the issuer."""
    domain = playback.edge.domain
    list_title(playback.table, "sample-premium", name="Sample Premium", tier="premium")
    list_title(playback.table, "sample-later", name="Sample Later")
    list_title(playback.table, "sample-france", name="Sample France", countries=["FR"])  # the viewer is in the US
    since = len(playback.edge.log.requests)
    started = time.monotonic()
    with Chromium(_chromium(), tmp_path / "profile", extra_arguments=(_resolver(playback, domain),)) as browser:
        session = browser.open(f"https://{domain}/")
        _said(browser, session, "Sign in to see the catalog.")

        # Sign up, a wrong code, the emailed code, a wrong password, then the right one.
        browser.evaluate(session, "location.assign('/signin.html#signup')")
        assert _until(browser, session, "document.getElementById('signup').hidden", False) is False
        _submit(browser, session, "signup-form", email=EMAIL, password=PASSWORD)
        _said(browser, session, "We sent a code to your email address: enter it to confirm the account.")
        code = playback.cognito.mailbox[EMAIL]
        _submit(browser, session, "confirm-form", code=f"{(int(code) + 1) % 10**6:06d}")
        _said(browser, session, "That code is not right.")
        _submit(browser, session, "confirm-form", code=code)
        _said(browser, session, "Your account is confirmed: sign in.")
        _submit(browser, session, "signin-form", password="Not-The-Password-1")
        _said(browser, session, "Incorrect email or password.")  # the SRP proof did not match
        _submit(browser, session, "signin-form", password=PASSWORD)

        # The catalog: published, available now, allowed in the viewer's country; premium titles say so.
        wanted = ["Sample A", "Sample B", "Sample Later", "Sample Locked", "Sample Premium · Premium"]
        assert _until(browser, session, CATALOG_BUTTONS, wanted) == wanted
        assert _until(browser, session, "document.getElementById('viewer').textContent", EMAIL) == EMAIL
        tokens = browser.evaluate(
            session, "Object.keys(sessionStorage).filter((k) => k.endsWith('.accessToken')).length"
        )
        assert tokens == 1
        address = urlsplit(browser.evaluate(session, "location.href"))
        assert (address.path, address.query, address.fragment) == ("/", "", "")  # no token in the page's URL

        # Refused: above the viewer's (free) plan, and outside its window (the operator moves it, the cache expires).
        _click_title(browser, session, "sample-premium")
        _said(browser, session, "Your plan does not include this title.")
        table = ["--env", "dev", "--table", playback.table]
        assert (
            catalog_command(
                [*table, "set", "sample-later", "--from", "2099-01-01T00:00:00Z"], client=client("dynamodb")
            )
            == 0
        )
        time.sleep(1.1)  # catalog.cache_seconds in this stage
        _click_title(browser, session, "sample-later")
        _said(browser, session, "This title is not available yet.")
        assert playback.edge.log.requests[since:] == [], "no /vod/ request without a signed URL"

        # Entitled: the catalog page asks the issuer and opens the watch page, which plays it.
        _click_title(browser, session, TITLE_A)
        samples = _watch(browser, session)
        location = browser.evaluate(session, "window.location.href")
        cookies = browser.call("Network.getCookies", {"urls": [f"https://{domain}/vod/{TITLE_A}/"]}, session=session)

        # A play whose token has expired (a pause longer than its margin): the edge refuses the manifest, and the
        # watch page asks the issuer again (entitlement checked again) and plays with the new token.
        browser.evaluate(session, "location.assign('/')")
        assert _until(browser, session, "document.getElementById('signout').hidden", False) is False
        issuer = signed_url.handler._issuer.get()
        issuer._clock = lambda: time.time() - 3600  # signed an hour ago: expired half an hour ago
        stale = playback.issue(TITLE_A)["hls"]
        issuer._clock = time.time
        assert playback.edge.local(stale).startswith(playback.edge.base_url)
        expired_at = len(playback.edge.log.requests)
        browser.evaluate(session, f"location.assign('/watch.html#src={quote(stale, safe='')}')")
        resumed = _watch(browser, session)
        renewed = urlsplit(browser.evaluate(session, "location.href")).fragment
        browser.evaluate(session, "location.assign('/')")
        assert _until(browser, session, "document.getElementById('signout').hidden", False) is False

        # Sign out: Cognito revokes the tokens, the page forgets them.
        browser.evaluate(session, "document.getElementById('signout').click()")
        _said(browser, session, "Sign in to see the catalog.")
        assert browser.evaluate(session, "sessionStorage.length") == 0

        # Forgot password: a code by email, a new password, and signing in with it.
        browser.evaluate(session, "location.assign('/signin.html#forgot')")
        assert _until(browser, session, "document.getElementById('forgot').hidden", False) is False
        _submit(browser, session, "forgot-form", email=EMAIL)
        _said(browser, session, "If the account exists, we sent it a code.")
        _submit(browser, session, "reset-form", code=playback.cognito.mailbox[EMAIL], password=NEW_PASSWORD)
        _said(browser, session, "Your password is changed: sign in.")
        _submit(browser, session, "signin-form", password=NEW_PASSWORD)
        # Sample Later is not listed before its window.
        later = ["Sample A", "Sample B", "Sample Locked", "Sample Premium · Premium"]
        assert _until(browser, session, CATALOG_BUTTONS, later) == later
    elapsed = time.monotonic() - started
    _assert_played_through(samples)
    _assert_played_through(resumed)
    retry = playback.edge.log.requests[expired_at:]
    assert retry[0] == (f"/vod/{TITLE_A}/master.m3u8", 403)  # the expired token
    assert (f"/vod/{TITLE_A}/master.m3u8", 200) in retry[1:]  # the new one
    assert unquote(renewed.removeprefix("src=")) != stale  # the page keeps the new URL, in its fragment

    page = urlsplit(location)
    assert (page.netloc, page.path) == (domain, "/watch.html")
    (src,) = [unquote(value) for name, _, value in [page.fragment.partition("=")] if name == "src"]
    signed = urlsplit(src)
    assert (signed.netloc, signed.path) == (domain, f"/vod/{TITLE_A}/master.m3u8")
    assert {part.partition("=")[0] for part in signed.query.split("&")} == {"Policy", "Signature", "Key-Pair-Id"}
    # The API's Set-Cookie headers reached the browser: the same grant as cookies, for this title only.
    assert sorted(c["name"] for c in cookies["cookies"]) == [
        "CloudFront-Key-Pair-Id",
        "CloudFront-Policy",
        "CloudFront-Signature",
    ]
    assert all(c["path"] == f"/vod/{TITLE_A}/" and c["secure"] and c["httpOnly"] for c in cookies["cookies"])

    served = playback.edge.log.requests[since:expired_at]  # the first play, with the issuer's fresh token
    assert f"/vod/{TITLE_A}/master.m3u8" in {path for path, _ in served}
    assert any(path.endswith(".m4s") for path, _ in served)
    assert {status for _, status in served} <= {200, 206}
    calls = playback.cognito.calls
    assert calls.count("SignUp") == calls.count("ConfirmSignUp") - 1 == 1  # one wrong code, then the right one
    assert calls.count("RespondToAuthChallenge") == 3  # the wrong password, then two sign-ins
    assert "GlobalSignOut" in calls
    print(f"\nbrowser sign-in test: {elapsed:.1f} s in Chromium; Cognito calls {calls}")
