"""Hostile input in a real browser: script-injection payloads pushed through every place text enters
Marsa, and every page that shows them opened in Chromium to prove that nothing ran.

Where the payloads go in, always through the real entry point:

* lesson Markdown (paragraphs, a table, a ``::: scenario`` box, a footnote) and the lesson, module and
  objective titles: a module written into the course copy this module's own server loads;
* quiz text: case, stem, options, option and true/false feedback, explanation, matching prompts,
  matches and distractors, ordering items, accepted short answers, the quiz title;
* GIFT: two questions read from a hostile GIFT text with ``parse_gift`` and written into the quiz
  YAML with ``dump_quiz_yaml``;
* CSV: an officers file uploaded and confirmed through the admin import pages: full names, a duty
  station and the file's own name;
* answers: an imported officer (whose name is a payload) types payloads as short and numeric answers;
* a trainer's grade-override reason.

Each page that shows them (lesson, module, dashboard, quiz, quiz attempt with the saved answers,
result for the officer and for the trainer, gradebook, transcript, item analysis, people list, person,
cohort, import preview, import result, audit log) is checked twice (the import result, the answer to
a POST, only the first way):

1. as officers get it, Content-Security-Policy on: no dialog, ``window.__pwned`` undefined in every
   frame, no CSP violation (the ``securitypolicyviolation`` event, caught by an init script, and the
   console), no event-handler attribute, inline script, frame, object or non-http(s) link in the DOM,
   and each payload visible as text (plain-text fields exactly, Markdown fields by a marker inside the
   payload's markup); then axe, as every page of the harness;
2. in a second context of the same account with ``bypass_csp=True``: the same checks after real mouse
   hovers and clicks on the payload-bearing elements, so that if the sanitiser let anything through,
   it would actually run here instead of being stopped by the CSP.

Every element of the page also gets synthetic mouseover/mouseenter/focus events, and links rendered
from payloads are clicked (navigation to another page is held back; javascript: links and inline
handlers are not).
"""
from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError

from course.interchange.gift_read import parse_gift
from course.interchange.gift_write import dump_quiz_yaml
from course.services.importer import read_rows
from tests.browser.conftest import COHORT, DEMO_PASSWORD, TRAINER, VIEWPORT, start_server, stop_server

# Starts servers or a browser: `pytest -m "not slow"` leaves it out of a quick run.
pytestmark = pytest.mark.slow

MODULE = "hostile-input"
QUIZ = "hostile-input-quiz"
LESSON = "hostile-lesson"
NEW_PASSWORD = "blue-harbour-crane-41"

# --- The corpus ---------------------------------------------------------------------------------------
# Each payload would set window.__pwned or call alert() if the browser ran it. "{m}" is replaced by a
# marker such as «L07», unique to each place the payload is put; the marker sits inside the payload's
# markup, so it is visible only when the payload is shown as text.

PAYLOADS = [
    "<script>window.__pwned=true//{m}</script>",                                      # script element
    '<img src=x onerror="window.__pwned=true" alt="{m}">',                            # event handler
    '<svg onload="window.__pwned=true"><desc>{m}</desc></svg>',                        # SVG
    "[{m}](javascript:window.__pwned=true)",                                           # Markdown link
    "<javascript:window.__pwned=true//{m}>",                                           # Markdown autolink
    "[{m}](jav&#x61;script:window.__pwned=true)",                                      # entity in a link
    "[{m}](&#106;avascript:alert(1))",                                                 # decimal entity
    "[{m}](javascript%3Awindow.__pwned%3Dtrue)",                                       # percent-encoded
    "[{m}](%6Aavascript:alert(1))",                                                    # percent-encoded scheme
    '<iframe srcdoc="<script>parent.__pwned=true</script>" title="{m}"></iframe>',     # iframe srcdoc
    '<a href="jav&#x09;ascript:window.__pwned=true" title="{m}">tab in the scheme</a>',
    "<<script>script>alert('{m}')<</script>/script>",                                  # broken, nested tags
    '"><script>window.__pwned=true//{m}</script>',                                     # out of an attribute
    '" onmouseover="window.__pwned=true" data-m="{m}',                                 # attribute breakout
    "' onfocus='alert(1)' autofocus data-m='{m}",                                      # single-quoted breakout
    '![{m}](x" onerror="window.__pwned=true)',                                         # Markdown image
    "[{m}](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",               # data: URL
    '<details open ontoggle="window.__pwned=true" title="{m}"></details>',             # ontoggle
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=true" alt="{m}">',  # mXSS
    "&lt;script&gt;window.__pwned=true//{m}&lt;/script&gt;",                            # pre-escaped
    '<a href="JaVaScRiPt:alert(1)" onclick="window.__pwned=true" title="{m}">mixed case</a>',
    '<body onload="window.__pwned=true" data-m="{m}">',                                # body handler
    '<object data="javascript:alert(1)" name="{m}"></object>',                         # object
    '<input autofocus onfocus="window.__pwned=true" value="{m}">',                     # autofocus
    '</td></tr></table><script>alert(1)//{m}</script>',                                 # out of a table
    '<a href=" &#14;javascript:alert(1)" title="{m}">control character</a>',            # control character
]


