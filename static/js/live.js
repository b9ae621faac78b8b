/* The live pages (a call's page, the dashboard): what htmx and its morph extension leave to us.
 *
 * - The talk timer (`time.timer[data-elapsed]`) counts on each second from the seconds the
 *   server measured when it drew it, in the page's language (the server's duration patterns, in
 *   data-format-*). The server's own clock is the reference: the browser's may be off.
 * - Focus: the polls morph the page in place, so a focused element that stays keeps the focus.
 *   When the one focused goes (the call ended and "Hang up" with it), the focus moves to the
 *   page's `[data-live-focus]` (the wrap-up's heading), not to the top of the page.
 * - Forms: once shown, a `[data-live-keep-form]` slot's form is left to the person filling it in.
 *
 * No inline script: the Content-Security-Policy forbids it.
 */
(function () {
  "use strict";

  // "%(minutes)d min %(seconds)02d s" with {minutes: 1, seconds: 5} → "1 min 05 s".
  function formatted(pattern, values) {
    return pattern.replace(/%(?:\((\w+)\)(0?)(\d*)d|%)/g, function (all, name, zero, width) {
      if (!name) return "%";
      var text = String(values[name]);
      while (zero && text.length < Number(width)) text = "0" + text;
      return text;
    });
  }

  function durationText(timer, seconds) {
    var values = {
      hours: Math.floor(seconds / 3600),
      minutes: Math.floor((seconds % 3600) / 60),
      seconds: seconds % 60,
    };
    if (values.hours) return formatted(timer.dataset.formatHours, values);
    if (values.minutes) return formatted(timer.dataset.formatMinutes, values);
    return formatted(timer.dataset.formatSeconds, values);
  }

  function timersTick() {
    document.querySelectorAll("time.timer[data-elapsed]").forEach(function (timer) {
      // A poll brings the server's newer measure: count on from it.
      if (timer.liveFrom !== timer.dataset.elapsed) {
        timer.liveFrom = timer.dataset.elapsed;
        timer.liveBase = parseFloat(timer.dataset.elapsed) || 0;
        timer.liveAnchor = performance.now();
      }
      var seconds = Math.floor(timer.liveBase + (performance.now() - timer.liveAnchor) / 1000);
      var text = durationText(timer, seconds);
      // Written only when it changes: the timer is not a live region, but a morph compares it.
      if (timer.textContent !== text) timer.textContent = text;
      timer.setAttribute("datetime", "PT" + seconds + "S");
    });
  }

  var focusedBeforeSwap = null;

  function focusRemember() {
    if (document.activeElement && document.activeElement !== document.body) {
      focusedBeforeSwap = document.activeElement;
    }
  }

  function focusKeep() {
    var lost = focusedBeforeSwap && !focusedBeforeSwap.isConnected;
    focusedBeforeSwap = null;
    if (!lost || (document.activeElement && document.activeElement !== document.body)) return;
    var next = document.querySelector("[data-live-focus]");
    if (next) next.focus();
  }

  // A form a person may be filling in (the wrap-up, in a `[data-live-keep-form]` slot) is never
  // morphed again once shown: a late poll would put the server's empty values back.
  function formKeep(event) {
    var target = event.detail.target;
    if (target.hasAttribute("data-live-keep-form") && target.querySelector("form")) {
      event.detail.shouldSwap = false;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    timersTick();
    document.body.addEventListener("htmx:oobBeforeSwap", formKeep);
    setInterval(timersTick, 250);
    document.body.addEventListener("htmx:beforeSwap", focusRemember);
    document.body.addEventListener("htmx:afterSwap", timersTick);
    document.body.addEventListener("htmx:afterSettle", focusKeep);
  });
})();
