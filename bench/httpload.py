"""Loopback HTTP load for the benchmarks: a gunicorn server we start and stop ourselves, wrk when
it is installed, a small bounded Python client otherwise, and the quiz-path officers.

Every load here is bounded in time and in count, goes to 127.0.0.1 only, and stops by itself.
"""
from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import benchlib

HOST = "127.0.0.1"
USER_AGENT = "marsa-bench/1.0"  # the same for sign-in, wrk and the Python client (Flask-Login hashes it)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- one request

@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def cookies(self) -> dict[str, str]:
        out = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _sep, val = pair.partition("=")
                out[name.strip()] = val.strip()
        return out


def request(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None,
            timeout: float = 30.0) -> Reply:
    """One request on a fresh connection (gunicorn's sync workers close every connection anyway)."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, response.getheaders(), data, time.perf_counter() - start)
    finally:
        connection.close()


# --------------------------------------------------------------------------- gunicorn

class Server:
    """A gunicorn we start (``with Server(...) as s``) and stop by its own pid on exit."""

    def __init__(self, app_spec: str, env: dict, workers: int = 2, worker_class: str = "sync", threads: int = 1,
                 cwd: Path = benchlib.REPO, pythonpath: str | None = None, log: Path | None = None,
                 extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.app_spec = app_spec
        # No worker recycling during a measurement: a replaced worker takes its CPU time with it.
        self.env = {**os.environ, "GUNICORN_MAX_REQUESTS": "0", **env}
        self.workers = workers
        self.worker_class = worker_class
        self.threads = threads
        self.cwd = cwd
        self.pythonpath = pythonpath
        self.log = log or (benchlib.OUT / "gunicorn.log")
        self.extra = list(extra or [])
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    @property
    def command(self) -> list[str]:
        # The shipped configuration (gunicorn.conf.py, read from the repository folder: preloaded, one
        # thread per worker), with the worker kind and threads stated so that the label is what ran.
        cmd = [str(benchlib.VENV_BIN / "gunicorn"), "--workers", str(self.workers), "--bind", f"{HOST}:{self.port}",
               "--access-logfile", "-", "--log-level", "warning",
               "--worker-class", self.worker_class, "--threads", str(self.threads if self.worker_class != "sync" else 1)]
        if self.pythonpath:
            cmd += ["--pythonpath", self.pythonpath]
        return cmd + self.extra + [self.app_spec]

    def describe(self) -> str:
        kind = "sync" if self.worker_class == "sync" else f"{self.worker_class} x{self.threads} threads"
        return f"gunicorn {self.workers} workers ({kind})"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.log, "ab")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=handle, stderr=handle,
                                        start_new_session=True)
        handle.close()

    def wait_first_page(self, path: str, headers: dict, timeout: float = 60.0) -> tuple[float, Reply]:
        """Seconds from spawning gunicorn to the first page served with HTTP 200."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                reply = request(self.port, "GET", path, headers, timeout=10)
            except OSError:
                time.sleep(0.01)
                continue
            if reply.status == 200:
                return time.perf_counter() - self.started_at, reply
            raise RuntimeError(f"GET {path}: HTTP {reply.status}")
        raise RuntimeError(f"gunicorn did not serve {path} within {timeout} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def wait_workers(self, timeout: float = 30.0) -> list[int]:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            pids = self.worker_pids()
            if len(pids) >= self.workers:
                return pids
            time.sleep(0.05)
        return self.worker_pids()

    def pids(self) -> list[int]:
        return ([self.process.pid] if self.process else []) + self.worker_pids()

    def memory(self) -> dict:
        return {"master": memory_of(self.process.pid), "workers": [memory_of(p) for p in self.worker_pids()]}

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop; it stops its own workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pids) -> float:
    """User + system CPU seconds used so far by ``pids`` (processes that ended count as 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLOCK_TICKS


def memory_of(pid: int) -> dict:
    """RSS (what the target is about), plus PSS and private (USS) memory from smaps_rollup, in MiB."""
    out = {"pid": pid}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_mib"] = round(int(line.split()[1]) / 1024, 1)
        private = 0
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts[0] == "Pss:":
                out["pss_mib"] = round(int(parts[1]) / 1024, 1)
            elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
                private += int(parts[1])
        out["uss_mib"] = round(private / 1024, 1)
    except OSError:
        pass
    return out


# --------------------------------------------------------------------------- throughput of one page

WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk(port: int, path: str, headers: dict, seconds: int = 10, connections: int = 8, threads: int = 2) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    cmd.append(f"http://{HOST}:{port}{path}")
    output = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    result = {"tool": "wrk", "seconds": seconds, "connections": connections, "threads": threads, "raw": output}
    for pct, value, unit in WRK_LATENCY.findall(output):
        result[f"p{pct}_s"] = float(value) * UNITS[unit]
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["rps"] = float(match.group(1)) if match else None
    match = re.search(r"(\d+) requests in", output)
    result["requests"] = int(match.group(1)) if match else None
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(match.group(1)) if match else 0
    match = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = match.group(1).strip() if match else None
    return result


def python_load(port: int, path: str, headers: dict, seconds: int = 10, connections: int = 8,
                max_requests: int = 200_000) -> dict:
    """The fallback when wrk is not installed: ``connections`` threads, bounded by time and count."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        local = []
        while time.perf_counter() < deadline and len(latencies) + len(local) < max_requests:
            try:
                reply = request(port, "GET", path, headers, timeout=10)
                if reply.status != 200:
                    errors[0] += 1
                local.append(reply.seconds)
            except OSError:
                errors[0] += 1
        with lock:
            latencies.extend(local)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    return {"tool": "python threads", "seconds": seconds, "connections": connections, "requests": len(latencies),
            "rps": len(latencies) / elapsed, "p50_s": benchlib.percentile(latencies, 50),
            "p99_s": benchlib.percentile(latencies, 99), "non_2xx": errors[0]}


