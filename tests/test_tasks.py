"""The set-up commands explain themselves: apt's lock held by another program is waited for and named."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.support.processes import run_bounded

ROOT = Path(__file__).resolve().parent.parent

FAKE_APT = """#!/bin/sh
count=$(cat "$COUNTER" 2>/dev/null || echo 0)
echo $((count + 1)) > "$COUNTER"
if [ "$count" -lt "$LOCKED_TIMES" ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)" >&2
  exit 100
fi
echo "installed"
"""


def run_apt(tmp_path: Path, locked_times: int, tries: int = 3):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "apt-get"
    fake.write_text(FAKE_APT)
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "COUNTER": str(tmp_path / "count"),
           "LOCKED_TIMES": str(locked_times)}
    code = f"import tasks; tasks.apt_get('install', '-y', 'chromium', tries={tries}, pause=0)"
    done = run_bounded([sys.executable, "-c", code], 60, cwd=ROOT, env=env)
    return done, int((tmp_path / "count").read_text())


def test_apt_lock_held_for_a_while_is_waited_for(tmp_path):
    done, calls = run_apt(tmp_path, locked_times=2)
    assert done.returncode == 0, done.stderr
    assert calls == 3
    assert "apt is busy" in done.stdout and "held by process 4242 (unattended-upgr)" in done.stdout


def test_apt_lock_never_released_ends_with_a_clear_message_not_a_traceback(tmp_path):
    done, calls = run_apt(tmp_path, locked_times=99)
    assert done.returncode == 1 and calls == 3
    assert "Traceback" not in done.stderr
    assert "another program holds its lock" in done.stderr and "run this again" in done.stderr
