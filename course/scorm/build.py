"""Building the zip: the module and quiz found in the package, every file rendered or read in
the package's language, and a reproducible archive written.

The files: ``index.html`` (``pages.py``), ``imsmanifest.xml`` (``manifest.py``), the player and
its stylesheet from ``static/scorm/``, the app's own ``marsa.css`` with its web fonts, and, when
there is a quiz, ``interactions.csv`` (``quizdata.py``).
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import force_locale

from course.i18n import LANGUAGES
from course.scorm.errors import ScormError
from course.scorm.manifest import render_manifest
from course.scorm.pages import render_index
from course.scorm.quizdata import COMMIT_INTERVAL_MS, interaction_codes, player_strings, quiz_data, safe_json

STATIC = Path(__file__).resolve().parent.parent.parent / "static"
STYLESHEET = STATIC / "css" / "marsa.css"
#: The web fonts marsa.css loads (``url(../fonts/...)``), shipped inside every package.
WEB_FONTS = sorted((STATIC / "fonts").glob("*.woff2"))
#: The player and its few rules of its own, copied into the package as they are.
PLAYER_FILES = {"sco.css": STATIC / "scorm" / "sco.css", "player.js": STATIC / "scorm" / "player.js"}


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

    Runs inside the Marsa app's context (the CLI's): the pages are its templates, their words its
    translations, in ``lang`` whatever the current locale. ``progress(label)`` is called once per
    step (``count_steps`` of them). Returns the zip's path.
    """
    def step(label: str) -> None:
        if progress is not None:
            progress(label)

    if lang not in LANGUAGES:
        raise ScormError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if not has_app_context() or "babel" not in current_app.extensions:
        # Outside the app, Flask-Babel would quietly give English whatever ``lang`` says.
        raise ScormError("a SCORM package is built inside the Marsa app (its templates and translations)")
    if package.errors:
        raise ScormError(f"the course package has {len(package.errors)} error(s); run `flask course check`")
    module, quiz = _find(package, module_key)
    step(f"Module {module.key}")
    with force_locale(lang):
        files = _files(module, quiz, lang, step)
        step("Manifest")
        manifest = render_manifest(module, quiz, lang, list(files))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    step(f"Writing {out_path.name}")
    _write_zip(out_path, {"imsmanifest.xml": manifest.encode("utf-8"), **files})
    return out_path


def _files(module, quiz, lang: str, step) -> dict[str, bytes]:
    """Every file of the package but the manifest, in the order the manifest lists them."""
    for lesson in module.lessons:
        step(f"Lesson {lesson.key}")
    data_quiz = None
    if quiz is not None:
        step(f"Quiz {quiz.key}")
        data_quiz = quiz_data(quiz)
    step("Player and stylesheet")
    data = {
        "module": module.key,
        "lessons": [lesson.key for lesson in module.lessons],
        "quiz": data_quiz,
        "strings": player_strings(),
        "lang": lang,
        "commitInterval": COMMIT_INTERVAL_MS,
    }
    # Saved progress names the content it belongs to: a changed module does not restore old answers.
    data["stamp"] = hashlib.sha256(json.dumps([data["module"], data["lessons"], data_quiz],
                                              sort_keys=True).encode()).hexdigest()[:8]
    files = {
        "index.html": render_index(module, quiz, lang, safe_json(data)).encode("utf-8"),
        # The stylesheet sits at the package root here, with the fonts it names beside it.
        "marsa.css": STYLESHEET.read_text(encoding="utf-8").replace("../fonts/", "fonts/").encode("utf-8"),
        **{f"fonts/{font.name}": font.read_bytes() for font in WEB_FONTS},
        **{name: path.read_bytes() for name, path in PLAYER_FILES.items()},
    }
    if data_quiz is not None:
        files["interactions.csv"] = interaction_codes(quiz, data_quiz, lang).encode("utf-8")
    return files


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
