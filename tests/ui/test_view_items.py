"""The explorer and the apps as a learner sees them in headless Chromium: every graph legible on
its first view, edge labels in free space, the inspector's colours, clicks and keys, inputs
that fail with a message, and a tutorial that reads the same whichever section comes first.

Each test checks one thing a person reported (issue 12), on the page itself: positions and
sizes from the browser's layout, the text it shows, the Bokeh models it holds. Skips without a
browser, fails instead under GRADVIZ_REQUIRE_BROWSER=1.
"""
from __future__ import annotations

import contextlib
import logging
import re
import time

import pytest

pytestmark = pytest.mark.browser

COUNTER = re.compile(r"step (\d+) of (\d+)")


# --- serving and pages ------------------------------------------------------------------------
class _Tracebacks(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[str] = []

    def emit(self, record):
        if record.exc_info or "Traceback" in record.getMessage() or record.levelno >= logging.ERROR:
            self.records.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(scope="module")
def apps():
    """The playground and the tutorial, served for this module; ``apps.log`` collects any
    traceback the server logs."""
    from gradviz.apps import factory
    from gradviz.testing.serve import ServedApp

    log = _Tracebacks()
    loggers = [logging.getLogger(n) for n in ("tornado", "bokeh", "panel", "gradviz", "")]
    for logger in loggers:
        logger.addHandler(log)
    with ServedApp(factory("playground")) as playground, ServedApp(factory("tutorial")) as tutorial:
        yield type("Apps", (), {"playground": playground.url, "tutorial": tutorial.url, "log": log})
    for logger in loggers:
        logger.removeHandler(log)


# Walks shadow roots: Panel renders every component in its own.
_ALL = """
const all = (root = document, out = []) => {
  for (const el of root.querySelectorAll('*')) { out.push(el); if (el.shadowRoot) all(el.shadowRoot, out); }
  return out;
};
"""
_FIG = """
const doc = Bokeh.documents[0];
const fig = doc.get_model_by_name('gv_graph');
const pv = Bokeh.index.find_one_by_id(fig.id);
const canvasRect = pv.canvas_view.el.getBoundingClientRect();
const toScreen = (x, y) => [canvasRect.left + pv.frame.x_scale.compute(x),
                            canvasRect.top + pv.frame.y_scale.compute(y)];
// Tensors, functions and (where scopes are drawn) the boxes of closed scopes.
const sources = ['gv_tensors', 'gv_functions', 'gv_scope_boxes'].map(n => doc.get_model_by_name(n))
  .filter(s => s !== null);
const boxes = [];
for (const s of sources) for (let i = 0; i < s.data.x.length; i++)
  boxes.push({label: (s.data.label ?? s.data.name)[i],
              role: s.data.role ? s.data.role[i] : s.name === 'gv_scope_boxes' ? 'scope' : 'function',
              x0: s.data.x[i] - s.data.w[i] / 2, x1: s.data.x[i] + s.data.w[i] / 2,
              y0: s.data.y[i] - s.data.h[i] / 2, y1: s.data.y[i] + s.data.h[i] / 2});
const textGlyph = (source) => fig.renderers.find(r => r.data_source.name === source).glyph;
"""


class View:
    """A page of an app at a given window size, with helpers that read what it shows."""

    def __init__(self, browser, url: str, width: int = 1400, height: int = 1000):
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           device_scale_factor=1)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("canvas", state="attached", timeout=30_000)
        self.idle()
        self.settled()

    def idle(self):
        self.page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents.every(d => d.is_idle)",
            timeout=30_000)

    def settled(self, quiet: float = 0.6, timeout: float = 15.0):
        """Wait until the plot's ranges have not moved for ``quiet`` seconds (the view is
        planned again while the page settles its size)."""
        deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
        while time.monotonic() < deadline:
            now = self.ranges()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return now
            time.sleep(0.1)
        return last

    def ranges(self):
        return tuple(self.page.evaluate(
            "() => { const d = Bokeh.documents[0]; const x = d.get_model_by_name('gv_graph').x_range,"
            " y = d.get_model_by_name('gv_graph').y_range; return [x.start, x.end, y.start, y.end]; }"))

    def js(self, body: str, arg=None):
        return self.page.evaluate(f"(arg) => {{ {_ALL} {_FIG} {body} }}", arg)

    def boxes_outside_view(self, roles=None) -> list:
        return self.js("""
            const xr = fig.x_range, yr = fig.y_range;
            return boxes.filter(b => (arg === null || arg.includes(b.role)) &&
              (b.x0 < xr.start || b.x1 > xr.end || b.y0 < yr.start || b.y1 > yr.end)).map(b => b.label);
        """, roles)

    def text(self) -> str:
        return self.page.evaluate("""() => { const parts = [];
            const walk = (node) => { if (node.shadowRoot) walk(node.shadowRoot);
              for (const c of node.childNodes) { if (c.nodeType === Node.TEXT_NODE) parts.push(c.textContent);
                else if (!['STYLE', 'SCRIPT'].includes(c.tagName)) walk(c); } };
            walk(document.body); return parts.join(' '); }""")

    def wait_for_text(self, needle: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = " ".join(self.text().split())
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} never appeared; the page shows: {text[:1500]}")
            time.sleep(0.1)

    def counter(self) -> tuple[int, int]:
        return tuple(map(int, COUNTER.findall(self.text())[0]))

    def wait_counter(self, k: int, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        while self.counter()[0] != k:
            if time.monotonic() > deadline:
                raise AssertionError(f"the counter stayed at {self.counter()}, expected step {k}")
            time.sleep(0.05)

    def button(self, label: str):
        return self.page.get_by_role("button", name=label, exact=True).first

    def click(self, label: str):
        self.button(label).click()

    def rect(self, css_test: str) -> dict:
        """The bounding box of the largest element for which ``css_test(el)`` (JS) holds."""
        return self.page.evaluate(f"""() => {{ {_ALL}
            let best = null, area = -1;
            for (const el of all()) {{ if (!({css_test})) continue;
              const r = el.getBoundingClientRect(); if (r.width * r.height > area) {{ area = r.width * r.height; best = r; }} }}
            return best && {{left: best.left, right: best.right, top: best.top, bottom: best.bottom}}; }}""")

    def select_node(self, label: str):
        self.page.evaluate("""(label) => { const s = Bokeh.documents[0].get_model_by_name('gv_tensors');
            s.selected.indices = [Array.from(s.data.label).indexOf(label)]; }""", label)

    def close(self):
        self.context.close()


@pytest.fixture
def view(browser_for_items):
    opened = []

    def open_view(url, width=1400, height=1000):
        v = View(browser_for_items, url, width, height)
        opened.append(v)
        return v

    yield open_view
    for v in opened:
        v.close()
    errors = [e for v in opened for e in v.errors]
    assert not errors, "JavaScript errors:\n" + "\n".join(errors)


@pytest.fixture(scope="module")
def browser_for_items(ui_browser):
    # The session's browser (tests/ui/conftest.py): a second sync_playwright() in the same
    # thread while that one runs fails ("Sync API inside the asyncio loop") in a full run.
    return ui_browser


@contextlib.contextmanager
def no_new_tracebacks(apps):
    before = len(apps.log.records)
    yield
    new = apps.log.records[before:]
    assert not new, "the server logged:\n" + "\n".join(new)


# --- every graph legible on its first view -------------------------------------------------------
@pytest.mark.parametrize("width", [1024, 1400, 1920])
def test_the_mlp_shows_whole_with_readable_labels_and_stays_whole_after_run(apps, view, width):
    v = view(apps.playground + "?example=mlp", width=width)
    assert v.boxes_outside_view() == []
    # The sizes the browser really draws the node text at (they follow the zoom).
    sizes = v.js("""return ['gv_function_text', 'gv_tensor_text'].map(s => textGlyph(s))
                    .map(g => parseFloat(g.text_font_size.value ?? g.text_font_size));""")
    assert min(sizes) >= 9.0, sizes
    v.click("Run")
    v.wait_counter(13)
    v.settled()
    assert v.boxes_outside_view(["leaf (requires grad)"]) == []


def test_bokehs_reset_returns_to_the_fitted_view(apps, view):
    v = view(apps.playground + "?example=mlp", width=1024)
    fitted = v.ranges()
    v.page.evaluate("""() => { const f = Bokeh.documents[0].get_model_by_name('gv_graph');
        f.x_range.setv({start: f.x_range.start + 700, end: f.x_range.end + 700}); }""")
    assert v.boxes_outside_view() != []
    v.page.locator("[title='Reset']").first.click()
    v.settled()
    assert v.boxes_outside_view() == []
    assert v.ranges() == pytest.approx(fitted, abs=1.0)


def test_the_plot_takes_the_height_of_the_side_panel_beside_it(apps, view):
    v = view(apps.playground + "?example=seed", width=1400)
    canvas = v.rect("el.tagName === 'CANVAS'")
    tabs = v.rect("el.classList && [...el.classList].some(c => c.endsWith('Tabs'))")
    assert tabs["left"] >= canvas["right"] - 1  # beside it
    assert abs(canvas["bottom"] - tabs["bottom"]) <= 12, (canvas, tabs)
    assert canvas["top"] - tabs["top"] <= 70  # only the legend above the plot


def test_the_bokeh_toolbar_floats_inside_the_plot(apps, view):
    v = view(apps.playground + "?example=seed")
    # The frame is the part of the plot that draws data; a toolbar "above" sits on a strip of
    # its own over the frame, an inner one over the frame's top edge.
    frame = v.js("""const f = pv.frame.bbox;
                    return {top: canvasRect.top + f.top, bottom: canvasRect.top + f.bottom};""")
    toolbar = v.rect("el.classList && el.classList.contains('bk-Toolbar')")
    assert toolbar["top"] >= frame["top"] - 1 and toolbar["bottom"] <= frame["bottom"], (toolbar, frame)


# --- edge labels --------------------------------------------------------------------------------
_LABEL_RECTS = """
const src = doc.get_model_by_name('gv_edge_labels');
const glyph = textGlyph('gv_edge_labels');
const px = parseFloat(glyph.text_font_size.value ?? glyph.text_font_size);
const scale = pv.frame.bbox.width / (fig.x_range.end - fig.x_range.start);
const ctx = document.createElement('canvas').getContext('2d');
const family = glyph.text_font.value ?? glyph.text_font;
ctx.font = `${px}px ${family}`;
const rects = [];
for (let i = 0; i < src.data.x.length; i++) {
  const w = (ctx.measureText(src.data.text[i]).width + 2 * 3) / scale;   // padding 2 px, border 1
  const h = (px * 1.2 + 2 * 3) / scale;
  rects.push({text: src.data.text[i], x0: src.data.x[i] - w / 2, x1: src.data.x[i] + w / 2,
              y0: src.data.y[i] - h / 2, y1: src.data.y[i] + h / 2});
}
const hit = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const bad = [];
rects.forEach((r, i) => {
  for (const b of boxes) if (hit(r, b)) bad.push(`${r.text} covers node ${b.label}`);
  rects.slice(i + 1).forEach(q => { if (hit(r, q)) bad.push(`${r.text} covers label ${q.text}`); });
});
return [rects.length, bad];
"""


@pytest.mark.parametrize("example", ["seed", "mlp"])
def test_edge_labels_never_cover_a_node_or_another_label(apps, view, example):
    v = view(apps.playground + f"?example={example}")
    total = v.counter()[1]
    shown, problems = 0, []
    for k in range(1, total + 1):
        v.click("Step")
        v.wait_counter(k)
        v.idle()
        n, bad = v.js(_LABEL_RECTS)
        shown += n
        problems += [f"step {k}: {b}" for b in bad]
    assert problems == []
    assert shown >= total // 2  # labels are placed, not simply all dropped


# --- the inspector --------------------------------------------------------------------------
def test_the_heatmap_has_a_colour_bar_in_the_graphs_colours(apps, view):
    from gradviz.viz import style

    v = view(apps.playground + "?example=seed")
    v.click("Run")
    v.wait_counter(8)
    v.select_node("w")
    v.wait_for_text("leaf, requires grad")
    v.page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('gv_heatmap_colour_bar_grad') !== null",
                             timeout=10_000)
    palette = v.page.evaluate("""() => Array.from(Bokeh.documents[0]
        .get_model_by_name('gv_heatmap_colour_bar_grad').color_mapper.palette)""")
    # Strong negative first, as the graph's legend ramp runs (blue negative, red positive).
    assert palette[0] == style.NEGATIVE[0] and palette[-1] == style.POSITIVE[-1]
    low, high = v.page.evaluate("""() => { const m = Bokeh.documents[0]
        .get_model_by_name('gv_heatmap_colour_bar_grad').color_mapper; return [m.low, m.high]; }""")
    assert (low, high) == (-1, 1)