def hostile(index: int, marker: str) -> str:
    return PAYLOADS[index % len(PAYLOADS)].replace("{m}", marker)


class Author:
    """Hands out the payloads in turn, each with a marker of its own, and remembers on which pages
    the marker must show (``attempt``, ``result``)."""

    def __init__(self, prefix: str):
        self.prefix, self.count = prefix, 0
        self.expected: dict[str, list[str]] = {"attempt": [], "result": []}

    def __call__(self, label: str, *pages: str) -> str:
        marker = f"«{self.prefix}{self.count:02d}»"
        payload = hostile(self.count, marker)
        self.count += 1
        for page in pages:
            self.expected[page].append(marker)
        return f"{label} {payload}"


# --- The hostile module: lesson, module texts, quiz, GIFT part ----------------------------------------

MODULE_TITLE = 'Hostile input "><script>window.__pwned=true</script>'
LESSON_TITLE = "<svg onload=alert(1)> A lesson made of payloads"
QUIZ_TITLE = "Hostile quiz <img src=x onerror=\"window.__pwned=true\">"


def lesson_markdown() -> tuple[str, list[str]]:
    """The lesson body and the markers its page must show."""
    markers = [f"«L{i:02d}»" for i in range(len(PAYLOADS))]
    parts = ["Every paragraph below is a script-injection payload. A reader sees each as text."]
    parts += [hostile(i, marker) for i, marker in enumerate(markers)]
    cells = [(1, "«T1»"), (13, "«T2»"), (3, "«T3»"), (20, "«T4»")]
    parts.append("| Payload | In a table |\n|---|---|\n"
                 f"| {hostile(cells[0][0], cells[0][1])} | {hostile(cells[1][0], cells[1][1])} |\n"
                 f"| {hostile(cells[2][0], cells[2][1])} | {hostile(cells[3][0], cells[3][1])} |")
    parts.append(f"::: scenario\n{hostile(0, '«S1»')}\n\n{hostile(9, '«S2»')} **in a box**\n:::")
    parts.append("The last payload is in a footnote.[^1]")
    parts.append(f"[^1]: {hostile(2, '«F1»')}")
    markers += [m for _, m in cells] + ["«S1»", "«S2»", "«F1»"]
    return "\n\n".join(parts) + "\n", markers


LESSON_BODY, LESSON_MARKERS = lesson_markdown()

GIFT_TEXT = r"""// A question bank from elsewhere, with hostile text in every part
::xss-gift-single::[html]<p onmouseover\="window.__pwned\=true">GIFT stem «G1» <script>window.__pwned\=true</script></p>{
  =<img src\=x onerror\="window.__pwned\=true" alt\="«G2»">#<svg onload\="alert(1)"><desc>«G3»</desc></svg>
  ~[«G4»](javascript\:window.__pwned\=true)#"><script>alert('«G5»')</script>
  ~" onmouseover\="window.__pwned\=true" data-m\="«G6»#<a href\="jav&#x09;ascript\:alert(1)" title\="«G7»">tab</a>
  ####<iframe srcdoc\="<script>parent.__pwned\=true</script>" title\="«G8»"></iframe>
}

::xss-gift-short::GIFT short answer «G9» <b onclick\="window.__pwned\=true">type the first accepted answer</b>{
  =<script>alert(1)</script>
  =' onfocus\='alert(1)' autofocus\='
  ####Accepted answers hold script <img src\=x onerror\=alert(1) alt\="«G10»">
}
"""
GIFT_ANSWER = "<script>alert(1)</script>"

