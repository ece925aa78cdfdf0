"""Running a helper program from a test, bounded by a timer."""
from __future__ import annotations

import subprocess
import threading


def run_bounded(args: list[str], seconds: float, **options) -> subprocess.CompletedProcess:
    """``subprocess.run(args, capture_output=True, text=True)`` killed after ``seconds``.

    A timer rather than ``timeout=``: subprocess's timed wait sleeps in small steps, and libfaketime
    (the suite is also run a year ahead and a month back) makes those sleeps fail with EINVAL."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)
    watchdog = threading.Timer(seconds, process.kill)
    watchdog.start()
    try:
        out, err = process.communicate()
    finally:
        watchdog.cancel()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)
