/* The "Open phone links here" button (templates/calls/call_number.html): asks the browser to make
 * the portal the handler of tel: links (navigator.registerProtocolHandler), which then opens
 * /call?number=<the link> for any tel: link clicked in any site. The browser itself asks the
 * person to allow it. Where a browser cannot (Safari, Firefox on Android) or the page is not in a
 * secure context (HTTPS, or localhost), the button stays hidden and the note says why.
 */
(function () {
  "use strict";
  var button = document.getElementById("tel-handler-button");
  if (!button) return;
  var status = document.getElementById("tel-handler-status");
  if (!window.isSecureContext || typeof navigator.registerProtocolHandler !== "function") {
    status.textContent = button.dataset.unsupported;
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    try {
      navigator.registerProtocolHandler("tel", button.dataset.handler);
      status.textContent = button.dataset.asked;
    } catch (error) {
      status.textContent = button.dataset.failed + " " + error.message;
    }
  });
})();
