/* The portal's one script, small and optional: every page works without it.
 *
 * - The menu button: on a narrow screen the navigation folds behind it; the button opens and
 *   closes it (aria-expanded), Escape closes it and gives the focus back to the button.
 * - Wide tables: each `table.list` sits in a `.table-scroll` region; when it is wider than the
 *   screen, the region says so (a visible hint) and a keyboard can reach it (tabindex, a label).
 * - After a form comes back with errors, its first invalid field takes the focus and comes into
 *   view, so a person on a phone sees the error beside it instead of the top of the page, and a
 *   screen reader reads the field with its error (Django points aria-describedby at it).
 * - A form with data-confirm asks that question first and is sent only if the person agrees
 *   (in place of an inline onsubmit, which the Content-Security-Policy forbids).
 *
 * Loaded in <head> without `defer`, so that the `js` class is on <html> before the page is drawn
 * (the CSS folds the menu only then). No inline script: the Content-Security-Policy forbids it.
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function menuSetUp() {
    var button = document.querySelector(".menu-button");
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        button.focus();
      }
    });
    // A click outside the open menu closes it, as on any phone app.
    document.addEventListener("click", function (event) {
      if (!button.contains(event.target) && !menu.contains(event.target)) setOpen(false);
    });
  }

  function regionLabel(region) {
    var caption = region.querySelector("caption");
    var heading = caption || document.querySelector("main h1");
    return (heading ? heading.textContent.trim() + " – " : "") + document.body.dataset.scrollLabel;
  }

  function scrollRegionsMark() {
    document.querySelectorAll("main table.list").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) return;
      var region = document.createElement("div");
      region.className = "table-scroll";
      table.parentElement.insertBefore(region, table);
      region.appendChild(table);
    });
    document.querySelectorAll(".table-scroll").forEach(function (region) {
      var scrolls = region.scrollWidth > region.clientWidth + 1;
      region.classList.toggle("scrolls", scrolls);
      if (scrolls) {
        region.setAttribute("tabindex", "0");
        region.setAttribute("role", "region");
        region.setAttribute("aria-label", regionLabel(region));
        region.dataset.hint = document.body.dataset.scrollLabel;
      } else if (region.getAttribute("tabindex") === "0") {
        region.removeAttribute("tabindex");
        region.removeAttribute("role");
        region.removeAttribute("aria-label");
      }
    });
  }

  function firstInvalidFocus() {
    var field = document.querySelector('main [aria-invalid="true"]');
    if (!field || document.activeElement === field) return;
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
  }

  // Again once the page has loaded: a form posted to "…#add" comes back opened at that fragment,
  // and the browser's jump to it, after DOMContentLoaded, takes the focus back to the page.
  window.addEventListener("load", function () {
    requestAnimationFrame(firstInvalidFocus);
  });

  // Delegated from the document, so that forms htmx swaps in later ask too.
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", function () {
    menuSetUp();
    firstInvalidFocus();
    scrollRegionsMark();
    var pending;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(scrollRegionsMark, 100);
    });
    // Pages that swap parts in (htmx) may bring new tables.
    document.body.addEventListener("htmx:afterSettle", scrollRegionsMark);
  });
})();
