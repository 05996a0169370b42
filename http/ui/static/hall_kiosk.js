// dost kiosk: after showing an issued ticket for a while, return to the
// kiosk's start for the next visitor.
(function () {
  "use strict";
  var el = document.querySelector("[data-return]");
  if (!el) {
    return;
  }
  var seconds = parseInt(el.getAttribute("data-return-seconds"), 10) || 45;
  window.setTimeout(function () {
    window.location.assign(el.getAttribute("data-return"));
  }, seconds * 1000);
})();
