/* The contacts pages, small and optional: every page works without it.
 *
 * - After a failed add or save, the first invalid field takes the focus (and comes into view), so
 *   a person on a phone sees the error next to it instead of the top of the page; a screen reader
 *   reads the field with its error (aria-describedby).
 * - Choosing another sort reorders the list at once (without this script: the Search button).
 *
 * Loaded as a file: the Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";

  function firstInvalidFocus() {
    var field = document.querySelector('.contact-form [aria-invalid="true"]');
    if (!field) return;
    field.focus({ preventScroll: true });
    field.scrollIntoView({ block: "center" });
  }

  function sortSubmitOnChange() {
    var select = document.getElementById("contact-sort");
    if (!select || !select.form) return;
    select.addEventListener("change", function () {
      select.form.requestSubmit();
    });
  }

  function setUp() {
    firstInvalidFocus();
    sortSubmitOnChange();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
