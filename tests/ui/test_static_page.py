"""A saved explorer steps in the browser without Python: opened from file:// with every request
that is not file: or data: refused, its toolbar replays the passes computed when it was saved.
The gradients are checked against the seed tutorial's numbers (PyTorch 2.13, ../shared/seed)."""
from __future__ import annotations

import re
import time

import numpy as np
import pytest

pytestmark = pytest.mark.browser

SEED_GRAD = np.array([0.1503, 0.0698, 0.1336])  # the seed README's b.grad (PyTorch 2.13)


def numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", text)])


class OfflinePage:
    """A file:// page with the network refused; collects console errors and refused URLs."""

    ALLOWED = ("file:", "data:", "blob:", "about:")  # URL starts a page may load

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.asked: list = []
        self.errors: list = []

        def route(r):
            if r.request.url.startswith(self.ALLOWED):
                return r.continue_()
            self.asked.append(r.request.url)
            return r.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("canvas", timeout=60_000)
        self.page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && "
                                    "Bokeh.documents.every(d => d.is_idle)", timeout=60_000)

    def click(self, label: str):
        self.page.get_by_role("button", name=label, exact=True).click()
        # Away from the toolbar: a button's tooltip would cover its neighbours.
        self.page.mouse.move(5, 880)

    def wait_text(self, text: str, timeout: float = 10_000):
        self.page.get_by_text(text, exact=True).first.wait_for(timeout=timeout)

    def tensor(self, label: str, column: str):
        return self.page.evaluate(
            """([label, c]) => { const s = Bokeh.documents[0].get_model_by_name('gv_tensors');
                 return s.data[c][Array.from(s.data.label).indexOf(label)]; }""", [label, column])

    def wait_grad(self, label: str, want, timeout: float = 10.0):
        deadline = time.time() + timeout
        text = None
        while time.time() < deadline:
            text = self.tensor(label, "grad_text")
            got = numbers(text)
            if got.shape == np.shape(want) and np.allclose(got, want, atol=2e-4):
                return
            time.sleep(0.1)
        raise AssertionError(f"{label}.grad shows {text!r}, expected {want}")


def _seed_view():
    from gradviz import examples
    from gradviz.viz.explorer import Explorer

    ex = examples.build("seed")
    return Explorer(ex.root, names=ex.names, **ex.kwargs)


@pytest.fixture
def saved_seed(tmp_path):
    path = tmp_path / "graph.html"
    _seed_view().save(str(path))
    return path


def test_a_saved_seed_page_steps_runs_and_accumulates_offline(ui_browser, saved_seed, tmp_path):
    p = OfflinePage(ui_browser, saved_seed.as_uri())
    try:
        p.wait_text("step 0 of 8")
        for _ in range(3):
            p.click("Step")
        p.wait_text("step 3 of 8")
        assert p.tensor("b", "grad_text") == "none yet"
        p.click("Run")
        p.wait_text("step 8 of 8")
        p.wait_grad("b", SEED_GRAD)
        p.click("Back")
        p.wait_text("step 7 of 8")
        p.click("Backward again")  # finishes pass 1, then runs pass 2: b.grad doubles
        p.wait_text("pass 2 · step 8 of 8")
        p.wait_grad("b", 2 * SEED_GRAD)
        p.click("Zero grads")
        p.wait_grad("b", np.zeros(3))
        # Back undoes Zero grads; Reset goes to step 0 of pass 2, Back into pass 1's end.
        p.click("Back")
        p.wait_grad("b", 2 * SEED_GRAD)
        p.click("Reset")
        p.wait_text("pass 2 · step 0 of 8")
        p.click("Back")
        p.wait_text("pass 1 · step 8 of 8")
        p.wait_grad("b", SEED_GRAD)
        p.click("Reset")
        p.wait_text("pass 1 · step 0 of 8")  # pass 2 is still ahead, as in the live view
        assert p.tensor("b", "grad_text") == "none yet"
        p.page.screenshot(path=str(tmp_path / "static.png"))
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()


def test_play_on_a_saved_page_steps_to_the_end(ui_browser, saved_seed):
    p = OfflinePage(ui_browser, saved_seed.as_uri())
    try:
        p.click("Play")
        p.page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=5000)
        p.wait_text("step 8 of 8", timeout=20_000)
        p.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=5000)
        assert p.page.get_by_role("button", name="Step", exact=True).is_disabled()
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()


