"""The JavaScript the app serves and the SCORM player it packages parse: ``node --check`` on every
script under static/ (a syntax error there is otherwise found only by the browser that runs it)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.processes import run_bounded

STATIC = Path(__file__).resolve().parent.parent / "static"
SCRIPTS = sorted(STATIC.rglob("*.js"))


def test_the_scripts_are_found():
    names = {path.relative_to(STATIC).as_posix() for path in SCRIPTS}
    assert {"scorm/player.js", "js/quiz.js", "js/sw.js"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.relative_to(STATIC).as_posix())
def test_every_script_parses(script):
    node = shutil.which("node")
    assert node, "install Node.js 20+ (tasks.py says how)"
    result = run_bounded([node, "--check", str(script)], 60)
    assert result.returncode == 0, result.stderr


def test_a_syntax_error_is_caught(tmp_path):
    """The check itself: a broken script fails it."""
    broken = tmp_path / "broken.js"
    broken.write_text("(function () { var x = ; }());\n", encoding="utf-8")
    result = run_bounded([shutil.which("node") or "node", "--check", str(broken)], 60)
    assert result.returncode != 0 and "SyntaxError" in result.stderr
