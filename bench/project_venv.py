"""Every bench script runs with the project's virtualenv: on a fresh clone it is created first, as the
README's commands create it, then the script starts again under its Python (standard library only here,
since it runs before the virtualenv exists)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
MARK = "--in-venv"


def use_project_venv(script: str) -> None:
    """Re-run ``script`` (the caller's ``__file__``) under the project's virtualenv unless it already
    runs there; drop the marker argument that says so."""
    if not VENV_PYTHON.exists() and MARK not in sys.argv:  # a fresh clone: install as the README says
        sys.path.insert(0, str(REPO))
        import tasks
        tasks.ensure_venv("requirements-dev.txt")
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve() and VENV_PYTHON.exists() and MARK not in sys.argv:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), script, *sys.argv[1:], MARK])
    sys.argv = [a for a in sys.argv if a != MARK]
