// Every page's script. Offline reading: registers the site's service worker (sw.js, at the site's root), asks it to
// keep this page and what it loaded, and, on a copy the worker kept and served without a
// network, shows when that copy was saved. Without JavaScript, or without service workers, the
// site works as before, only online.
(function () {
  "use strict";
  var script = document.currentScript;
  var root = new URL("../", script.src);
  var saved = document.documentElement.getAttribute("data-saved-copy");
  var note = document.getElementById("saved-copy");
  if (saved && note) {
    var when = new Date(saved);
    var time = note.querySelector("time");
    if (!isNaN(when) && time) {
      time.dateTime = saved;
      time.textContent = when.toLocaleString(document.documentElement.lang || undefined,
                                             {dateStyle: "long", timeStyle: "short"});
    }
    note.hidden = false;
  }
  // The embed codes name the address the site was built for (its base_url). Served from another
  // address (a preview, a mirror, a site built without its real --base-url), they name this one.
  var codes = document.querySelector(".embed-codes[data-base-url]");
  if (codes && /^https?:$/.test(root.protocol)) {
    var builtFor = 'src="' + codes.getAttribute("data-base-url");
    var here = 'src="' + root.href.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
    if (builtFor !== here) {
      Array.prototype.forEach.call(codes.querySelectorAll("textarea"), function (field) {
        field.value = field.value.split(builtFor).join(here);
      });
    }
  }
  // Copy buttons (the embed codes of a region page): shown only where they work.
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = button.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        if (document.execCommand("copy")) done();
      }
    });
  });
  if (!("serviceWorker" in navigator) || !window.isSecureContext || root.protocol === "file:") return;
  navigator.serviceWorker.addEventListener("message", function (event) {
    if (event.data && event.data.kept) document.documentElement.setAttribute("data-offline-ready", "");
  });
  navigator.serviceWorker.register(new URL("sw.js", root).href).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    // This page and what it loaded, now and later (the chart bundle comes when a chart nears the
    // screen): kept even before the worker controls the page.
    var worker = registration.active;
    var names = function (entries) { return entries.map(function (entry) { return entry.name; }); };
    worker.postMessage({keep: [location.href.split("#")[0]].concat(names(performance.getEntriesByType("resource")))});
    if (typeof PerformanceObserver === "function") {
      new PerformanceObserver(function (list) { worker.postMessage({keep: names(list.getEntries())}); })
        .observe({type: "resource"});
    }
  }).catch(function () {});
})();
