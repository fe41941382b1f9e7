"""The ``gradviz`` command: help, version, and ``serve`` as a real process that answers HTTP and
stops cleanly on Ctrl+C (SIGINT) and on ``kill`` (SIGTERM)."""
from __future__ import annotations

import os
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
    # Wait for the port first, then ask once with a generous timeout: every request for the
    # page builds an app, so short timeouts and retries on a busy machine only pile up work.
    host, port = url.split("//")[1].split("/")[0].split(":")
    while True:
        with socket.socket() as s:
            if s.connect_ex((host, int(port))) == 0:
                break
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {host}:{port}")
        time.sleep(0.2)
    with urllib.request.urlopen(url, timeout=max(30.0, deadline - time.monotonic())) as r:
        return r.status, r.read().decode("utf-8", "replace")


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


# --- failures a user can fix: one line with the fix, non-zero exit ----------------------------
def _one_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("[: ")]
    assert len(lines) == 1, stderr  # (the Debian chromium wrapper's noise is not ours)
    assert "Traceback" not in stderr
    return lines[0]


def _wait_listening(port: int, proc, deadline: float) -> None:
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the first server never listened"
        time.sleep(0.2)


def test_second_serve_on_a_taken_port_says_use_port_and_fails():
    port = _free_port()
    first = subprocess.Popen(_gradviz() + ["serve", "playground", "--no-show", "--port",
                                           str(port), "--address", "127.0.0.1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(port, first, time.monotonic() + 60)
        second = subprocess.run(_gradviz() + ["serve", "--no-show", "--port", str(port),
                                              "--address", "127.0.0.1"],
                                capture_output=True, text=True, timeout=120)
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)
    assert second.returncode != 0
    line = _one_line(second.stderr)
    assert f"port {port} is already in use" in line and f"--port {port + 1}" in line, line
    assert "--port 0" in line


def test_serve_without_a_display_says_no_browser_was_opened_and_where_to_go():
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen(_gradviz() + ["serve", "playground", "--port", str(port),
                                          "--address", "127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_listening(port, proc, time.monotonic() + 60)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        pytest.skip("macOS and Windows always have a desktop to open a browser on")
    assert proc.returncode == 0, err
    assert "no browser was opened" in out and f"open http://127.0.0.1:{port}/ in a browser" in out


def test_snapshot_without_playwright_names_the_extra_to_install(tmp_path):
    # A real process in which `import playwright` fails, as after `pip install gradviz`.
    code = ("import sys; sys.modules['playwright'] = None; sys.modules['playwright.sync_api'] = None\n"
            "from gradviz.cli import main\n"
            f"sys.exit(main(['snapshot', 'seed', '--out', {str(tmp_path / 'x.png')!r}]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    line = _one_line(out.stderr)
    assert "playwright" in line and 'pip install "gradviz[snapshot]"' in line, line
    assert not (tmp_path / "x.png").exists()


def test_snapshot_of_an_unknown_target_is_one_line():
    out = subprocess.run(_gradviz() + ["snapshot", "nope"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    line = _one_line(out.stderr)
    assert "no app or example named 'nope'" in line and "seed" in line


def test_serve_help_documents_the_serving_options():
    out = subprocess.run(_gradviz() + ["serve", "--help"], capture_output=True, text=True,
                         timeout=60)
    for option in ("--port", "--address", "--allow-websocket-origin", "--num-procs",
                   "--unused-session-lifetime", "--no-show", "classroom"):
        assert option in out.stdout, option


def test_a_session_lifetime_below_a_second_is_one_line_saying_milliseconds():
    out = subprocess.run(_gradviz() + ["serve", "--unused-session-lifetime", "15",
                                       "--no-show"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "milliseconds" in _one_line(out.stderr) and "not 15" in out.stderr


def test_websocket_origins_accept_this_machine_and_what_the_user_adds():
    from gradviz.cli import websocket_origins

    local = websocket_origins("127.0.0.1", 5006, None)
    assert local == ["localhost:5006", "127.0.0.1:5006"]
    assert websocket_origins("10.1.2.3", 80, None)[-1] == "10.1.2.3:80"
    every = websocket_origins("0.0.0.0", 5006, ["course.example.org"])
    assert every[:2] == local and every[-1] == "course.example.org"
    assert f"{socket.gethostname()}:5006" in every


def test_serve_in_several_processes_answers_and_stops_them_all():
    if sys.platform.startswith("win"):
        pytest.skip("--num-procs is not supported on Windows")
    port = _free_port()
    proc = subprocess.Popen(_gradviz() + ["serve", "playground", "--no-show", "--port",
                                          str(port), "--address", "127.0.0.1",
                                          "--num-procs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status, _ = _get(f"http://127.0.0.1:{port}/", time.monotonic() + 60)
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "in 2 processes" in out and "Traceback" not in err
    deadline = time.monotonic() + 10  # the workers follow their parent within a second
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                break
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.2)
