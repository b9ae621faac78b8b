/* Playback speed for the recordings' players: a <select data-playback-for="audio id"> next to
 * each <audio> sets its playbackRate. Listens on the document, so players that htmx swaps in (the
 * call page's recording panel) work too; loaded once however often the panel is swapped.
 * No inline script or handlers: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";
  if (window.recordingSpeedReady) return;
  window.recordingSpeedReady = true;

  function speedApply(select) {
    var audio = document.getElementById(select.dataset.playbackFor);
    var rate = parseFloat(select.value);
    if (!audio || !(rate > 0)) return;
    // Loading the file (preload="none": on the first play) resets playbackRate to the default.
    audio.defaultPlaybackRate = rate;
    audio.playbackRate = rate;
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-playback-for]")) speedApply(select);
  });
  // "play" does not bubble: listen while it goes down instead.
  document.addEventListener(
    "play",
    function (event) {
      var audio = event.target;
      if (!audio.id) return;
      var select = document.querySelector('select[data-playback-for="' + audio.id + '"]');
      if (select) speedApply(select);
    },
    true
  );
})();