def test_a_click_on_empty_canvas_brings_back_the_leaf_gradient_overview(apps, view):
    v = view(apps.playground + "?example=seed")
    v.click("Run")
    v.wait_counter(8)
    v.wait_for_text("leaf gradients (.grad)")
    v.select_node("w")
    v.wait_for_text("leaf, requires grad")
    assert "leaf gradients (.grad)" not in " ".join(v.text().split())
    # A point of the plot that no node covers (and away from the toolbar at the top).
    x, y = v.js("""
        const f = pv.frame.bbox;
        for (let sy = f.top + 60; sy < f.bottom - 10; sy += 15)
          for (let sx = f.left + 10; sx < f.right - 10; sx += 15) {
            const dx = pv.frame.x_scale.invert(sx), dy = pv.frame.y_scale.invert(sy);
            if (!boxes.some(b => dx > b.x0 - 20 && dx < b.x1 + 20 && dy > b.y0 - 20 && dy < b.y1 + 20))
              return [canvasRect.left + sx, canvasRect.top + sy];
          }
        return null;""")
    v.page.mouse.click(x, y)
    v.wait_for_text("leaf gradients (.grad)")


def test_the_nan_example_flags_the_nan_loss_and_the_infinite_values(apps, view):
    v = view(apps.playground + "?example=nan")
    badges = dict(zip(v.js("return Array.from(doc.get_model_by_name('gv_tensors').data.label);"),
                      v.js("return Array.from(doc.get_model_by_name('gv_tensors').data.badge);")))
    # Before any backward step: these come from the values (log(0) = -inf, 0 * -inf = NaN).
    assert badges["logp"] == "-inf"
    assert badges["entropy"] == "NaN"
    assert badges["p"] == ""


