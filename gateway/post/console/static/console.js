// The officer's console: refresh the status, changes and hits panels every few seconds,
// and submit the MRZ box on Ctrl+Enter or as soon as a scanner has typed a whole zone.
// Plain JavaScript, no library, nothing fetched from anywhere but this post.
"use strict";
(function () {
  const body = document.body;
  const base = body.dataset.base || "";
  const every = parseInt(body.dataset.liveEvery || "3000", 10);
  const unreachable = document.getElementById("unreachable");

  function put(id, html) {
    const el = document.getElementById(id);
    if (el && typeof html === "string" && el.innerHTML !== html) el.innerHTML = html;
  }

  async function refresh() {
    if (!document.getElementById("status")) return; // the sign-in page has no live panels
    try {
      const response = await fetch(base + "/console/live", {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      });
      if (response.status === 401) { window.location.assign(base + "/"); return; }
      const data = await response.json();
      put("status", data.status_html);
      put("changes", data.changes_html);
      put("hits", data.hits_html);
      body.dataset.feed = data.feed;
      unreachable.hidden = true;
    } catch (error) {
      unreachable.textContent = body.dataset.unreachable;
      unreachable.hidden = false;
      body.dataset.feed = "unreachable";
    }
  }

  // A whole zone: 3 lines of 30 (TD1), 2 of 36 (TD2, MRV-B) or 2 of 44 (TD3, MRV-A).
  function complete(text) {
    const lines = text.toUpperCase().split(/\r?\n/).map((l) => l.trim()).filter((l) => l);
    const widths = lines.map((l) => l.length).join(",");
    return widths === "30,30,30" || widths === "36,36" || widths === "44,44";
  }

  const mrz = document.getElementById("mrz");
  if (mrz) {
    let sent = false;
    const submit = () => { if (!sent) { sent = true; mrz.form.requestSubmit(); } };
    mrz.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); }
    });
    // A scanner types the zone fast, with or without a last Enter: submit once it is whole
    // and nothing more came for a moment.
    let timer = 0;
    mrz.addEventListener("input", () => {
      clearTimeout(timer);
      if (complete(mrz.value)) timer = setTimeout(() => { if (complete(mrz.value)) submit(); }, 300);
    });
    if (mrz.hasAttribute("autofocus")) { mrz.focus(); mrz.select(); }
  }
  const results = document.getElementById("results");
  if (results && document.getElementById("summary") && !document.activeElement.matches("input, textarea")) {
    results.focus();
  }
  if (document.getElementById("status")) { setInterval(refresh, every); }
})();
