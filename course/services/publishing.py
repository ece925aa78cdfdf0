"""Publishing course content: preview, then apply, atomically and audited, from the browser or the
command line.

Every publication records a fingerprint of the files it was built from (``published_source``), so
the administrator can be told when the course folder on the server (a content correction that
arrived with a new release, say) differs from what officers are being served. Nothing publishes on
its own: starting the server never replaces the published course.
"""
from __future__ import annotations

import hashlib
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from datetime import datetime
from io import BytesIO
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from course.models import Module, Setting, User
from course.package import Package, read_package
from course.package.model import PACKAGE_FOLDERS, Problem
from course.package.sync import SyncSummary, apply_package
from course.services import audit

MAX_FILES = 2000
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: The ``settings`` row holding the fingerprint and label of the last publication's files.
PUBLISHED_SOURCE = "published_source"


def source_fingerprint(root: Path) -> str:
    """A hash of the files a package is read from (course.yaml, modules/, quizzes/, banks/): the same
    files give the same fingerprint whether they sit in the course folder or in an uploaded zip."""
    root = Path(root)
    digest = hashlib.sha256()
    files = [root / "course.yaml"] if (root / "course.yaml").is_file() else []
    for folder in PACKAGE_FOLDERS:
        if (root / folder).is_dir():
            files += [path for path in (root / folder).rglob("*") if path.is_file()]
    for path in sorted(files, key=lambda f: f.relative_to(root).as_posix()):
        name = path.relative_to(root).as_posix().encode()
        content = path.read_bytes()
        digest.update(b"%d:%s%d:" % (len(name), name, len(content)))
        digest.update(content)
    return digest.hexdigest()


def course_published(session: Session) -> bool:
    return session.scalar(select(Module.id).limit(1)) is not None


def published_fingerprint(session: Session) -> str | None:
    setting = session.get(Setting, PUBLISHED_SOURCE)
    value = setting.value if setting is not None else None
    return value.get("fingerprint") if isinstance(value, dict) else None


def folder_differs(session: Session, folder: Path) -> bool:
    """Whether the course folder holds anything other than the published course: True when no
    course is published yet, or when the last publication did not record its files (an
    installation older than the fingerprint), so the administrator is asked to look."""
    return published_fingerprint(session) != source_fingerprint(folder)


def folder_matches_published(session: Session, folder: Path, now: datetime) -> bool:
    """For a course published before fingerprints were kept: when the folder's package would
    change nothing, record its fingerprint as the published one (and say so)."""
    package = read_package(folder)
    summary = preview(session, package, now)
    if summary is None or summary.has_changes:
        return False
    record_published_source(session, source_fingerprint(folder), "course folder (already published)")
    session.flush()
    return True


def record_published_source(session: Session, fingerprint: str, source: str) -> None:
    setting = session.get(Setting, PUBLISHED_SOURCE)
    if setting is None:
        setting = Setting(key=PUBLISHED_SOURCE)
        session.add(setting)
    setting.value = {"fingerprint": fingerprint, "source": source}


@contextmanager
def unpacked(content: bytes):
    """The zip's course.yaml and package folders in a temporary folder (yields the folder, or a Problem)."""
    with tempfile.TemporaryDirectory(prefix="marsa-package-") as folder:
        root = Path(folder)
        try:
            archive = zipfile.ZipFile(BytesIO(content))
            members = [m for m in archive.infolist() if not m.is_dir()]
        except zipfile.BadZipFile:
            yield Problem("upload", 1, "file", "is not a zip archive")
            return
        if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
            yield Problem("upload", 1, "file", "is too large once unpacked")
            return
        problem = _extract(archive, members, root)
        yield problem or root


#: What reading a damaged zip member raises: a bad CRC or a short member (BadZipFile, EOFError, zlib's
#: error), an encrypted member (RuntimeError), an unknown compression method (NotImplementedError),
#: a name that is both a file and a folder (OSError).
_UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, RuntimeError, NotImplementedError,
               ValueError, OSError)


def _extract(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], root: Path) -> Problem | None:
    # A package zipped from its parent folder has one top folder: look inside it.
    names = [PurePosixPath(m.filename) for m in members]
    tops = {n.parts[0] for n in names if n.parts}
    strip = 1 if len(tops) == 1 and not {*PACKAGE_FOLDERS, "course.yaml"} & tops else 0
    for member, name in zip(members, names):
        parts = name.parts[strip:]
        top_level_file = len(parts) == 1 and parts[0] == "course.yaml"
        if not parts or ".." in parts or name.is_absolute() or (
                parts[0] not in PACKAGE_FOLDERS and not top_level_file):
            continue  # anything but course.yaml and the package folders is ignored, never written
        target = root.joinpath(*parts)
        try:
            if member.flag_bits & 0x1:
                raise RuntimeError("encrypted")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
        except _UNREADABLE:
            return Problem("upload", 1, "file", f"is a damaged or encrypted zip archive ({member.filename[:200]} "
                                                "cannot be read)")
    return None


def preview(session: Session, package: Package, now: datetime) -> SyncSummary | None:
    """What applying would change, computed inside a transaction that is then rolled back."""
    if package.errors:
        return None
    with session.begin_nested() as savepoint:
        summary = apply_package(session, package, now=now)
        savepoint.rollback()
    return summary


def publish(session: Session, actor: User | None, package: Package, source: str, now: datetime,
            progress=None) -> SyncSummary:
    """Apply ``package`` and audit it; ``actor`` is None for the command line. Every load goes
    through here, so none escapes the audit log."""
    summary = apply_package(session, package, progress=progress, now=now)
    fingerprint = source_fingerprint(package.root)
    record_published_source(session, fingerprint, source)
    audit.record(session, actor, "course.publish", "course", None, source=source, fingerprint=fingerprint[:16],
                 added={k: len(v) for k, v in summary.added.items()},
                 changed={k: len(v) for k, v in summary.changed.items()},
                 retired={k: len(v) for k, v in summary.retired.items()})
    return summary


