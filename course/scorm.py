"""SCORM 1.2 export of one module: a self-contained zip that any SCORM 1.2 LMS can launch.

``build_scorm_package(package, module_key, out_path)`` writes one SCO: ``index.html`` holds the
module overview, every lesson (rendered by ``render_markdown``, so sanitised) and the quiz, with
a navigation between them; ``player.js`` is a plain-JavaScript player that shows one part at a
time, scores the quiz as ``course/questions.py`` does and talks to the LMS through the SCORM 1.2
API (``LMSInitialize``/``LMSSetValue``/``LMSCommit``/``LMSFinish``); ``marsa.css`` is the app's
own stylesheet and ``sco.css`` a few rules for the player. Nothing is fetched from anywhere else.

Inside a SCORM package the answer key necessarily travels to the browser, and grading happens
there: a determined learner can read the key. Use the Marsa server for graded or exam quizzes
whose results must be trusted.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from markupsafe import Markup, escape

from course.markdown import render_markdown
from course.services.referrals import MARKER as REFERRAL_BOX
from course.questions import get_type
from course.questions.scorm12 import SCORM12_CODES, scorm12_codes  # noqa: F401 (the package's codes)

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "marsa.css"
#: The web fonts marsa.css loads (``url(../fonts/...)``), shipped inside every package.
WEB_FONTS = sorted((STYLESHEET.parent.parent / "fonts").glob("*.woff2"))
LANGUAGES = ("en", "ar")
RTL = ("ar",)
SUSPEND_DATA_LIMIT = 4096
#: The player commits to the LMS at most this often (ms), besides at submission and when it closes.
COMMIT_INTERVAL_MS = 5000


STRINGS = {
    "en": {
        "skip": "Skip to content", "contents": "Contents", "overview": "Overview",
        "lesson_of": "Lesson {n} of {total}", "minutes": "{n} min", "mark_read": "Mark as read and continue",
        "is_read": "You have read this lesson.", "read_mark": "read", "previous": "Previous", "next": "Next",
        "objectives": "What you will be able to do", "lessons": "Lessons", "start": "Start with the first lesson",
        "not_translated": "This lesson is not yet available in your language; it is shown in English.",
        "questions": "Questions", "pass_mark": "Pass mark", "attempts": "Attempts", "unlimited": "Unlimited",
        "question_n": "Question {n}", "points": "Points: {n}", "scenario": "Scenario",
        "choose_all": "Choose every answer that applies.", "true": "True", "false": "False",
        "choose_match": "Choose the match for each item.", "choose": "— choose —",
        "give_position": "Give each item its position: 1 comes first.", "position": "— position —",
        "your_answer": "Your answer", "your_number": "Your answer (a number)", "submit": "Submit answers",
        "explanation": "Explanation", "correct_answer": "Correct answer:", "result": "Your result",
        "no_js": "The quiz needs JavaScript. The lessons can be read without it.",
        "key_note": "Your answers are scored in this browser window.",
        "referral_contacts": "Your institute's referral contacts are shown in this lesson on Marsa. Ask your supervisor whom to call at your post.",
        # Used by player.js:
        "js_no_lms": "No connection to a learning platform was found: your progress is not being saved.",
        "js_lms_error": "The learning platform refused to save some data (error {code}).",
        "js_score": "Your score: {score}%", "js_passed": "Passed. The pass mark is {mark}%.",
        "js_failed": "Not passed. The pass mark is {mark}%.", "js_grade": "Your grade for this quiz: {grade}%",
        "js_attempt": "Attempt {n} of {total}", "js_attempt_unlimited": "Attempt {n}",
        "js_retry": "Try again", "js_no_attempts": "You have used all the attempts this quiz allows.",
        "js_correct": "Correct", "js_partial": "Partly correct", "js_wrong": "Incorrect",
        "js_unanswered": "Not answered", "js_unanswered_count": "{n} question(s) not answered.",
        "js_no_review": "Feedback for this quiz is not shown here.",
        "js_lessons_done": "You have read every lesson of this module.",
    },
    "ar": {
        "skip": "انتقل إلى المحتوى", "contents": "المحتويات", "overview": "نظرة عامة",
        "lesson_of": "الدرس {n} من {total}", "minutes": "{n} دقيقة", "mark_read": "تحديد كمقروء والمتابعة",
        "is_read": "لقد قرأت هذا الدرس.", "read_mark": "مقروء", "previous": "السابق", "next": "التالي",
        "objectives": "ما ستكون قادراً على فعله", "lessons": "الدروس", "start": "ابدأ بالدرس الأول",
        "not_translated": "هذا الدرس غير متاح بعد بلغتك؛ يُعرض باللغة الإنجليزية.",
        "questions": "الأسئلة", "pass_mark": "درجة النجاح", "attempts": "المحاولات", "unlimited": "غير محدودة",
        "question_n": "السؤال {n}", "points": "النقاط: {n}", "scenario": "سيناريو",
        "choose_all": "اختر كل الإجابات التي تنطبق.", "true": "صحيح", "false": "خطأ",
        "choose_match": "اختر ما يطابق كل عنصر.", "choose": "— اختر —",
        "give_position": "أعطِ كل عنصر ترتيبه: 1 يأتي أولاً.", "position": "— الترتيب —",
        "your_answer": "إجابتك", "your_number": "إجابتك (رقم)", "submit": "إرسال الإجابات",
        "explanation": "الشرح", "correct_answer": "الإجابة الصحيحة:", "result": "نتيجتك",
        "no_js": "يحتاج الاختبار إلى JavaScript. يمكن قراءة الدروس بدونه.",
        "key_note": "تُصحَّح إجاباتك في نافذة المتصفح هذه.",
        "referral_contacts": "تُعرض جهات الاتصال الخاصة بالإحالة في معهدك في هذا الدرس على منصة مرسى. اسأل رئيسك المباشر عمّن تتصل به في موقع عملك.",
        "js_no_lms": "لم يُعثر على اتصال بمنصة التعلم: تقدمك لا يُحفظ.",
        "js_lms_error": "رفضت منصة التعلم حفظ بعض البيانات (الخطأ {code}).",
        "js_score": "درجتك: {score}%", "js_passed": "ناجح. درجة النجاح {mark}%.",
        "js_failed": "غير ناجح. درجة النجاح {mark}%.", "js_grade": "درجتك في هذا الاختبار: {grade}%",
        "js_attempt": "المحاولة {n} من {total}", "js_attempt_unlimited": "المحاولة {n}",
        "js_retry": "حاول مرة أخرى", "js_no_attempts": "لقد استخدمت كل المحاولات التي يسمح بها هذا الاختبار.",
        "js_correct": "صحيحة", "js_partial": "صحيحة جزئياً", "js_wrong": "غير صحيحة",
        "js_unanswered": "لم تتم الإجابة", "js_unanswered_count": "أسئلة بلا إجابة: {n}.",
        "js_no_review": "لا تُعرض الملاحظات على هذا الاختبار هنا.",
        "js_lessons_done": "لقد قرأت كل دروس هذه الوحدة.",
    },
}


class ScormError(Exception):
    """The module cannot be exported (unknown module, package with errors...)."""


@dataclass
class _Built:
    files: dict[str, bytes]
    manifest: str


def _text(value, lang: str) -> str:
    """The text of an i18n value in ``lang``, falling back to English."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or ""


