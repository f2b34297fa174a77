// A test page (tests/e2e/test_browser.py): Shaka Player plays #src=<signed MPD URL> through EME Clear Key
// (org.w3.clearkey), the licence from #licence=<the key service's licence URL with the viewer's token>.
// Origin access control to the key service's Function URL needs a POST's body SHA-256 in x-amz-content-sha256:
// a request filter adds it to licence requests (docs/api.md, "Clear Key licence").
"use strict";
(async () => {
  const params = new URLSearchParams(location.hash.slice(1));
  const status = document.getElementById("status");
  const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
  shaka.polyfill.installAll();
  const player = new shaka.Player();
  await player.attach(document.getElementById("player"));
  player.configure({ drm: { servers: { "org.w3.clearkey": params.get("licence") } } });
  player.getNetworkingEngine().registerRequestFilter(async (type, request) => {
    if (type === shaka.net.NetworkingEngine.RequestType.LICENSE) {
      request.headers["x-amz-content-sha256"] = hex(await crypto.subtle.digest("SHA-256", request.body));
    }
  });
  player.addEventListener("error", (event) => {
    status.textContent = "Error: " + event.detail.code;
  });
  try {
    await player.load(params.get("src"));
    await document.getElementById("player").play();
    status.textContent = "Playing";
  } catch (error) {
    status.textContent = "Error: " + (error.code || error.message || String(error));
  }
})();
