/* Live board and kiosk: refresh the element carrying data-refresh-url every 30 s without a full
   reload. The pages work without this file (the manager reloads; the kiosk shows the last list). */
(function () {
  "use strict";
  var INTERVAL_MS = 30000;

  function refresh(element) {
    var url = element.getAttribute("data-refresh-url");
    // Never replace the region while someone is typing or choosing inside it.
    if (element.contains(document.activeElement) && document.activeElement !== document.body) { return; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        element.replaceChildren.apply(element, Array.prototype.slice.call(doc.body.childNodes));
        element.setAttribute("data-refreshed", new Date().toISOString());
      })
      .catch(function () {
        element.setAttribute("data-refresh-failed", new Date().toISOString());
      });
  }

  function start() {
    var regions = document.querySelectorAll("[data-refresh-url]");
    Array.prototype.forEach.call(regions, function (element) {
      window.setInterval(function () {
        if (document.visibilityState === "visible") { refresh(element); }
      }, INTERVAL_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
