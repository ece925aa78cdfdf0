"""Running Marsa as real server processes for tests, and a minimal HTTP client that keeps the
session cookie and the CSRF token like a browser does."""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict, workers: int = 1, log: Path | None = None) -> subprocess.Popen:
    """gunicorn serving the app; with ``log``, its output (tracebacks included) goes to that file
    instead of a pipe nobody reads, which would stall a server that logs many errors."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    output = open(log, "ab") if log is not None else subprocess.PIPE
    process = subprocess.Popen([gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                                "--log-level", "warning", "app:create_app()"],
                               cwd=ROOT, env={**os.environ, **env}, stdout=output,
                               stderr=subprocess.STDOUT)
    if log is not None:
        output.close()  # the server holds its own copy
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError as refused:
            if process.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace") if log is not None
                                   else process.stdout.read().decode(errors="replace")) from refused
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server on port {port} did not start")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class Browserish:
    """Just enough of a browser: one cookie jar shared across servers of the same site."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def _send(self, port: int, method: str, path: str, body, headers, retry: bool = True):
        # Keep-alive, as a browser does; a connection the server closed is opened again once
        # (``retry=False``: not at all, for tests that need to see the dropped connection).
        for last in ((False, True) if retry else (True,)):
            connection = self.connections.get(port)
            if connection is None:
                connection = self.connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                del self.connections[port]
                if last:
                    raise
        raise AssertionError("unreachable")

    def request(self, port: int, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                retry: bool = True):
        body = urlencode(form, doseq=True) if form is not None else None
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        response, raw = self._send(port, method, path, body, sent, retry)
        text = raw.decode("utf-8", errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return response.status, dict(response.getheaders()), text

    def get(self, port, path):
        return self.request(port, "GET", path)

    def post(self, port, path, form=None, headers=None, retry=True):
        return self.request(port, "POST", path, {**(form or {}), "csrf_token": self.csrf}, headers, retry)