# What the officer types: each within the field's limit (500 characters; 50 for a number).
SHORT_EXACT = '"><script>window.__pwned=true</script><input value="'
SHORT_FREE = " ".join(hostile(i, f"«A{i}»") for i in (1, 2, 9, 13, 14, 17, 21, 23))
SHORT_GROUP = '</textarea><img src=x onerror="window.__pwned=true"> \' onmouseover=\'alert(1)'
NUMERIC = '"><svg onload=alert(1)>'
OVERRIDE_REASON = ("Checked by hand </li><script>window.__pwned=true</script> "
                   "\u201d onmouseover=\"alert(1)\" <img src=x onerror=alert(1)> [x](javascript:alert(1))")
ANSWERED = {"hx-short-exact": SHORT_EXACT, "hx-short-free": SHORT_FREE, "hx-numeric": NUMERIC,
            "hx-group-short": SHORT_GROUP, "xss-gift-short": GIFT_ANSWER}
assert len(SHORT_FREE) <= 500 and len(NUMERIC) <= 50 and 5 <= len(OVERRIDE_REASON) <= 1000


def build_quiz() -> tuple[dict, list[dict], Author, dict[str, str]]:
    """The quiz header, its questions (hand-written and from GIFT), the markers per page and, per
    question id, its stem (the item analysis shows the stems as text)."""
    t = Author("Q")
    objectives = ["M8.1"]
    questions = [
        {"id": "hx-single", "type": "single", "objectives": objectives,
         "case": t("Case:", "attempt", "result"), "stem": t("Single choice:", "attempt", "result"),
         "options": [{"id": "a", "text": t("Option A", "attempt"), "correct": True,
                      "feedback": t("Feedback A", "result")},
                     {"id": "b", "text": t("Option B", "attempt"), "feedback": t("Feedback B")},
                     {"id": "c", "text": t("Option C", "attempt"), "feedback": t("Feedback C")}],
         "explanation": t("Why:", "result")},
        {"id": "hx-multiple", "type": "multiple", "objectives": objectives,
         "stem": t("Multiple choice:", "attempt", "result"),
         "options": [{"id": "a", "text": t("Option A", "attempt"), "correct": True,
                      "feedback": t("Feedback A", "result")},
                     {"id": "b", "text": t("Option B", "attempt"), "correct": True},
                     {"id": "c", "text": t("Option C", "attempt"), "feedback": t("Feedback C")},
                     {"id": "d", "text": t("Option D", "attempt")}],
         "explanation": t("Why:", "result")},
        {"id": "hx-truefalse", "type": "truefalse", "objectives": objectives,
         "stem": t("True or false:", "attempt", "result"), "answer": False,
         "feedback": {"true": t("If true", "result"), "false": t("If false")},
         "explanation": t("Why:", "result")},
        {"id": "hx-matching", "type": "matching", "objectives": objectives,
         "stem": t("Matching:", "attempt", "result"),
         "pairs": [{"id": "p1", "prompt": t("Prompt 1", "attempt"), "match": t("Match 1", "attempt")},
                   {"id": "p2", "prompt": t("Prompt 2", "attempt"), "match": t("Match 2", "attempt")}],
         "distractors": [t("Distractor", "attempt")], "explanation": t("Why:", "result")},
        {"id": "hx-ordering", "type": "ordering", "objectives": objectives,
         "stem": t("Ordering:", "attempt", "result"),
         "items": [{"id": "one", "text": t("First", "attempt")}, {"id": "two", "text": t("Second", "attempt")},
                   {"id": "three", "text": t("Third", "attempt")}],
         "explanation": t("Why:", "result")},
        {"id": "hx-short-exact", "type": "short", "objectives": objectives,
         "stem": t("Exact answer:", "attempt", "result"), "accept": [SHORT_EXACT, "plain words"],
         "explanation": t("Why:", "result")},
        {"id": "hx-short-free", "type": "short", "objectives": objectives,
         "stem": t("Free answer:", "attempt", "result"), "accept": ["refugee"], "explanation": t("Why:", "result")},
        {"id": "hx-numeric", "type": "numeric", "objectives": objectives,
         "stem": t("Number:", "attempt", "result"), "answer": 1951, "explanation": t("Why:", "result")},
        {"id": "hx-group", "type": "group", "case": t("Group case:", "attempt", "result"), "questions": [
            {"id": "hx-group-short", "type": "short", "objectives": objectives,
             "stem": t("Group answer:", "attempt", "result"), "accept": ["asylum-seeker"],
             "explanation": t("Why:", "result")},
            {"id": "hx-group-single", "type": "single", "objectives": objectives,
             "stem": t("Group choice:", "attempt", "result"),
             "options": [{"id": "a", "text": t("Option A", "attempt"), "correct": True},
                         {"id": "b", "text": t("Option B", "attempt")}],
             "explanation": t("Why:", "result")}]},
    ]
    gift = parse_gift(GIFT_TEXT, "hostile.gift", module=MODULE, objectives=objectives, default_objective="M8.1",
                      taken_ids={q["id"] for q in questions} | {"hx-group-short", "hx-group-single"})
    assert not gift.errors, [str(p) for p in gift.errors]
    assert [q["id"] for q in gift.questions] == ["xss-gift-single", "xss-gift-short"], gift.questions
    questions += gift.questions
    t.expected["attempt"] += ["«G1»", "«G2»", "«G4»", "«G6»", "«G9»"]
    t.expected["result"] += ["«G1»", "«G3»", "«G8»", "«G9»", "«G10»"]  # the first option is chosen: «G3»
    header = {"id": QUIZ, "module": MODULE, "title": QUIZ_TITLE, "preset": "practice", "pass_mark": 50,
              "shuffle_questions": False, "shuffle_options": False}
    stems = {}
    for question in questions:
        for q in question.get("questions", [question]):
            stems[q["id"]] = q["stem"]
    return header, questions, t, stems


