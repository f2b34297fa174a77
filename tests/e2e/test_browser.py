"""hls.js in Debian's headless Chromium plays the sample title from the origin site's watch page.

The page (``assets/origin/site/watch.html``) gets the issuer's signed HLS URL in its fragment, and
hls.js fetches the manifests (rewritten) and segments through the local edge, which checks every
request's signature. Passing means ``currentTime`` advanced past most of the title, with frames decoded.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import time
from pathlib import Path
from urllib.parse import quote

from tests.e2e.chromium import Chromium
from tests.e2e.conftest import HLS_JS, HLS_JS_CDN_PATH, SITE, TITLE_A, TITLE_SECONDS, Playback

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
    assert scripts == [(f"https://cdn.jsdelivr.net{HLS_JS_CDN_PATH}", f"sha384-{digest}"), ("/watch.js", "")]


def test_hls_js_plays_the_signed_url_in_headless_chromium(playback: Playback, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: make setup installs it (APT_PACKAGES)"
    assert HLS_JS.is_file(), "hls.js is missing: make setup installs it (package.json)"
    src = playback.edge.local(playback.issue(TITLE_A)["hls"])
    since = len(playback.edge.log.requests)
    samples: list[dict[str, object]] = []
    port = playback.edge.base_url.rsplit(":", 1)[1]
    resolver = f"--host-resolver-rules=MAP cdn.jsdelivr.net 127.0.0.1:{port}"  # offline: the edge plays jsDelivr
    with Chromium(chromium, tmp_path / "profile", extra_arguments=(resolver,)) as browser:
        session = browser.open(f"{playback.edge.base_url}/watch.html#src={quote(src, safe='')}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = browser.evaluate(session, STATE)
            samples.append(state)
            if state["error"] or float(state["currentTime"]) >= TITLE_SECONDS - 1:
                break
            time.sleep(0.2)
        csp = browser.evaluate(session, CSP_PROBE, await_promise=True)
    final = samples[-1]
    assert final["hls"] is True
    assert final["mediaSource"] is True  # hls.js feeding Media Source Extensions, not Chromium's own HLS
    assert final["error"] is None, final
    times = [float(str(s["currentTime"])) for s in samples]
    assert times[-1] >= TITLE_SECONDS - 1, final  # currentTime advanced through most of the title
    assert times == sorted(times)
    assert len(set(times)) >= 3  # observed advancing, not jumping
    assert int(str(final["decodedFrames"])) >= 24 * (TITLE_SECONDS - 2)
    assert str(final["status"]).startswith("Playing, ")
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
