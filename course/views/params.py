"""What a request may carry before a view reads it.

Numbers from a query string or a form are kept to what the database can hold: a number too large
for an integer column (``?page=9999999999999999999999999``) is an overflow error in the database
driver, so it is treated like any other value that names nothing. Text with a NUL character, and
JSON bodies that are not objects of text fields, are refused before any view runs."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

#: The largest value of an integer column (PostgreSQL ``integer``; SQLite's bound is larger).
MAX_ID = 2**31 - 1
#: More pages than any list here has; a larger ``page`` shows the (empty) last page instead.
MAX_PAGE = 1_000_000


def id_from(text: str | None) -> int | None:
    """``text`` as an id (digits only, 1 to ``MAX_ID``), or None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def id_arg(values: MultiDict, name: str) -> int | None:
    """The id named ``name``, or None when it is missing, not a whole number, or out of range."""
    return id_from(values.get(name))


def page_arg(values: MultiDict) -> int:
    """``page`` from 1 to ``MAX_PAGE``; 1 when missing or not a number."""
    return min(max(1, values.get("page", 1, type=int) or 1), MAX_PAGE)


class InputRefused(BadRequest):
    """A request whose text no form could read; its description is shown as the 400 page's message."""


def _texts(value):
    """Every string in a JSON value, or None when it holds anything but text (and lists of text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def refuse_unreadable_input() -> None:
    """Run before every view: a NUL character in the path, query string or form (PostgreSQL cannot store it,
    and no one types it), or a JSON body that is not an object of text fields (forms also accept
    JSON), is refused with a 400 and a message before any form or query sees it."""
    texts = [*request.args.keys(), *(value for _key, value in request.args.items(multi=True)),
             *(value for value in (request.view_args or {}).values() if isinstance(value, str))]
    if request.is_json:
        body = request.get_json(silent=True)
        fields = [_texts(value) for value in body.values()] if isinstance(body, dict) else [None]
        if any(found is None for found in fields):
            raise InputRefused(_("This request could not be read: send a form, or a JSON object of text fields."))
        texts += [text for found in fields for text in found] + list(body)
    elif request.method == "POST":
        texts += [*request.form.keys(), *(value for _key, value in request.form.items(multi=True))]
    if any("\x00" in text for text in texts):
        raise InputRefused(_("Text may not contain the NUL character (code 0)."))
