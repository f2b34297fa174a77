// The watch page's viewing events: play, resume, heartbeat, pause, seek, complete and error, with QoE fields
// (bitrateKbps of the rendition playing, rebufferMs stalled since the last event), posted in batches to
// POST /events (docs/analytics.md) under the schema the Spark jobs read. A batch goes when it holds MAX_BATCH
// events (about 8 minutes of heartbeats: one request, one Kinesis record of about 14 KB, which is what keeps the
// events path cheap: docs/analytics.md, "Cost at 1M events/min"), every FLUSH_MS, when the title ends, and when the
// page is hidden or left (a keepalive request outlives the page). Only the events the API marks retryable are sent
// again, a few times with a growing pause; rejected ones are dropped.
"use strict";

(() => {
  const HEARTBEAT_MS = 10000;
  const FLUSH_MS = 10 * 60 * 1000; // a backstop: MAX_BATCH fills first while a title plays
  const MAX_BATCH = 50;
  const MAX_ATTEMPTS = 4;
  const queue = [];
  let token = null;
  let userId = null;
  let country = sessionStorage.getItem("showrunner.country");
  let hls = null;
  let stalledAt = null;
  let stalledMs = 0;
  let started = false;
  let attempts = 0;
  let sending = false;

  const sub = (jwt) => {
    try {
      return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub || null;
    } catch {
      return null;
    }
  };

  async function signIn() {
    token = await window.ShowrunnerAuth.accessToken().catch(() => null);
    userId = token ? sub(token) : null;
    if (token && !country) {
      // CloudFront's country of the viewer, as the rows API reports it (the page may not claim its own).
      const response = await fetch("/trending", { headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
      const body = response && response.ok ? await response.json() : {};
      country = body.country || null;
      if (country) {
        sessionStorage.setItem("showrunner.country", country);
      }
    }
  }

  function record(video, titleId, type) {
    if (stalledAt !== null) {
      stalledMs += performance.now() - stalledAt;
      stalledAt = performance.now();
    }
    const event = {
      eventId: crypto.randomUUID(),
      userId,
      titleId,
      type,
      positionSec: Math.round(video.currentTime * 10) / 10,
      timestamp: new Date().toISOString(),
      device: "web",
      country,
      rebufferMs: Math.round(stalledMs),
    };
    const level = hls && hls.levels ? hls.levels[hls.currentLevel] : null;
    if (level && level.bitrate) {
      event.bitrateKbps = Math.round(level.bitrate / 1000); // the rendition playing
    }
    stalledMs = 0;
    queue.push(event);
    if (queue.length >= MAX_BATCH) {
      flush(false);
    }
  }

  async function flush(leaving) {
    // Leaving the page sends whatever is left even while a request is out: there is no later.
    if ((sending && !leaving) || !queue.length || !token || !userId || !country) {
      return;
    }
    const batch = queue.splice(0, MAX_BATCH).map((event) => ({ ...event, userId, country }));
    sending = true;
    let again = [];
    try {
      const response = await fetch("/events", {
        method: "POST",
        keepalive: leaving, // survives the page; the browser caps such a body at 64 KB (50 events: about 15 KB)
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(batch),
      });
      const body = await response.json().catch(() => null);
      if (body && Array.isArray(body.failed)) {
        again = body.failed.filter((f) => f.retryable).map((f) => batch[f.index]);
      } else if (response.status >= 500 || response.status === 429) {
        again = batch; // no per-event answer: the whole batch, as docs/analytics.md says
      }
    } catch {
      again = batch; // the network: try the whole batch again
    } finally {
      sending = false;
    }
    attempts = again.length ? attempts + 1 : 0;
    if (again.length && attempts < MAX_ATTEMPTS) {
      queue.unshift(...again);
      setTimeout(() => flush(false), 1000 * 2 ** attempts * (0.5 + Math.random() / 2));
    } else if (queue.length >= MAX_BATCH) {
      flush(leaving);
    }
  }

  function watch(video, titleId) {
    video.addEventListener("playing", () => {
      if (stalledAt !== null) {
        stalledMs += performance.now() - stalledAt;
        stalledAt = null;
      }
      if (!started || video.dataset.showrunnerPaused) {
        record(video, titleId, started ? "resume" : "play");
        started = true;
        delete video.dataset.showrunnerPaused;
      }
    });
    video.addEventListener("waiting", () => {
      if (!video.seeking && stalledAt === null) {
        stalledAt = performance.now();
      }
    });
    video.addEventListener("pause", () => {
      if (!video.ended) {
        video.dataset.showrunnerPaused = "1";
        record(video, titleId, "pause");
      }
    });
    video.addEventListener("seeked", () => record(video, titleId, "seek"));
    video.addEventListener("ended", () => {
      record(video, titleId, "complete");
      flush(false);
    });
    video.addEventListener("error", () => record(video, titleId, "error"));
    document.addEventListener("showrunner:hls", (event) => {
      hls = event.detail;
      hls.on(window.Hls.Events.ERROR, (_name, data) => {
        if (data.fatal) {
          record(video, titleId, "error");
        }
      });
    });
    setInterval(() => {
      if (started && !video.paused && !video.ended) {
        record(video, titleId, "heartbeat");
      }
    }, HEARTBEAT_MS);
    setInterval(() => flush(false), FLUSH_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") {
        flush(true);
      }
    });
    window.addEventListener("pagehide", () => flush(true));
  }

  const src = new URLSearchParams(window.location.hash.slice(1)).get("src");
  const path = src ? new URL(src, window.location.href).pathname.split("/") : [];
  const video = document.getElementById("player");
  if (path[1] === "vod" && path[2] && video) {
    watch(video, decodeURIComponent(path[2]));
    signIn().then(() => flush(false));
    setInterval(signIn, 10 * 60 * 1000); // a fresh access token (an hour's lifetime) for long viewings
    window.ShowrunnerEvents = { flush: () => flush(false), pending: () => queue.length };
  }
})();