QUIZ_HEADER, QUIZ_QUESTIONS, QUIZ_MARKERS, QUIZ_STEMS = build_quiz()

MODULE_YAML = {
    "id": MODULE, "order": 8, "title": {"en": MODULE_TITLE},
    "summary": {"en": "A module whose every text is a payload: <img src=x onerror=alert(1)>"},
    "minutes": 5, "required": False,
    "objectives": [{"id": "M8.1", "text": {"en": "Show <script>window.__pwned=true</script> as text."}}],
    "completion": {"lessons": "all", "quiz": "attempt"},
}


def write_hostile_course(course_dir: Path) -> None:
    """Adds the hostile module, its lesson and its quiz to the course copy the server loads."""
    module = course_dir / "modules" / f"08-{MODULE}"
    module.mkdir()
    (module / "module.yaml").write_text(yaml.safe_dump(MODULE_YAML, allow_unicode=True, sort_keys=False),
                                        encoding="utf-8")
    front = yaml.safe_dump({"id": LESSON, "title": LESSON_TITLE, "minutes": 5}, allow_unicode=True, sort_keys=False)
    (module / "01-payloads.en.md").write_text(f"---\n{front}---\n\n{LESSON_BODY}", encoding="utf-8")
    (course_dir / "quizzes" / f"{MODULE}.yaml").write_text(
        dump_quiz_yaml(QUIZ_HEADER, QUIZ_QUESTIONS, comment="Hostile input (tests/browser/test_hostile.py)"),
        encoding="utf-8")


# --- The officers file --------------------------------------------------------------------------------

CSV_FILENAME = "<img src=x onerror=alert(1)> officers.csv"
OFFICERS = [  # (full name, staff number, username, duty station)
    ('"><svg onload="window.__pwned=true"> Amal Hostile', "HX-001", "hx.amal", "<svg/onload=alert(1)> Salloum"),
    ("<script>window.__pwned=true</script> Karim", "HX-002", "hx.karim", "Port Said"),
    ("<img src=x onerror=alert(1)> Salma", "HX-003", "hx.salma", "Alexandria seaport"),
    ("' onmouseover='window.__pwned=true' x=' Tarek", "HX-004", "hx.tarek", "Port Said"),
    ('</td><iframe srcdoc="<script>parent.__pwned=true</script>"></iframe> Dina', "HX-005", "hx.dina", "Port Said"),
    ('<a href="javascript:alert(1)">Mona</a> &amp; &lt;b&gt;', "HX-006", "hx.mona", "Port Said"),
]
NAMES = [o[0] for o in OFFICERS]
TAKER = OFFICERS[0]  # signs in and answers the quiz


def officers_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["full_name", "staff_number", "username", "duty_station", "language", "cohort"])
    for name, staff, username, station in OFFICERS:
        writer.writerow([name, staff, username, station, "en", COHORT])
    return out.getvalue()


