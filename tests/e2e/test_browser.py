"""hls.js in Debian's headless Chromium plays the sample title from the origin site's pages.

The watch page (``assets/origin/site/watch.html``) gets the issuer's signed HLS URL in its fragment, and
hls.js fetches the manifests (rewritten) and segments through the local edge, which checks every
request's signature. Passing means ``currentTime`` advanced past most of the title, with frames decoded.
The catalog page (``index.html``) gets that URL from ``GET /playback/{titleId}`` with the viewer's token
and opens the watch page with it, as a viewer would, on the distribution's own domain.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from tests.e2e.chromium import Chromium, DevToolsError
from tests.e2e.conftest import (
    HLS_JS,
    HLS_JS_CDN_PATH,
    SITE,
    TITLE_A,
    TITLE_SECONDS,
    VIEWER_TOKEN,
    Playback,
)

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
    assert scripts == [
        (f"https://cdn.jsdelivr.net{HLS_JS_CDN_PATH}", f"sha384-{digest}"),
        ("/watch.js", ""),
        ("/events.js", ""),
    ]


def _chromium() -> str:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: make setup installs it (APT_PACKAGES)"
    assert HLS_JS.is_file(), "hls.js is missing: make setup installs it (package.json)"
    return chromium


def _resolver(playback: Playback, *hosts: str) -> str:
    """Chromium's resolver sending ``hosts`` (jsDelivr's among them: offline, the edge plays it) to the local edge."""
    port = playback.edge.base_url.rsplit(":", 1)[1]
    return "--host-resolver-rules=" + ", ".join(f"MAP {host} 127.0.0.1:{port}" for host in ("cdn.jsdelivr.net", *hosts))


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


CATALOG_BUTTONS = "[...document.querySelectorAll('#catalog button')].map((b) => b.textContent)"
CLICK_FIRST_TITLE = "document.querySelector('#catalog button').click()"
STATUS = "document.getElementById('status').textContent"


def _until(browser: Chromium, session: str, expression: str, wanted: object) -> object:
    """``expression``'s value once it equals ``wanted``, or the last value seen within 20 s."""
    deadline = time.monotonic() + 20
    value = None
    while time.monotonic() < deadline:
        value = browser.evaluate(session, expression)
        if value == wanted:
            break
        time.sleep(0.1)
    return value


def test_the_catalog_page_plays_a_title_with_the_viewers_token(playback: Playback, tmp_path: Path) -> None:
    """index.html on the distribution's domain: catalog, sign-in required, API refusals shown, then playback."""
    domain = playback.edge.domain
    since = len(playback.edge.log.requests)
    with Chromium(_chromium(), tmp_path / "profile", extra_arguments=(_resolver(playback, domain),)) as browser:
        session = browser.open(f"https://{domain}/")
        assert _until(browser, session, CATALOG_BUTTONS, ["Sample A (2026)"]) == ["Sample A (2026)"]

        browser.evaluate(session, CLICK_FIRST_TITLE)  # not signed in: the page asks, and calls nothing
        assert _until(browser, session, STATUS, "Sign in to play a title.") == "Sign in to play a title."

        browser.evaluate(session, 'sessionStorage.setItem("showrunner.idToken", "not-a-token")')
        browser.evaluate(session, CLICK_FIRST_TITLE)  # the API's authorizer refuses it: the page says why
        assert _until(browser, session, STATUS, "Unauthorized") == "Unauthorized"
        assert playback.edge.log.requests[since:] == [], "no /vod/ request without a signed URL"

        browser.evaluate(session, f'sessionStorage.setItem("showrunner.idToken", "{VIEWER_TOKEN}")')
        browser.evaluate(session, CLICK_FIRST_TITLE)
        samples = _watch(browser, session)
        location = browser.evaluate(session, "window.location.href")
        cookies = browser.call("Network.getCookies", {"urls": [f"https://{domain}/vod/{TITLE_A}/"]}, session=session)
    _assert_played_through(samples)

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

    served = playback.edge.log.requests[since:]
    assert f"/vod/{TITLE_A}/master.m3u8" in {path for path, _ in served}
    assert any(path.endswith(".m4s") for path, _ in served)
    assert {status for _, status in served} <= {200, 206}
