"""Per-attempt names for what an officer chooses from, so the page never carries the answer key.

Authors name options ``a``, ``b``, ``c`` and tend to put the right one first; a matching pair's
prompt and its match share one id; ordering items are named in the right order. None of those
names may reach the browser. Each option, matching prompt, match and ordering item is sent under
a token: an HMAC, keyed by a secret derived from the app's ``SECRET_KEY``, of the attempt, the
question version, the kind of thing and its authoring id. Tokens are stable for the life of an
attempt (autosave, the offline journal, a reload and a form post all use the same names), differ
from one attempt to the next, and cannot be mapped back without the key. The server maps them
back when it reads a form; answers are stored, scored and reported under the authoring ids.

Nothing here touches Flask or the database.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from werkzeug.datastructures import MultiDict

from course.questions import QuestionType, get_type

#: A value that no authoring id can equal (ids are letters, digits, - and _): an unknown token
#: is read as this, so the question type refuses it instead of taking it for an id.
UNKNOWN = "?"

#: kind of thing -> the letter that keeps the kinds apart in what is signed
_KINDS = {"option": "o", "prompt": "p", "match": "m", "item": "i"}


class AnswerTokens:
    def __init__(self, key: bytes):
        self._key = key

    @classmethod
    def from_secret(cls, secret: str) -> AnswerTokens:
        return cls(hmac.new(secret.encode(), b"marsa answer tokens", hashlib.sha256).digest())

    def token(self, attempt_id: int, version_id: int, kind: str, item_id: str) -> str:
        message = f"{attempt_id}:{version_id}:{_KINDS[kind]}:{item_id}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.b32encode(digest[:10]).decode().lower()  # 16 letters and digits

    def for_question(self, attempt_id: int, version_id: int, definition: dict) -> QuestionTokens:
        qtype = get_type(definition["type"])
        return QuestionTokens(qtype, f"q{version_id}", {
            kind: {item_id: self.token(attempt_id, version_id, kind, item_id) for item_id in item_ids}
            for kind, item_ids in qtype.token_ids(definition).items()})


class QuestionTokens:
    """The tokens of one question in one attempt, both ways. What a type names by token, and how its
    responses and form fields are built of them, is the type's own (``token_ids``, ``encode_response``,
    ``decode_form`` in ``course/questions/``)."""

    def __init__(self, qtype: QuestionType, name: str, tokens: dict[str, dict[str, str]]):
        self.type = qtype
        #: the form field's name (its prefix, for matching and ordering)
        self.name = name
        self._out = tokens
        self._in = {kind: {token: item_id for item_id, token in by_id.items()} for kind, by_id in tokens.items()}

    def out(self, kind: str, item_id: str) -> str:
        return self._out[kind][item_id]

    def outs(self, kind: str) -> dict[str, str]:
        """authoring id -> token, for every item of ``kind``."""
        return self._out.get(kind, {})

    def back(self, kind: str, token: str) -> str:
        """The authoring id of ``token``, or ``UNKNOWN``."""
        return self._in.get(kind, {}).get(token, UNKNOWN)

    def encode_response(self, response: Any) -> Any:
        """A stored response, under this attempt's tokens (for the page to show it as chosen)."""
        if response is None:
            return None
        return self.type.encode_response(self, response)

    def decode_form(self, form) -> MultiDict:
        """This question's fields of a posted form, with the authoring ids in place of the tokens.
        An unknown token becomes ``UNKNOWN``, which the question type refuses."""
        decoded: MultiDict = MultiDict()
        self.type.decode_form(self, form, decoded)
        return decoded


def tokens_for(app) -> AnswerTokens:
    """The app's tokens (built once from its ``SECRET_KEY``)."""
    tokens = app.extensions.get("marsa.answer_tokens")
    if tokens is None:
        tokens = app.extensions["marsa.answer_tokens"] = AnswerTokens.from_secret(app.config["SECRET_KEY"])
    return tokens
