"""Files and folders only their owner may read: the instance folder holds the secret key, the
certificate signing key, the SQLite database (password hashes, answers, personal data) and backups."""
from __future__ import annotations

import os
from pathlib import Path


def private_folder(path: Path, tighten: bool = True) -> Path:
    """Create ``path`` (and missing parents) as 0700; with ``tighten``, an existing folder is set to
    0700 too (the instance and backup folders belong to Marsa alone)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if tighten and (path.stat().st_mode & 0o777) != 0o700:
        path.chmod(0o700)
    return path


def create_private_file(path: Path, text: str = "") -> bool:
    """Create ``path`` as 0600 from its first byte (never readable by others, even for a moment), with
    ``text``; False when it already exists (then it is left as it is)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    return True
