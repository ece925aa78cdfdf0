"""Markdown to safe HTML, in one place.

Lessons, question stems, options, feedback and explanations all go through
``render_markdown()``: markdown-it-py (CommonMark, tables, footnotes, ``::: box`` containers)
with raw HTML off, then bleach with an explicit allow-list. Output is cached by the text's
hash, so a lesson is rendered once per process, not per request.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

BOXES = ("key-terms", "scenario", "content-note", "summary", "note", "references", "referral-contacts")

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "div", "section",
    "sup", "sub", "span", "dl", "dt", "dd", "del", "abbr",
}
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "id", "class", "rel"],
    "div": ["class", "role", "aria-label"],
    "section": ["class"],
    "ol": ["class", "start"],
    "li": ["id", "class"],
    "sup": ["class", "id"],
    "th": ["scope"],
    "td": [],
    "abbr": ["title"],
    "hr": ["class"],
}
ALLOWED_PROTOCOLS = {"http", "https", "mailto"}


def _box_renderer(name: str):
    def render(self, tokens, idx, _options, _env):
        if tokens[idx].nesting == 1:
            return f'<div class="box box-{name}" role="note">\n'
        return "</div>\n"
    return render


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.use(footnote_plugin)
    for name in BOXES:
        md.use(container_plugin, name=name, render=_box_renderer(name))
    return md


_PARSER = _build_parser()
_INLINE_PARSER = MarkdownIt("commonmark", {"html": False})


def clean_html(html: str) -> str:
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True)


@lru_cache(maxsize=4096)
def _render_cached(_digest: str, text: str, inline: bool) -> str:
    html = _INLINE_PARSER.renderInline(text) if inline else _PARSER.render(text)
    return clean_html(html)


def render_markdown(text: str | None, inline: bool = False) -> Markup:
    """Sanitised HTML for Markdown ``text``; the only way authored text reaches a page."""
    if not text:
        return Markup("")
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Markup(_render_cached(digest, text, inline))
