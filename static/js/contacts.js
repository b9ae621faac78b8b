/* The contacts pages, small and optional: every page works without it.
 *
 * - Choosing another sort reorders the list at once (without this script: the Search button).
 *
 * Loaded as a file: the Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";

  function sortSubmitOnChange() {
    var select = document.getElementById("contact-sort");
    if (!select || !select.form) return;
    select.addEventListener("change", function () {
      select.form.requestSubmit();
    });
  }

  function setUp() {
    sortSubmitOnChange();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
