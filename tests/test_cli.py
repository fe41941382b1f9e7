"""The ``gradviz`` command: help, version, and ``serve`` as a real process that answers HTTP and
stops cleanly on Ctrl+C (SIGINT) and on ``kill`` (SIGTERM)."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

import gradviz


def _gradviz() -> list[str]:
    exe = shutil.which("gradviz")
    return [exe] if exe else [sys.executable, "-m", "gradviz.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_help_lists_serve():
    out = subprocess.run(_gradviz() + ["--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "serve" in out.stdout and "usage: gradviz" in out.stdout
    out = subprocess.run(_gradviz() + ["serve", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "tutorial" in out.stdout and "playground" in out.stdout
    assert "--no-show" in out.stdout


def test_version():
    out = subprocess.run(_gradviz() + ["--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"gradviz {gradviz.__version__}"


def test_unknown_app_is_an_error():
    out = subprocess.run(_gradviz() + ["serve", "nope", "--no-show"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "invalid choice" in out.stderr


def _get(url: str, deadline: float) -> tuple[int, str]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize("app, stop", [("playground", signal.SIGINT),
                                       ("tutorial", signal.SIGTERM)])
def test_serve_answers_and_stops(app, stop):
    port = _free_port()
    proc = subprocess.Popen(_gradviz() + ["serve", app, "--no-show", "--port", str(port),
                                          "--address", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status, body = _get(f"http://127.0.0.1:{port}/", time.monotonic() + 60)
        assert status == 200 and "bokeh" in body.lower()
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out
    assert "Traceback" not in err
    with socket.socket() as s:  # the port is released
        assert s.connect_ex(("127.0.0.1", port)) != 0
