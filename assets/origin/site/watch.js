// Plays one signed HLS URL with hls.js: /watch.html#src=<URL-encoded signed master.m3u8 URL>.
// The URL travels in the fragment, which browsers never send to a server, so the viewer's token
// stays out of request logs and Referer headers. Only /vod/ URLs on this site's own origin play.
"use strict";

function signedSource() {
  const src = new URLSearchParams(window.location.hash.slice(1)).get("src");
  if (!src) {
    return null;
  }
  const url = new URL(src, window.location.href);
  return url.origin === window.location.origin && url.pathname.startsWith("/vod/") ? url.href : null;
}

document.addEventListener("DOMContentLoaded", () => {
  const video = document.getElementById("player");
  const status = document.getElementById("status");
  const src = signedSource();
  if (!src) {
    status.textContent = "Nothing to play: open /watch.html#src=<signed master.m3u8 URL on this site>.";
    return;
  }
  if (window.Hls && window.Hls.isSupported()) {
    const hls = new window.Hls();
    document.dispatchEvent(new CustomEvent("showrunner:hls", { detail: hls })); // events.js reads the bitrate
    hls.on(window.Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) {
        status.textContent = `Playback failed: ${data.details}`;
      }
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
