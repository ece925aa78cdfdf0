"""The JavaScript the app serves and the SCORM player it packages parse: ``node --check`` on every
script under static/ (a syntax error there is otherwise found only by the browser that runs it)."""
from __future__ import annotations

import shutil
import subprocess
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


REPO = STATIC.parent


def _eslint(*paths: str):
    eslint = REPO / "node_modules" / ".bin" / "eslint"
    assert eslint.exists(), "run `npm ci` (tasks.py test does) for the lint"
    return run_bounded([str(eslint), "--no-warn-ignored", "--max-warnings", "0", *paths], 120, cwd=REPO)


def test_the_served_scripts_pass_the_lint():
    """ESLint's recommended rules and eslint.config.js over static/ (the vendored Chart.js aside):
    undefined names, unused variables, accidental globals, loose equality."""
    result = _eslint("static")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_catches_an_undefined_name_and_an_accidental_global():
    """The lint itself: a script under static/ that uses an undeclared name fails it (given on
    standard input under a static/ name, so no file appears that a parallel lint run could see)."""
    eslint = REPO / "node_modules" / ".bin" / "eslint"
    process = subprocess.run([str(eslint), "--stdin", "--stdin-filename", "static/js/probe.js"], cwd=REPO,
                             input="function leaked() { return undeclaredThing == 1; }\n",
                             capture_output=True, text=True, timeout=None)
    assert process.returncode != 0
    assert "no-undef" in process.stdout and "no-implicit-globals" in process.stdout and "eqeqeq" in process.stdout
