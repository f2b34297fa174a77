// Showrunner catalog page: lists /api/catalog and starts a title through the signed-URL API.
// The playback API (GET /playback/{titleId}) needs the viewer's JWT; sign-in stores it in
// sessionStorage under "showrunner.idToken". The signed HLS URL then goes to the watch page
// (hls.js) in the URL's fragment, which browsers never send to a server.
"use strict";

const statusLine = () => document.getElementById("status");

async function loadCatalog() {
  const list = document.getElementById("catalog");
  const response = await fetch("/api/catalog", { headers: { Accept: "application/json" } });
  if (!response.ok) {
    list.innerHTML = "";
    statusLine().textContent = `Catalog unavailable (HTTP ${response.status}).`;
    return;
  }
  const catalog = await response.json();
  list.replaceChildren(
    ...catalog.titles.map((title) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.textContent = `${title.name} (${title.year})`;
      button.addEventListener("click", () => play(title.titleId));
      item.append(button);
      return item;
    }),
  );
}

async function play(titleId) {
  const token = sessionStorage.getItem("showrunner.idToken");
  if (!token) {
    statusLine().textContent = "Sign in to play a title.";
    return;
  }
  const response = await fetch(`/playback/${encodeURIComponent(titleId)}`, {
    headers: { Authorization: `Bearer ${token}` },
    credentials: "include",
  });
  const body = await response.json();
  if (!response.ok) {
    statusLine().textContent = body.message || `Playback refused (HTTP ${response.status}).`;
    return;
  }
  window.location.assign(`/watch.html#src=${encodeURIComponent(body.hls)}`);
}

document.addEventListener("DOMContentLoaded", () => {
  loadCatalog().catch((error) => {
    statusLine().textContent = `Catalog unavailable: ${error}`;
  });
});
