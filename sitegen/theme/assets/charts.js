// Draws each chart with vega-embed once it comes near the viewport. The Vega
// bundle (~300 KB gzipped) is fetched only then, from this site, and cached.
(function () {
  "use strict";
  var script = document.currentScript;
  var bundleUrl = script && script.getAttribute("data-vega");
  var targets = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  // Printed pages show every chart's table, whether or not the chart was drawn.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.chart-data"), function (d) { d.open = true; });
  });
  if (!bundleUrl || !targets.length) return;
  var loading = null;

  function loadBundle() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = bundleUrl;
        tag.onload = resolve;
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  var locale = readJson("vega-locale") || {};

  function draw(target) {
    loadBundle().then(function () {
      var spec = readJson(target.getAttribute("data-chart"));
      return window.vegaEmbed(target, spec, {
        actions: false,
        renderer: "svg",
        ast: true,  // expressions are interpreted, not compiled with eval: the CSP forbids eval
        formatLocale: locale.number,
        timeFormatLocale: locale.time,
        loader: { target: "_self" }  // loader options: map areas open their page in this tab
      });
    }).then(function () {
      target.setAttribute("data-drawn", "true");
      var details = target.parentNode.querySelector("details.chart-data");
      if (details) details.removeAttribute("open");
    }).catch(function (error) {
      target.setAttribute("data-error", String(error));
    });
  }

  if (!("IntersectionObserver" in window)) {
    targets.forEach(draw);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        draw(entry.target);
      }
    });
  }, { rootMargin: "200px 0px" });
  targets.forEach(function (target) { observer.observe(target); });
})();
