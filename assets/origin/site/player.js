// Showrunner catalog page: lists GET /catalog for the signed-in viewer and plays a title through the issuer
// (GET /playback/{titleId}). The signed HLS URL goes to the watch page in the URL's fragment, which browsers never
// send to a server; the viewer's access token goes only in the Authorization header.
"use strict";

// What each refusal of the issuer means (docs/api.md, "Entitlement"; tests keep this equal to the API's words).
const REASONS = {
  not_published: "This title is not available to watch.",
  withdrawn: "This title has been withdrawn.",
  not_yet_available: "This title is not available yet.",
  expired: "This title is no longer available.",
  country_not_allowed: "This title is not available in your country.",
  plan_too_low: "Your plan does not include this title.",
};
const TIERS = { free: "", standard: " · Standard", premium: " · Premium" };

const say = (text) => {
  document.getElementById("status").textContent = text;
};

async function api(path) {
  const token = await window.ShowrunnerAuth.accessToken();
  if (!token) {
    return { status: 0, body: {} };
  }
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, credentials: "include" });
  let body = {};
  try {
    body = await response.json();
  } catch {
    // API Gateway's own answers (401, 429) may have no JSON body
  }
  return { status: response.status, body };
}

function refused({ status, body }) {
  if (status === 0) {
    return "Sign in to watch.";
  }
  if (status === 401) {
    return "Your session has ended: sign in again.";
  }
  if (status === 403 && body.error === "not_entitled") {
    return REASONS[body.reason] || body.message || "You cannot watch this title.";
  }
  return body.message || `Something went wrong (HTTP ${status}).`;
}

async function loadCatalog(cursor) {
  const list = document.getElementById("catalog");
  const more = document.getElementById("more");
  const answer = await api(`/catalog${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`);
  if (answer.status !== 200) {
    say(refused(answer));
    return;
  }
  list.append(
    ...answer.body.titles.map((title) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.textContent = `${title.name}${title.year ? ` (${title.year})` : ""}${TIERS[title.tier] || ""}`;
      button.dataset.titleId = title.titleId;
      button.addEventListener("click", () => play(title.titleId));
      item.append(button);
      return item;
    }),
  );
  more.hidden = !answer.body.nextCursor;
  more.onclick = () => loadCatalog(answer.body.nextCursor);
  if (!list.children.length) {
    say("Nothing to watch here yet.");
  }
}

async function play(titleId) {
  say("…");
  const answer = await api(`/playback/${encodeURIComponent(titleId)}`);
  if (answer.status !== 200) {
    say(refused(answer));
    return;
  }
  window.location.assign(`/watch.html#src=${encodeURIComponent(answer.body.hls)}`);
}

document.addEventListener("DOMContentLoaded", async () => {
  const auth = window.ShowrunnerAuth;
  const email = await auth.email().catch(() => null);
  document.getElementById("signin").hidden = email !== null;
  document.getElementById("signout").hidden = email === null;
  document.getElementById("viewer").textContent = email || "";
  document.getElementById("signout").addEventListener("click", async () => {
    await auth.signOut();
    window.location.assign("/");
  });
  if (email === null) {
    say("Sign in to see the catalog.");
    return;
  }
  loadCatalog(null).catch((error) => say(`The catalog is unavailable: ${error.message}`));
});
