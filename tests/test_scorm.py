"""SCORM 1.2 export: the package (manifest, files, no external URL), the CLI, and the player in
Chromium against a real SCORM 1.2 runtime (the npm package scorm-again, installed by `npm install`).
"""
from __future__ import annotations

import functools
import json
import re
import shutil
import threading
import zipfile
from datetime import datetime, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.etree import ElementTree

import pytest
from playwright.sync_api import expect, sync_playwright

from app import create_app
from course.package.reader import read_package
from course.questions import score_response
from course.scorm import COMMIT_INTERVAL_MS, SUSPEND_DATA_LIMIT, ScormError, build_scorm_package, count_steps
from tests.conftest import MINI_COURSE

REPO = Path(__file__).resolve().parent.parent
SCORM_AGAIN = REPO / "node_modules" / "scorm-again" / "dist" / "scorm12.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CP = "{http://www.imsproject.org/xsd/imscp_rootv1p1p2}"
ADLCP = "{http://www.adlnet.org/xsd/adlcp_rootv1p2}"
EXTERNAL = re.compile(r"https?:|//", re.I)

# A quiz with every question type, partial credit, weights, a scenario and a group.
ALL_TYPES_QUIZ = """\
id: basics-quiz
module: basics
title: Basics quiz
preset: graded
pass_mark: 60
questions:
  - id: b-q1
    type: single
    objectives: [B1.1]
    stem: Who has a legal definition in a treaty?
    options:
      - {id: a, text: A refugee, correct: true, feedback: Yes - Art. 1A(2) of the 1951 Convention.}
      - {id: b, text: An asylum-seeker, weight: 0.5, feedback: Nearly - a refugee whose claim is not yet decided.}
      - {id: c, text: A migrant, feedback: No treaty defines migrant.}
    explanation: The 1951 Convention defines a refugee.
  - id: b-q2
    type: multiple
    objectives: [B1.2]
    points: 2
    stem: Which are umbrella terms?
    options:
      - {id: a, text: Migrant, correct: true}
      - {id: b, text: People on the move, correct: true}
      - {id: c, text: Mixed movement, correct: true}
      - {id: d, text: Refugee, feedback: A legal status.}
      - {id: e, text: Stateless person, weight: -0.5}
    explanation: Migrant, people on the move and mixed movement are not legal categories.
  - id: b-q3
    type: truefalse
    objectives: [B1.2]
    case: An officer at Salloum calls a traveller an *illegal migrant*.
    stem: The term "illegal migrant" is the neutral term IOM recommends.
    answer: false
    feedback: {true: IOM advises against it., false: Right.}
    explanation: IOM prefers irregular.
  - id: b-q4
    type: matching
    objectives: [B1.1]
    stem: Match each status to the treaty that defines it.
    pairs:
      - {id: p1, prompt: Refugee, match: 1951 Convention}
      - {id: p2, prompt: Victim of trafficking, match: Palermo Protocol}
      - {id: p3, prompt: Stateless person, match: 1954 Convention}
    distractors: [UDHR]
    explanation: Each status has its own instrument.
  - id: b-q5
    type: ordering
    objectives: [B1.1]
    stem: Put the first steps of an interview in order.
    items:
      - {id: greet, text: Greet and introduce yourself}
      - {id: explain, text: Explain the purpose}
      - {id: ask, text: Ask open questions}
      - {id: refer, text: Refer as needed}
    explanation: Trust first, questions next, referral last.
  - id: b-q6
    type: short
    objectives: [B1.1]
    stem: Name the status of a person recognised under the 1951 Convention.
    accept: [Refugee, لاجئ]
    explanation: A refugee.
  - id: b-q7
    type: numeric
    objectives: [B1.1]
    stem: In which year was the Refugee Convention adopted?
    answer: 1951
    explanation: 28 July 1951.
  - id: b-q8
    type: numeric
    objectives: [B1.2]
    stem: Give a number from three to five.
    range: [3, 5]
    explanation: Any number from 3 to 5.
  - id: b-g1
    type: group
    case: A woman arrives at the port with two children and no documents.
    questions:
      - id: b-q9
        type: single
        objectives: [B1.2]
        stem: What do you do first?
        options:
          - {id: a, text: Ensure their safety and immediate needs, correct: true}
          - {id: b, text: Start a criminal investigation}
        explanation: Safety first.
      - id: b-q10
        type: numeric
        objectives: [B1.2]
        stem: How many hours may the first screening take at most (2.5, give or take half an hour)?
        answer: 2.5
        tolerance: 0.5
        explanation: About two and a half hours.
  - id: b-q11
    type: short
    objectives: [B1.1]
    stem: Which protocol to the Palermo Convention covers trafficking in persons?
    accept:
      - {text: "Traffick* Protocol", feedback: Right.}
      - {text: "Palermo*", credit: 0.5, feedback: "Palermo has three protocols: which one?"}
      - {text: '2\\*3', credit: 0.25}
      - {text: "a.b (c)+?", credit: 0.75}
      - {text: "لاجئ*", credit: 0.2}
      - {text: "*", credit: 0, feedback: "Think of the Palermo Protocols."}
    explanation: The Trafficking in Persons Protocol.
  - id: b-q12
    type: numeric
    objectives: [B1.1]
    stem: In which year was the Palermo Convention adopted?
    answers:
      - {answer: 2000, feedback: Right - November 2000.}
      - {answer: 2000, tolerance: 1, credit: 0.5, feedback: Close.}
      - {range: [1990, 1999], credit: 0.1}
      - {answer: "*", feedback: It is a recent instrument.}
    explanation: 15 November 2000.
"""
EXTRA_LESSON_TEXT = "\n\nSee the [IOM glossary](https://example.org/glossary) and <https://example.org/raw>.\n"


def _course(root: Path, quiz_yaml: str) -> Path:
    shutil.copytree(MINI_COURSE, root)
    (root / "quizzes" / "basics.yaml").write_text(quiz_yaml, encoding="utf-8")
    lesson = root / "modules" / "01-basics" / "02-second.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + EXTRA_LESSON_TEXT, encoding="utf-8")
    package = read_package(root)
    assert not package.errors, [str(p) for p in package.errors]
    return root


def _app(database_url, course_dir=MINI_COURSE):
    return create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                       "COURSE_DIR": str(course_dir)})


