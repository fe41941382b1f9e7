"""The explorer in real notebooks, driven in headless Chromium.

- JupyterLab and Notebook 7: a server (token, free port, no browser) opens a copy of
  examples/tutorial.ipynb, runs all cells, and Step in an explorer output advances its counter,
  answered by the kernel (the recorded player stays out of the way while a kernel is connected).
- Exported: the notebook executed with its outputs and converted with
  ``jupyter nbconvert --to html``, opened from file:// with every request that is not file: or
  data: refused: the explorer outputs step from the passes recorded when the cells ran. Gradients
  are checked against the seed tutorial's numbers (PyTorch 2.13, ../shared/seed).

They need the ``jupyterlab``, ``notebook`` and ``nbconvert`` packages (in the ``[test]`` extra)
and skip without them, saying so, unless ``GRADVIZ_REQUIRE_JUPYTER=1`` (set in CI), where a
missing package fails instead."""
from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

pytestmark = pytest.mark.browser

TUTORIAL = Path(__file__).resolve().parents[2] / "examples" / "tutorial.ipynb"
SEED_GRAD = np.array([0.1503, 0.0698, 0.1336])  # the seed README's b.grad (PyTorch 2.13)
TOKEN = "gradviz-test"
NO_KERNEL = "No kernel is running this output"


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if os.environ.get("GRADVIZ_REQUIRE_JUPYTER") == "1":
            pytest.fail(f"GRADVIZ_REQUIRE_JUPYTER=1 but {module} cannot be imported: {e}",
                        pytrace=False)
        pytest.skip(f'{module} is not installed, so the notebook tests cannot run: '
                    f'pip install "gradviz[test]" (or pip install jupyterlab notebook nbconvert)')


def numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", text)])


def _explorer_outputs(page):
    """The notebook's output areas that hold an explorer (found by their Step button, which
    stays while the counter's text changes)."""
    return page.locator(".jp-OutputArea-output").filter(
        has=page.get_by_role("button", name="Step", exact=True))


def _player_states(page) -> list:
    """The recorded players that have started in the page (each keeps its state on window
    from its first click on)."""
    return [k for k in page.evaluate("Object.keys(window)") if k.startswith("__gradviz_player_")]


# --- JupyterLab and Notebook 7 ---------------------------------------------------------------
@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory):
    """One Jupyter server (it serves JupyterLab at /lab and Notebook 7 at /notebooks) on a free
    port, with its own config, runtime, settings and workspace folders, and one copy of the
    tutorial notebook for each front end."""
    _require("jupyterlab")
    _require("notebook")

    folder = tmp_path_factory.mktemp("jupyter")
    for name in ("lab.ipynb", "notebook7.ipynb"):
        shutil.copy(TUTORIAL, folder / name)
    # Fetch no news (JupyterLab settings).
    settings = folder / ".settings"
    for plugin, values in {"@jupyterlab/apputils-extension/notification": '{"fetchNews": "false"}'
                           }.items():
        (settings / plugin).parent.mkdir(parents=True, exist_ok=True)
        (settings / f"{plugin}.jupyterlab-settings").write_text(values)
    with running_jupyter(folder) as base:
        yield SimpleNamespace(base=base, folder=folder)


@contextmanager
def running_jupyter(folder: Path):
    """A Jupyter server (JupyterLab at /lab, Notebook 7 at /notebooks) serving ``folder`` on a
    free port, with its own config, runtime, settings and workspace folders there and its log
    in ``folder/server.log``; yields its base URL and stops it on leaving."""
    from gradviz.testing.serve import free_port

    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / ".config"),
               JUPYTER_RUNTIME_DIR=str(folder / ".runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(folder / ".settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(folder / ".workspaces"))
    log = open(folder / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={folder}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         # window.jupyterapp: the tests run cells and read the kernel's state through the app.
         "--LabApp.expose_app_in_browser=True",
         "--JupyterNotebookApp.expose_app_in_browser=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the Jupyter server did not start:\n"
                                       + (folder / "server.log").read_text())
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def jupyter_page(ui_browser, jupyter_server):
    """A fresh browser page for each test (it opens its notebook once and never reloads)."""
    context = ui_browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.gv_server_folder = jupyter_server.folder
    page.gv_errors = []
    page.on("console", lambda m: m.type == "error" and page.gv_errors.append(m.text))
    page.on("pageerror", lambda e: page.gv_errors.append(str(e)))
    yield page
    context.close()