def _number(value: float) -> str:
    return f"{value:g}"


def _find(package, module_key: str):
    module = next((m for m in package.modules if m.key == module_key), None)
    if module is None:
        known = ", ".join(m.key for m in package.modules) or "none"
        raise ScormError(f"no module with id {module_key!r} (known: {known})")
    quiz = next((q for q in package.quizzes if q.module_key == module_key and q.kind == "module"), None)
    return module, quiz


def count_steps(package, module_key: str) -> int:
    """How many times ``build_scorm_package`` calls ``progress`` for this module."""
    module, quiz = _find(package, module_key)
    return 4 + len(module.lessons) + (1 if quiz else 0)


def build_scorm_package(package, module_key: str, out_path, lang: str = "en",
                        progress: Callable[[str], None] | None = None) -> Path:
    """Write a SCORM 1.2 zip of module ``module_key`` of ``package`` (from ``read_package``).

    ``progress(label)`` is called once per step (``count_steps`` of them). Returns the zip's path.
    """
    def step(label: str) -> None:
        if progress is not None:
            progress(label)

    if lang not in LANGUAGES:
        raise ScormError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if package.errors:
        raise ScormError(f"the course package has {len(package.errors)} error(s); run `flask course check`")
    module, quiz = _find(package, module_key)
    step(f"Module {module.key}")
    built = _Builder(module, quiz, lang).build(step)
    step("Manifest")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    step(f"Writing {out_path.name}")
    _write_zip(out_path, {"imsmanifest.xml": built.manifest.encode("utf-8"), **built.files})
    return out_path


