/* Offline reading, the page's half (the worker is static/js/sw.js, served at /sw.js).
 *
 * - A page served by the worker from its offline copy carries data-offline-copy on <body>: show
 *   the "Offline copy" marker at the top of the main content.
 * - Signed in (data-offline="on"): register the worker, and hand it this page and the files it
 *   uses, which it did not see because it was not yet in control when the page loaded.
 * - Signed out (data-offline="off"): forget the pages kept on this device, so that the next person
 *   at a shared computer cannot read someone else's dashboard offline.
 * - Marsa's offline page (shown by the worker for a page never opened online) lists the pages kept
 *   on this device, read from the worker's cache.
 * - "Mark as read" (a form with data-read-later) is sent in the background; when the network fails
 *   the mark is kept in localStorage, under the signed-in person (data-owner), with the time it
 *   was pressed, shown as waiting, and sent from whichever page is open when the connection
 *   returns (or at the next page load) with that time, which the server dates the read by.
 * The texts come translated from the template, in data-msg-* attributes.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }

  function showMarker() {
    var main = document.getElementById("main");
    if (!main || document.getElementById("offline-copy")) { return; }
    var note = document.createElement("p");
    note.id = "offline-copy";
    note.className = "notice offline-copy";
    note.setAttribute("role", "status");
    var title = document.createElement("strong");
    title.textContent = script.getAttribute("data-msg-title");
    note.appendChild(title);
    note.appendChild(document.createTextNode(" · " + script.getAttribute("data-msg-text")));
    main.insertBefore(note, main.firstChild);
  }

  if (document.body && document.body.hasAttribute("data-offline-copy")) { showMarker(); }

  // --- lessons marked as read offline ------------------------------------------------------------
  var owner = script.getAttribute("data-owner");
  var QUEUE = "marsa-read-later-" + owner;

  // Each kept mark as {url, at}: the lesson's "read" address and when it was pressed (ISO 8601, UTC).
  // A mark kept by an earlier version of this script is a bare address, without its time.
  function queued() {
    try {
      var list = JSON.parse(window.localStorage.getItem(QUEUE) || "[]");
      if (!Array.isArray(list)) { return []; }
      return list.map(function (entry) {
        if (typeof entry === "string") { return { url: entry, at: null }; }
        if (entry && typeof entry.url === "string") {
          return { url: entry.url, at: typeof entry.at === "string" ? entry.at : null };
        }
        return null;
      }).filter(function (entry) { return entry !== null; });
    } catch (error) { return []; }
  }

  function keepQueue(list) {
    try {
      if (list.length) { window.localStorage.setItem(QUEUE, JSON.stringify(list)); }
      else { window.localStorage.removeItem(QUEUE); }
    } catch (error) { /* storage full or off: the mark is simply not kept */ }
  }

  function formToken() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // Resolves to the JSON answer; rejects with a TypeError when the network failed.
  function sendRead(url, later, at) {
    var body = new FormData();
    body.append("csrf_token", formToken());
    if (later) { body.append("later", "1"); }
    if (later && at) { body.append("read_at", at); }
    return window.fetch(url, { method: "POST", body: body, credentials: "same-origin",
                               headers: { "Accept": "application/json" } })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        return (json ? response.json() : Promise.resolve({})).then(function (data) {
          return { status: response.status, ok: response.ok && data.ok === true, next: data.next };
        });
      });
  }

  function readForm(url) {
    return Array.prototype.filter.call(document.querySelectorAll("form[data-read-later]"),
                                       function (form) { return form.action === url; })[0];
  }

  function showState(form, message) {
    var status = form.parentNode.querySelector(".read-later");
    form.hidden = true;
    if (status) { status.textContent = form.getAttribute(message); }
  }

  var sending = false;
  function sendQueued() {
    if (sending || !owner || navigator.onLine === false) { return; }
    var list = queued();
    if (!list.length) { return; }
    sending = true;
    var url = list[0].url;
    sendRead(url, true, list[0].at).then(function (answer) {
      // Sent, or refused for good (the lesson was removed: 404; the form was not accepted: 400);
      // a 401 (signed out) keeps it for after the next sign-in.
      if (answer.ok || answer.status === 404 || answer.status === 400) {
        keepQueue(queued().filter(function (other) { return other.url !== url; }));
        var form = readForm(url);
        if (form && answer.ok) { showState(form, "data-msg-sent"); }
        sending = false;
        sendQueued();
      } else {
        sending = false;
      }
    }, function () { sending = false; });
  }

  if (owner) {
    queued().forEach(function (entry) {  // an offline copy of a lesson already marked on this device
      var form = readForm(entry.url);
      if (form) { showState(form, "data-msg-queued"); }
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-read-later") || !window.fetch) { return; }
      event.preventDefault();
      var pressed = new Date().toISOString();
      sendRead(form.action, false).then(function (answer) {
        if (answer.ok && answer.next) { window.location.assign(answer.next); }
        else { form.submit(); }  // refused (signed out, say): the plain post shows the server's answer
      }, function () {
        var list = queued();
        var known = list.some(function (entry) { return entry.url === form.action; });
        if (!known) { list.push({ url: form.action, at: pressed }); }
        keepQueue(list);
        showState(form, "data-msg-queued");
      });
    });
    window.addEventListener("online", sendQueued);
    sendQueued();
  }

  // --- the offline page: what this device kept ------------------------------------------------------
  var available = document.getElementById("offline-available");
  if (available && window.caches && window.DOMParser) {
    listKept(available);
  }

  function listKept(list) {
    window.caches.keys().then(function (keys) {
      var names = keys.filter(function (key) { return key.indexOf("marsa-pages-") === 0; });
      return Promise.all(names.map(function (name) {
        return window.caches.open(name).then(function (cache) {
          return cache.keys().then(function (requests) {
            return Promise.all(requests.map(function (request) {
              return cache.match(request).then(function (response) { return response.text(); })
                .then(function (html) { return describe(request.url, html); });
            }));
          });
        });
      }));
    }).then(function (groups) {
      var pages = [].concat.apply([], groups).filter(function (page) { return page !== null; });
      pages.sort(function (a, b) { return a.path < b.path ? -1 : (a.path > b.path ? 1 : 0); });
      if (!pages.length) {
        var none = document.createElement("li");
        none.textContent = list.getAttribute("data-msg-none");
        list.appendChild(none);
        return;
      }
      pages.forEach(function (page) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = page.url;
        link.textContent = page.title;
        item.appendChild(link);
        if (page.context) {
          var context = document.createElement("span");
          context.className = "muted";
          context.textContent = " · " + page.context;
          item.appendChild(context);
        }
        list.appendChild(item);
      });
    }).catch(function () { /* storage unavailable: the list stays empty */ });
  }

  // A kept page as a list entry: its heading, and for a lesson the module it belongs to.
  function describe(url, html) {
    var path = new URL(url).pathname;
    if (/\/offline$/.test(path)) { return null; }
    var page = new window.DOMParser().parseFromString(html, "text/html");
    var heading = page.querySelector("main h1");
    var title = (heading ? heading.textContent : page.title).trim();
    var lesson = /\/lessons\/[^/]+$/.test(path);
    var crumbs = page.querySelectorAll("nav.crumbs a");
    var module = lesson && crumbs.length ? crumbs[crumbs.length - 1].textContent.trim() : "";
    var kind = available.getAttribute(lesson ? "data-msg-lesson" : "data-msg-module");
    var context = lesson ? kind + (module ? ": " + module : "") : (/\/modules\//.test(path) ? kind : "");
    return { url: url, path: path, title: title, context: context };
  }

  if (!("serviceWorker" in navigator)) { return; }

  if (script.getAttribute("data-offline") !== "on") {
    if (window.caches) {
      window.caches.keys().then(function (keys) {
        keys.forEach(function (key) { if (key.indexOf("marsa-pages-") === 0) { window.caches.delete(key); } });
      }).catch(function () { /* storage unavailable: nothing was kept */ });
    }
    return;
  }

  var controlled = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.register(script.getAttribute("data-sw"), { scope: script.getAttribute("data-scope") })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(function (registration) {
      if (registration.active && navigator.onLine !== false && !document.body.hasAttribute("data-offline-copy")) {
        registration.active.postMessage({ type: "keep-offline-page", lang: document.documentElement.lang });
      }
      if (!controlled && registration.active) {
        var assets = Array.prototype.map.call(
          document.querySelectorAll("link[rel~=stylesheet][href], link[rel~=icon][href], script[src]"),
          function (element) { return element.href || element.src; });
        registration.active.postMessage({ type: "keep-page", url: window.location.href, assets: assets });
      }
    })
    .catch(function () { /* no worker (private window, old browser): pages simply need the network */ });
}());