# --- inputs -------------------------------------------------------------------------------
def _editor_of(v, value_prefix: str):
    """The literal field and Apply button of the editor whose field starts with ``value_prefix``."""
    v.page.get_by_text("Inputs", exact=True).first.click()
    fields = v.page.locator("textarea")
    fields.first.wait_for(timeout=10_000)
    for i in range(fields.count()):
        if fields.nth(i).input_value().startswith(value_prefix):
            return fields.nth(i), v.page.get_by_role("button", name="Apply", exact=True).nth(i)
    raise AssertionError(f"no input field holds {value_prefix!r}")


@pytest.mark.parametrize("text, message", [
    ("9" * 400, "A number with 400 digits is too large"),
    ("[" + "0.123456789, " * 800_000 + "1]", "That paste is too large"),   # ~10 MB
    ("nan", "NaN and infinity are not accepted"),
    ("[]", "That list is empty"),
    ("[1e308, 0, 0]", "1e+308 is too large for this float32 input"),
])
def test_a_bad_input_gets_its_own_message_no_traceback_and_changes_nothing(apps, view, text,
                                                                         message):
    v = view(apps.playground + "?example=seed")
    v.click("Step")
    v.wait_counter(1)
    field, apply = _editor_of(v, "[-1.1817")   # b, a float32 leaf
    before = v.js("return Array.from(doc.get_model_by_name('gv_tensors').data.value_text);")
    with no_new_tracebacks(apps):
        # A stale message from an earlier answer must not stand for this one.
        field.fill("[1, 2")
        apply.click()
        v.wait_for_text("Not a number")
        field.fill(text)
        apply.click()
        page_text = v.wait_for_text(message, timeout=30)
    assert "Not a number" not in page_text
    assert v.counter() == (1, 8)
    assert v.js("return Array.from(doc.get_model_by_name('gv_tensors').data.value_text);") == before