def _write_zip(path: Path, files: dict[str, bytes]) -> None:
    """A reproducible zip: fixed timestamps and order, so the same content gives the same bytes."""
    tmp = path.with_name(path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    tmp.replace(path)


# --- HTML -----------------------------------------------------------------------------------------

_EXTERNAL_LINK = re.compile(r'<a\b[^>]*?\bhref="((?:https?:)?//[^"]*)"[^>]*>(.*?)</a>', re.S | re.I)
_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_LOCAL_HREF = re.compile(r'\bhref="#([^"]+)"')


def _offline_html(html: str) -> str:
    """Links out of the package become text: a SCO must not load or open anything outside it.

    The address stays readable (without its scheme) next to the link text."""
    def replace(match: re.Match) -> str:
        address = re.sub(r"^(?:https?:)?//", "", match.group(1)).rstrip("/")
        text = match.group(2)
        plain = re.sub(r"<[^>]+>", "", text).strip()
        if plain.rstrip("/") in (address, match.group(1).rstrip("/")):
            return f'<span class="link-text">{escape(Markup(address).unescape())}</span>'
        return f'{text} <span class="link-text">({escape(Markup(address).unescape())})</span>'
    return _EXTERNAL_LINK.sub(replace, html)


def _scoped_ids(html: str, prefix: str) -> str:
    """Footnote ids (fn1, fnref1...) are unique per lesson, not per page: prefix them."""
    html = _ID_ATTR.sub(lambda m: f'id="{prefix}{m.group(1)}"', html)
    return _LOCAL_HREF.sub(lambda m: f'href="#{prefix}{m.group(1)}"', html)


def _md(text: str | None, inline: bool = False) -> str:
    return _offline_html(str(render_markdown(text, inline=inline)))


def _safe_json(value) -> str:
    """JSON that can sit inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Builder:
    def __init__(self, module, quiz, lang: str):
        self.module, self.quiz, self.lang = module, quiz, lang
        self.t = STRINGS[lang]

    def s(self, key: str, **values) -> str:
        text = self.t[key]
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    # The pieces -----------------------------------------------------------------------------------

    def build(self, step) -> _Built:
        lessons_html = []
        for number, lesson in enumerate(self.module.lessons, start=1):
            step(f"Lesson {lesson.key}")
            lessons_html.append(self.lesson_section(number, lesson))
        quiz_html, quiz_data = "", None
        if self.quiz is not None:
            step(f"Quiz {self.quiz.key}")
            quiz_html, quiz_data = self.quiz_section()
        step("Player and stylesheet")
        data = {
            "module": self.module.key,
            "lessons": [lesson.key for lesson in self.module.lessons],
            "quiz": quiz_data,
            "strings": {k[3:]: v for k, v in self.t.items() if k.startswith("js_")},
            "lang": self.lang,
            "commitInterval": COMMIT_INTERVAL_MS,
        }
        data["stamp"] = hashlib.sha256(json.dumps([data["module"], data["lessons"], quiz_data],
                                                  sort_keys=True).encode()).hexdigest()[:8]
        index = self.page("\n".join(lessons_html), quiz_html, data)
        files = {
            "index.html": index.encode("utf-8"),
            # The stylesheet sits at the package root here, with the fonts it names beside it.
            "marsa.css": STYLESHEET.read_text(encoding="utf-8").replace("../fonts/", "fonts/").encode("utf-8"),
            **{f"fonts/{font.name}": font.read_bytes() for font in WEB_FONTS},
            "sco.css": SCO_CSS.encode("utf-8"),
            "player.js": PLAYER_JS.encode("utf-8"),
        }
        if quiz_data is not None:
            files["interactions.csv"] = self.interaction_codes(quiz_data).encode("utf-8")
        return _Built(files=files, manifest=self.manifest(list(files)))

    def interaction_codes(self, quiz_data: dict) -> str:
        """The legend of the one-character identifiers in the LMS's interaction reports: question,
        what the character stands for (option, prompt, match or item), the character, Marsa's id and
        the text, so a report like ``a.b,b.a`` can be read."""
        by_id = {q.definition["id"]: q.definition for q in self.quiz.questions}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["question", "kind", "code", "id", "text"])
        for data in quiz_data["questions"]:
            definition = by_id[data["id"]]
            texts = get_type(data["type"]).scorm_legend(definition, data)
            for kind, (codes, names) in texts.items():
                for item_id, code in (codes or {}).items():
                    writer.writerow([data["id"], kind, code, item_id, _text(names[item_id], self.lang)])
        return out.getvalue()

    def page(self, lessons_html: str, quiz_html: str, data: dict) -> str:
        module, lang = self.module, self.lang
        title = escape(_text(module.title, lang))
        toc = [f'<li><a href="#overview">{escape(self.s("overview"))}</a></li>']
        for number, lesson in enumerate(module.lessons, start=1):
            toc.append(f'<li><a href="#lesson-{number}">{escape(_text(lesson.title, lang))}</a>'
                       f' <span class="read-mark" data-read-mark="{number - 1}" hidden>'
                       f'({escape(self.s("read_mark"))})</span></li>')
        if self.quiz is not None:
            toc.append(f'<li><a href="#quiz">{escape(_text(self.quiz.title, lang))}</a></li>')
        return f"""<!doctype html>
<html lang="{lang}" dir="{'rtl' if lang in RTL else 'ltr'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="marsa.css">
<link rel="stylesheet" href="sco.css">
<script src="player.js" defer></script>
</head>
<body>
<a class="skip-link" href="#main">{escape(self.s("skip"))}</a>
<header class="site-header">
  <div class="wrap header-row"><span class="brand"><span aria-hidden="true">⚓</span> Marsa</span>
  <span class="sco-module">{title}</span></div>
</header>
<div class="wrap sco-layout">
<nav class="sco-nav" aria-label="{escape(self.s("contents"))}">
  <ul class="sco-toc">
  {"".join(toc)}
  </ul>
</nav>
<main id="main" tabindex="-1">
<p id="sco-status" class="save-status" role="status" aria-live="polite"></p>
{self.overview_section()}
{lessons_html}
{quiz_html}
</main>
</div>
<script type="application/json" id="sco-data">{_safe_json(data)}</script>
</body>
</html>
"""

    def overview_section(self) -> str:
        module, lang = self.module, self.lang
        objectives = "".join(f"<li>{_md(_text(text, lang), inline=True)}</li>" for _, text in module.objectives)
        lessons = "".join(f'<li><a href="#lesson-{n}">{escape(_text(lesson.title, lang))}</a> '
                          f'<span class="muted">· {escape(self.s("minutes", n=lesson.minutes))}</span></li>'
                          for n, lesson in enumerate(module.lessons, start=1))
        start = (f'<p><a class="button primary" href="#lesson-1">{escape(self.s("start"))}</a></p>'
                 if module.lessons else "")
        return f"""<section id="overview" class="sco-section" aria-labelledby="overview-title">
<h1 id="overview-title" tabindex="-1">{escape(_text(module.title, lang))}</h1>
<p class="lead">{escape(_text(module.summary, lang))}</p>
<p class="muted">{escape(self.s("minutes", n=module.minutes))}</p>
{f'<h2>{escape(self.s("objectives"))}</h2><ul>{objectives}</ul>' if objectives else ''}
{f'<h2>{escape(self.s("lessons"))}</h2><ol>{lessons}</ol>' if lessons else ''}
{start}
</section>"""

    def lesson_section(self, number: int, lesson) -> str:
        lang, total = self.lang, len(self.module.lessons)
        body, _source = lesson.texts.get(lang) or lesson.texts["en"]
        translated = lang in lesson.texts
        article_lang = "" if translated else ' lang="en" dir="ltr"'
        notice = "" if translated else f'<p class="notice">{escape(self.s("not_translated"))}</p>'
        html = _scoped_ids(_md(body), f"l{number}-").replace(
            REFERRAL_BOX, f'<div class="box box-note" role="note"><p>{escape(self.s("referral_contacts"))}</p></div>')
        pager = []
        previous = "#overview" if number == 1 else f"#lesson-{number - 1}"
        previous_title = self.s("overview") if number == 1 else _text(self.module.lessons[number - 2].title, lang)
        pager.append(f'<a rel="prev" href="{previous}">‹ {escape(previous_title)}</a>')
        if number < total:
            pager.append(f'<a rel="next" href="#lesson-{number + 1}">'
                         f'{escape(_text(self.module.lessons[number].title, lang))} ›</a>')
        elif self.quiz is not None:
            pager.append(f'<a rel="next" href="#quiz">{escape(_text(self.quiz.title, lang))} ›</a>')
        return f"""<section id="lesson-{number}" class="sco-section" aria-labelledby="lesson-{number}-title">
<article class="lesson"{article_lang}>
<p class="muted">{escape(self.s("lesson_of", n=number, total=total))} · {escape(self.s("minutes", n=lesson.minutes))}</p>
<h1 id="lesson-{number}-title" tabindex="-1">{escape(_text(lesson.title, lang))}</h1>
{notice}
{html}
</article>
<div class="lesson-actions">
<p class="badge badge-completed" data-read-badge="{number - 1}" hidden>{escape(self.s("is_read"))}</p>
<button type="button" class="button primary" data-mark-read="{number - 1}" hidden>{escape(self.s("mark_read"))}</button>
<nav class="pager" aria-label="{escape(self.s("lessons"))}">{" ".join(pager)}</nav>
</div>
</section>"""

    # The quiz -------------------------------------------------------------------------------------

    def quiz_section(self) -> tuple[str, dict]:
        quiz, lang = self.quiz, self.lang
        settings = quiz.settings
        attempts = settings.get("attempts")
        questions_html, questions_data = [], []
        previous_group = None
        # A question a trainer must grade cannot be scored inside a package: it is left out.
        questions = [q for q in quiz.questions if get_type(q.definition["type"]).scorm_interaction]
        for index, question in enumerate(questions):
            definition = question.definition
            case = _text(definition.get("case"), lang) if definition.get("case") else ""
            group = definition.get("group")
            if case and (not group or group != previous_group):
                questions_html.append(f'<div class="box box-scenario case" role="note"><p class="case-label">'
                                      f'{escape(self.s("scenario"))}</p>{_md(case)}</div>')
            previous_group = group
            html, data = self.question(index, definition)
            questions_html.append(html)
            questions_data.append(data)
        facts = (f'<dl class="facts"><div><dt>{escape(self.s("questions"))}</dt><dd>{len(questions)}</dd></div>'
                 f'<div><dt>{escape(self.s("pass_mark"))}</dt><dd>{_number(settings["pass_mark"])}%</dd></div>'
                 f'<div><dt>{escape(self.s("attempts"))}</dt>'
                 f'<dd>{attempts if attempts else escape(self.s("unlimited"))}</dd></div></dl>')
        html = f"""<section id="quiz" class="sco-section" aria-labelledby="quiz-title">
<h1 id="quiz-title" tabindex="-1">{escape(_text(quiz.title, lang))}</h1>
{facts}
<p class="muted">{escape(self.s("key_note"))}</p>
<noscript><p class="notice">{escape(self.s("no_js"))}</p></noscript>
<div id="quiz-result" class="card result-summary" hidden>
<h2 id="quiz-result-title" tabindex="-1">{escape(self.s("result"))}</h2>
<p class="score" id="quiz-score"></p>
<p id="quiz-verdict"></p>
<p id="quiz-grade" class="muted"></p>
<p id="quiz-attempt" class="muted"></p>
<button type="button" class="button" id="quiz-retry" hidden></button>
</div>
<form id="quiz-form" novalidate>
{"".join(questions_html)}
<div class="quiz-actions">
<button type="submit" class="button primary" id="quiz-submit">{escape(self.s("submit"))}</button>
<p id="quiz-unanswered" class="hint" role="status" aria-live="polite"></p>
</div>
</form>
</section>"""
        data = {
            "id": quiz.key,
            "passMark": settings["pass_mark"],
            "attempts": attempts,
            "grading": settings.get("grading", "highest"),
            "showFeedback": settings.get("show_feedback", "after_submission"),
            "showAnswers": settings.get("show_answers", "after_submission"),
            "questions": questions_data,
        }
        return html, data

    def _shuffled(self, definition: dict, items: list, always: bool = False, salt: str = "") -> list:
        items = list(items)
        if always or self.quiz.settings.get("shuffle_options", True):
            original = list(items)
            random.Random(f"scorm:{definition['id']}{salt}").shuffle(items)
            if always and len(items) > 1 and items == original:  # never show an ordering solved
                items = items[1:] + items[:1]
        return items

    def question(self, index: int, definition: dict) -> tuple[str, dict]:
        lang, qtype, qid = self.lang, definition["type"], definition["id"]
        name = f"q-{qid}"
        points = definition["points"]
        data = {"id": qid, "type": qtype, "points": points, "objectives": definition["objectives"],
                "scormType": get_type(qtype).scorm_interaction, **get_type(qtype).scorm_data(definition)}
        inputs, feedback = [], []
        if qtype in ("single", "multiple"):
            if qtype == "multiple":
                inputs.append(f'<p class="hint">{escape(self.s("choose_all"))}</p>')
            kind = "radio" if qtype == "single" else "checkbox"
            for option in self._shuffled(definition, definition["options"]):
                inputs.append(f'<label class="choice"><input type="{kind}" name="{name}" value="{option["id"]}"> '
                              f'<span>{_md(_text(option["text"], lang), inline=True)}</span></label>')
                if option.get("feedback"):
                    feedback.append(f'<div class="feedback" data-feedback-for="{option["id"]}" hidden>'
                                    f'{_md(_text(option["feedback"], lang))}</div>')
        elif qtype == "truefalse":
            for value in ("true", "false"):
                inputs.append(f'<label class="choice"><input type="radio" name="{name}" value="{value}"> '
                              f'<span>{escape(self.s(value))}</span></label>')
                text = (definition.get("feedback") or {}).get(value)
                if text:
                    feedback.append(f'<div class="feedback" data-feedback-for="{value}" hidden>'
                                    f'{_md(_text(text, lang))}</div>')
        elif qtype == "matching":
            matches = [{"id": p["id"], "text": p["match"]} for p in definition["pairs"]]
            matches += [{"id": d["id"], "text": d["text"]} for d in definition["distractors"]]
            shown = self._shuffled(definition, matches, salt=":m")
            choices = "".join(f'<option value="{m["id"]}">{escape(_text(m["text"], lang))}</option>' for m in shown)
            inputs.append(f'<p class="hint">{escape(self.s("choose_match"))}</p>')
            for pair in definition["pairs"]:
                field = f"{name}-{pair['id']}"
                inputs.append(f'<div class="match-row"><label for="{field}">{_md(_text(pair["prompt"], lang), True)}'
                              f'</label><select id="{field}" name="{field}" data-part="{pair["id"]}">'
                              f'<option value="">{escape(self.s("choose"))}</option>{choices}</select></div>')
        elif qtype == "ordering":
            count = len(definition["items"])
            positions = "".join(f'<option value="{n}">{n}</option>' for n in range(1, count + 1))
            inputs.append(f'<p class="hint">{escape(self.s("give_position"))}</p>')
            for item in self._shuffled(definition, definition["items"], always=True):
                field = f"{name}-{item['id']}"
                inputs.append(f'<div class="match-row"><label for="{field}">{_md(_text(item["text"], lang), True)}'
                              f'</label><select id="{field}" name="{field}" data-part="{item["id"]}">'
                              f'<option value="">{escape(self.s("position"))}</option>{positions}</select></div>')
        elif qtype == "short":
            feedback.extend(self.answer_feedback(definition))
            inputs.append(f'<label class="visually-hidden" for="{name}">{escape(self.s("your_answer"))}</label>'
                          f'<input type="text" id="{name}" name="{name}" maxlength="250" autocomplete="off">')
        elif qtype == "numeric":
            feedback.extend(self.answer_feedback(definition))
            inputs.append(f'<label class="visually-hidden" for="{name}">{escape(self.s("your_number"))}</label>'
                          f'<input type="text" inputmode="decimal" id="{name}" name="{name}" maxlength="50" '
                          f'autocomplete="off">')
        else:  # pragma: no cover - the reader only lets registered types through
            raise ScormError(f"question {qid}: type {qtype!r} cannot be exported")
        explanation = _md(_text(definition.get("explanation"), lang))
        html = f"""<fieldset class="question card" id="question-{qid}" data-question="{index}">
<legend><span class="qnum">{escape(self.s("question_n", n=index + 1))}</span>
<span class="muted">({escape(self.s("points", n=_number(points)))})</span></legend>
<div class="stem">{_md(_text(definition.get("stem"), lang))}</div>
{"".join(inputs)}
<p class="verdict" hidden></p>
{"".join(feedback)}
<div class="answer-key" hidden><p><strong>{escape(self.s("correct_answer"))}</strong> {self.answer_text(definition)}</p></div>
<div class="explanation" hidden><p class="case-label">{escape(self.s("explanation"))}</p>{explanation}</div>
</fieldset>
"""
        return html, data

    def answer_feedback(self, definition: dict) -> list[str]:
        """Feedback of each short or numeric answer, shown when the response matched it (``ansN``:
        the index the player's ``matchingAnswer`` returns)."""
        return [f'<div class="feedback" data-feedback-for="ans{n}" hidden>{_md(_text(a["feedback"], self.lang))}</div>'
                for n, a in enumerate(definition.get("answers") or []) if a.get("feedback")]

    def answer_text(self, definition: dict) -> str:
        lang, qtype = self.lang, definition["type"]
        if qtype in ("single", "multiple"):
            return "; ".join(_md(_text(o["text"], lang), True) for o in definition["options"] if o["correct"])
        if qtype == "truefalse":
            return escape(self.s("true" if definition["answer"] else "false"))
        if qtype == "matching":
            return "; ".join(f'{_md(_text(p["prompt"], lang), True)} → {escape(_text(p["match"], lang))}'
                             for p in definition["pairs"])
        if qtype == "ordering":
            return " → ".join(_md(_text(i["text"], lang), True) for i in definition["items"])
        if qtype == "short":
            return " / ".join(str(escape(a)) for a in definition["accept"])
        return str(escape(get_type(qtype).correct_response(definition)))

    # The manifest ---------------------------------------------------------------------------------

    def manifest(self, files: list[str]) -> str:
        module, lang = self.module, self.lang
        base = f"marsa-{module.key}"
        title = xml_escape(_text(module.title, lang))
        mastery = ""
        if self.quiz is not None:
            mastery = f"\n        <adlcp:masteryscore>{_number(self.quiz.settings['pass_mark'])}</adlcp:masteryscore>"
        file_list = "\n".join(f"      <file href={quoteattr(name)}/>" for name in files)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="{base}" version="1.0"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="{base}-org">
    <organization identifier="{base}-org">
      <title>{title}</title>
      <item identifier="{base}-item" identifierref="{base}-sco" isvisible="true">
        <title>{title}</title>{mastery}
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="{base}-sco" type="webcontent" adlcp:scormtype="sco" href="index.html">
{file_list}
    </resource>
  </resources>
</manifest>
"""


SCO_CSS = """/* Marsa SCORM player: the few rules marsa.css does not already have. */
[hidden] { display: none !important; }
.sco-layout { display: grid; grid-template-columns: minmax(11rem, 15rem) minmax(0, 1fr); gap: 1.5rem; align-items: start; }
.sco-nav { padding-block: 1.5rem; }
.sco-toc { list-style: none; padding: 0; margin: 0; }
.sco-toc li { margin-block: .35rem; }
.sco-toc a[aria-current="true"] { font-weight: 700; }
.read-mark { color: var(--ok); font-size: .85rem; }
.sco-module { font-weight: 600; }
.save-status:empty { display: none; }
.verdict.verdict-correct { color: var(--ok); }
.verdict.verdict-partial { color: var(--warn); }
.verdict.verdict-wrong { color: var(--bad); }
.question[disabled] { opacity: 1; }
.answer-key { background: #eef5f9; border-radius: 6px; padding: .25rem .8rem; margin-block: .5rem; }
@media (max-width: 48rem) { .sco-layout { grid-template-columns: 1fr; } .sco-nav { padding-block: 1rem 0; } }
@media print { .sco-nav, .quiz-actions { display: none; } .sco-layout { display: block; } }
"""

# The player. Plain ES5 so that old LMS browsers run it; no framework, no network, no eval.
# (No line comments in here: the package is checked for "//" as a sign of a URL.)
PLAYER_JS = r"""/* Marsa SCORM 1.2 player: lessons, quiz and the conversation with the LMS.
 *
 * The LMS API is found by walking window.parent (at most 10 levels) and then window.opener.
 * Lessons read and answers given are kept in cmi.suspend_data (compact, at most 4096
 * characters), the place in the module in cmi.core.lesson_location. Scoring mirrors
 * course/questions.py; it necessarily happens here, in the browser.
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
    var escaped = bits.map(function (bit) { return bit.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&"); });
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
"""