def test_the_keyboard_shortcuts_work_on_a_saved_page(ui_browser, saved_seed):
    p = OfflinePage(ui_browser, saved_seed.as_uri())
    try:
        p.wait_text("step 0 of 8")
        p.page.get_by_text("Start of the pass").first.click()  # focus on the page
        keys = p.page.keyboard
        for _ in range(3):
            keys.press("ArrowRight")
        p.wait_text("step 3 of 8")
        keys.press("ArrowLeft")
        p.wait_text("step 2 of 8")
        keys.press("End")
        p.wait_text("step 8 of 8")
        p.wait_grad("b", SEED_GRAD)
        keys.press("Home")
        p.wait_text("step 0 of 8")
        keys.press(" ")
        p.page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=5000)
        keys.press(" ")
        p.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=5000)
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()


def test_what_needs_python_is_disabled_with_a_reason(ui_browser, saved_seed):
    p = OfflinePage(ui_browser, saved_seed.as_uri())
    try:
        p.page.get_by_text("Saved page:").first.wait_for(timeout=5000)
        assert p.page.locator(".gv-retain-graph input").is_disabled()
        p.page.get_by_text("Inputs", exact=True).first.click()
        p.page.get_by_text("Editing inputs needs Python").first.wait_for(timeout=5000)
    finally:
        p.context.close()


def test_a_saved_module_graph_shows_disabled_what_lays_it_out_again(ui_browser, tmp_path):
    """Opening modules and the search box lay the graph out again in Python: on a saved page
    they are disabled and the note says so; Step still plays."""
    import gradviz
    from gradviz import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    loss = model(gradviz.ones(3)).sum()
    path = tmp_path / "model.html"
    gradviz.explore(loss).save(str(path))
    p = OfflinePage(ui_browser, path.as_uri())
    try:
        p.page.get_by_text("opening and closing modules and the search box").first.wait_for(
            timeout=5000)
        assert p.page.locator(".gv-search input").is_disabled()
        assert p.page.get_by_role("button", name="Find", exact=True).is_disabled()
        assert p.page.locator("select").first.is_disabled()
        p.click("Step")
        p.page.get_by_text("step 1 of", exact=False).first.wait_for(timeout=5000)
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()


# --- the saved page beside the live explorer, move for move ----------------------------------
def _live_twin():
    """A live explorer of the seed graph as a saved page records it (``retain_graph`` on, so
    Backward again works: the saved page ticks it)."""
    from gradviz import examples
    from gradviz.viz.explorer import Explorer

    ex = examples.build("seed")
    return Explorer(ex.root, names=ex.names, retain_graph=True, **ex.kwargs)


LIVE_MOVES = {"Step": "step", "Back": "back", "Reset": "reset", "Run": "run",
              "Backward again": "backward_again", "Zero grads": "zero_grads"}
STEPPING = ("Back", "Reset", "Step", "Run")

# Forward, back over a pass boundary (the redo future then holds pass 2: "pass 1 · ..."), redo
# through it, and actions that drop the future.
MOVES = ["Step", "Step", "Step", "Run", "Back", "Backward again", "Back", "Reset", "Back",
         "Reset", "Step", "Back", "Run", "Step", "Step", "Back", "Back", "Back", "Zero grads",
         "Back", "Back", "Reset", "Step", "Run", "Backward again", "Reset", "Back", "Back",
         "Step", "Step", "Run", "Backward again", "Back", "Reset", "Back", "Reset",
         "Back", "Reset"]


# The counter's text as shown (searched afresh through the shadow roots: Panel may re-create it).
COUNTER_IS = """(want) => {
  const find = (root) => {
    const hit = root.querySelector('.gv-counter');
    if (hit) return hit;
    for (const e of root.querySelectorAll('*')) {
      const inner = e.shadowRoot && find(e.shadowRoot);
      if (inner) return inner;
    }
    return null;
  };
  const c = find(document);
  return c !== null && c.textContent === want;
}"""