def test_a_good_input_after_a_bad_one_clears_the_error(apps, view):
    v = view(apps.playground + "?example=seed")
    field, apply = _editor_of(v, "[-1.1817")
    field.fill("nan")
    apply.click()
    v.wait_for_text("NaN and infinity are not accepted")
    field.fill("[0.5, -0.25, 1]")
    apply.click()
    text = v.wait_for_text("Applied: forward pass recomputed.")
    assert "NaN and infinity are not accepted" not in text


def test_set_cell_fits_inside_the_inputs_panel(apps, view):
    v = view(apps.playground + "?example=seed")
    v.page.get_by_text("Inputs", exact=True).first.click()
    v.button("Set cell").wait_for(timeout=10_000)
    tabs = v.rect("el.classList && [...el.classList].some(c => c.endsWith('Tabs'))")
    cells = v.page.get_by_role("button", name="Set cell", exact=True)
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["x"] + box["width"] <= tabs["right"] + 0.5, (box, tabs)


# --- controls -------------------------------------------------------------------------------
def test_tooltips_are_opaque(apps, view):
    v = view(apps.playground + "?example=seed")
    x, y = v.js("""const b = boxes.find(b => b.label === 'w');
                   return toScreen((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2);""")
    v.page.mouse.move(x, y)
    v.page.wait_for_function(f"() => {{ {_ALL} return all().some(e => e.classList && "
                             "e.classList.contains('bk-Tooltip') && "
                             "e.getBoundingClientRect().width > 0); }", timeout=10_000)
    opacity = v.page.evaluate(f"() => {{ {_ALL} return all().filter(e => e.classList && "
                              "e.classList.contains('bk-Tooltip')).map(e => getComputedStyle(e).opacity); }")
    assert opacity and all(o == "1" for o in opacity), opacity


