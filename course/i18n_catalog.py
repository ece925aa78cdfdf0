"""Is the Arabic catalog complete and compiled? ``check_catalog(root)`` lists what is not.

It extracts the interface strings in memory as the documented command does
(``pybabel extract -F babel.cfg -k _l -k lazy_gettext --ignore-dirs=".* __pycache__ node_modules"``;
without ``--ignore-dirs`` pybabel skips every folder starting with "_", such as
``templates/_macros``) and reports: a string missing or untranslated in the .po, a fuzzy entry,
and a .mo that differs from a fresh compile of the .po. The workflow that fixes each problem is
in docs/ARCHITECTURE.md, "Translations".
"""
from __future__ import annotations

import fnmatch
import os
from io import BytesIO
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
IGNORE_DIRS = (".*", "__pycache__", "node_modules")  # the --ignore-dirs of the documented command


def extract_messages(root: Path) -> dict[tuple, str]:
    """``{(msgid, context): "file:line"}`` for every translatable string under ``root``."""
    with open(root / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(root / "babel.cfg"))

    def keep_dir(path: str) -> bool:
        return not any(fnmatch.fnmatch(os.path.basename(path), pattern) for pattern in IGNORE_DIRS)

    found: dict[tuple, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            root, method_map, options_map, keywords=KEYWORDS, directory_filter=keep_dir):
        found.setdefault((message, context), f"{filename}:{lineno}")
    return found


def check_catalog(root: str | Path, locale: str = "ar") -> list[str]:
    """Problems with ``translations/<locale>``; an empty list means complete and compiled."""
    root = Path(root)
    folder = root / "translations" / locale / "LC_MESSAGES"
    po_path, mo_path = folder / "messages.po", folder / "messages.mo"
    if not po_path.exists():
        return [f"{po_path.relative_to(root)} does not exist"]
    with open(po_path, "rb") as po:
        catalog = read_po(po, locale=locale)
    problems = []
    for (msgid, context), where in extract_messages(root).items():
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problems.append(f"{where}: not in the {locale} catalog: {msgid!r}")
        elif not all(entry.string if isinstance(entry.string, (tuple, list)) else [entry.string]):
            problems.append(f"{where}: untranslated in the {locale} catalog: {msgid!r}")
    if catalog.fuzzy:
        problems.append(f"{po_path.relative_to(root)}: the header is marked fuzzy")
    problems += [f"{po_path.relative_to(root)}:{m.lineno}: fuzzy: {m.id!r}"
                 for m in catalog if m.id and m.fuzzy]

    fresh = BytesIO()
    write_mo(fresh, catalog)
    fresh.seek(0)
    if not mo_path.exists():
        problems.append(f"{mo_path.relative_to(root)} does not exist; run pybabel compile -d translations")
    else:
        with open(mo_path, "rb") as mo:
            if _contents(read_mo(mo)) != _contents(read_mo(fresh)):
                problems.append(f"{mo_path.relative_to(root)} is out of date; run pybabel compile -d translations")
    return problems


def _contents(catalog) -> tuple:
    """What a compiled catalog says: its plural rule and every translation (not the build header)."""
    return catalog.plural_forms, sorted((repr(m.id), repr(m.context), repr(m.string)) for m in catalog if m.id)