@pytest.fixture(scope="module", autouse=True)
def in_app(database_url):
    """Packages are built inside the Marsa app, as the CLI builds them: its templates, its
    translations. (No database is used.)"""
    with _app(database_url).app_context():
        yield


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory) -> Path:
    return _course(tmp_path_factory.mktemp("scorm") / "course", ALL_TYPES_QUIZ)


@pytest.fixture(scope="module")
def package(course_dir):
    return read_package(course_dir)


@pytest.fixture(scope="module")
def built(package, tmp_path_factory) -> Path:
    return build_scorm_package(package, "basics", tmp_path_factory.mktemp("zips") / "basics.zip")


@pytest.fixture(scope="module")
def real_course(real_package):
    assert not real_package.errors
    return real_package


@pytest.fixture(scope="module")
def longest(real_course, tmp_path_factory):
    """The real module whose quiz is the longest (most questions), exported."""
    quiz = max((q for q in real_course.quizzes if q.module_key), key=lambda q: len(q.questions))
    path = build_scorm_package(real_course, quiz.module_key, tmp_path_factory.mktemp("zips") / "longest.zip")
    return quiz, path


def _definitions(package, module_key="basics") -> list[dict]:
    quiz = next(q for q in package.quizzes if q.module_key == module_key)
    return [q.definition for q in quiz.questions]


# --- The package ----------------------------------------------------------------------------------

def test_manifest_is_scorm_12_with_one_sco_listing_every_file(built):
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        root = ElementTree.fromstring(archive.read("imsmanifest.xml"))
    assert root.tag == f"{CP}manifest" and root.get("identifier") == "marsa-basics"
    assert root.findtext(f"{CP}metadata/{CP}schema") == "ADL SCORM"
    assert root.findtext(f"{CP}metadata/{CP}schemaversion") == "1.2"
    organizations = root.find(f"{CP}organizations")
    [organization] = organizations.findall(f"{CP}organization")
    assert organizations.get("default") == organization.get("identifier") == "marsa-basics-org"
    [item] = organization.findall(f"{CP}item")
    assert item.findtext(f"{ADLCP}masteryscore") == "60"
    [resource] = root.findall(f"{CP}resources/{CP}resource")
    assert resource.get(f"{ADLCP}scormtype") == "sco"
    assert item.get("identifierref") == resource.get("identifier") == "marsa-basics-sco"
    listed = [f.get("href") for f in resource.findall(f"{CP}file")]
    assert len(listed) == len(set(listed))
    assert set(listed) == names - {"imsmanifest.xml"}  # every file listed, every listed file present
    assert resource.get("href") in listed
    assert {"index.html", "player.js", "marsa.css"} <= names
    # The app's stylesheet, with its font URLs pointing at the fonts shipped in the package.
    packaged = zipfile.ZipFile(built).read("marsa.css").decode("utf-8")
    assert packaged == (REPO / "static/css/marsa.css").read_text(encoding="utf-8").replace("../fonts/", "fonts/")
    for font in re.findall(r'url\("([^"]+)"\)', packaged):
        assert font in names, f"marsa.css names {font}, which is not in the package"


@pytest.mark.parametrize("which", ["all-types", "longest-real-module"])
def test_no_file_references_an_external_url(which, built, longest):
    path = built if which == "all-types" else longest[1]
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name == "imsmanifest.xml":
                # Namespace names are identifiers, not references: check every value and text.
                for element in ElementTree.fromstring(archive.read(name)).iter():
                    for value in [element.text or "", *element.attrib.values()]:
                        assert not EXTERNAL.search(value), (name, value)
                continue
            if name.endswith(".woff2"):
                continue  # a font: binary, it references nothing
            text = archive.read(name).decode("utf-8")
            match = EXTERNAL.search(text)
            assert match is None, (name, text[max(0, match.start() - 80):match.end() + 80])
    if which == "all-types":  # the links of the lesson are kept as readable text
        index = zipfile.ZipFile(path).read("index.html").decode()
        assert "IOM glossary <span class=\"link-text\">(example.org/glossary)</span>" in index
        assert "example.org/raw" in index


def test_the_package_explains_its_one_character_interaction_codes(built):
    """SCORM 1.2 responses use one character per option, pair or item: interactions.csv says which."""
    with zipfile.ZipFile(built) as archive:
        rows = archive.read("interactions.csv").decode("utf-8").splitlines()
    assert rows[0] == "question,kind,code,id,text"
    assert "b-q4,prompt,a,p1,Refugee" in rows and "b-q4,match,d,x1,UDHR" in rows
    assert "b-q5,item,a,greet,Greet and introduce yourself" in rows and "b-q5,item,d,refer,Refer as needed" in rows
    assert "b-q1,option,a,a,A refugee" in rows  # ids already one character are kept
    assert not any(row.startswith(("b-q6,", "b-q7,")) for row in rows)  # fill-in and numeric need none