def test_back_at_the_start_and_step_at_the_end_are_disabled(apps, view):
    v = view(apps.playground + "?example=seed")
    assert v.button("Back").is_disabled() and v.button("Reset").is_disabled()
    assert v.button("Step").is_enabled()
    v.click("Run")
    v.wait_counter(8)
    deadline = time.monotonic() + 10
    while not v.button("Step").is_disabled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert v.button("Step").is_disabled() and v.button("Run").is_disabled()
    assert v.button("Play").is_disabled()
    assert v.button("Back").is_enabled()


def test_the_toolbar_does_not_move_when_the_counter_reaches_two_digits(apps, view):
    v = view(apps.playground + "?example=mlp")
    for k in range(1, 10):
        v.click("Step")
        v.wait_counter(k)
    before = v.button("Backward again").bounding_box()
    v.click("Step")
    v.wait_counter(10)
    v.idle()
    after = v.button("Backward again").bounding_box()
    assert after["x"] == pytest.approx(before["x"], abs=0.5)


def test_keyboard_shortcuts_drive_the_pass_but_not_while_typing(apps, view):
    v = view(apps.playground + "?example=seed")
    v.page.get_by_text("Press Step to start backward").first.click()  # focus on the page
    keys = v.page.keyboard
    keys.press("ArrowRight")
    v.wait_counter(1)
    keys.press("ArrowRight")
    v.wait_counter(2)
    keys.press("ArrowLeft")
    v.wait_counter(1)
    keys.press("End")
    v.wait_counter(8)
    keys.press("Home")
    v.wait_counter(0)
    keys.press(" ")
    v.button("Pause").wait_for(timeout=10_000)
    keys.press(" ")
    v.button("Play").wait_for(timeout=10_000)
    keys.press("Home")  # Play may have taken a step before the pause
    v.wait_counter(0)
    # Typing in a field: the keys edit the field, the pass does not move.
    field, _ = _editor_of(v, "[-1.1817")
    field.click()
    for key in ("End", "ArrowLeft", "ArrowRight", "Home", " "):
        keys.press(key)
    time.sleep(1.0)
    assert v.counter() == (0, 8)
    assert v.button("Play").is_visible()


# --- the tutorial ---------------------------------------------------------------------------
_TYPOGRAPHY = f"""() => {{ {_ALL}
    const els = all();
    const h2 = els.find(e => e.tagName === 'H2' && e.offsetParent !== null);
    const code = els.find(e => e.tagName === 'CODE' && e.parentElement.tagName !== 'PRE' && e.offsetParent !== null);
    return [getComputedStyle(h2).fontSize, getComputedStyle(h2).fontFamily,
            getComputedStyle(code).color, getComputedStyle(code).fontFamily]; }}"""


