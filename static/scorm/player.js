/* Marsa SCORM 1.2 player: lessons, quiz and the conversation with the LMS.
 *
 * The LMS API is found by walking window.parent (at most 10 levels) and then window.opener.
 * Lessons read and answers given are kept in cmi.suspend_data (compact, at most 4096
 * characters), the place in the module in cmi.core.lesson_location. Scoring mirrors
 * course/questions.py; it necessarily happens here, in the browser.
 *
 * Plain ES5 so that old LMS browsers run it; no framework, no network, no eval. Its data (the
 * quiz, the messages in the package's language) is the page's JSON block #sco-data, written by
 * course/scorm when the package is built. No line comments: the package is checked for a double
 * slash as a sign of a URL.
 */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("sco-data").textContent);
  var T = DATA.strings;
  var QUIZ = DATA.quiz;
  var LIMIT = 4096;
  var HISTORY_LIMIT = 50;
  var startedAt = new Date().getTime();
  var errors = [];
  var state = { read: [], answers: [], percents: [], submitted: false };
  var finished = false;
  var sections = Array.prototype.slice.call(document.querySelectorAll(".sco-section"));
  var form = document.getElementById("quiz-form");

  function say(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(String(values[name])); });
    return text;
  }

  function round(value, digits) {
    /* Python's round(): decided on the exact binary value, ties to even. */
    if (!isFinite(value)) { return value; }
    var sign = value < 0 ? -1 : 1;
    var text = Math.abs(value).toFixed(Math.min(100, digits + 90));
    var point = text.indexOf(".");
    var base = parseInt(text.slice(0, point) + text.slice(point + 1, point + 1 + digits), 10);
    var rest = text.slice(point + 1 + digits);
    var up = rest.charAt(0) > "5" || (rest.charAt(0) === "5" && (/[1-9]/.test(rest.slice(1)) || base % 2 === 1));
    return sign * (base + (up ? 1 : 0)) / Math.pow(10, digits);
  }

  /* ---- The LMS ------------------------------------------------------------------------- */

  function scan(win) {
    for (var depth = 0; win && depth <= 10; depth += 1) {
      try {
        if (win.API && typeof win.API.LMSInitialize === "function") { return win.API; }
      } catch (e) { /* a window of another origin: keep climbing */ }
      if (!win.parent || win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }

  var lms = {
    api: null,
    live: false,
    start: function () {
      this.api = scan(window);
      if (!this.api && window.opener) {
        try { this.api = scan(window.opener); } catch (e) { this.api = null; }
      }
      if (!this.api) { return false; }
      this.live = String(this.api.LMSInitialize("")) === "true";
      if (!this.live) { this.fail("LMSInitialize"); }
      return this.live;
    },
    fail: function (what) {
      var code = "?";
      try { code = String(this.api.LMSGetLastError()); } catch (e) { code = "?"; }
      errors.push(what + ": " + code);
      var box = document.getElementById("sco-status");
      box.textContent = say("lms_error", { code: code });
      box.className = "save-status error";
    },
    get: function (element) {
      if (!this.live) { return ""; }
      var value = this.api.LMSGetValue(element);
      return value === null || value === undefined ? "" : String(value);
    },
    set: function (element, value) {
      if (!this.live) { return false; }
      var ok = String(this.api.LMSSetValue(element, String(value))) === "true";
      if (!ok) { this.fail(element); }
      return ok;
    },
    commit: function () {
      if (this.live && String(this.api.LMSCommit("")) !== "true") { this.fail("LMSCommit"); }
    },
    finish: function () {
      if (this.live) {
        this.live = false;
        if (String(this.api.LMSFinish("")) !== "true") { errors.push("LMSFinish"); }
      }
    }
  };

  /* ---- Answers: read from and written to the page ---------------------------------------- */

  function fieldset(index) { return form.querySelector('fieldset[data-question="' + index + '"]'); }
  function inputs(index) { return Array.prototype.slice.call(fieldset(index).querySelectorAll("input, select")); }

  function readAnswer(q, index) {
    var els = inputs(index);
    var out = null;
    if (q.type === "single" || q.type === "truefalse") {
      els.forEach(function (el) { if (el.checked) { out = el.value; } });
      if (q.type === "truefalse" && out !== null) { out = out === "true"; }
      return out;
    }
    if (q.type === "multiple") {
      out = els.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
      return out.length ? out : null;
    }
    if (q.type === "matching" || q.type === "ordering") {
      out = {};
      var any = false;
      els.forEach(function (el) {
        if (el.value) { out[el.getAttribute("data-part")] = q.type === "ordering" ? parseInt(el.value, 10) : el.value; any = true; }
      });
      return any ? out : null;
    }
    var text = els[0].value.replace(/^\s+|\s+$/g, "");
    return text ? text.slice(0, q.type === "short" ? 500 : 50) : null;
  }

  function writeAnswer(q, index, answer) {
    inputs(index).forEach(function (el) {
      if (q.type === "single" || q.type === "multiple") {
        el.checked = answer !== null && (q.type === "single" ? answer === el.value : answer.indexOf(el.value) !== -1);
      } else if (q.type === "truefalse") {
        el.checked = answer !== null && String(answer) === el.value;
      } else if (q.type === "matching" || q.type === "ordering") {
        var part = el.getAttribute("data-part");
        el.value = answer && answer[part] !== undefined ? String(answer[part]) : "";
      } else {
        el.value = answer === null ? "" : answer;
      }
    });
  }

  /* The response scored, in the shapes course/questions.py scores (null: not answered). */
  function responseOf(q, answer) {
    if (answer === null || answer === undefined) { return null; }
    if (q.type === "multiple") { return answer.slice().sort(); }
    if (q.type === "ordering") {
      var byPosition = [];
      var ok = q.items.every(function (id) {
        var position = answer[id];
        if (!position || position < 1 || position > q.items.length || byPosition[position - 1]) { return false; }
        byPosition[position - 1] = id;
        return true;
      });
      return ok ? byPosition : null;
    }
    return answer;
  }

  /* ---- Scoring, as course/questions.py ----------------------------------------------------- */

  var DIACRITICS = /[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]/g;
  function normalizeText(value) {
    var text = String(value);
    if (text.normalize) { text = text.normalize("NFKC"); }
    text = text.replace(DIACRITICS, "").replace(/[\u0622\u0623\u0625\u0671]/g, "\u0627")
      .replace(/\u0629/g, "\u0647").replace(/\u0649/g, "\u064a").replace(/\u0640/g, "");
    text = text.toLowerCase().replace(/\u00df/g, "ss").replace(/\u03c2/g, "\u03c3").replace(/[\s\u200c\u200f\u200e]+/g, " ");
    return text.replace(/^[ .\u060c,\u061b;]+|[ .\u060c,\u061b;]+$/g, "");
  }

  function parseNumber(value) {
    if (typeof value === "number") { return isFinite(value) ? value : null; }
    if (typeof value !== "string") { return null; }
    var text = value.replace(/^\s+|\s+$/g, "").replace(/[\u0660-\u0669]/g, function (d) {
      return String(d.charCodeAt(0) - 0x0660);
    }).replace(/\u066b/g, ".");
    if (text.split(",").length === 2 && text.indexOf(".") === -1) { text = text.replace(",", "."); }
    else { text = text.replace(/,/g, ""); }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) { return null; }
    var number = parseFloat(text);
    return isFinite(number) ? number : null;
  }

  function score(q, response) {
    if (response === null || response === undefined) { return 0; }
    var right = 0;
    if (q.type === "single") {
      var option = null;
      q.options.forEach(function (o) { if (o.id === response) { option = o; } });
      if (!option) { return 0; }
      if (option.weight !== null && option.weight !== undefined) { return Math.max(0, Math.min(1, option.weight)); }
      return option.correct ? 1 : 0;
    }
    if (q.type === "multiple") {
      var correct = q.options.filter(function (o) { return o.correct; });
      var wrong = q.options.filter(function (o) { return !o.correct; });
      if (q.scoring === "all_or_nothing") {
        var chosen = response.slice().sort().join("\n");
        return chosen === correct.map(function (o) { return o.id; }).sort().join("\n") ? 1 : 0;
      }
      var total = 0;
      q.options.forEach(function (o) {
        if (response.indexOf(o.id) === -1) { return; }
        if (o.weight !== null && o.weight !== undefined) { total += o.weight; }
        else if (o.correct) { total += 1 / correct.length; }
        else { total -= wrong.length ? 1 / wrong.length : 0; }
      });
      return Math.min(1, Math.max(0, round(total, 6)));
    }
    if (q.type === "truefalse") { return response === q.answer ? 1 : 0; }
    if (q.type === "matching") {
      q.pairs.forEach(function (id) { if (response[id] === id) { right += 1; } });
      return q.pairs.length ? right / q.pairs.length : 0;
    }
    if (q.type === "ordering") {
      q.items.forEach(function (id, i) { if (response[i] === id) { right += 1; } });
      return q.items.length ? right / q.items.length : 0;
    }
    if (q.type === "short" || q.type === "numeric") {
      var matched = matchingAnswer(q, response);
      return matched ? matched.credit : 0;
    }
    return 0;
  }

  /* Moodle's short-answer wildcard: "*" is any run of characters, "\\*" a literal asterisk. */
  function answerMatches(pattern, response) {
    var text = normalizeText(pattern), given = normalizeText(response), bits = [""], i = 0;
    while (i < text.length) {
      if (text.charAt(i) === "\\" && text.charAt(i + 1) === "*") { bits[bits.length - 1] += "*"; i += 2; continue; }
      if (text.charAt(i) === "*") {
        while (text.charAt(i) === "*") { i += 1; }
        bits.push("");
        continue;
      }
      bits[bits.length - 1] += text.charAt(i);
      i += 1;
    }
    if (bits.length === 1) { return given === bits[0]; }
    var escaped = bits.map(function (bit) { return bit.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"); });
    return new RegExp("^" + escaped.join("[\\s\\S]*") + "$").test(given);
  }

  /* The answer a short or numeric response matches, first in order (as course/questions.py), with its
     index among q.answers (-1: an accepted text that is not one of them), or null. */
  function matchingAnswer(q, response) {
    var list = [], found = null;
    if (q.type === "short") {
      var listed = (q.answers || []).map(function (a) { return a.text; });
      q.accept.forEach(function (a) {
        if (!q.answers || listed.indexOf(a) === -1) { list.push({ text: a, credit: 1, index: -1 }); }
      });
      (q.answers || []).forEach(function (a, n) { list.push({ text: a.text, credit: a.credit, index: n }); });
      list.some(function (a) { if (answerMatches(a.text, response)) { found = a; } return found !== null; });
      return found;
    }
    var number = parseNumber(response);
    if (number === null) { return null; }
    list = q.answers ? q.answers.map(function (a, n) {
      return { range: a.range, answer: a.answer, tolerance: a.tolerance, any: a.any, credit: a.credit, index: n };
    })
      : [{ range: q.range, answer: q.answer, tolerance: q.tolerance, credit: 1, index: -1 }];
    list.some(function (a) {
      var low = a.range ? a.range[0] : a.answer - a.tolerance;
      var high = a.range ? a.range[1] : a.answer + a.tolerance;
      if (a.any || (low - 1e-9 <= number && number <= high + 1e-9)) { found = a; }
      return found !== null;
    });
    return found;
  }

  function grade(percents) {
    if (!percents.length) { return null; }
    if (QUIZ.grading === "latest") { return percents[percents.length - 1]; }
    if (QUIZ.grading === "first") { return percents[0]; }
    if (QUIZ.grading === "average") {
      return round(percents.reduce(function (a, b) { return a + b; }, 0) / percents.length, 2);
    }
    return Math.max.apply(null, percents);
  }

  function attemptsLeft() {
    if (QUIZ.attempts === null || QUIZ.attempts === undefined) { return null; }
    return Math.max(0, QUIZ.attempts - state.percents.length);
  }

  /* ---- cmi.suspend_data: "1.<stamp>|<lessons read>|<answers>|<percents>|<o or s>" -------- */

  var B36 = 36;
  function width(count) { return count > B36 ? 2 : 1; }
  function pad(text, size) { while (text.length < size) { text = "0" + text; } return text; }
  function blank(size) { return size === 2 ? "__" : "_"; }
  function escapeText(text) { return text.replace(/%/g, "%25").replace(/,/g, "%2C").replace(/\|/g, "%7C"); }
  function unescapeText(text) {
    return text.replace(/%(25|2C|7C)/g, function (m, code) { return code === "25" ? "%" : code === "2C" ? "," : "|"; });
  }

  function encodeAnswer(q, answer) {
    if (answer === null || answer === undefined) { return ""; }
    var ids, size;
    if (q.type === "single") {
      ids = q.options.map(function (o) { return o.id; });
      return pad(ids.indexOf(answer).toString(B36), width(ids.length));
    }
    if (q.type === "multiple") {
      var mask = 0;
      q.options.forEach(function (o, i) { if (answer.indexOf(o.id) !== -1) { mask += Math.pow(2, i); } });
      return mask.toString(B36);
    }
    if (q.type === "truefalse") { return answer ? "t" : "f"; }
    if (q.type === "matching") {
      size = width(q.matches.length);
      return q.pairs.map(function (id) {
        var at = answer[id] === undefined ? -1 : q.matches.indexOf(answer[id]);
        return at < 0 ? blank(size) : pad(at.toString(B36), size);
      }).join("");
    }
    if (q.type === "ordering") {
      size = width(q.items.length);
      return q.items.map(function (id) {
        return answer[id] ? pad((answer[id] - 1).toString(B36), size) : blank(size);
      }).join("");
    }
    return escapeText(answer);
  }

  function decodeAnswer(q, code) {
    if (!code) { return null; }
    var size, out = {}, any = false, i, part;
    if (q.type === "single") {
      var option = q.options[parseInt(code, B36)];
      return option ? option.id : null;
    }
    if (q.type === "multiple") {
      var mask = parseInt(code, B36);
      var ids = q.options.filter(function (o, index) { return Math.floor(mask / Math.pow(2, index)) % 2 === 1; })
        .map(function (o) { return o.id; });
      return ids.length ? ids : null;
    }
    if (q.type === "truefalse") { return code === "t" ? true : code === "f" ? false : null; }
    if (q.type === "matching" || q.type === "ordering") {
      var keys = q.type === "matching" ? q.pairs : q.items;
      size = width(q.type === "matching" ? q.matches.length : q.items.length);
      for (i = 0; i < keys.length; i += 1) {
        part = code.substr(i * size, size);
        if (!part || part.charAt(0) === "_") { continue; }
        var value = parseInt(part, B36);
        if (q.type === "matching" && q.matches[value] !== undefined) { out[keys[i]] = q.matches[value]; any = true; }
        if (q.type === "ordering" && value < q.items.length) { out[keys[i]] = value + 1; any = true; }
      }
      return any ? out : null;
    }
    return unescapeText(code);
  }

  function cutEscaped(code, size) {
    var cut = code.slice(0, Math.max(0, size));
    var percent = cut.lastIndexOf("%");
    if (percent !== -1 && percent > cut.length - 3) { cut = cut.slice(0, percent); }
    return cut;
  }

  function encodeState() {
    var parts = QUIZ ? QUIZ.questions.map(function (q, i) { return encodeAnswer(q, state.answers[i]); }) : [];
    var percents = state.percents;
    if (percents.length > HISTORY_LIMIT) { percents = [percents[0]].concat(percents.slice(1 - HISTORY_LIMIT)); }
    function join() {
      return ["1." + DATA.stamp, state.read.map(function (r) { return r ? "1" : "0"; }).join(""),
        parts.join(","), percents.join("_"), state.submitted ? "s" : "o"].join("|");
    }
    var text = join();
    if (text.length > LIMIT) {
      /* Only free-text answers can be long: cap them all at the largest length that fits. */
      var original = parts.slice();
      var free = function (i) { return QUIZ.questions[i].type === "short" || QUIZ.questions[i].type === "numeric"; };
      var capAt = function (cap) {
        parts = original.map(function (part, i) { return free(i) && part.length > cap ? cutEscaped(part, cap) : part; });
        return join();
      };
      var low = 0, high = Math.max.apply(null, original.map(function (p) { return p.length; }));
      while (low < high) {
        var middle = Math.ceil((low + high) / 2);
        if (capAt(middle).length <= LIMIT) { low = middle; } else { high = middle - 1; }
      }
      text = capAt(low);
    }
    return text;
  }

  function decodeState(text) {
    var fields = String(text || "").split("|");
    if (fields.length !== 5 || fields[0] !== "1." + DATA.stamp) { return false; }
    state.read = DATA.lessons.map(function (id, i) { return fields[1].charAt(i) === "1"; });
    var codes = fields[2] ? fields[2].split(",") : [];
    if (QUIZ) {
      state.answers = QUIZ.questions.map(function (q, i) { return decodeAnswer(q, codes[i] || ""); });
      state.percents = fields[3] ? fields[3].split("_").map(parseFloat).filter(function (p) { return !isNaN(p); }) : [];
      state.submitted = fields[4] === "s" && state.percents.length > 0;
    }
    return true;
  }

  /* Commits: at once on submission, at the end of the session and at launch; otherwise (answers,
     lessons read, moving between parts) at most once every COMMIT_INTERVAL ms, the last change
     included: an LMS whose commit is a request to its server is not sent one per click. */
  var lastCommit = 0, commitTimer = null, lastSuspendData = null;

  function commitNow() {
    if (commitTimer) { clearTimeout(commitTimer); commitTimer = null; }
    lastCommit = new Date().getTime();
    lms.commit();
  }

  function commitSoon() {
    if (commitTimer || !lms.live) { return; }
    var wait = lastCommit + DATA.commitInterval - new Date().getTime();
    if (wait <= 0) { commitNow(); return; }
    commitTimer = setTimeout(function () { commitTimer = null; commitNow(); }, wait);
  }

  /* when: "now", "soon" or nothing (the LMS commits with the next commit). */
  function save(when) {
    var data = encodeState();
    if (data !== lastSuspendData && lms.set("cmi.suspend_data", data)) { lastSuspendData = data; }
    if (when === "now") { commitNow(); } else if (when === "soon") { commitSoon(); }
  }

  /* ---- Navigation between the overview, the lessons and the quiz ------------------------- */

  function sectionOf(element) {
    while (element && !(element.classList && element.classList.contains("sco-section"))) { element = element.parentNode; }
    return element;
  }

  function show(id, scrollTo) {
    var target = id ? document.getElementById(id) : null;
    var section = sectionOf(target);
    if (target && !section) { return; }
    section = section || sections[0];
    sections.forEach(function (s) { s.hidden = s !== section; });
    Array.prototype.forEach.call(document.querySelectorAll(".sco-toc a"), function (a) {
      if (a.getAttribute("href") === "#" + section.id) { a.setAttribute("aria-current", "true"); }
      else { a.removeAttribute("aria-current"); }
    });
    if (scrollTo && target && target !== section) { target.scrollIntoView(); }
    else if (scrollTo) {
      var heading = section.querySelector("h1");
      window.scrollTo(0, 0);
      if (heading) { heading.focus(); }
    }
    if (lms.live && lms.get("cmi.core.lesson_location") !== section.id) {
      lms.set("cmi.core.lesson_location", section.id);
      commitSoon();
    }
  }

  function refreshLessons() {
    state.read.forEach(function (read, i) {
      var mark = document.querySelector('[data-read-mark="' + i + '"]');
      var badge = document.querySelector('[data-read-badge="' + i + '"]');
      var button = document.querySelector('[data-mark-read="' + i + '"]');
      if (mark) { mark.hidden = !read; }
      if (badge) { badge.hidden = !read; }
      if (button) { button.hidden = read; }
    });
  }

  function markRead(index) {
    state.read[index] = true;
    refreshLessons();
    if (!QUIZ && state.read.every(Boolean)) {
      lms.set("cmi.core.lesson_status", "completed");
      document.getElementById("sco-status").textContent = say("lessons_done");
    }
    save(!QUIZ && state.read.every(Boolean) ? "now" : "soon");
    var next = index + 1 < DATA.lessons.length ? "lesson-" + (index + 2) : (QUIZ ? "quiz" : null);
    if (next) { window.location.hash = "#" + next; }
  }

  /* ---- The quiz ------------------------------------------------------------------------ */

  function collect() {
    if (!state.submitted) {
      QUIZ.questions.forEach(function (q, i) { state.answers[i] = readAnswer(q, i); });
    }
  }

  /* SCORM 1.2 response formats (RTE 3.4.4): one character per option, pair or item (q.codes, made
     by the export), a plain number for numeric. null: nothing SCORM 1.2 can say (the element is left out). */
  function codes(map, ids) {
    if (!map) { return null; }
    return ids.map(function (id) { return map[id]; }).join(",");
  }

  function pattern(q) {
    if (q.type === "single" || q.type === "multiple") {
      var keys = q.options.filter(function (o) { return o.correct; }).map(function (o) { return o.id; });
      var right = codes(q.codes, keys);
      return right === null ? [] : [right];
    }
    if (q.type === "truefalse") { return [q.answer ? "t" : "f"]; }
    if (q.type === "matching") {
      if (!q.codes || !q.sourceCodes) { return []; }
      return [q.pairs.map(function (id) { return q.sourceCodes[id] + "." + q.codes[id]; }).join(",")];
    }
    if (q.type === "ordering") { return q.codes ? [codes(q.codes, q.items)] : []; }
    if (q.type === "short") { return q.accept.slice(0, 10).map(function (a) { return a.slice(0, 255); }); }
    if (q.range) { return []; }  /* SCORM 1.2 has no numeric range: the result says right or wrong */
    return [String(q.answer)];
  }

  function scormResponse(q, response) {
    if (response === null) { return null; }
    if (q.type === "single") { return q.codes ? q.codes[response] : null; }
    if (q.type === "multiple" || q.type === "ordering") { return codes(q.codes, response); }
    if (q.type === "truefalse") { return response ? "t" : "f"; }
    if (q.type === "matching") {
      if (!q.codes || !q.sourceCodes) { return null; }
      return q.pairs.filter(function (id) { return response[id]; }).map(function (id) {
        return q.sourceCodes[id] + "." + q.codes[response[id]];
      }).join(",");
    }
    if (q.type === "numeric") {
      var number = parseNumber(response);
      return number === null ? null : String(number);
    }
    return String(response).slice(0, 255);
  }

  function clock() {
    var now = new Date();
    return [now.getHours(), now.getMinutes(), now.getSeconds()].map(function (n) { return pad(String(n), 2); }).join(":");
  }

  function report(results) {
    var n = parseInt(lms.get("cmi.interactions._count"), 10) || 0;
    var time = clock();
    results.forEach(function (r, i) {
      var base = "cmi.interactions." + (n + i) + ".";
      lms.set(base + "id", r.q.id);
      if (r.q.objectives.length) { lms.set(base + "objectives.0.id", r.q.objectives[0]); }
      lms.set(base + "time", time);
      lms.set(base + "type", r.q.scormType);
      pattern(r.q).forEach(function (p, k) { lms.set(base + "correct_responses." + k + ".pattern", p); });
      lms.set(base + "weighting", String(r.q.points));
      var given = scormResponse(r.q, r.response);
      if (given !== null) { lms.set(base + "student_response", given); }
      lms.set(base + "result", r.fraction >= 1 ? "correct" : "wrong");
    });
  }

  function evaluate() {
    var total = 0, max = 0;
    var results = QUIZ.questions.map(function (q, i) {
      var response = responseOf(q, state.answers[i]);
      var fraction = score(q, response);
      total += round(fraction * q.points, 4);
      max += q.points;
      return { q: q, response: response, fraction: fraction };
    });
    total = round(total, 4);
    max = round(max, 4);
    return { results: results, percent: max ? round(100 * total / max, 2) : 0 };
  }

  function finalStatus() {
    var g = grade(state.percents);
    return g === null ? null : (g >= QUIZ.passMark ? "passed" : "failed");
  }

  function isDone() {
    if (!QUIZ) { return state.read.length > 0 && state.read.every(Boolean); }
    return state.submitted && (finalStatus() === "passed" || attemptsLeft() === 0);
  }

  function submit(event) {
    event.preventDefault();
    if (state.submitted) { return; }
    collect();
    var outcome = evaluate();
    state.percents.push(outcome.percent);
    state.submitted = true;
    var g = grade(state.percents);
    lms.set("cmi.core.score.raw", String(g));
    lms.set("cmi.core.score.min", "0");
    lms.set("cmi.core.score.max", "100");
    lms.set("cmi.core.lesson_status", finalStatus());
    report(outcome.results);
    lms.set("cmi.core.exit", isDone() ? "" : "suspend");
    save("now");
    showResult(true);
  }

  function setDisabled(disabled) {
    Array.prototype.forEach.call(form.querySelectorAll("fieldset"), function (f) { f.disabled = disabled; });
    document.getElementById("quiz-submit").hidden = disabled;
  }

  function showResult(focus) {
    var outcome = evaluate();
    var g = grade(state.percents);
    var passed = g >= QUIZ.passMark;
    var left = attemptsLeft();
    var box = document.getElementById("quiz-result");
    box.hidden = false;
    box.className = "card result-summary " + (passed ? "passed" : "failed");
    document.getElementById("quiz-score").textContent = say("score", { score: state.percents[state.percents.length - 1] });
    document.getElementById("quiz-verdict").textContent = say(passed ? "passed" : "failed", { mark: QUIZ.passMark });
    document.getElementById("quiz-grade").textContent = state.percents.length > 1 ? say("grade", { grade: g }) : "";
    document.getElementById("quiz-attempt").textContent = left === null
      ? say("attempt_unlimited", { n: state.percents.length })
      : say("attempt", { n: state.percents.length, total: QUIZ.attempts }) + (left === 0 && !passed ? " " + say("no_attempts") : "");
    var retry = document.getElementById("quiz-retry");
    retry.hidden = passed || left === 0;
    retry.textContent = say("retry");
    setDisabled(true);
    var feedback = QUIZ.showFeedback === "after_submission";
    var answers = QUIZ.showAnswers === "after_submission" || (QUIZ.showAnswers === "after_last_attempt" && left === 0);
    document.getElementById("quiz-unanswered").textContent = feedback || answers ? "" : say("no_review");
    outcome.results.forEach(function (r, i) {
      var f = fieldset(i);
      var verdict = f.querySelector(".verdict");
      var kind = r.response === null ? "unanswered" : r.fraction >= 1 ? "correct" : r.fraction > 0 ? "partial" : "wrong";
      verdict.hidden = !feedback;
      verdict.className = "verdict verdict-" + (kind === "unanswered" ? "wrong" : kind);
      verdict.textContent = say(kind);
      var chosen = r.response === null ? [] : [].concat(r.q.type === "truefalse" ? String(r.response) : r.response);
      if (r.response !== null && (r.q.type === "short" || r.q.type === "numeric")) {
        var matched = matchingAnswer(r.q, r.response);
        chosen = matched ? ["ans" + matched.index] : [];
      }
      Array.prototype.forEach.call(f.querySelectorAll(".feedback"), function (el) {
        el.hidden = !feedback || chosen.indexOf(el.getAttribute("data-feedback-for")) === -1;
      });
      f.querySelector(".answer-key").hidden = !answers || kind === "correct";
      f.querySelector(".explanation").hidden = !answers;
    });
    if (focus) { document.getElementById("quiz-result-title").focus(); }
  }

  function retry() {
    state.submitted = false;
    state.answers = QUIZ.questions.map(function () { return null; });
    QUIZ.questions.forEach(function (q, i) { writeAnswer(q, i, null); });
    Array.prototype.forEach.call(form.querySelectorAll(".verdict, .feedback, .answer-key, .explanation"), function (el) { el.hidden = true; });
    document.getElementById("quiz-result").hidden = true;
    document.getElementById("quiz-unanswered").textContent = "";
    setDisabled(false);
    lms.set("cmi.core.exit", "suspend");
    save("now");
    var first = form.querySelector("input, select");
    if (first) { first.focus(); }
  }

  function onAnswer(event) {
    if (state.submitted) { return; }
    collect();
    var unanswered = state.answers.filter(function (a) { return a === null; }).length;
    document.getElementById("quiz-unanswered").textContent = unanswered ? say("unanswered_count", { n: unanswered }) : "";
    save("soon");
  }

  /* ---- Start and end of the session --------------------------------------------------- */

  function timespan(seconds) {
    var cs = Math.round(seconds * 100);
    var h = Math.floor(cs / 360000), m = Math.floor(cs % 360000 / 6000), s = Math.floor(cs % 6000 / 100);
    return pad(String(h), 4) + ":" + pad(String(m), 2) + ":" + pad(String(s), 2) + "." + pad(String(cs % 100), 2);
  }

  function end() {
    if (finished) { return; }
    finished = true;
    if (!lms.live) { return; }
    if (QUIZ) { collect(); }
    lms.set("cmi.core.session_time", timespan((new Date().getTime() - startedAt) / 1000));
    lms.set("cmi.core.exit", isDone() ? "" : "suspend");
    save("now");
    lms.finish();
  }

  function init() {
    document.documentElement.className += " js";
    state.read = DATA.lessons.map(function () { return false; });
    if (QUIZ) { state.answers = QUIZ.questions.map(function () { return null; }); }
    if (lms.start()) {
      var status = lms.get("cmi.core.lesson_status");
      decodeState(lms.get("cmi.suspend_data"));
      if (["passed", "failed", "completed"].indexOf(status) === -1) { lms.set("cmi.core.lesson_status", "incomplete"); }
      lms.set("cmi.core.exit", isDone() ? "" : "suspend");
      commitNow();
    } else {
      var box = document.getElementById("sco-status");
      box.textContent = say("no_lms");
      box.className = "save-status offline";
    }
    refreshLessons();
    if (QUIZ) {
      QUIZ.questions.forEach(function (q, i) { writeAnswer(q, i, state.answers[i]); });
      form.addEventListener("submit", submit);
      form.addEventListener("change", onAnswer);
      form.addEventListener("input", onAnswer);
      document.getElementById("quiz-retry").addEventListener("click", retry);
      if (state.submitted) { showResult(false); }
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-mark-read]"), function (button) {
      button.addEventListener("click", function () { markRead(parseInt(button.getAttribute("data-mark-read"), 10)); });
    });
    window.addEventListener("hashchange", function () { show(window.location.hash.slice(1), true); });
    var start = window.location.hash.slice(1) || lms.get("cmi.core.lesson_location");
    show(start && document.getElementById(start) ? start : "overview", false);
    if ("onpagehide" in window) { window.addEventListener("pagehide", end); }
    else { window.addEventListener("unload", end); }
  }

  window.marsaSco = {
    score: score, normalizeText: normalizeText, parseNumber: parseNumber, encodeState: encodeState,
    state: state, errors: errors, data: DATA, end: end
  };
  init();
}());
