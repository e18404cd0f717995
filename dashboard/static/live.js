// Keeps a region of the page up to date without reloading: every few seconds it fetches the
// URL in data-live-src and replaces the region's content (only when it changed).
(function () {
  "use strict";
  document.querySelectorAll("[data-live-src]").forEach(function (region) {
    var url = region.getAttribute("data-live-src");
    var every = parseInt(region.getAttribute("data-live-every") || "3000", 10);
    var last = null;
    function refresh() {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null && html !== last) { last = html; region.innerHTML = html; }
        })
        .catch(function () { /* offline for a moment: try again on the next tick */ })
        .finally(function () { setTimeout(refresh, every); });
    }
    setTimeout(refresh, every);
  });
})();
