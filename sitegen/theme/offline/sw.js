// sitegen's service worker: pages a reader has opened stay readable without a network.
//
// Pages (and the other files of the site but the downloads) are fetched from the network first
// and kept; without a network the kept copy is served, marked with when it was kept, and the
// page says so (assets/site.js). The build's fingerprinted assets never change under one name, so
// they come from the cache first; other files of assets/ (a site's own logo, say) from the network
// first. Each build that changes the code or the assets' names has a new VERSION, and a new cache:
// the previous one is deleted when this worker takes over.
"use strict";

var VERSION = "{{VERSION}}";
var SCOPE = self.registration.scope;
// Named by the site's address too: two sitegen sites on one host (user.github.io/a/, /b/) keep
// their own caches, and a new version deletes only its own site's old one.
var PREFIX = "sitegen " + SCOPE + " ";
var CACHE = PREFIX + VERSION;
var PRECACHE = {{PRECACHE}};  // the stylesheet, the script every page loads, the icon
var FINGERPRINTED = /\.[0-9a-f]{10}\.(css|js)$/;  // assets/style.<hash>.css: never changes under its name
var NOT_KEPT = ["unduh/", "api/", "admin/"];  // large files and the editor: always from the network

function kept(url) {
  if (url.indexOf(SCOPE) !== 0) return false;
  var path = url.slice(SCOPE.length);
  return !NOT_KEPT.some(function (prefix) { return path.indexOf(prefix) === 0; });
}

function stamped(response) {
  // A copy of the response that says when it was kept (assets/site.js reads it off the page).
  return response.blob().then(function (body) {
    var headers = new Headers(response.headers);
    headers.set("X-Sitegen-Saved", new Date().toISOString());
    return new Response(body, {status: response.status, statusText: response.statusText, headers: headers});
  });
}

function keep(request, response) {
  if (!response || response.status !== 200 || response.type !== "basic") return Promise.resolve();
  return stamped(response.clone()).then(function (copy) {
    return caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  });
}

function markedAsSaved(response) {
  // A kept page, served without a network: the <html> element carries the time it was kept.
  var saved = response.headers.get("X-Sitegen-Saved") || "";
  var type = response.headers.get("Content-Type") || "";
  if (type.indexOf("text/html") !== 0) return response;
  return response.text().then(function (html) {
    var marked = html.replace(/<html\b/i, '<html data-saved-copy="' + saved.replace(/[^0-9TZ:.-]/g, "") + '"');
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    return new Response(marked, {status: 200, headers: headers});
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (path) { return new Request(SCOPE + path); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX) === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !kept(request.url)) return;
  var url = request.url.split("#")[0].split("?")[0];
  if (url.indexOf(SCOPE + "assets/") === 0 && FINGERPRINTED.test(url)) {
    event.respondWith(caches.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        return keep(request, response.clone()).then(function () { return response; });
      });
    }));
    return;
  }
  event.respondWith(fetch(request).then(function (response) {
    event.waitUntil(keep(request, response.clone()));
    return response;
  }, function (failure) {
    return caches.match(request, {ignoreSearch: true}).then(function (hit) {
      if (!hit) throw failure;
      return markedAsSaved(hit);
    });
  }));
});

// A page opened before this worker took over asks for itself and what it loaded to be kept
// (assets/site.js); the worker answers when they are.
self.addEventListener("message", function (event) {
  var urls = ((event.data || {}).keep || []).filter(kept);
  event.waitUntil(Promise.all(urls.map(function (url) {
    return caches.match(url).then(function (hit) {
      return hit || fetch(url).then(function (response) { return keep(url, response); });
    }).catch(function () {});
  })).then(function () {
    if (event.source) event.source.postMessage({kept: urls});
  }));
});
