"""The ``Content-Disposition`` header of a download, for names in any script (RFC 6266)."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote


def _ascii_fallback(name: str) -> str:
    """The name in plain ASCII for clients that do not read ``filename*``: accents dropped, other
    letters (Arabic, say) removed, and the dashes left around them tidied."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    simple = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    simple = re.sub(r"[^A-Za-z0-9._-]+", "-", simple)
    simple = re.sub(r"-{2,}", "-", simple).strip("-.") or "download"
    return f"{simple}.{extension}" if dot else simple


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """``attachment; filename="…"`` with, when the name is not plain ASCII, ``filename*=UTF-8''…``
    as well: a raw non-Latin-1 header cannot be sent at all (the server answers 500)."""
    fallback = _ascii_fallback(name)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value