# The notebook panel the front end shows (JupyterLab and Notebook 7 both expose their app as
# window.jupyterapp with --*.expose_app_in_browser=True), and its state as one object.
_PANEL_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  if (panel == null || panel.sessionContext == null || panel.content == null) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = Array.from(panel.content.model ? panel.content.model.cells : [])
    .filter((c) => c.type === 'code');
  return {ready: panel.sessionContext.isReady, connection: kernel ? kernel.connectionStatus : null,
          status: kernel ? kernel.status : null, handleComms: kernel ? kernel.handleComms : null,
          cells: cells.length, ran: cells.filter((c) => c.executionCount != null).length,
          running: panel.content.widgets.filter((w) => w.promptNode &&
                                                 w.promptNode.textContent.includes('*')).length};
}"""


# The state of Panel's comm manager of each Bokeh document in the page (panel/models/
# comm_manager.ts: ``_blocked`` while a sent change waits for Python's acknowledgement, at most
# until ``_timeout``; ``_event_buffer`` holds the changes not sent yet).
_COMMS = """() => {
  const out = [];
  for (const d of (window.Bokeh && window.Bokeh.documents) || []) {
    for (const m of d.roots()) {
      if (!String(m.type).endsWith('CommManager')) continue;
      out.push({open: m._client_comm != null, blocked: m._blocked,
                buffered: m._event_buffer ? m._event_buffer.length : null,
                free: !m._blocked || Date.now() > m._timeout});
    }
  }
  return out;
}"""


def _state(page):
    return page.evaluate(f"({_PANEL_STATE})()")


def _wait_state(page, condition: str, what: str, timeout: float, server_log: Path):
    """Wait until the panel's state (``s`` in ``condition``) holds; fail saying what was seen,
    with the page's errors and the server log's tail."""
    try:
        page.wait_for_function(f"() => {{ const s = ({_PANEL_STATE})(); return s != null && "
                               f"({condition}); }}", timeout=timeout * 1000, polling=250)
    except Exception:
        shot = Path(tempfile.gettempdir()) / "gradviz-jupyter-failure.png"
        page.screenshot(path=str(shot))
        raise AssertionError(
            f"{what}: the notebook panel's state is {_state(page)} (screenshot: {shot}); page "
            f"errors: {'; '.join(page.gv_errors)}; server log:\n"
            + "\n".join(server_log.read_text().splitlines()[-30:])) from None


_IDLE = "s.ready && s.connection === 'connected' && s.status === 'idle'"


def _run_all_and_step(page, url: str):
    """Open the notebook once (its front end starts the kernel session and makes the one
    kernel connection that handles comms), run all cells through the app's own command once
    the kernel is connected and idle, and click Step once every cell has run and the kernel
    is idle again."""
    log = Path(page.gv_server_folder) / "server.log"
    page.goto(url)
    _wait_state(page, _IDLE + " && s.cells > 0", "the kernel did not become connected and idle",
                180, log)
    assert _state(page)["handleComms"] is True  # Panel's outputs talk to Python through comms
    # Every message on the kernel connection, for the failure message.
    page.evaluate("""() => { window.__gv_messages = [];
      window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.anyMessage.connect(
        (_, a) => window.__gv_messages.push(`${Math.round(performance.now())} ${a.direction} `
          + `${a.msg.header.msg_type} ${a.msg.content && a.msg.content.comm_id || ''} `
          + JSON.stringify(a.msg.content && a.msg.content.data || '').slice(0, 80))); }""")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    _wait_state(page, "s.ran === s.cells && s.running === 0 && " + _IDLE,
                "Run All did not run every cell", 300, log)
    first = _explorer_outputs(page).first
    try:
        first.get_by_text("step 0 of 8", exact=True).wait_for(timeout=120_000)
    except Exception:
        shot = Path(tempfile.gettempdir()) / "gradviz-jupyter-failure.png"
        page.screenshot(path=str(shot))
        raise AssertionError(f"no explorer output showed (screenshot: {shot}); page errors: "
                             + "; ".join(page.gv_errors)) from None
    # Panel's comm managers (one per output) send a change only while no earlier one waits for
    # Python's acknowledgement, or once it has waited ``timeout`` (5 s): a change made before
    # that is buffered until the next change or acknowledgement, so a click then would wait for
    # a second click. Click once every output's comm is open and free to send at once.
    page.wait_for_function(f"() => {{ const cs = ({_COMMS})(); "
                           "return cs.length > 0 && cs.every((c) => c.open && c.free); }",
                           timeout=60_000, polling=250)
    before = page.evaluate("window.__gv_messages.length")
    comms = page.evaluate(f"({_COMMS})()")
    first.get_by_role("button", name="Step", exact=True).click()
    try:
        first.get_by_text("step 1 of 8", exact=True).wait_for(timeout=120_000)
    except Exception:
        messages = page.evaluate("window.__gv_messages")
        _wait_state(page, "false", f"Step was not answered (kernel messages before the click: "
                    f"{messages[max(0, before - 15):before]}, after: {messages[before:]}; Panel "
                    f"comms at the click: {comms}, now: {page.evaluate(f'({_COMMS})()')})", 0.1, log)
    # Python did it: the recorded player never started, and the output does not claim that
    # no kernel is running.
    assert _player_states(page) == []
    assert first.get_by_text(NO_KERNEL).count() == 0
    # Every explorer is still inside its output: none was taken off it and drawn again elsewhere
    # in the page (which queued root changes sent with the first push once did).
    assert (page.get_by_role("button", name="Step", exact=True).count()
            == _explorer_outputs(page).count() == 2)


def test_step_in_jupyterlab_is_answered_by_the_kernel(jupyter_server, jupyter_page):
    _run_all_and_step(jupyter_page, f"{jupyter_server.base}/lab/tree/lab.ipynb?token={TOKEN}")


def test_step_in_notebook_7_is_answered_by_the_kernel(jupyter_server, jupyter_page):
    _run_all_and_step(jupyter_page,
                      f"{jupyter_server.base}/notebooks/notebook7.ipynb?token={TOKEN}")


# --- saved with outputs, exported to HTML, opened offline -------------------------------------
@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The tutorial notebook run with nbclient, saved with its outputs, and exported with
    ``jupyter nbconvert --to html``; returns ``(executed notebook, html path)``."""
    nbformat = _require("nbformat")
    nbclient = _require("nbclient")
    _require("nbconvert")
    folder = tmp_path_factory.mktemp("exported")
    nb = nbformat.read(TUTORIAL, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "tutorial.ipynb"
    nbformat.write(nb, path)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(path)],
                   check=True, capture_output=True, timeout=300)
    return nb, folder / "tutorial.html"


