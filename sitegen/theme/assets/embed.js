// An embed page (sematkan.html) tells the page around its iframe how tall it is, whenever that
// changes (a chart drawn, a table opened), so the iframe code sitegen offers can fit it exactly.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function tell() {
    var height = document.documentElement.getBoundingClientRect().height;
    if (Math.abs(height - last) < 1) return;
    last = height;
    window.parent.postMessage({"sitegen-height": height}, "*");
  }
  if (typeof ResizeObserver === "function") new ResizeObserver(tell).observe(document.documentElement);
  window.addEventListener("load", tell);
  window.addEventListener("hashchange", tell);
  tell();
})();