def test_lessons_are_sanitised_markdown_and_the_page_has_no_inline_handlers(built):
    index = zipfile.ZipFile(built).read("index.html").decode()
    assert '<div class="box box-key-terms" role="note">' in index and "<table>" in index
    ids = re.findall(r'\bid="([^"]+)"', index)
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert 'id="l1-fn1"' in index and 'href="#l1-fn1"' in index  # footnotes scoped per lesson
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", index, re.I), "inline event handler"
    assert re.findall(r"<script[^>]*>", index) == ['<script src="player.js" defer>',
                                                   '<script type="application/json" id="sco-data">']
    assert "style=" not in index


def test_export_in_arabic_is_right_to_left_with_english_fallback(package, tmp_path):
    path = build_scorm_package(package, "basics", tmp_path / "ar.zip", lang="ar")
    index = zipfile.ZipFile(path).read("index.html").decode()
    assert '<html lang="ar" dir="rtl">' in index
    assert "الدرس الأول" in index and "الكلمات مهمة" in index
    assert '<article class="lesson" lang="en" dir="ltr">' in index  # the untranslated second lesson
    # The interface, the true/false labels and the player's messages come from the Arabic catalog.
    assert 'aria-label="المحتويات"' in index
    assert '<span>صح</span>' in index and '<span>خطأ</span>' in index
    assert "<strong>الإجابة الصحيحة:</strong> خطأ" in index  # b-q3's answer key
    data = json.loads(re.search(r'<script type="application/json" id="sco-data">(.*?)</script>', index).group(1))
    assert data["strings"]["score"] == "درجتك: {score}%" and data["lang"] == "ar"
    assert not re.search(r">\s*(True|False|Contents|Overview|Question \d+)\s*<", index)


def test_the_package_language_does_not_follow_the_current_locale(package, tmp_path):
    """An English package is English even when the one who builds it reads Arabic."""
    from flask_babel import force_locale
    with force_locale("ar"):
        path = build_scorm_package(package, "basics", tmp_path / "en.zip", lang="en")
    index = zipfile.ZipFile(path).read("index.html").decode()
    assert '<span>True</span>' in index and 'aria-label="Contents"' in index and "صح" not in index


def test_a_package_is_not_built_outside_the_app(package, tmp_path):
    """Outside the app there are no translations: refuse rather than write English into an Arabic
    package. (A new thread has no app context.)"""
    errors = []
    thread = threading.Thread(target=lambda: errors.append(pytest.raises(
        ScormError, build_scorm_package, package, "basics", tmp_path / "x.zip", lang="ar")))
    thread.start()
    thread.join()
    assert "inside the Marsa app" in str(errors[0].value) and not (tmp_path / "x.zip").exists()


