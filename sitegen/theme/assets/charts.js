// Draws each chart with vega-embed once it comes near the viewport. The Vega
// bundle (~300 KB gzipped) is fetched only then, from this site, and cached.
//
// A drawn chart replaces its data table (the table folds away into its
// <details>). On a slow connection the bundle may arrive while the reader is
// looking at that table, so the swap moves nothing on screen (no layout shift):
// the chart is drawn into a folded canvas (data-pending, see style.css); near the
// screen, the table folds while its section keeps its height, and a frame later
// the chart unfolds in its place; the section's extra height is released once it
// is a screen away (far above the screen, the page scrolls by the difference).
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
  var observing = typeof IntersectionObserver === "function";
  var loading = null;
  var bundleArrived = function () {};

  function loadBundle() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = bundleUrl;
        tag.onload = function () { resolve(); bundleArrived(); };
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

  function screenHeight() {
    return window.innerHeight || document.documentElement.clientHeight;
  }

  // "above" or "below" when the box is more than a screen away from the screen (so
  // that the frame before cannot have shown it either), else "near".
  function where(rect) {
    var screen = screenHeight();
    return rect.bottom <= -screen ? "above" : rect.top >= 2 * screen ? "below" : "near";
  }

  // whenAway(section, fn) runs fn once the section is more than a screen away.
  var waiting = [];
  var awayObserver = observing ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) return;
      awayObserver.unobserve(entry.target);
      var due = waiting.filter(function (item) { return item[0] === entry.target; });
      waiting = waiting.filter(function (item) { return item[0] !== entry.target; });
      due.forEach(function (item) { item[1](); });
    });
  }, { rootMargin: "100% 0px" }) : null;

  function whenAway(section, fn) {
    waiting.push([section, fn]);
    awayObserver.observe(section);
  }

  // Makes `change`, which alters only `section`, without moving what is on screen.
  // Far above the screen, the page scrolls by the section's change in height (where
  // the browser anchors the scroll itself, the difference left is 0). Near the
  // screen, the part of the section down to the end of the screen keeps its height
  // until the section is a screen away; that height is set before the change, so
  // that no layout in between gives the browser's scroll anchoring anything to do.
  function settle(section, change) {
    var before = section.getBoundingClientRect();
    var place = observing ? where(before) : "below";
    var keep = Math.min(before.bottom, screenHeight()) - before.top;
    if (place === "above") {
      change();
      var delta = Math.round(section.getBoundingClientRect().bottom - before.bottom);
      if (delta) window.scrollBy(0, delta);
    } else if (place === "below" || keep <= 0) {
      change();
    } else {
      section.style.minHeight = keep + "px";
      change();
      if (!section.hasAttribute("data-held")) {
        section.setAttribute("data-held", "");
        whenAway(section, function () {
          section.removeAttribute("data-held");
          settle(section, function () { section.style.minHeight = ""; });
        });
      }
    }
  }

  function afterPaint(fn) {
    if (window.requestAnimationFrame) {
      window.requestAnimationFrame(function () { window.requestAnimationFrame(fn); });
    } else {
      setTimeout(fn, 50);
    }
  }

  // The chart was drawn into its folded canvas: unfold it and fold its table.
  function reveal(target) {
    var section = (target.closest && target.closest("section")) || target.parentNode;
    var details = target.parentNode.querySelector("details.chart-data");
    var after = [];  // what follows the chart in its section: notes, the table
    for (var node = target.nextElementSibling; node; node = node.nextElementSibling) {
      if (node.tagName !== "SCRIPT") after.push(node);
    }
    function fold() {
      if (details) details.removeAttribute("open");
      after.forEach(function (node) { node.style.display = "none"; });
    }
    function unfold() {
      target.removeAttribute("data-pending");
      after.forEach(function (node) { node.style.display = ""; });
    }
    function swap() {
      fold();
      unfold();
    }
    target.setAttribute("data-drawn", "true");
    var rect = section.getBoundingClientRect();
    if (!observing || where(rect) !== "near" || rect.top >= screenHeight()) {
      settle(section, swap);  // below the screen, only what follows the section moves
    } else if (details && target.getBoundingClientRect().top < 0 && details.getBoundingClientRect().bottom > 0) {
      // The reader is past the chart's place, on its table: leave the table alone
      // until the section is a screen away.
      whenAway(section, function () { settle(section, swap); });
    } else {
      // First the table folds away, hidden with what else follows the chart, while the
      // section keeps its height; a frame later the chart unfolds where the table began
      // and the rest comes back below it: nothing seen moves, only appears.
      settle(section, fold);
      afterPaint(function () { settle(section, unfold); });
    }
  }

  var started = [];

  function draw(target) {
    if (started.indexOf(target) >= 0) return;
    started.push(target);
    loadBundle().then(function () {
      var spec = readJson(target.getAttribute("data-chart"));
      target.setAttribute("data-pending", "");  // drawn folded, unfolded by reveal()
      return window.vegaEmbed(target, spec, {
        actions: false,
        renderer: "svg",
        ast: true,  // expressions are interpreted, not compiled with eval: the CSP forbids eval
        formatLocale: locale.number,
        timeFormatLocale: locale.time,
        loader: { target: "_self" }  // loader options: map areas open their page in this tab
      });
    }).then(function () {
      reveal(target);
    }).catch(function (error) {
      target.removeAttribute("data-pending");
      target.setAttribute("data-error", String(error));
    });
  }

  if (!observing) {
    targets.forEach(draw);
    return;
  }

  function observe(margin) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: margin });
    targets.forEach(function (target) { if (started.indexOf(target) < 0) observer.observe(target); });
    return observer;
  }

  // The first chart near the screen fetches the bundle; once it is here, the other
  // charts are drawn a screen ahead of the reader, before they can be seen.
  var near = observe("200px 0px");
  bundleArrived = function () {
    near.disconnect();
    observe("100% 0px");
  };
})();
