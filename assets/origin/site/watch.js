// Plays one signed HLS URL with hls.js: /watch.html#src=<URL-encoded signed master.m3u8 URL>.
// The URL travels in the fragment, which browsers never send to a server, so the viewer's token
// stays out of request logs and Referer headers. Only /vod/ URLs on this site's own origin play.
// When the token has expired (a pause longer than its margin), the edge answers 403: the page asks the
// issuer again (GET /playback/{titleId}, which checks entitlement again) and resumes where it was.
"use strict";

function signedSource() {
  const src = new URLSearchParams(window.location.hash.slice(1)).get("src");
  if (!src) {
    return null;
  }
  const url = new URL(src, window.location.href);
  return url.origin === window.location.origin && url.pathname.startsWith("/vod/") ? url.href : null;
}

async function askAgain(src) {
  const titleId = new URL(src).pathname.split("/")[2];
  const auth = window.ShowrunnerAuth;
  const token = auth ? await auth.accessToken() : null;
  if (!token) {
    return { error: "The viewing has expired: sign in again to continue." };
  }
  const response = await fetch(`/playback/${encodeURIComponent(titleId)}`, {
    headers: { Authorization: `Bearer ${token}` },
    credentials: "include",
  });
  const body = await response.json().catch(() => ({}));
  return response.ok ? { hls: body.hls } : { error: body.message || `Playback refused (HTTP ${response.status}).` };
}

document.addEventListener("DOMContentLoaded", () => {
  const video = document.getElementById("player");
  const status = document.getElementById("status");
  let src = signedSource();
  if (!src) {
    status.textContent = "Nothing to play: open /watch.html#src=<signed master.m3u8 URL on this site>.";
    return;
  }
  if (window.Hls && window.Hls.isSupported()) {
    const hls = new window.Hls();
    document.dispatchEvent(new CustomEvent("showrunner:hls", { detail: hls })); // events.js reads the bitrate
    let retried = false;
    hls.on(window.Hls.Events.ERROR, async (_event, data) => {
      if (!data.fatal) {
        return;
      }
      if (data.response && data.response.code === 403 && !retried) {
        retried = true; // once per expiry: a second 403 is a real refusal
        const position = video.currentTime;
        const resume = !video.paused || position === 0; // the viewer was playing, or had not started yet
        const again = await askAgain(src);
        if (again.hls) {
          src = again.hls;
          window.history.replaceState(null, "", `#src=${encodeURIComponent(src)}`);
          hls.loadSource(src);
          hls.once(window.Hls.Events.MANIFEST_PARSED, () => {
            video.currentTime = position;
            retried = false;
            if (resume) {
              video.play().catch(() => {});
            }
          });
          return;
        }
        status.textContent = again.error;
        return;
      }
      status.textContent = `Playback failed: ${data.details}`;
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = src; // Safari plays HLS natively
  } else {
    status.textContent = "This browser cannot play HLS.";
    return;
  }
  video.addEventListener("timeupdate", () => {
    status.textContent = `Playing, ${video.currentTime.toFixed(1)} s`;
  });
  video.play().catch((error) => {
    status.textContent = `Press play to start (${error.name}).`;
  });
});
