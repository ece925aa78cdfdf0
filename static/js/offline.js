/* Offline reading, the page's half (the worker is static/js/sw.js, served at /sw.js).
 *
 * - A page served by the worker from its offline copy carries data-offline-copy on <body>: show
 *   the "Offline copy" marker at the top of the main content.
 * - Signed in (data-offline="on"): register the worker, and hand it this page and the files it
 *   uses, which it did not see because it was not yet in control when the page loaded.
 * - Signed out (data-offline="off"): forget the pages kept on this device, so that the next person
 *   at a shared computer cannot read someone else's dashboard offline.
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
      if (!controlled && registration.active) {
        var assets = Array.prototype.map.call(
          document.querySelectorAll("link[rel~=stylesheet][href], link[rel~=icon][href], script[src]"),
          function (element) { return element.href || element.src; });
        registration.active.postMessage({ type: "keep-page", url: window.location.href, assets: assets });
      }
    })
    .catch(function () { /* no worker (private window, old browser): pages simply need the network */ });
}());
