"""The exam-morning load test (tests/load/quiz_load.py) kept runnable: a small run of it, checked
the way the full run is (every answer stored once, no attempt duplicated, no request failed)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Starts servers or a browser: `pytest -m "not slow"` leaves it out of a quick run.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_load_script_small_run_keeps_every_answer(tmp_path):
    figures = tmp_path / "load.json"
    run = subprocess.run([sys.executable, str(ROOT / "tests/load/quiz_load.py"), "--url",
                          f"sqlite:///{tmp_path / 'load.db'}", "--officers", "12", "--concurrency", "6",
                          "--spread", "1", "--workers", "1", "--json", str(figures)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(figures.read_text())
    assert result["officers"] == 12 and result["failed_requests"] == 0 and result["problems"] == []
    assert result["steps"]["submit"]["count"] == 12 and result["steps"]["sign in"]["count"] == 12
    assert result["answers"] == result["steps"]["save answer"]["count"] > 12