def test_the_tutorial_looks_the_same_whichever_section_loads_first(apps, view):
    looks = {}
    for first, then, then_nav in (("forward", "jacobian", "6."), ("jacobian", "forward", "1.")):
        v = view(apps.tutorial + f"?section={first}")
        looks[(first, "first")] = v.page.evaluate(_TYPOGRAPHY)
        v.page.get_by_role("button").filter(has_text=then_nav).first.click()
        v.wait_for_text({"jacobian": "Non-scalar outputs", "forward": "Forward: the graph"}[then])
        v.idle()
        looks[(then, "later")] = v.page.evaluate(_TYPOGRAPHY)
    assert looks[("forward", "first")] == looks[("forward", "later")]
    assert looks[("jacobian", "first")] == looks[("jacobian", "later")]
    assert looks[("forward", "first")][0] == looks[("jacobian", "first")][0]  # one title size


def test_the_tutorial_sections_follow_the_notebook(apps, view):
    from gradviz.apps.tutorial import SECTIONS

    seed = (__import__("pathlib").Path(__file__).parents[3] / "shared" / "seed" /
            "autograd_tutorial.txt")
    if seed.exists():  # the notebook's own order of cells
        prompts = re.findall(r"^(In \[\d+\]):", seed.read_text(), flags=re.M)
        assert [s.cell.prompt for s in SECTIONS] == prompts
    v = view(apps.tutorial)
    labels = [v.page.get_by_role("button").filter(has_text=f"{i + 1}.").first.inner_text()
              for i in range(len(SECTIONS))]
    # Numbered 1..n in the notebook's order; no execution counters out of order on them.
    assert [int(lab.split(".")[0]) for lab in labels] == list(range(1, len(SECTIONS) + 1))
    assert not any("In [" in lab for lab in labels), labels
    text = v.wait_for_text("cell 1 of 6 in the notebook")
    assert "In [8]" in text  # the notebook's prompt is still told, next to the code


def test_section_two_promises_only_nodes_the_graph_shows(apps, view):
    v = view(apps.tutorial + "?section=grad_fn")
    text = v.wait_for_text("grad_fn: every result remembers")
    drawn = set(v.js("return Array.from(doc.get_model_by_name('gv_functions').data.name);"))
    section = text[text.index("grad_fn: every result remembers"):text.index("Gradient function for z")]
    cited = set(re.findall(r"\b[A-Z][A-Za-z]*Backward\d+\b", section))
    assert cited and cited <= drawn | {"AccumulateGrad"}, (cited, drawn)
    # Ops the text says the graph records as a chain ("recorded as a → b → c") are all drawn.
    for chain in re.findall(r"recorded as \*?([a-z → ]+)\*?", section):
        for op in [o.strip() for o in chain.split("→")]:
            assert any(name.lower().startswith(op) for name in drawn), (op, drawn)
    if "Unsqueeze" in section or "unsqueeze" in section:
        assert not any(n.startswith("Unsqueeze") for n in drawn)
        assert "no node" in section  # said not to be recorded


def test_hover_and_click_are_worded_alike_in_the_tutorial_and_the_explorer(apps, view):
    v = view(apps.tutorial + "?section=forward")
    text = v.wait_for_text("Forward: the graph is recorded")
    assert "Hover a node to see its value; click it to inspect" in text
    assert "Click a node to inspect it" in text  # the explorer's own hint says the same


@pytest.mark.parametrize("section", ["forward", "grad_fn", "backward", "jacobian"])
def test_the_tutorial_graph_is_on_screen_when_a_section_opens(apps, view, section):
    v = view(apps.tutorial + f"?section={section}", width=1400, height=1000)
    canvas = v.rect("el.tagName === 'CANVAS'")
    assert canvas["bottom"] <= 1000, canvas
    assert v.boxes_outside_view() == []


def test_the_code_panel_shows_the_numbers_an_input_edit_gave(apps, view):
    v = view(apps.playground + "?example=seed")
    code = f"""() => {{ {_ALL} const el = all().find(e => e.tagName === 'PRE' &&
        e.textContent.includes('import gradviz')); return el ? el.textContent : ''; }}"""
    assert "b = torch.tensor([-1.1817, -0.3948, -0.1673]" in v.page.evaluate(code)
    field, apply = _editor_of(v, "[-1.1817")
    field.fill("[0.5, -0.25, 1]")
    apply.click()
    v.page.wait_for_function(f"() => ({code})().includes("
                             "'b = torch.tensor([0.5, -0.25, 1], requires_grad=True)')",
                             timeout=15_000)
    assert "-1.1817" not in v.page.evaluate(code)
