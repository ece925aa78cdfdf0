"""The package's page, ``index.html``: the module overview, every lesson and the quiz, rendered
from ``templates/scorm/`` in the package's language (the caller forces the locale).

Authored text goes through ``render_markdown`` (sanitised) and then loses its links out of the
package; each question type's inputs, feedback and answer key are drawn by
``templates/scorm/questions/<type>.html``.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from flask import render_template
from markupsafe import Markup, escape

from course.i18n import RTL_LANGUAGES
from course.markdown import render_markdown
from course.models.content import text_in
from course.questions import get_type
from course.scorm.quizdata import exportable_questions
from course.services.referrals import MARKER as REFERRAL_BOX

_EXTERNAL_LINK = re.compile(r'<a\b[^>]*?\bhref="((?:https?:)?//[^"]*)"[^>]*>(.*?)</a>', re.S | re.I)
_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_LOCAL_HREF = re.compile(r'\bhref="#([^"]+)"')


def offline_html(html: str) -> str:
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


def scoped_ids(html: str, prefix: str) -> str:
    """Footnote ids (fn1, fnref1...) are unique per lesson, not per page: prefix them."""
    html = _ID_ATTR.sub(lambda m: f'id="{prefix}{m.group(1)}"', html)
    return _LOCAL_HREF.sub(lambda m: f'href="#{prefix}{m.group(1)}"', html)


def number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Helpers:
    """What the templates may do with authored values: ``tr`` picks the package's language
    (English where a translation is missing), ``md`` renders Markdown for a page that works
    offline, ``shuffled`` gives a question's options in the package's fixed order."""
    lang: str
    shuffle_options: bool

    def tr(self, value) -> str:
        return text_in(value, self.lang)

    def md(self, value, inline: bool = False) -> Markup:
        return Markup(offline_html(str(render_markdown(text_in(value, self.lang), inline=inline))))

    def shuffled(self, definition: dict, items: list, always: bool = False, salt: str = "") -> list:
        """``items`` shuffled by a seed of the question's id: the same package for the same files.
        ``always``: whatever the quiz says (an ordering question shown in order is solved)."""
        items = list(items)
        if always or self.shuffle_options:
            original = list(items)
            random.Random(f"scorm:{definition['id']}{salt}").shuffle(items)
            if always and len(items) > 1 and items == original:  # never show an ordering solved
                items = items[1:] + items[:1]
        return items

    @staticmethod
    def correct_response(definition: dict):
        return get_type(definition["type"]).correct_response(definition)

    @staticmethod
    def number(value: float) -> str:
        return number(value)


def _lessons(module, lang: str, helpers: Helpers) -> list[dict]:
    lessons = []
    for position, lesson in enumerate(module.lessons, start=1):
        body, _source = lesson.texts.get(lang) or lesson.texts["en"]
        html = scoped_ids(str(helpers.md(body)), f"l{position}-")
        lessons.append({
            "number": position, "title": helpers.tr(lesson.title), "minutes": lesson.minutes,
            "translated": lang in lesson.texts,
            # The referral contacts are the institute's, which a package does not carry: the
            # template puts a note in each box's place.
            "parts": [Markup(part) for part in html.split(REFERRAL_BOX)],
        })
    return lessons


def _questions(quiz) -> list[tuple[int, dict, object]]:
    """Each question's index and definition, with the scenario to show before it (None: none, or the one
    shown before the previous question of its group)."""
    out, previous_group = [], None
    for index, question in enumerate(exportable_questions(quiz)):
        definition = question.definition
        case = definition.get("case")
        group = definition.get("group")
        out.append((index, definition, case if case and (not group or group != previous_group) else None))
        previous_group = group
    return out


def render_index(module, quiz, lang: str, data_json: str) -> str:
    """The whole page; ``data_json`` is the player's data, already safe inside a script element."""
    helpers = Helpers(lang=lang, shuffle_options=bool(quiz and quiz.settings.get("shuffle_options", True)))
    return render_template(
        "scorm/index.html", lang=lang, direction="rtl" if lang in RTL_LANGUAGES else "ltr",
        h=helpers, module=module, quiz=quiz,
        lessons=_lessons(module, lang, helpers),
        questions=_questions(quiz) if quiz is not None else [],
        data_json=Markup(data_json))
