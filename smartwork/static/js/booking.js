/* Day view: pick slots in the table to fill the booking form (the links work without this file). */
(function () {
  "use strict";

  function setSelect(form, name, value) {
    var select = form.querySelector('select[name="' + name + '"]');
    if (!select) { return false; }
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === value) { select.value = value; return true; }
    }
    return false;
  }

  function init() {
    var grid = document.querySelector("[data-booking-grid]");
    var form = document.querySelector("[data-booking-form]");
    if (!grid || !form) { return; }
    var picked = null; /* the first click: {space, start} */
    grid.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-space]");
      if (!link) { return; }
      event.preventDefault();
      var space = link.getAttribute("data-space");
      var start = link.getAttribute("data-start");
      var end = link.getAttribute("data-end");
      if (picked && picked.space === space && start > picked.start) {
        setSelect(form, "end", end);
        picked = null;
      } else {
        setSelect(form, "space", space);
        setSelect(form, "start", start);
        setSelect(form, "end", end);
        picked = { space: space, start: start };
      }
      Array.prototype.forEach.call(grid.querySelectorAll("a[aria-pressed]"), function (a) {
        a.removeAttribute("aria-pressed");
      });
      if (picked) { link.setAttribute("aria-pressed", "true"); }
      form.scrollIntoView({ behavior: "smooth", block: "nearest" });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
