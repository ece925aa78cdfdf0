/* Marsa service worker: lessons can be read offline once opened.
 *
 * Served at /sw.js (course/views/offline.py) so that its scope is the whole site; registered by
 * static/js/offline.js for signed-in people only.
 *
 * - Pages: only GET navigations to the dashboard, a module page or a lesson page, network first.
 *   Each good answer (200, HTML, not redirected) is kept, even when the server asked the browser's
 *   own HTTP cache not to store it (the dashboard and module pages show scores: "no-store"): this
 *   cache is the worker's own, and offline.js empties it at sign-out. When the network fails
 *   the kept copy is served, with data-offline-copy on <body> so that offline.js shows the
 *   "Offline copy" marker. A reading page never opened online gets Marsa's offline page instead
 *   (/offline, kept in the officer's language whenever a page hands it over), which lists the
 *   pages kept on this device. Nothing else is ever cached: no POST, no quiz, no attempt, no
 *   result, no staff page, no download.
 * - /static/ files: cache first. Fingerprinted URLs (?v=<hash of the file>, see app.py) never
 *   change, so a kept copy is simply served, and older versions of the same file are dropped;
 *   a file without a fingerprint is served from the cache and refreshed in the background. Offline,
 *   a missing version falls back to any kept version of the same file.
 */
"use strict";

// The release's identity replaces "dev" when /sw.js is served (course/views/offline.py): each release
// is a new worker, whose "activate" drops the caches of the one before.
var VERSION = "dev";
var PAGES = "marsa-pages-" + VERSION;
var STATIC = "marsa-static-" + VERSION;
var ROOT = new URL(self.registration.scope).pathname.replace(/\/$/, "");  // "" unless under a prefix

// "/", "/modules/<slug>" and "/modules/<slug>/lessons/<key>" (relative to ROOT), nothing else.
function isReadingPage(path) {
  return /^\/(?:modules\/[^/]+(?:\/lessons\/[^/]+)?)?$/.test(path);
}

function localPath(url) {
  if (url.origin !== self.location.origin || url.pathname.indexOf(ROOT + "/") !== 0) { return null; }
  return url.pathname.slice(ROOT.length);
}

function keepable(response) {
  var type = response.headers.get("Content-Type") || "";
  return response.status === 200 && response.type === "basic" && !response.redirected &&
    type.indexOf("text/html") === 0;
}

function pageKey(url) {
  var key = new URL(url);
  key.hash = "";
  return key.href;
}

function keepPage(url, response) {
  return caches.open(PAGES).then(function (cache) { return cache.put(pageKey(url), response); });
}

function offlineCopy(cached) {
  return cached.text().then(function (html) {
    var saved = (cached.headers.get("Date") || "").replace(/[^\w ,:+-]/g, "");
    html = html.replace(/<body([^>]*)>/i, '<body$1 data-offline-copy="' + saved + '">');
    var headers = new Headers(cached.headers);
    headers.set("X-Marsa-Offline-Copy", "1");
    headers.delete("Content-Length");
    return new Response(html, { status: 200, statusText: "OK", headers: headers });
  });
}

function offlinePageKey() {
  return self.location.origin + ROOT + "/offline";
}

function offlinePage(cached) {
  var headers = new Headers(cached.headers);
  headers.set("X-Marsa-Offline-Page", "1");
  return new Response(cached.body, { status: 200, statusText: "OK", headers: headers });
}

function networkFirst(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    if (keepable(response)) { event.waitUntil(keepPage(request.url, response.clone())); }
    return response;
  }, function (error) {
    return caches.open(PAGES).then(function (cache) {
      return cache.match(pageKey(request.url)).then(function (cached) {
        if (cached) { return offlineCopy(cached); }
        // Never opened online: Marsa's offline page, listing what was (before the browser's own).
        return cache.match(offlinePageKey()).then(function (page) {
          if (!page) { throw error; }
          return offlinePage(page);
        });
      });
    });
  });
}

// The offline page, fetched again only when the kept one is missing or in another language.
function keepOfflinePage(lang) {
  var key = offlinePageKey();
  return caches.open(PAGES).then(function (cache) {
    return cache.match(key).then(function (cached) {
      if (!cached) { return false; }
      return cached.text().then(function (html) { return html.indexOf('<html lang="' + lang + '"') !== -1; });
    }).then(function (current) {
      if (current) { return undefined; }
      return fetch(key, { credentials: "same-origin" }).then(function (response) {
        if (keepable(response)) { return cache.put(key, response); }
        return undefined;
      });
    });
  });
}

function keepStatic(cache, request, response) {
  var url = new URL(request.url);
  return cache.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {  // an older version of the same file
      var kept = new URL(key.url);
      return kept.pathname === url.pathname && kept.search !== url.search;
    }).map(function (key) { return cache.delete(key); }));
  }).then(function () { return cache.put(request, response); });
}

function fromNetwork(cache, request) {
  return fetch(request).then(function (response) {
    if (response.status === 200 && response.type === "basic") {
      return keepStatic(cache, request, response.clone()).then(function () { return response; });
    }
    return response;
  });
}

function cacheFirst(event) {
  var request = event.request;
  var fingerprinted = /[?&]v=/.test(new URL(request.url).search);
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request).then(function (cached) {
      if (cached) {
        if (!fingerprinted) {
          event.waitUntil(fromNetwork(cache, request).catch(function () { /* offline: the kept copy was served */ }));
        }
        return cached;
      }
      return fromNetwork(cache, request).catch(function (error) {
        return cache.match(request, { ignoreSearch: true }).then(function (older) {
          if (!older) { throw error; }
          return older;
        });
      });
    });
  });
}

function keepAssets(urls) {
  return caches.open(STATIC).then(function (cache) {
    return Promise.all(urls.map(function (href) {
      var url = new URL(href, self.location.href);
      var path = localPath(url);
      if (path === null || path.indexOf("/static/") !== 0) { return undefined; }
      var request = new Request(url.href, { credentials: "same-origin" });
      return cache.match(request).then(function (cached) {
        return cached || fromNetwork(cache, request).catch(function () { /* offline again */ });
      });
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("marsa-") === 0 && key !== PAGES && key !== STATIC;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var path = localPath(new URL(request.url));
  if (path === null) { return; }
  if (path.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(event));
  } else if (request.mode === "navigate" && isReadingPage(path)) {
    event.respondWith(networkFirst(event));
  }
});

// offline.js hands over the page it was loaded on, with its stylesheets, scripts and icon: that
// first visit came before the worker was in control, so the worker saw none of it.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep-offline-page" && /^[a-z]{2}$/.test(data.lang || "")) {
    event.waitUntil(keepOfflinePage(data.lang).catch(function () { /* offline: the kept one stays */ }));
    return;
  }
  if (data.type !== "keep-page" || typeof data.url !== "string") { return; }
  var assets = Array.isArray(data.assets) ? data.assets.filter(function (a) { return typeof a === "string"; }) : [];
  var kept = keepAssets(assets.slice(0, 20));
  var url = new URL(data.url, self.location.href);
  var path = localPath(url);
  if (path !== null && isReadingPage(path)) {
    kept = Promise.all([kept, fetch(url.href, { credentials: "same-origin" }).then(function (response) {
      if (keepable(response)) { return keepPage(url.href, response); }
      return undefined;
    })]);
  }
  event.waitUntil(kept.catch(function () { /* offline again: nothing to keep */ }));
});
