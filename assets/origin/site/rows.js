// The catalog page's personal rows, above the catalog: "Trending in <country>" (GET /trending) and "Recommended
// for you" (GET /me/recommendations; shown when the viewer has recommendations of their own: a viewer without
// history gets trending, which the first row already shows). A title plays as the catalog's do (play()).
"use strict";

(() => {
  async function get(path, token) {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
    return response.ok ? response.json() : null;
  }

  function place(code) {
    try {
      return new Intl.DisplayNames(["en"], { type: "region" }).of(code) || code;
    } catch {
      return code;
    }
  }

  function row(id, heading, titles) {
    const section = document.getElementById(id);
    if (!titles || !titles.length) {
      section.hidden = true;
      return;
    }
    section.querySelector("h2").textContent = heading;
    section.querySelector("ul").replaceChildren(
      ...titles.map((title) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.textContent = `${title.name}${title.year ? ` (${title.year})` : ""}`;
        button.dataset.titleId = title.titleId;
        button.addEventListener("click", () => window.play(title.titleId));
        item.append(button);
        return item;
      }),
    );
    section.hidden = false;
  }

  async function show() {
    const token = await window.ShowrunnerAuth.accessToken().catch(() => null);
    if (!token) {
      return;
    }
    const [trending, mine] = await Promise.all([get("/trending", token), get("/me/recommendations", token)]);
    if (trending && trending.country) {
      sessionStorage.setItem("showrunner.country", trending.country); // the watch page's events carry it
    }
    if (trending) {
      const where = trending.scope && trending.scope !== "ALL" ? `Trending in ${place(trending.scope)}` : "Trending now";
      row("trending-row", where, trending.titles);
    }
    if (mine && mine.source === "recommendations") {
      row("recommended-row", "Recommended for you", mine.titles);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    show().catch(() => {}); // the rows are extra: the catalog below works without them
  });
})();