class Twin:
    """The saved seed page and a live explorer, moved together; after each move the page's
    counter must read what the live explorer's reads."""

    def __init__(self, browser, url: str):
        self.live = _live_twin()
        self.p = OfflinePage(browser, url)

    def counter(self) -> str:
        return self.p.page.locator(".gv-counter").first.text_content()

    def move(self, label: str, i: int):
        assert not self.live.controls.buttons[label].disabled, (i, label)  # (the list's own check)
        getattr(self.live, LIVE_MOVES[label])()
        self.p.click(label)
        want = self.live.counter
        try:
            self.p.page.wait_for_function(COUNTER_IS, arg=want, timeout=5000, polling=50)
        except Exception:  # noqa: BLE001 - say what differs
            raise AssertionError(f"after move {i} ({label}): the saved page reads "
                                 f"{self.counter()!r}, the live explorer {want!r}") from None
        for b in STEPPING:
            page_off = self.p.page.get_by_role("button", name=b, exact=True).is_disabled()
            assert page_off == self.live.controls.buttons[b].disabled, (i, label, b)


def test_the_saved_counter_reads_as_the_live_one_move_for_move(ui_browser, saved_seed):
    twin = Twin(ui_browser, saved_seed.as_uri())
    try:
        assert twin.counter() == twin.live.counter == "step 0 of 8"
        seen = set()
        for i, label in enumerate(MOVES):
            twin.move(label, i)
            seen.add(twin.live.counter)
        # The sequence went where the old page was wrong: pass 1 with pass 2 still ahead.
        assert {"pass 1 · step 0 of 8", "pass 1 · step 8 of 8", "pass 3 · step 8 of 8"} <= seen
        assert not twin.p.errors, twin.p.errors
    finally:
        twin.p.context.close()


# The inspector as the page has it: its text (the HTML model showing a node or the overview) and
# each heatmap's title, cell texts and visibility.
INSPECTOR = """() => {
  const models = [...Bokeh.documents[0].all_models];
  const body = models.find((m) => typeof m.text === 'string' &&
      (m.text.includes('gv-title') || m.text.includes('Click a node to inspect')));
  const map = (title) => {
    const bar = Bokeh.documents[0].get_model_by_name('gv_heatmap_colour_bar_' + title);
    const plot = models.find((m) => Array.isArray(m.below) && m.below.includes(bar));
    const holder = models.find((m) => Array.isArray(m.children) && m.children.includes(plot));
    return {title: plot.title.text, text: Array.from(plot.renderers[0].data_source.data.text),
            visible: holder.visible};
  };
  const shown = {body: body.text, value: map('value'), grad: map('grad')};
  for (const k of ['value', 'grad']) if (!shown[k].visible) shown[k] = {visible: false};
  return shown;
}"""

SELECT = """([source, label]) => {
  const doc = Bokeh.documents[0];
  const s = doc.get_model_by_name(source);
  const other = doc.get_model_by_name(source === 'gv_tensors' ? 'gv_functions' : 'gv_tensors');
  other.selected.indices = [];
  s.selected.indices = label === null ? [] : [Array.from(s.data.label).indexOf(label)];
}"""


# Where a tensor node is drawn on the screen (its centre, in page pixels).
NODE_ON_SCREEN = """(label) => {
  const doc = Bokeh.documents[0];
  const view = Bokeh.index.find_one(doc.get_model_by_name('gv_graph'));
  const s = doc.get_model_by_name('gv_tensors');
  const i = Array.from(s.data.label).indexOf(label);
  const box = view.canvas_view.el.getBoundingClientRect();
  return [box.left + view.frame.x_scale.compute(s.data.x[i]),
          box.top + view.frame.y_scale.compute(s.data.y[i])];
}"""


def live_inspector(view) -> dict:
    """The live explorer's inspector in the form the page holds it (Panel's model text)."""
    insp = view.inspector

    def heatmap(m):  # (what a hidden one last held is not shown)
        if not m.pane.visible:
            return {"visible": False}
        return {"title": m.figure.title.text, "text": list(m.source.data["text"]),
                "visible": True}

    return {"body": insp.body._transform_object(insp.body.object)["object"],
            "value": heatmap(insp.value_map), "grad": heatmap(insp.grad_map)}


def _node(view, label: str) -> str:
    return next(n for n, a in view.G.nodes(data=True) if a["label"] == label)


