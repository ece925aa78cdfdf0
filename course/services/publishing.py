"""Publishing course content without a shell: preview, then apply, atomically and audited."""
from __future__ import annotations

import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from course.models import User
from course.package import Package, read_package
from course.package.reader import Problem
from course.package.sync import SyncSummary, apply_package
from course.services import audit

MAX_FILES = 2000
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


@contextmanager
def unpacked(content: bytes):
    """The zip's modules/ and quizzes/ in a temporary folder (yields the folder, or a Problem)."""
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
    strip = 1 if len(tops) == 1 and not {"modules", "quizzes", "course.yaml"} & tops else 0
    for member, name in zip(members, names):
        parts = name.parts[strip:]
        top_level_file = len(parts) == 1 and parts[0] == "course.yaml"
        if not parts or ".." in parts or name.is_absolute() or (
                parts[0] not in ("modules", "quizzes") and not top_level_file):
            continue  # anything but course.yaml and the two content folders is ignored, never written
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


def preview(session: Session, package: Package) -> SyncSummary | None:
    """What applying would change, computed inside a transaction that is then rolled back."""
    if package.errors:
        return None
    with session.begin_nested() as savepoint:
        summary = apply_package(session, package)
        savepoint.rollback()
    return summary


def publish(session: Session, actor: User, package: Package, source: str) -> SyncSummary:
    summary = apply_package(session, package)
    audit.record(session, actor, "course.publish", "course", None, source=source,
                 added={k: len(v) for k, v in summary.added.items()},
                 changed={k: len(v) for k, v in summary.changed.items()},
                 retired={k: len(v) for k, v in summary.retired.items()})
    return summary


