/* Marsa quiz page: saves each answer as it is given, and never loses one.
 *
 * Every change is written first to a journal in localStorage (keyed by attempt), then sent to
 * the server with a sequence number. The server keeps the highest sequence it has seen, so a
 * replayed or out-of-order save never overwrites a newer answer. While offline the journal
 * holds the answers; when the connection returns they are replayed. Without JavaScript the
 * form still works: "Submit" and "Save and continue later" post every answer. When the session
 * has ended (401), nothing is dropped: the page goes to the sign-in form, which brings the officer
 * back here, and the journal is sent again.
 */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) { return; }
  var url = form.getAttribute("data-answer-url");
  // The journal holds the page's own field names and values: the attempt's tokens, never the
  // authoring ids. Journals from before tokens (no "-2-") cannot be read back and are dropped.
  var storageKey = "marsa-journal-2-" + form.getAttribute("data-attempt");
  try { window.localStorage.removeItem("marsa-journal-" + form.getAttribute("data-attempt")); } catch (e) { /* none */ }
  var token = form.querySelector("input[name=csrf_token]").value;
  var statusBox = document.getElementById("save-status");
  var inflight = {};
  var signingIn = false;
  var journal = {};
  // Set once the whole form is being posted ("Submit", "Save and continue later"): the post carries
  // every answer, so nothing more is saved on the side, and a late reply must not reload the page.
  var leaving = false;
  var timers = {};
  try { journal = JSON.parse(window.localStorage.getItem(storageKey) || "{}") || {}; } catch (e) { journal = {}; }

  function persist() {
    try {
      if (Object.keys(journal).length) { window.localStorage.setItem(storageKey, JSON.stringify(journal)); }
      else { window.localStorage.removeItem(storageKey); }
    } catch (e) { /* storage full or disabled: the server copy still works while online */ }
  }

  function say(kind, text) {
    statusBox.textContent = text;
    statusBox.className = "save-status " + kind;
  }

  function fieldsOf(fieldset) {
    var out = [];
    fieldset.querySelectorAll("input, select, textarea").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.name) { out.push([el.name, el.value]); }
    });
    return out;
  }

  function restore(fieldset, fields) {
    fieldset.querySelectorAll("input, select, textarea").forEach(function (el) {
      var values = fields.filter(function (f) { return f[0] === el.name; }).map(function (f) { return f[1]; });
      if (el.type === "radio" || el.type === "checkbox") { el.checked = values.indexOf(el.value) !== -1; }
      else { el.value = values.length ? values[0] : ""; }
    });
  }

  function send(questionId) {
    var entry = journal[questionId];
    if (!entry || inflight[questionId] || leaving) { return; }
    inflight[questionId] = true;
    var body = new FormData();
    body.append("question", questionId);
    body.append("seq", entry.seq);
    entry.fields.forEach(function (f) { body.append(f[0], f[1]); });
    say("", form.getAttribute("data-msg-saving"));
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
                 headers: { "X-CSRFToken": token, "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return { ok: false }; }).then(function (data) {
          inflight[questionId] = false;
          if (leaving) { return; }
          if (response.ok && data.ok) {
            if (journal[questionId] && journal[questionId].seq <= data.seq) { delete journal[questionId]; persist(); }
            if (!Object.keys(journal).length) { say("saved", form.getAttribute("data-msg-saved")); }
            else { flush(); }
          } else if (response.status >= 500) {
            say("offline", form.getAttribute("data-msg-offline"));  // keep it; retried later
          } else if (response.status === 401 && data.signed_out) {
            // The session ended (timeout, signed out elsewhere): the journal keeps every answer not yet
            // confirmed, and this page sends them once the officer has signed in again and is back here.
            say("error", data.error || "");
            if (!signingIn && data.login) { signingIn = true; window.location.assign(data.login); }
          } else {
            delete journal[questionId]; persist();
            say("error", form.getAttribute("data-msg-error") + " " + (data.error || response.status));
            if (data.closed) { window.location.reload(); }
          }
        });
      })
      .catch(function () {
        inflight[questionId] = false;
        say("offline", form.getAttribute("data-msg-offline"));
      });
  }

  function flush() { Object.keys(journal).forEach(send); }

  function record(fieldset) {
    var id = fieldset.getAttribute("data-question");
    clearTimeout(timers[id]);
    if (leaving) { return; }
    var last = Math.max(parseInt(fieldset.getAttribute("data-seq"), 10) || 0, journal[id] ? journal[id].seq : 0);
    var seq = last + 1;
    fieldset.setAttribute("data-seq", seq);
    journal[id] = { seq: seq, fields: fieldsOf(fieldset) };
    persist();
    send(id);
  }

  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var id = fieldset.getAttribute("data-question");
    if (journal[id]) { restore(fieldset, journal[id].fields); }
    fieldset.addEventListener("change", function () { record(fieldset); });
    fieldset.addEventListener("input", function (event) {
      if (event.target.type !== "text" && event.target.type !== "textarea") { return; }
      clearTimeout(timers[id]);
      timers[id] = setTimeout(function () { record(fieldset); }, 800);
    });
  });

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { say("offline", form.getAttribute("data-msg-offline")); });
  setInterval(function () { if (Object.keys(journal).length && navigator.onLine !== false) { flush(); } }, 15000);
  form.addEventListener("submit", function (event) {
    if (navigator.onLine === false) {
      event.preventDefault();
      say("offline", form.getAttribute("data-msg-offline"));
      return;
    }
    leaving = true;
    Object.keys(timers).forEach(function (id) { clearTimeout(timers[id]); });
  });
  if (Object.keys(journal).length) { flush(); }

  var clock = document.getElementById("timer");
  if (clock) {
    var deadline = Date.parse(clock.getAttribute("data-deadline"));
    var warned = {};
    setInterval(function () {
      var left = Math.round((deadline - Date.now()) / 60000);
      [5, 1].forEach(function (mark) {
        if (left <= mark && !warned[mark]) {
          warned[mark] = true;
          clock.setAttribute("aria-live", "polite");
          clock.textContent = clock.textContent.split(" · ")[0] + " · " + left + " min";
        }
      });
    }, 10000);
  }
}());