def test_tapping_a_node_on_a_saved_page_fills_the_inspector_as_live(ui_browser, saved_seed):
    twin = Twin(ui_browser, saved_seed.as_uri())
    live, page = twin.live, twin.p.page

    def tap(label, kind="gv_tensors"):
        live.select(_node(live, label) if label else None)
        page.evaluate(SELECT, [kind, label])

    def same(what):
        want = live_inspector(live)
        deadline = time.time() + 5
        got = page.evaluate(INSPECTOR)
        while got != want and time.time() < deadline:
            time.sleep(0.1)
            got = page.evaluate(INSPECTOR)
        if got != want:
            diff = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
            raise AssertionError(f"{what}: the saved page's inspector differs from the live "
                                 f"one: {diff}")
        return got

    def shown_grad():
        html = page.evaluate(INSPECTOR)["body"]
        import html as html_lib
        text = html_lib.unescape(html_lib.unescape(html))
        return numbers(re.search(r'data-field="grad">([^<]*)<', text).group(1))

    try:
        # A real tap (the tap tool selects the row) before any button: the player starts then.
        live.select(_node(live, "b"))
        page.mouse.click(*page.evaluate(NODE_ON_SCREEN, "b"))
        same("b at step 0, tapped")
        twin.move("Step", 0)
        twin.move("Back", 1)
        tap("b")
        same("b at step 0")
        for i in range(3):
            twin.move("Step", i)
            same(f"b at step {i + 1}")
        twin.move("Run", 3)
        same("b at the end of pass 1")
        np.testing.assert_allclose(shown_grad(), SEED_GRAD, atol=2e-4)
        tap("w")  # 5x3: value and gradient heatmaps
        got = same("w at the end of pass 1")
        assert got["value"]["visible"] and got["grad"]["visible"]
        twin.move("Backward again", 4)
        got = same("w in pass 2")
        tap("b")
        np.testing.assert_allclose(shown_grad(), 2 * SEED_GRAD, atol=2e-4)
        twin.move("Zero grads", 5)
        same("b after Zero grads")
        np.testing.assert_allclose(shown_grad(), np.zeros(3), atol=1e-12)
        tap("MmBackward0", "gv_functions")
        got = same("MmBackward0")
        assert not got["value"]["visible"] and not got["grad"]["visible"]
        tap("z")  # an intermediate: the gradient reaching it in this pass
        twin.move("Reset", 6)
        same("z at step 0 of pass 2")
        twin.move("Step", 7)
        twin.move("Step", 8)
        same("z at step 2 of pass 2")
        tap(None)  # empty canvas: the overview with every leaf's .grad
        same("the overview")
        twin.move("Back", 9)
        twin.move("Back", 10)
        twin.move("Back", 11)
        same("the overview back in pass 1")
        tap("b")
        same("b back in pass 1")
        assert not twin.p.errors, twin.p.errors
    finally:
        twin.p.context.close()


# --- one pass recorded forward only (a big graph's): each move back is the move forward undone
def _unrolled(steps: int):
    """``h = tanh(h * w + b)`` unrolled ``steps`` times (shared w and b, as an RNN), then a mean:
    6 nodes a step, so past 300 nodes the view has its minimap and search."""
    import gradviz as torch

    torch.manual_seed(0)
    x = torch.randn(4)
    w = torch.randn(4, requires_grad=True)
    b = torch.randn(4, requires_grad=True)
    h = x
    for _ in range(steps):
        h = torch.tanh(h * w + b)
    loss = h.mean()
    return loss, {"x": x, "w": w, "b": b, "loss": loss}


# Everything the page shows that a move can change: every source's rows, every text, every
# button's state (keyed by model id: one page, compared with itself). Not the view's ranges
# (and the minimap's frame of them): the browser fits them to the canvas when the page opens,
# and a step that pans to its node pans from where the recording's ranges were.
FINGERPRINT = """() => {
  const out = {};
  for (const m of Bokeh.documents[0].all_models) {
    if (m.data !== undefined && m.selected !== undefined) {
      if (m.name === 'gv_minimap_window') continue;
      out[m.id] = JSON.stringify(Object.entries(m.data).map(([k, v]) => [k, Array.from(v)]));
    } else if (typeof m.text === 'string') out[m.id] = m.text;
    else if (m.disabled !== undefined && m.label !== undefined) out[m.id] = [m.disabled, m.label];
  }
  return out;
}"""