def _printed(nb, startswith: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(startswith):
            return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    raise LookupError(startswith)


def test_recording_an_output_leaves_the_users_tensors_alone(exported):
    """Each explorer output was recorded by stepping the explorer through its passes; the cells
    after it still see fresh tensors: loss.backward() gives the seed's gradients once, and the
    accumulation cell gives PyTorch's 4/2, 8/4, 4/2 (seed README)."""
    nb, _ = exported
    grads = numbers(_printed(nb, "loss.backward()"))
    assert np.allclose(grads, np.tile(SEED_GRAD, 6), atol=1e-4), grads  # 5 rows of w, then b
    calls = _printed(nb, "import gradviz as torch\ninp").split("\n\n")
    for text, diagonal, rest in zip(calls, (4, 8, 4), (2, 4, 2)):
        values = numbers(text.split("tensor(")[1]).reshape(4, 5)
        want = np.full((4, 5), float(rest))
        np.fill_diagonal(want, diagonal)
        assert np.array_equal(values, want), text


class ExportedPage:
    """The exported notebook from file://, every request but file:/data:/blob: refused."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.asked, self.errors = [], []

        def route(r):
            if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
                return r.continue_()
            self.asked.append(r.request.url)
            return r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.outputs = _explorer_outputs(self.page)
        self.outputs.first.get_by_text("step 0 of 8", exact=True).wait_for(timeout=60_000)

    def click(self, output, label: str):
        output.get_by_role("button", name=label, exact=True).click()
        self.page.mouse.move(5, 880)  # a button's tooltip would cover its neighbours

    def grad_text(self, label: str) -> str:
        """``label``'s gradient as its node shows it, from the output whose graph has it."""
        return self.page.evaluate(
            """(label) => {
                 for (const d of Bokeh.documents) {
                   const s = d.get_model_by_name('gv_tensors');
                   if (s == null) continue;
                   const i = Array.from(s.data.label).indexOf(label);
                   if (i >= 0) return s.data.grad_text[i];
                 }
                 return null; }""", label)

    def wait_grad(self, label: str, check, timeout: float = 10.0):
        deadline = time.time() + timeout
        while True:
            text = self.grad_text(label)
            if text is not None and check(text):
                return
            if time.time() > deadline:
                raise AssertionError(f"{label}.grad shows {text!r}")
            time.sleep(0.1)


@pytest.fixture
def exported_page(ui_browser, exported):
    p = ExportedPage(ui_browser, exported[1])
    yield p
    p.context.close()


def _unexpected(p) -> list:
    """Errors other than the blocked requests of nbconvert's own template (require.js and
    MathJax from cdnjs), and any request for Bokeh's or Panel's code."""
    errors = [e for e in p.errors if "Failed to load resource" not in e]
    asked = [u for u in p.asked if "bokeh" in u or "holoviz" in u or "panel" in u]
    return errors + asked


def test_exported_notebook_steps_and_runs_offline(exported_page):
    p = exported_page
    seed = p.outputs.first
    seed.get_by_text(NO_KERNEL).wait_for(timeout=10_000)
    assert seed.locator(".gv-retain-graph input").is_disabled()
    for k in (1, 2):
        p.click(seed, "Step")
        seed.get_by_text(f"step {k} of 8", exact=True).wait_for(timeout=10_000)
    assert p.grad_text("b") == "none yet"
    p.click(seed, "Run")
    seed.get_by_text("step 8 of 8", exact=True).wait_for(timeout=10_000)
    p.wait_grad("b", lambda t: np.allclose(numbers(t), SEED_GRAD, atol=2e-4))
    p.click(seed, "Back")
    seed.get_by_text("step 7 of 8", exact=True).wait_for(timeout=10_000)
    p.click(seed, "Reset")
    seed.get_by_text("step 0 of 8", exact=True).wait_for(timeout=10_000)
    p.wait_grad("b", lambda t: t == "none yet")
    assert not _unexpected(p), _unexpected(p)


def test_exported_notebook_accumulates_and_zeroes_offline(exported_page):
    """The accumulation section's explorer (retain_graph=True): Run gives inp.grad 4 on the
    diagonal and 2 elsewhere, Backward again 8 and 4, Zero grads 0 (the seed README)."""
    p = exported_page
    acc = p.outputs.nth(1)
    acc.get_by_text(re.compile(r"^step 0 of \d+$")).wait_for(timeout=10_000)

    def min_max(lo, hi):
        return lambda t: (m := re.search(r"min (-?[\d.]+(?:e-?\d+)?), max (-?[\d.]+(?:e-?\d+)?)", t)) is not None and \
            (float(m.group(1)), float(m.group(2))) == (lo, hi)

    p.click(acc, "Run")
    p.wait_grad("inp", min_max(2, 4))
    p.click(acc, "Backward again")
    acc.get_by_text(re.compile(r"^pass 2 · step (\d+) of \1$")).wait_for(timeout=10_000)
    p.wait_grad("inp", min_max(4, 8))
    p.click(acc, "Zero grads")
    p.wait_grad("inp", min_max(0, 0))
    assert not _unexpected(p), _unexpected(p)