# --- Browser-side checks ------------------------------------------------------------------------------

INIT_SCRIPT = """(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'} ${(e.sample || '').slice(0, 80)}`);
  }, true);
  // While the test clicks links rendered from payloads, a click that would load another page of the
  // site is held back. javascript: links and inline handlers are never held back: they run, or the CSP
  // stops them and reports it.
  document.addEventListener('click', (e) => {
    const link = window.__holdLinks && e.target instanceof Element ? e.target.closest('a[href]') : null;
    if (link && ['http:', 'https:', 'mailto:'].includes(link.protocol)
        && (link.pathname !== location.pathname || link.search !== location.search)) { e.preventDefault(); }
  }, true);
})();"""

# Markup that could run script, found in the DOM.
INERT_DOM = r"""() => {
  const found = [];
  const scheme = (value) => value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
  const urlAttrs = ['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background', 'poster', 'codebase'];
  const describe = (el) => `<${el.localName}${el.id ? '#' + el.id : ''}>`;
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) {
        found.push(`${describe(el)} has the event-handler attribute ${name}="${attr.value.slice(0, 60)}"`);
      } else if (name === 'srcdoc') {
        found.push(`${describe(el)} has srcdoc`);
      } else if (urlAttrs.includes(name) && /^(javascript|vbscript|data):/.test(scheme(attr.value))
                 && !(el.localName === 'img' && /^data:image\//.test(scheme(attr.value)))) {
        found.push(`${describe(el)} has ${name}="${attr.value.slice(0, 60)}"`);
      }
    }
  }
  for (const el of document.querySelectorAll('a[href], area[href]')) {
    if (!['http:', 'https:', 'mailto:'].includes(el.protocol)) {
      found.push(`a link to ${el.protocol} (${el.getAttribute('href').slice(0, 60)})`);
    }
  }
  for (const el of document.querySelectorAll('script')) {
    if (!el.src || new URL(el.src).origin !== location.origin) {
      found.push(`an inline or foreign <script>: ${(el.src || el.textContent).slice(0, 60)}`);
    }
  }
  const active = 'iframe, frame, object, embed, base, meta[http-equiv], body style, main svg, main math';
  for (const el of document.querySelectorAll(active)) {
    found.push(`${describe(el)} element`);
  }
  return found;
}"""

SHOWN_TEXT = """() => document.body.innerText + '\\n'
  + [...document.querySelectorAll('option')].map((o) => o.textContent).join('\\n')"""

# Synthetic pointer and focus events on every element of the page's main part (inline handlers run on
# these as on real ones); returns the visible payload-bearing leaves and links for real hovers and clicks.
POKE = r"""() => {
  const all = [...document.querySelectorAll('main *')];
  for (const el of all) {
    for (const type of ['pointerover', 'mouseover', 'mouseenter', 'mousemove']) {
      el.dispatchEvent(new MouseEvent(type, {bubbles: type !== 'mouseenter'}));
    }
    el.dispatchEvent(new FocusEvent('focus'));
    el.dispatchEvent(new FocusEvent('focusin', {bubbles: true}));
  }
  const hostile = /«|<|javascript|onmouseover|onfocus|onerror/i;
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const links = all.filter((el) => el.matches('a[href]') && hostile.test(el.textContent + el.getAttribute('href')));
  const leaves = all.filter((el) => (el.childElementCount === 0 || el.matches('p, td, th, li, label'))
    && !el.matches('a[href]') && (hostile.test(el.textContent) || (el.value && hostile.test(el.value))));
  return [...links, ...leaves].filter(visible).slice(0, 60);
}"""