def test_a_pass_recorded_forward_only_steps_back_to_exactly_where_it_was(ui_browser, tmp_path):
    from gradviz.viz.explorer import Explorer

    loss, names = _unrolled(70)
    path = tmp_path / "unrolled.html"
    Explorer(loss, names=names).save(str(path), max_passes=1)
    # (its hover text in the sources, as the saved page has it: a live page of this size
    # asks for it when hovered)
    live = Explorer(loss, names=names, retain_graph=True, lazy_hover=False)
    n = live.stepper.total
    p = OfflinePage(ui_browser, path.as_uri())
    try:
        opened = p.page.evaluate(FINGERPRINT)
        for k in range(1, 6):
            p.click("Step")
            live.step()
            p.wait_text(f"step {k} of {n}")
        assert p.page.evaluate("() => Array.from(Bokeh.documents[0].get_model_by_name("
                               "'gv_tensors').data.grad_text)") == \
            list(live.graph_view.tensor_source.data["grad_text"])
        for k in range(4, -1, -1):
            p.click("Back")
            p.wait_text(f"step {k} of {n}")
        assert p.page.evaluate(FINGERPRINT) == opened
        p.click("Run")
        live.run()
        p.wait_text(f"step {n} of {n}")
        for source in ("gv_tensors", "gv_edges"):
            for col in ("grad_text",):
                got = p.page.evaluate(f"() => Array.from(Bokeh.documents[0].get_model_by_name("
                                      f"'{source}').data.{col})")
                source_py = (live.graph_view.tensor_source if source == "gv_tensors" else
                             live.graph_view.edge_source)
                assert got == list(source_py.data[col]), source
        p.wait_grad("w", live.leaf_grads()["w"])
        p.click("Reset")
        p.wait_text(f"step 0 of {n}")
        assert p.page.evaluate(FINGERPRINT) == opened
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()


@pytest.fixture(scope="module")
def exported_tutorial(tmp_path_factory):
    """``gradviz export tutorial DIR``, served by Python's plain static file server."""
    import subprocess
    import sys
    import urllib.request

    from gradviz.cli import main
    from gradviz.testing.serve import free_port

    folder = tmp_path_factory.mktemp("site")
    assert main(["export", "tutorial", str(folder)]) == 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            urllib.request.urlopen(base + "/index.html", timeout=2)
            break
        except OSError:
            if time.time() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
    yield folder, base
    server.kill()
    server.wait()


class ServedPage(OfflinePage):
    """A page of a static server on this machine; any other host is refused."""

    ALLOWED = ("http://127.0.0.1", "data:", "blob:", "about:")


def test_an_exported_tutorial_section_steps_from_a_static_server(ui_browser, exported_tutorial):
    folder, base = exported_tutorial
    names = sorted(p.name for p in folder.glob("*.html"))
    assert names == sorted(["index.html", "forward.html", "grad_fn.html", "backward.html",
                            "no_grad.html", "detach.html", "jacobian.html"])
    p = ServedPage(ui_browser, base + "/backward.html")
    try:
        p.wait_text("step 0 of 8")
        for _ in range(3):
            p.click("Step")
        p.wait_text("step 3 of 8")
        p.click("Run")
        p.wait_text("step 8 of 8")
        p.wait_grad("b", SEED_GRAD)
        p.click("Back")
        p.click("Backward again")
        p.wait_grad("b", 2 * SEED_GRAD)
        p.click("Zero grads")
        p.wait_grad("b", np.zeros(3))
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()


def test_the_exported_jacobian_section_accumulates(ui_browser, exported_tutorial):
    """eye(4, 5): (inp + 1)^2 gives 4 on the diagonal, 2 elsewhere; a second pass 8 and 4
    (the seed README's In [6])."""
    _, base = exported_tutorial
    p = ServedPage(ui_browser, base + "/jacobian.html")
    try:
        p.click("Run")
        p.page.get_by_text(re.compile(r"step (\d+) of \1$")).first.wait_for(timeout=10_000)
        text = p.tensor("inp", "grad_text")
        p.click("Backward again")
        p.page.get_by_text(re.compile(r"^pass 2 · step (\d+) of \1$")).first.wait_for(
            timeout=10_000)
        assert p.tensor("inp", "grad_text") != text
        assert not p.errors, p.errors
        assert p.asked == []
    finally:
        p.context.close()