def load(port: int, path: str, headers: dict, seconds: int, connections: int) -> dict:
    if wrk_available():
        return wrk(port, path, headers, seconds, connections)
    return python_load(port, path, headers, seconds, connections)


# --------------------------------------------------------------------------- the quiz path

class QuizPage(HTMLParser):
    """Collects, per question fieldset, the inputs an officer can answer with."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[dict] = []
        self.csrf: str | None = None
        self.form_action: str | None = None
        self._current: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "quiz-form":
            self.form_action = a.get("action")
        if tag == "input" and a.get("name") == "csrf_token" and self.csrf is None:
            self.csrf = a.get("value")
        if tag == "fieldset" and "data-question" in a:
            self._current = {"id": a["data-question"], "seq": int(a.get("data-seq") or 0), "radio": {},
                             "checkbox": {}, "select": {}}
            self.questions.append(self._current)
        elif self._current is not None:
            if tag == "input" and a.get("type") in ("radio", "checkbox"):
                self._current[a["type"]].setdefault(a["name"], []).append(a.get("value"))
            elif tag == "input" and a.get("type") == "text":
                self._current["select"].setdefault(a["name"], []).append("1")
            elif tag == "select":
                self._select = a.get("name")
                self._current["select"][self._select] = []
            elif tag == "option" and self._select and a.get("value"):
                self._current["select"][self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "fieldset":
            self._current = None


def answer_fields(question: dict, rng: random.Random) -> list[tuple[str, str]]:
    fields = []
    for name, values in question["radio"].items():
        fields.append((name, rng.choice(values)))
    for name, values in question["checkbox"].items():
        chosen = [v for v in values if rng.random() < 0.5] or [rng.choice(values)]
        fields += [(name, v) for v in chosen]
    selects = question["select"]
    if selects and all(v.isdigit() for values in selects.values() for v in values):
        positions = list(range(1, len(selects) + 1))  # an ordering question: a permutation of positions
        rng.shuffle(positions)
        fields += [(name, str(p)) for name, p in zip(selects, positions)]
    else:
        fields += [(name, rng.choice(values)) for name, values in selects.items() if values]
    return fields


@dataclass
class Officer:
    username: str
    cookie: str
    rng: random.Random
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def headers(self, extra: dict | None = None) -> dict:
        out = {"Cookie": f"session={self.cookie}", "User-Agent": USER_AGENT, "Host": HOST}
        out.update(extra or {})
        return out

    def call(self, port: int, step: str, method: str, path: str, body: list | None = None,
             extra: dict | None = None, expect=(200,)) -> Reply:
        data = urlencode(body).encode() if body is not None else None
        headers = self.headers(extra)
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reply = request(port, method, path, headers, data)
        self.timings.setdefault(step, []).append(reply.seconds)
        cookie = reply.cookies().get("session")
        if cookie:
            self.cookie = cookie
        if reply.status not in expect:
            self.errors.append(f"{step} {method} {path}: HTTP {reply.status}")
        return reply


def take_quiz(officer: Officer, port: int, quiz_key: str, think: tuple[float, float] | None,
              start_gate: threading.Barrier | None = None) -> None:
    """One officer: open the quiz, start an attempt, answer every question (autosave), submit, see the result."""
    rng = officer.rng

    def pause():
        if think:
            time.sleep(rng.uniform(*think))

    if start_gate is not None:
        start_gate.wait()
    page = officer.call(port, "quiz page", "GET", f"/quizzes/{quiz_key}")
    token = benchlib.csrf_token_in(page.body.decode("utf-8", "replace"))
    pause()
    started = officer.call(port, "start attempt", "POST", f"/quizzes/{quiz_key}/start",
                           [("csrf_token", token or "")], expect=(302,))
    location = started.header("Location") or ""
    match = re.search(r"/attempts/(\d+)", location)
    if not match:
        officer.errors.append(f"start did not redirect to an attempt: {location!r}")
        return
    attempt = match.group(1)
    page = officer.call(port, "attempt page", "GET", f"/attempts/{attempt}")
    parser = QuizPage()
    parser.feed(page.body.decode("utf-8", "replace"))
    token = parser.csrf or token
    every = []
    for question in parser.questions:
        pause()
        fields = answer_fields(question, rng)
        every += fields
        reply = officer.call(port, "save answer", "POST", f"/attempts/{attempt}/answer",
                             [("question", question["id"]), ("seq", str(question["seq"] + 1))] + fields,
                             extra={"X-CSRFToken": token or "", "Accept": "application/json"})
        if reply.status == 200 and b'"ok":true' not in reply.body.replace(b" ", b""):
            officer.errors.append(f"save refused: {reply.body[:200]!r}")
    pause()
    submitted = officer.call(port, "submit", "POST", f"/attempts/{attempt}/submit",
                             [("csrf_token", token or ""), ("confirmed", "1")] + every, expect=(302,))
    result = submitted.header("Location") or f"/attempts/{attempt}/result"
    path = result.split("://", 1)[-1]
    path = path[path.index("/"):] if "/" in path else path
    officer.call(port, "result page", "GET", path)
    officer.questions = len(parser.questions)  # type: ignore[attr-defined]


def summarize(steps: dict[str, list[float]], elapsed: float, officers: int, errors: list[str],
              unfinished: int = 0) -> dict:
    total = sum(len(v) for v in steps.values())
    order = ["quiz page", "start attempt", "attempt page", "save answer", "submit", "result page"]
    per_step = {}
    for step in order:
        values = steps.get(step, [])
        if not values:
            continue
        per_step[step] = {"requests": len(values), "rps": len(values) / elapsed,
                          "p50_s": benchlib.percentile(values, 50), "p95_s": benchlib.percentile(values, 95),
                          "p99_s": benchlib.percentile(values, 99), "max_s": max(values)}
    return {"officers": officers, "seconds": elapsed, "requests": total, "rps": total / elapsed,
            "steps": per_step, "errors": errors[:20], "error_count": len(errors), "unfinished": unfinished,
            "samples": steps}


def merge_waves(waves: list[dict]) -> dict:
    """Waves of officers run one after the other: pool their latencies; rates over the summed time."""
    steps: dict[str, list[float]] = {}
    errors: list[str] = []
    for wave in waves:
        for step, values in wave["samples"].items():
            steps.setdefault(step, []).extend(values)
        errors += wave["errors"]
    merged = summarize(steps, sum(w["seconds"] for w in waves), waves[0]["officers"], errors,
                       sum(w["unfinished"] for w in waves))
    merged["error_count"] = sum(w["error_count"] for w in waves)
    merged["waves"] = len(waves)
    return merged


def run_quiz_path(port: int, officers: list[Officer], quiz_key: str, think: tuple[float, float] | None,
                  timeout: float = 600) -> dict:
    gate = threading.Barrier(len(officers))
    threads = [threading.Thread(target=take_quiz, args=(o, port, quiz_key, think, gate), daemon=True)
               for o in officers]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, timeout - (time.perf_counter() - start)))
    elapsed = time.perf_counter() - start
    steps: dict[str, list[float]] = {}
    errors: list[str] = []
    for officer in officers:
        for step, values in officer.timings.items():
            steps.setdefault(step, []).extend(values)
        errors += officer.errors
    return summarize(steps, elapsed, len(officers), errors, sum(1 for t in threads if t.is_alive()))
