/* smartwork: small progressive enhancement. Every page works without this file. */
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  /* Phones: fold the main navigation behind a menu button. */
  function setupMenu() {
    var button = document.querySelector(".menu-toggle");
    var nav = button ? button.closest(".header-row") : null;
    if (!button || !nav) { return; }
    nav.classList.add("is-collapsible");
    nav.setAttribute("data-open", "false");
    button.setAttribute("aria-expanded", "false");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      nav.setAttribute("data-open", String(open));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        nav.setAttribute("data-open", "false");
        button.focus();
      }
    });
  }

  /* Buttons with data-confirm ask before their form is sent (no inline onclick under our CSP). */
  function setupConfirm() {
    document.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      var message = (submitter && submitter.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) { event.preventDefault(); }
    });
  }

  /* Print buttons (QR sheets): <button class="js-print" hidden> is shown and prints the page. */
  function setupPrint() {
    Array.prototype.forEach.call(document.querySelectorAll(".js-print"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function init() { setupMenu(); setupConfirm(); setupPrint(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