def test_progress_steps_and_unknown_module(package, tmp_path):
    labels = []
    first = build_scorm_package(package, "basics", tmp_path / "a.zip", progress=labels.append)
    assert len(labels) == count_steps(package, "basics") == 4 + 2 + 1
    second = build_scorm_package(package, "basics", tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()  # reproducible
    with pytest.raises(ScormError, match="no module with id 'nope'"):
        build_scorm_package(package, "nope", tmp_path / "c.zip")
    assert not (tmp_path / "c.zip").exists()


def test_cli_exports_a_module_and_rejects_an_unknown_slug(course_dir, tmp_path, database_url):
    runner = _app(database_url, course_dir).test_cli_runner()
    out = tmp_path / "basics.zip"
    result = runner.invoke(args=["export", "scorm", "basics", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    assert "imsmanifest.xml" in zipfile.ZipFile(out).namelist()
    result = runner.invoke(args=["export", "scorm", "no-such-module", "-o", str(tmp_path / "x.zip")])
    assert result.exit_code == 1
    assert "no module with slug 'no-such-module'" in result.output and "known: basics" in result.output
    assert not (tmp_path / "x.zip").exists()


# --- The player in Chromium, against scorm-again ------------------------------------------------

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LMS</title><link rel="icon" href="data:,">
<script src="scorm12.js"></script></head>
<body><div id="holder"></div>
<script>
window.calls = [];
window.launch = function (src, previous) {
  return new Promise(function (resolve) {
    var api = new Scorm12API({ autocommit: false, logLevel: 4 });
    if (previous) { api.loadFromJSON(previous); }
    ["LMSInitialize", "LMSFinish", "LMSCommit"].forEach(function (name) {
      api.on(name, function () { window.calls.push([name]); });
    });
    api.on("LMSSetValue.cmi.*", function (element, value) { window.calls.push(["LMSSetValue", element, value]); });
    window.calls = [];
    window.API = api;
    var frame = document.createElement("iframe");
    frame.id = "sco"; frame.title = "Course"; frame.width = 1000; frame.height = 700;
    frame.addEventListener("load", function () { resolve(true); }, { once: true });
    frame.src = src;
    document.getElementById("holder").appendChild(frame);
  });
};
window.closeSco = function () { var f = document.getElementById("sco"); f.parentNode.removeChild(f); };
window.snapshot = function () { return window.API.renderCMIToJSONObject(); };
</script></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A folder served over http on 127.0.0.1 (a free port): the host page, scorm-again, packages."""
    assert SCORM_AGAIN.exists(), "run `npm install` in the repository first (package.json: scorm-again)"
    root = tmp_path_factory.mktemp("www")
    shutil.copy(SCORM_AGAIN, root / "scorm12.js")
    (root / "host.html").write_text(HOST_PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium(request):
    assert Path(CHROMIUM).exists(), "install Debian's Chromium: apt-get install -y chromium"
    owned = None
    if request.config.pluginmanager.has_plugin("playwright"):
        playwright = request.getfixturevalue("playwright")  # pytest-playwright's instance: only one may run
    else:
        owned = playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    if owned is not None:
        owned.stop()


# SCORM 1.2's data model formats (RTE 3.4.2: CMIDecimal, CMITime, CMITimespan, CMIIdentifier, the
# vocabularies; 3.4.4: the response formats of each interaction type). scorm-again relaxes the
# response formats, so every value the player sends is checked here as a strict LMS would.
DECIMAL = re.compile(r"-?\d+(\.\d+)?")
TIMESPAN = re.compile(r"\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?")
TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?")
IDENTIFIER = re.compile(r"[\x21-\x7e]{1,255}")
CODE = "[0-9a-z]"
RESPONSE_FORMATS = {
    "true-false": re.compile(r"[01tf]"),
    "choice": re.compile(rf"\{{?{CODE}(,{CODE})*\}}?"),
    "fill-in": re.compile(r".{0,255}", re.DOTALL),
    "numeric": DECIMAL,
    "likert": re.compile(rf"{CODE}?"),
    "matching": re.compile(rf"\{{?{CODE}\.{CODE}(,{CODE}\.{CODE})*\}}?"),
    "performance": re.compile(r".{0,255}", re.DOTALL),
    "sequencing": re.compile(rf"{CODE}(,{CODE})*"),
}
VOCABULARY = {
    "cmi.core.lesson_status": {"passed", "completed", "failed", "incomplete", "browsed", "not attempted"},
    "cmi.core.exit": {"time-out", "suspend", "logout", ""},
}


def scorm12_problems(calls: list) -> list[str]:
    """Every LMSSetValue whose value SCORM 1.2 does not allow for its element (empty: all fine)."""
    problems, types = [], {}
    for call in calls:
        if call[0] != "LMSSetValue":
            continue
        element, value = call[1], call[2]
        interaction = re.fullmatch(r"cmi\.interactions\.(\d+)\.(.+)", element)
        if element in VOCABULARY:
            ok = value in VOCABULARY[element]
        elif element in ("cmi.core.score.raw", "cmi.core.score.min", "cmi.core.score.max"):
            ok = value == "" or (DECIMAL.fullmatch(value) is not None and 0 <= float(value) <= 100)
        elif element == "cmi.core.session_time":
            ok = TIMESPAN.fullmatch(value) is not None
        elif element == "cmi.core.lesson_location":
            ok = len(value) <= 255
        elif element == "cmi.suspend_data":
            ok = len(value) <= 4096
        elif interaction:
            n, field = interaction.groups()
            if field == "type":
                types[n] = value
                ok = value in RESPONSE_FORMATS
            elif field == "id" or re.fullmatch(r"objectives\.\d+\.id", field):
                ok = IDENTIFIER.fullmatch(value) is not None
            elif field == "time":
                ok = TIME.fullmatch(value) is not None
            elif field == "weighting":
                ok = DECIMAL.fullmatch(value) is not None
            elif field == "latency":
                ok = TIMESPAN.fullmatch(value) is not None
            elif field == "result":
                ok = value in ("correct", "wrong", "unanticipated", "neutral") or DECIMAL.fullmatch(value) is not None
            elif field == "student_response" or re.fullmatch(r"correct_responses\.\d+\.pattern", field):
                ok = n in types and RESPONSE_FORMATS[types[n]].fullmatch(value) is not None
            else:
                ok = False
        else:
            ok = False
        if not ok:
            problems.append(f"{element} = {value!r}")
    return problems


def test_the_scorm12_validator_refuses_what_scorm_2004_or_relaxed_runtimes_allow():
    """The validator itself: each value a strict SCORM 1.2 LMS refuses is refused, each allowed passes."""
    def check(type_, field, value):
        return scorm12_problems([["LMSSetValue", "cmi.interactions.0.type", type_],
                                 ["LMSSetValue", f"cmi.interactions.0.{field}", value]])
    for type_, value in (("matching", "refugee.asylum"), ("matching", "p1.p1,p2.p2"), ("sequencing", "greet,ask"),
                         ("numeric", "2[:]3"), ("numeric", "4,5"), ("choice", "ab"), ("true-false", "true"),
                         ("choice", "")):
        assert check(type_, "student_response", value), (type_, value)
    for type_, value in (("matching", "a.b,b.a"), ("sequencing", "b,a,c"), ("numeric", "-2.5"), ("choice", "a,c"),
                         ("choice", "{a,c}"), ("true-false", "t"), ("fill-in", "لاجئ")):
        assert check(type_, "correct_responses.0.pattern", value) == [], (type_, value)
    assert scorm12_problems([["LMSSetValue", "cmi.core.lesson_status", "complete"],
                             ["LMSSetValue", "cmi.core.session_time", "PT1M"],
                             ["LMSSetValue", "cmi.interactions.0.time", "25:00:00"],
                             ["LMSSetValue", "cmi.interactions.0.id", "an id"]]) == [
        "cmi.core.lesson_status = 'complete'", "cmi.core.session_time = 'PT1M'",
        "cmi.interactions.0.time = '25:00:00'", "cmi.interactions.0.id = 'an id'"]


class Lms:
    """The host page with scorm-again's SCORM 1.2 API and the SCO in an iframe."""

    def __init__(self, page, origin: str, sco: str):
        self.page, self.origin, self.sco = page, origin, sco
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("request", lambda r: r.url.startswith(origin + "/") or r.url.startswith("data:")
                or self.problems.append(f"request outside the package: {r.url}"))
        page.set_default_timeout(5000)
        page.goto(f"{origin}/host.html")

    def launch(self, previous: dict | None = None):
        self.page.evaluate("([src, previous]) => launch(src, previous)", [f"{self.sco}/index.html", previous])
        self.frame = self.page.query_selector("#sco").content_frame()
        self.frame.wait_for_function("() => window.marsaSco !== undefined")
        return self.frame

    def close(self) -> dict:
        self.page.evaluate("closeSco()")
        # The SCO finishes from its pagehide handler; on a busy machine that comes a moment later.
        self.page.wait_for_function("calls.length && calls[calls.length - 1][0] === 'LMSFinish'", timeout=10000)
        return self.snapshot()

    def snapshot(self) -> dict:
        return self.page.evaluate("snapshot()")["cmi"]

    def calls(self) -> list:
        return self.page.evaluate("calls")

    def set_values(self) -> dict:
        """The last value the SCO set for each element."""
        return {c[1]: c[2] for c in self.calls() if c[0] == "LMSSetValue"}

    def check_clean(self):
        """No error in the page or the SCO, and every value sent in SCORM 1.2's own formats."""
        errors = self.frame.evaluate("marsaSco.errors") if not self.frame.is_detached() else []
        assert not self.problems and not errors, self.problems + errors
        assert scorm12_problems(self.calls()) == []


@pytest.fixture
def lms_for(chromium, served):
    root, origin = served
    pages = []

    def open_package(zip_path: Path, paused_clock: bool = False) -> Lms:
        """``paused_clock``: the page's clock stands still until the test moves it (page.clock)."""
        target = root / zip_path.stem
        if not target.exists():
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(target)
        page = chromium.new_page()
        pages.append(page)
        if paused_clock:
            page.clock.install()
            page.clock.pause_at(datetime.now() + timedelta(seconds=1))
        return Lms(page, origin, zip_path.stem)

    yield open_package
    for page in pages:
        page.close()


def resume_data(cmi: dict) -> dict:
    """What an LMS hands back at the next launch: the saved data, entry "resume" after a suspend."""
    core = dict(cmi["core"])
    entry = "resume" if core.pop("exit", "") == "suspend" else ""
    core.pop("session_time", None)
    core["entry"] = entry
    return {"cmi": {"core": core, "suspend_data": cmi["suspend_data"]}}


def _inputs(definition: dict, mode: str) -> list[tuple[str, str, str]]:
    """(selector, how, value) to answer a question: correctly, or with the longest encoding."""
    name, qtype = f"q-{definition['id']}", definition["type"]
    if qtype == "single":
        options = definition["options"]
        value = next(o["id"] for o in options if o["correct"]) if mode == "correct" else options[-1]["id"]
        return [(f'input[name="{name}"][value="{value}"]', "check", "")]
    if qtype == "multiple":
        return [(f'input[name="{name}"][value="{o["id"]}"]', "check", "") for o in definition["options"]
                if mode == "max" or o["correct"]]
    if qtype == "truefalse":
        value = "true" if mode == "max" or definition["answer"] else "false"
        return [(f'input[name="{name}"][value="{value}"]', "check", "")]
    if qtype == "matching":
        last = (definition["distractors"] or definition["pairs"])[-1]["id"]
        return [(f"#{name}-{p['id']}", "select", p["id"] if mode == "correct" else last) for p in definition["pairs"]]
    if qtype == "ordering":
        items = definition["items"]
        return [(f"#{name}-{item['id']}", "select", str(i + 1 if mode == "correct" else len(items) - i))
                for i, item in enumerate(items)]
    if qtype == "short":
        right = "لَاجِئ" if "لاجئ" in definition["accept"] else definition["accept"][0]
        return [(f"#{name}", "fill", right if mode == "correct" else ("%,|ع" * 70)[:250])]
    value = (f"{definition['range'][0]:g}" if "range" in definition else f"{definition['answer']:g}")
    return [(f"#{name}", "fill", value if mode == "correct" else "1" * 50)]


def answer_all(frame, definitions, mode="correct"):
    for definition in definitions:
        for selector, how, value in _inputs(definition, mode):
            if how == "check":
                frame.check(selector)
            elif how == "select":
                frame.select_option(selector, value)
            else:
                frame.fill(selector, value)


def assert_answers_shown(frame, definitions, mode="correct"):
    for definition in definitions:
        for selector, how, value in _inputs(definition, mode):
            if how == "check":
                assert frame.is_checked(selector), selector
            else:
                assert frame.input_value(selector) == value, selector


def test_runtime_full_run_suspend_resume_and_report(lms_for, built, package):
    definitions = _definitions(package)
    lms = lms_for(built)
    frame = lms.launch()
    values = lms.set_values()
    assert lms.calls()[0] == ["LMSInitialize"]
    assert values["cmi.core.lesson_status"] == "incomplete"

    # Read both lessons, then answer every question correctly, and leave before submitting.
    # Moving between sections goes through the hash, so its change lands a moment after the click.
    frame.click("text=Start with the first lesson")
    expect(frame.locator("#lesson-1")).to_be_visible()
    expect(frame.locator("#overview")).to_be_hidden()
    frame.click('[data-mark-read="0"]')
    frame.click('[data-mark-read="1"]')
    expect(frame.locator("#quiz")).to_be_visible()
    answer_all(frame, definitions)
    cmi = lms.close()
    assert lms.calls()[-1] == ["LMSFinish"]
    assert cmi["core"]["exit"] == "suspend" and cmi["core"]["lesson_status"] == "incomplete"
    assert cmi["core"]["lesson_location"] == "quiz"
    assert re.fullmatch(r"\d{4}:\d{2}:\d{2}\.\d{2}", lms.set_values()["cmi.core.session_time"])
    assert 0 < len(cmi["suspend_data"]) <= SUSPEND_DATA_LIMIT

    # Relaunch with the saved data: lessons read, answers and place restored.
    frame = lms.launch(resume_data(cmi))
    assert lms.snapshot()["core"]["lesson_status"] == "incomplete"
    assert frame.is_visible("#quiz") and not frame.is_visible("#lesson-1")
    assert frame.is_visible('[data-read-mark="0"]') and frame.is_visible('[data-read-mark="1"]')
    assert_answers_shown(frame, definitions)

    frame.click("#quiz-submit")
    values = lms.set_values()
    assert values["cmi.core.score.raw"] == "100"
    assert (values["cmi.core.score.min"], values["cmi.core.score.max"]) == ("0", "100")
    assert values["cmi.core.lesson_status"] == "passed" and values["cmi.core.exit"] == ""
    assert frame.text_content("#quiz-score") == "Your score: 100%"
    interactions = {}
    for element, value in values.items():
        match = re.fullmatch(r"cmi\.interactions\.(\d+)\.(.+)", element)
        if match:
            interactions.setdefault(int(match.group(1)), {})[match.group(2)] = value
    assert sorted(interactions) == list(range(len(definitions)))
    assert [interactions[i]["id"] for i in range(len(definitions))] == [d["id"] for d in definitions]
    assert all(i["result"] == "correct" for i in interactions.values())
    types = {d["id"]: d["type"] for d in definitions}
    expected_types = {"single": "choice", "multiple": "choice", "truefalse": "true-false", "matching": "matching",
                      "ordering": "sequencing", "short": "fill-in", "numeric": "numeric"}
    by_id = {i["id"]: i for i in interactions.values()}
    assert all(by_id[key]["type"] == expected_types[qtype] for key, qtype in types.items())
    assert by_id["b-q2"]["student_response"] == by_id["b-q2"]["correct_responses.0.pattern"] == "a,b,c"
    assert by_id["b-q2"]["weighting"] == "2" and by_id["b-q1"]["weighting"] == "1"
    assert by_id["b-q3"]["student_response"] == "f"
    assert by_id["b-q4"]["student_response"] == "a.a,b.b,c.c"  # one character each, as SCORM 1.2 wants
    assert by_id["b-q5"]["student_response"] == "a,b,c,d"  # greet, explain, ask, refer
    assert by_id["b-q1"]["student_response"] == "a" and by_id["b-q7"]["student_response"] == "1951"
    assert by_id["b-q6"]["student_response"] == "لَاجِئ" and by_id["b-q6"]["correct_responses.1.pattern"] == "لاجئ"
    assert by_id["b-q10"]["correct_responses.0.pattern"] == "2.5"  # a plain CMIDecimal, not 2004's 2[:]3
    assert not any(k.startswith("correct_responses") for k in by_id["b-q8"])  # a range: SCORM 1.2 has none
    assert by_id["b-q1"]["objectives.0.id"] == "B1.1"
    assert frame.is_visible("#question-b-q1 .explanation") is False  # graded: answers after the last attempt
    assert frame.is_visible("#question-b-q1 .verdict")
    cmi = lms.close()
    assert lms.calls()[-1] == ["LMSFinish"] and cmi["core"]["exit"] == ""

    # A third launch after the LMS kept the result: the result is shown, nothing is reported again.
    frame = lms.launch(resume_data(cmi))
    assert frame.is_visible("#quiz-result") and frame.text_content("#quiz-score") == "Your score: 100%"
    assert frame.is_disabled('input[name="q-b-q1"][value="a"]')
    values = lms.set_values()
    assert "cmi.core.lesson_status" not in values and not any(k.startswith("cmi.interactions") for k in values)
    lms.check_clean()


def test_runtime_partial_credit_failed_attempt_and_retry(lms_for, built, package):
    definitions = {d["id"]: d for d in _definitions(package)}
    lms = lms_for(built)
    frame = lms.launch()
    frame.click("a[href='#quiz']")
    frame.check('input[name="q-b-q1"][value="b"]')  # weight 0.5
    frame.check('input[name="q-b-q2"][value="a"]')  # 1 of 3 correct, 2 points
    frame.check('input[name="q-b-q2"][value="b"]')
    frame.check('input[name="q-b-q2"][value="e"]')  # weight -0.5
    frame.select_option("#q-b-q4-p1", "p1")  # 1 of 3 pairs
    frame.select_option("#q-b-q4-p2", "x1")
    frame.fill("#q-b-q8", "4,5")  # a decimal comma, in the range
    frame.click("#quiz-submit")
    responses = {"b-q1": "b", "b-q2": ["a", "b", "e"], "b-q4": {"p1": "p1", "p2": "x1"}, "b-q8": "4,5"}
    total = sum(round(score_response(d, responses.get(key)) * d["points"], 4) for key, d in definitions.items())
    expected = round(100 * round(total, 4) / sum(d["points"] for d in definitions.values()), 2)
    values = lms.set_values()
    assert values["cmi.core.score.raw"] == str(expected) and 0 < expected < 60
    assert values["cmi.core.lesson_status"] == "failed"
    assert values["cmi.core.exit"] == "suspend"  # attempts are left
    results = {values[f"cmi.interactions.{i}.id"]: values[f"cmi.interactions.{i}.result"] for i in range(10)}
    assert results["b-q8"] == "correct" and results["b-q1"] == results["b-q4"] == results["b-q7"] == "wrong"
    assert "cmi.interactions.9.student_response" not in values  # b-q10 unanswered: nothing to say
    assert values["cmi.interactions.7.student_response"] == "4.5"  # b-q8's "4,5" as a CMIDecimal
    assert frame.is_visible("#quiz-retry")
    frame.click("#quiz-retry")
    assert not frame.is_disabled('input[name="q-b-q1"][value="a"]')
    assert not frame.is_checked('input[name="q-b-q1"][value="b"]')
    cmi = lms.close()
    assert cmi["core"]["lesson_status"] == "failed" and cmi["core"]["exit"] == "suspend"
    assert cmi["suspend_data"].endswith(f"|{expected}|o")
    lms.check_clean()


def test_commits_are_throttled_but_submission_and_the_end_commit_at_once(lms_for, built, package):
    """Answers, lessons read and moving between parts commit at most once every COMMIT_INTERVAL_MS (the
    page's clock is moved by hand here, so nothing depends on the machine's speed); the commit carries
    the last change; submitting and leaving commit at once; an unchanged suspend_data is not sent again."""
    definitions = _definitions(package)
    lms = lms_for(built, paused_clock=True)
    frame = lms.launch()

    def commits():
        return sum(1 for call in lms.calls() if call[0] == "LMSCommit")

    assert commits() == 1  # at launch
    frame.click("a[href='#quiz']")
    answer_all(frame, definitions[:6])
    assert commits() == 1  # a dozen changes, no commit yet
    lms.page.clock.run_for(COMMIT_INTERVAL_MS)
    assert commits() == 2
    calls = lms.calls()
    last_data = max(i for i, c in enumerate(calls) if c[:2] == ["LMSSetValue", "cmi.suspend_data"])
    assert last_data < len(calls) - 1 and calls[-1] == ["LMSCommit"]  # the last answer went with it
    answer_all(frame, definitions[6:])
    lms.page.clock.run_for(COMMIT_INTERVAL_MS - 1)
    assert commits() == 2  # not twice within the interval
    lms.page.clock.run_for(1)
    assert commits() == 3
    frame.click("#quiz-submit")
    assert commits() == 4 and lms.calls()[-1] == ["LMSCommit"]  # the result at once
    sent = [c[2] for c in lms.calls() if c[:2] == ["LMSSetValue", "cmi.suspend_data"]]
    assert all(a != b for a, b in zip(sent, sent[1:]))  # never the same data twice in a row
    lms.close()
    assert [c[0] for c in lms.calls()[-2:]] == ["LMSCommit", "LMSFinish"]
    lms.check_clean()


SCORING_CASES = [
    ("b-q1", "a"), ("b-q1", "b"), ("b-q1", "c"),
    ("b-q2", ["a", "b", "c"]), ("b-q2", ["a"]), ("b-q2", ["a", "d"]), ("b-q2", ["a", "b", "e"]),
    ("b-q2", ["a", "b", "c", "d"]), ("b-q2", ["e"]), ("b-q2", ["a", "b", "c", "d", "e"]),
    ("b-q3", False), ("b-q3", True),
    ("b-q4", {"p1": "p1", "p2": "p2", "p3": "p3"}), ("b-q4", {"p1": "p1", "p2": "x1"}),
    ("b-q4", {"p1": "p2", "p2": "p1"}),
    ("b-q5", ["greet", "explain", "ask", "refer"]), ("b-q5", ["explain", "greet", "ask", "refer"]),
    ("b-q5", ["refer", "ask", "explain", "greet"]),
    ("b-q6", "refugee"), ("b-q6", "  REFUGEE. "), ("b-q6", "لَاجِئ"), ("b-q6", "لاجـئ"), ("b-q6", "asylum"),
    ("b-q7", "1951"), ("b-q7", "١٩٥١"), ("b-q7", "1951.0"), ("b-q7", "1,951"), ("b-q7", "1950"), ("b-q7", "abc"),
    ("b-q8", "4"), ("b-q8", "4,5"), ("b-q8", "5.0000000001"), ("b-q8", "6"), ("b-q8", "2.99"),
    ("b-q10", "2"), ("b-q10", "3"), ("b-q10", "3.1"), ("b-q10", " 2٫5 "),
    ("b-q11", "trafficking protocol"), ("b-q11", "Trafficking in Persons Protocol"), ("b-q11", "TRAFFICK PROTOCOL."),
    ("b-q11", "Palermo"), ("b-q11", "palermo protocol"), ("b-q11", "the Palermo protocol"), ("b-q11", "2*3"),
    ("b-q11", "223"), ("b-q11", "smuggling"), ("b-q11", "A.B (C)+?"), ("b-q11", "axb (c)+?"), ("b-q11", "a.b (c)"),
    ("b-q11", "لَاجِئون"), ("b-q11", "اللاجئ"),
    ("b-q12", "2000"), ("b-q12", "2001"), ("b-q12", "1999"), ("b-q12", "1995"), ("b-q12", "1989"), ("b-q12", "x"),
]


def test_player_scores_every_type_as_the_server_does(lms_for, built, package):
    definitions = {d["id"]: d for d in _definitions(package)}
    lms = lms_for(built)
    frame = lms.launch()
    scored = frame.evaluate("""(cases) => cases.map(([id, response]) => {
        const q = marsaSco.data.quiz.questions.find((question) => question.id === id);
        return marsaSco.score(q, response);
    })""", [[key, response] for key, response in SCORING_CASES])
    expected = [score_response(definitions[key], response) for key, response in SCORING_CASES]
    assert scored == pytest.approx(expected, abs=1e-9)
    assert {0.0, 0.5, 1.0} <= set(expected) and any(0 < e < 0.5 for e in expected)  # the cases do vary
    lms.check_clean()


def test_suspend_data_fits_for_the_longest_quiz_with_every_question_answered(lms_for, longest, real_course):
    quiz, path = longest
    definitions = [q.definition for q in quiz.questions]
    lms = lms_for(path)
    frame = lms.launch()
    frame.click("a[href='#quiz']")
    answer_all(frame, definitions, mode="max")  # every question, with its longest encoding
    assert frame.evaluate("marsaSco.state.answers.every((a) => a !== null)")
    cmi = lms.close()
    assert 0 < len(cmi["suspend_data"]) <= SUSPEND_DATA_LIMIT
    assert cmi["suspend_data"].count(",") == len(definitions) - 1
    frame = lms.launch(resume_data(cmi))
    assert_answers_shown(frame, definitions, mode="max")
    lms.check_clean()


def _module_quiz_files() -> list[str]:
    """The shipped quiz files that belong to a module (English sources, not the .ar overlays): one
    test each, so parallel workers share them."""
    return sorted(path.name for path in (REPO / "quizzes").glob("*.yaml")
                  if not path.name.endswith(".ar.yaml") and "\nmodule:" in "\n" + path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("quiz_file", _module_quiz_files())
def test_every_value_sent_for_each_real_module_is_in_scorm12_format(lms_for, real_course, tmp_path_factory, quiz_file):
    """Each shipped module quiz answered with the longest, mostly wrong answers (distractors included)
    and submitted: every value the player sends, interactions included, passes the SCORM 1.2 validator
    (right answers are checked on the all-types quiz in the full run)."""
    quiz = next(q for q in real_course.quizzes if q.module_key and q.path.name == quiz_file)
    # Named after the module: the host serves each package under its file's name, and the browser
    # must not be given another module's files from its cache.
    zip_path = tmp_path_factory.mktemp("strict") / f"{quiz.module_key}-strict.zip"
    path = build_scorm_package(real_course, quiz.module_key, zip_path)
    lms = lms_for(path)
    frame = lms.launch()
    frame.click("a[href='#quiz']")
    answer_all(frame, [q.definition for q in quiz.questions], mode="max")
    frame.click("#quiz-submit")
    reported = [k for k in lms.set_values() if re.fullmatch(r"cmi\.interactions\.\d+\.id", k)]
    assert len(reported) == len(quiz.questions)  # every question's interaction went through the check
    lms.check_clean()


def test_every_module_quiz_is_checked_in_scorm12_format(real_course):
    assert len(_module_quiz_files()) == len([q for q in real_course.quizzes if q.module_key]) == 6


def test_suspend_data_never_exceeds_4096_even_with_long_free_text(lms_for, tmp_path_factory):
    questions = "".join(f"""
  - id: s-q{n}
    type: short
    objectives: [B1.1]
    stem: Question {n}
    accept: [x]
    explanation: x
""" for n in range(1, 21))
    course = _course(tmp_path_factory.mktemp("long") / "course",
                     "id: long-quiz\nmodule: basics\ntitle: Long\nquestions:" + questions)
    package = read_package(course)
    path = build_scorm_package(package, "basics", tmp_path_factory.mktemp("zips") / "longtext.zip")
    definitions = _definitions(package)
    lms = lms_for(path)
    frame = lms.launch()
    frame.click("a[href='#quiz']")
    answer_all(frame, definitions, mode="max")  # 20 x 250 characters, many of them escaped
    typed = ("%,|ع" * 70)[:250]
    cmi = lms.close()
    assert len(cmi["suspend_data"]) <= SUSPEND_DATA_LIMIT
    frame = lms.launch(resume_data(cmi))
    restored = frame.evaluate("marsaSco.state.answers")
    assert all(answer and typed.startswith(answer) for answer in restored)  # shortened, never garbled
    assert sum(len(a) for a in restored) > 1000
    lms.check_clean()


def test_module_without_quiz_is_completed_when_every_lesson_is_read(lms_for, tmp_path_factory):
    root = tmp_path_factory.mktemp("noquiz") / "course"
    shutil.copytree(MINI_COURSE, root)
    (root / "quizzes" / "basics.yaml").unlink()
    module_yaml = root / "modules" / "01-basics" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text(encoding="utf-8") + "completion: {lessons: all, quiz: none}\n",
                           encoding="utf-8")
    package = read_package(root)
    assert not package.errors, [str(p) for p in package.errors]
    path = build_scorm_package(package, "basics", tmp_path_factory.mktemp("zips") / "noquiz.zip")
    with zipfile.ZipFile(path) as archive:
        root_element = ElementTree.fromstring(archive.read("imsmanifest.xml"))
        assert root_element.find(f".//{CP}item/{ADLCP}masteryscore") is None
        assert 'id="quiz"' not in archive.read("index.html").decode()
    lms = lms_for(path)
    frame = lms.launch()
    frame.click("a[href='#lesson-1']")
    frame.click('[data-mark-read="0"]')
    assert lms.snapshot()["core"]["lesson_status"] == "incomplete"
    frame.click('[data-mark-read="1"]')
    cmi = lms.close()
    assert cmi["core"]["lesson_status"] == "completed" and cmi["core"]["exit"] == ""
    lms.check_clean()