class Watch:
    """What a page did that the DOM does not show: dialogs, CSP reports and errors in the console,
    uncaught errors, HTTP errors."""

    def __init__(self, page):
        self.found: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"uncaught page error: {error}"))
        page.on("response", lambda r: self.found.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def _dialog(self, dialog):
        self.found.append(f"a dialog opened: {dialog.type}({dialog.message!r})")
        dialog.dismiss()

    def _console(self, message):
        if "Content Security Policy" in message.text or message.type == "error":
            self.found.append(f"console {message.type}: {message.text[:200]}")

    def take(self) -> list[str]:
        found, self.found = self.found, []
        return found


class Visitor:
    """One account in two browser contexts: as served (CSP on, checked by the harness and axe too)
    and with the CSP bypassed (so that surviving markup would really run)."""

    def __init__(self, hostile: HostileCheck, role: str):
        self.check, self.role = hostile, role
        self.page = hostile.ui.new_page()
        self.page.add_init_script(INIT_SCRIPT)
        self.watch = Watch(self.page)
        self.bare = self.bare_watch = None

    def open_bare(self):
        """The CSP-free twin, with this account's cookies (call after signing in)."""
        ui = self.check.ui
        context = ui.browser.new_context(base_url=ui.server.url, viewport=VIEWPORT, bypass_csp=True,
                                         storage_state=self.page.context.storage_state())
        context.set_default_timeout(15_000)
        context.add_init_script(INIT_SCRIPT)
        ui.contexts.append(context)  # closed with the others; its pages are saved on failure
        self.bare = context.new_page()
        ui.pages.append(self.bare)
        self.bare_watch = Watch(self.bare)

    def visit(self, path: str, bare: bool = True, **expect):
        """Open ``path`` in both contexts and check it (see HostileCheck.inspect)."""
        self.check.ui.goto(self.page, path, check=False)
        self.here(bare=bare, **expect)

    def here(self, bare: bool = True, **expect):
        """Check the page as it is now; then, if ``bare``, the same address without the CSP."""
        self.check.inspect(self.page, self.watch, f"{self.role}, CSP on", hover=False, **expect)
        self.check.ui.axe(self.page)
        if bare:
            response = self.bare.goto(self.page.url)
            assert response is not None and response.ok, f"{self.page.url}: {response.status if response else '-'}"
            self.check.inspect(self.bare, self.bare_watch, f"{self.role}, CSP bypassed", hover=True, **expect)


class HostileCheck:
    def __init__(self, ui, server):
        self.ui, self.server = ui, server
        self.pages_checked: list[str] = []

    def inspect(self, page, watch: Watch, how: str, hover: bool, texts=(), markers=(), values=()):
        page.wait_for_load_state("load")
        found, hovered, clicked, started = [], 0, 0, time.monotonic()
        handles = page.evaluate_handle(POKE)
        if hover:
            start = page.url.split("#", 1)[0]
            page.evaluate("() => { window.__holdLinks = true; }")
            for handle in handles.get_properties().values():
                element = handle.as_element()
                if element is None:
                    continue
                try:
                    if element.evaluate("(e) => e.matches('a[href]')"):
                        element.click(timeout=3000)
                        clicked += 1
                    else:
                        element.hover(timeout=3000)
                        hovered += 1
                except PlaywrightError as error:
                    found.append(f"could not hover or click {element.evaluate('(e) => e.outerHTML')[:80]}: "
                                 f"{str(error).splitlines()[0]}")
            if page.url.split("#", 1)[0] != start:
                found.append(f"a click on a payload left the page for {page.url}")
        handles.dispose()
        page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 100))")  # late events
        found += watch.take()
        for frame in page.frames:
            try:
                pwned = frame.evaluate("() => window.__pwned")
            except PlaywrightError:
                continue
            if pwned is not None:
                found.append(f"script ran: window.__pwned = {pwned!r} in {frame.url}")
        found += [f"CSP violation: {v}" for v in page.evaluate("() => window.__cspViolations || []")]
        found += page.evaluate(INERT_DOM)
        shown = page.evaluate(SHOWN_TEXT)
        found += [f"not shown as text: {t!r}" for t in (*texts, *markers) if t not in shown]
        for selector, value in values:
            actual = page.eval_on_selector(selector, "(e) => e.getAttribute('value')")
            if actual != value:
                found.append(f"{selector} holds {actual!r}, not {value!r}")
        self.pages_checked.append(f"{how}: {page.url}" + (f" (hovered {hovered}, clicked {clicked})" if hover else "")
                                  + f" {time.monotonic() - started:.1f}s")
        assert not found, f"Hostile input is not inert on {page.url} ({how}):\n" + "\n".join(f"- {f}" for f in found)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's own server: the harness's course copy plus the hostile module (it overrides the
    package's ``server``, so ``ui`` runs on this one and the journeys never see these payloads)."""
    started = start_server(tmp_path_factory.mktemp("hostile"), extend_course=write_hostile_course, label="hostile")
    yield started
    stop_server(started)


# --- The test -----------------------------------------------------------------------------------------

def test_hostile_input_is_shown_as_text_and_never_runs(ui, server):
    check = HostileCheck(ui, server)
    cohort = server.query("SELECT id FROM cohorts WHERE name = :n", n=COHORT)[0]["id"]

    # The administrator imports officers whose names are payloads, from a file whose name is one.
    admin = Visitor(check, "admin")
    ui.sign_in(admin.page, "admin", DEMO_PASSWORD)
    admin.open_bare()
    admin.here()  # the administrator's home: the institute overview
    admin.visit("/", texts=[MODULE_TITLE])  # the learner view ("My course"), which names the hostile module
    # The hostile station goes into the duty stations list first: an import names stations of the list.
    ui.goto(admin.page, "/admin/stations")
    admin.page.fill("#station-name_en", TAKER[3])
    with admin.page.expect_navigation():
        admin.page.click("main form button[type=submit]")
    admin.here(texts=[TAKER[3]])
    ui.goto(admin.page, "/admin/import")
    admin.page.set_input_files("#file", files=[{"name": CSV_FILENAME, "mimeType": "text/csv",
                                                "buffer": officers_csv().encode()}])
    with admin.page.expect_navigation():
        admin.page.click("main form button[type=submit]")
    assert "6 new officer(s), 0 update(s)." in admin.page.inner_text("main")
    # The names exactly as written in the file (test_csv_names_with_double_quotes_are_read_as_written).
    names = list(NAMES)
    assert all(re.search(r"<(svg|script|img|iframe|a)\b", n) or "onmouseover=" in n for n in names), names
    taker_name = names[0]
    admin.here(texts=[*names, TAKER[3], f"Import preview: {CSV_FILENAME}"])
    with admin.page.expect_navigation():
        admin.page.click("text=Import these officers")
    admin.here(bare=False, texts=names)  # the answer to a POST: nothing to open again
    issued = {}
    for row in admin.page.locator("main table tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        issued[cells[2]] = cells[3]
    assert set(issued) == {o[2] for o in OFFICERS}, issued
    taker_id = server.query("SELECT id FROM users WHERE username = :u", u=TAKER[2])[0]["id"]
    assert server.query("SELECT full_name FROM users WHERE id = :i", i=taker_id)[0]["full_name"] == taker_name
    admin.visit("/admin/people", texts=names)
    admin.visit(f"/admin/people/{taker_id}", values=[("#full_name", taker_name)])
    admin.visit(f"/admin/cohorts/{cohort}", texts=names)

    # The officer named by a payload signs in, reads the hostile lesson and answers with payloads.
    officer = Visitor(check, "officer")
    ui.sign_in(officer.page, TAKER[2], issued[TAKER[2]], check_login_page=False)
    assert officer.page.url.endswith("/password")
    ui.axe(officer.page)
    officer.page.fill("#current_password", issued[TAKER[2]])
    officer.page.fill("#new_password", NEW_PASSWORD)
    officer.page.fill("#confirm", NEW_PASSWORD)
    with officer.page.expect_navigation():
        officer.page.click("main form button[type=submit]")
    officer.open_bare()
    officer.here(texts=[taker_name, MODULE_TITLE, MODULE_YAML["summary"]["en"]])
    officer.visit(f"/modules/{MODULE}", texts=[MODULE_TITLE, LESSON_TITLE, QUIZ_TITLE])
    officer.visit(f"/modules/{MODULE}/lessons/{LESSON}", texts=[LESSON_TITLE], markers=LESSON_MARKERS)
    officer.visit(f"/quizzes/{QUIZ}", texts=[QUIZ_TITLE])
    with officer.page.expect_navigation():
        officer.page.click("text=Start attempt")
    attempt_path = re.sub(r"^https?://[^/]+", "", officer.page.url)
    attempt_id = int(attempt_path.rsplit("/", 1)[1])
    officer.here(texts=[QUIZ_TITLE], markers=QUIZ_MARKERS.expected["attempt"])

    page = officer.page
    fields = {}
    for label, answer in (("Exact answer:", SHORT_EXACT), ("Free answer:", SHORT_FREE), ("Number:", NUMERIC),
                          ("Group answer:", SHORT_GROUP), ("GIFT short answer", GIFT_ANSWER)):
        box = page.locator("fieldset[data-question]", has_text=label).locator("input[type=text]")
        box.fill(answer)
        fields[label] = (f"#{box.get_attribute('id')}", answer)
    for question in page.locator("fieldset[data-question]").all():
        choices = question.locator("input[type=radio], input[type=checkbox]")
        if choices.count():
            choices.first.check()
        for select in question.locator("select").all():
            select.select_option(index=1)
    page.wait_for_timeout(1000)  # past the autosave's pause after typing
    page.wait_for_function("""() => document.getElementById('save-status').textContent.includes('All answers saved')
        && !Object.keys(localStorage).some((k) => k.startsWith('marsa-journal-')
                                             && Object.keys(JSON.parse(localStorage.getItem(k))).length)""")
    with page.expect_navigation():
        page.click("text=Save and continue later")  # and back: the saved answers come from the server
    officer.here(texts=[QUIZ_TITLE])
    with page.expect_navigation():
        page.click("text=Resume attempt 1")
    officer.here(values=list(fields.values()), markers=QUIZ_MARKERS.expected["attempt"])
    with page.expect_navigation():
        page.click("text=Submit answers")
    # Every ordering item was given position 1, which answers nothing: the confirmation page names the
    # question (its hostile stem shown as text) and asks first.
    assert page.url.endswith(f"{attempt_path}/submit")
    officer.here(texts=[QUIZ_TITLE, "1 question of"])
    with page.expect_navigation():
        page.click("text=Submit now")
    assert page.url.endswith(f"{attempt_path}/result")
    answers = list(ANSWERED.values())
    officer.here(texts=answers, markers=QUIZ_MARKERS.expected["result"])
    saved = {row["key"]: row["response"] for row in server.query("""SELECT q.key AS key, aa.response AS response
        FROM attempt_answers aa JOIN question_versions qv ON qv.id = aa.question_version_id
        JOIN questions q ON q.id = qv.question_id WHERE aa.attempt_id = :a""", a=attempt_id)}
    if server.database_url.startswith("sqlite"):  # SQLite hands JSON columns back as text; psycopg decodes them
        saved = {key: json.loads(value) if isinstance(value, str) else value for key, value in saved.items()}
    assert {key: saved[key] for key in ANSWERED} == ANSWERED, saved  # stored exactly as typed

    # The trainer sees the names in the gradebook and the transcript, the answers on the attempt's result
    # (the only trainer page that shows answer text) and the stems in the item analysis, and overrides the
    # officer's grade with a payload as the reason.
    trainer = Visitor(check, "trainer")
    ui.sign_in(trainer.page, TRAINER, check_login_page=False)
    trainer.open_bare()
    trainer.here()  # the trainer's home: their cohorts and what needs attention
    trainer.visit("/", texts=[MODULE_TITLE])  # the learner view
    trainer.visit(f"/trainer/cohorts/{cohort}", texts=[*names, TAKER[3]])
    trainer.visit(f"/trainer/officers/{taker_id}", texts=[taker_name, TAKER[3]])
    trainer.page.click("summary:has-text('Override a grade')")
    trainer.page.select_option("#override-quiz", value=QUIZ)
    trainer.page.fill("#override-percent", "75")
    trainer.page.fill("#override-reason", OVERRIDE_REASON)
    with trainer.page.expect_navigation():
        trainer.page.click("main form button:has-text('Override grade')")
    assert "Grade overridden." in trainer.page.inner_text(".flashes")
    trainer.here(texts=[taker_name, OVERRIDE_REASON])
    trainer.visit(f"{attempt_path}/result", texts=[f"Attempt by {taker_name}", *answers],
                  markers=QUIZ_MARKERS.expected["result"])
    trainer.visit(f"/trainer/cohorts/{cohort}/items?quiz={QUIZ}", texts=[s[:60] for s in QUIZ_STEMS.values()])

    # The audit log keeps the reason and the file's name, as text.
    admin.visit("/admin/audit", texts=[f"Reason: {OVERRIDE_REASON}", f"from the file {CSV_FILENAME}"])

    print(f"\n{len(check.pages_checked)} page views checked with {len(PAYLOADS)} payloads:\n"
          + "\n".join(check.pages_checked))


def test_csv_names_with_double_quotes_are_read_as_written():
    rows, problems = read_rows("officers.csv", officers_csv().encode())
    assert not problems
    assert [values["full_name"] for _, values in rows] == NAMES
