"""The release identity: one value that changes whenever anything a page is made of changes.

A browser keeps a lesson page and revalidates it with its ETag; the service worker keeps reading
pages and static files under a cache name. Both must change with a new release, or browsers keep
pages that point at stylesheets and scripts that no longer exist. The identity has two parts:

* **files**: a hash of everything the app serves or runs: its templates, its static files, its
  compiled translations (``.mo``) and the Python code of ``course/`` and ``app.py``. Computed once
  per app and process, on first use (a few milliseconds): a release is a restart.
* **database**: the published course and the institute's settings that pages show, by their
  stamps (``course.services.stamps``; read in one small query per page), and the institute's name
  from the configuration.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from course.services import stamps

#: What is hashed in each folder the app serves or runs from.
_CODE_PATTERNS = ("course/**/*.py", "app.py")
#: Configuration values that pages show.
SHOWN_CONFIG = ("INSTITUTE_NAME",)


def files_digest(sources: list[tuple[str, Path, str]]) -> str:
    """A hash over (label, path within the folder, content) of every file matching each
    (label, folder, glob pattern), in a fixed order: the same files give the same digest on every
    machine, wherever the project is checked out."""
    digest = hashlib.sha256()
    for label, folder, pattern in sources:
        folder = Path(folder)
        for path in sorted(p for p in folder.glob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            content = path.read_bytes()
            digest.update(f"{label}\0{path.relative_to(folder).as_posix()}\0{len(content)}\0".encode())
            digest.update(content)
    return digest.hexdigest()[:20]


def _sources(app: Flask) -> list[tuple[str, Path, str]]:
    root = Path(app.root_path)
    sources = [("templates", root / app.template_folder, "**/*"), ("static", Path(app.static_folder), "**/*")]
    sources += [("translations", Path(folder), "**/*.mo")
                for folder in app.extensions["babel"].translation_directories]
    sources += [("code", root, pattern) for pattern in _CODE_PATTERNS]
    return sources


def files_of(app: Flask) -> str:
    """The files part of the release identity, computed on first use and kept for the app's life."""
    known = app.extensions.get("marsa.release_files")
    if known is None:
        known = app.extensions.setdefault("marsa.release_files", files_digest(_sources(app)))
    return known


@dataclass(frozen=True)
class Release:
    #: A hash of the files, the configuration pages show and the database stamps.
    id: str
    stamps: stamps.Stamps


def current(app: Flask, session: Session, seen: stamps.Stamps | None = None) -> Release:
    """The release identity as of now (one query: the stamps, unless the request already read them:
    ``seen``, the signed-in user's ``loaded_stamps``)."""
    now = seen if seen is not None else stamps.read(session)
    parts = (files_of(app), *(str(app.config.get(name, "")) for name in SHOWN_CONFIG),
             now.catalog or "", now.settings or "")
    return Release(hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20], now)
