"""Hover text sent when a row is hovered (``gradviz.viz.lazy_hover``), without a browser: what a
big graph's first document holds, what Python answers to the page's requests (the seed
README's numbers), what a step makes stale, and saved pages carrying the text again. The browser
half (the tooltip refreshing by itself) is tests/ui/test_lazy_hover_browser.py."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("panel")
pytest.importorskip("bokeh")

import gradviz as torch  # noqa: E402
from gradviz.viz import Explorer  # noqa: E402
from gradviz.viz.graph_view import EDGE_HOVER, FUNCTION_HOVER, TENSOR_HOVER  # noqa: E402
from gradviz.viz.lazy_hover import hover_key, lazy_template  # noqa: E402
from tests.graph_programs import seed_graph  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import graphs  # noqa: E402

SEED_Z = [-0.1973, -1.3290, -0.4027]    # z = x @ w + b, from the seed README (PyTorch 2.13)
SEED_GRAD = [0.1503, 0.0698, 0.1336]    # dloss/dz = b.grad, from the seed README
HOVER_COLUMNS = set(TENSOR_HOVER) | set(FUNCTION_HOVER) | set(EDGE_HOVER)


def numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", text)])


def document_json(view) -> str:
    """The document a page of ``view`` starts from, as the server serialises it."""
    from bokeh.core.json_encoder import serialize_json
    from bokeh.document import Document
    from panel.io.model import add_to_doc

    doc = Document()
    root = view._layout.get_root(doc, None)
    add_to_doc(root, doc, True)
    return json.dumps(json.loads(serialize_json(doc.to_json())), ensure_ascii=False)


def ask(view, *keys):
    """What the page's formatter does: write the keys into the request source."""
    req = view.graph_view.hover.request
    n = (req.data["n"][0] + 1) if len(req.data["n"]) else 1
    req.data = {"key": list(keys), "n": [n] * len(keys)}


def cached(view, key):
    """The text the page's cache holds for ``key`` (missing: not sent; None: stale)."""
    cache = view.graph_view.hover.cache.data
    keys = list(cache["key"])
    return cache["text"][keys.index(key)] if key in keys else "missing"


def test_a_big_graphs_first_document_holds_no_hover_text():
    loss, names = graphs.gpt_like(n_layers=3, n_heads=2)
    G = torch.to_networkx(loss, names)
    assert G.number_of_nodes() > 300
    rules = {d["rule"] for _, d in G.nodes(data=True) if d["kind"] == "function" and
             len(d.get("rule") or "") > 20}
    assert len(rules) > 10
    lazy = Explorer(loss, names=names, scopes="all")
    eager = Explorer(loss, names=names, scopes="all", lazy_hover=False)
    assert lazy.graph_view.lazy_hover and not eager.graph_view.lazy_hover
    lazy_doc, eager_doc = document_json(lazy), document_json(eager)
    # The eager twin carries the text (so the checks below can fail)...
    assert all(rule in eager_doc for rule in rules)
    assert '"grad_text"' in eager_doc and "none yet" in eager_doc and "not crossed yet" in eager_doc
    # ...the lazy page none of it: no rule, no value or gradient text, no such column.
    assert not [rule for rule in rules if rule in lazy_doc]
    for text in ('"value_text"', '"grad_text"', '"shape_text"', '"saved_text"', '"rule"',
                 '"u_label"', '"v_label"', '"requires_grad"', '"role"',
                 "none yet", "not crossed yet", "nothing saved", "not kept by PyTorch"):
        assert text not in lazy_doc, text
    assert "gv_hover_text" in lazy_doc and "gv_hover_request" in lazy_doc
    assert len(lazy_doc) < len(eager_doc) - 50 * G.number_of_nodes()  # (81 B a node here)
    # every row of every drawn source, and no hover column in any of them
    gv = lazy.graph_view
    assert len(gv.tensor_source.data["id"]) + len(gv.function_source.data["id"]) == \
        G.number_of_nodes()
    for source in (gv.tensor_source, gv.function_source, gv.edge_source):
        assert not HOVER_COLUMNS & set(source.data)
    assert gv.hover.cache.data["key"] == []


def test_the_seed_graph_answers_hovers_with_its_numbers_and_a_step_makes_them_stale(monkeypatch):
    from tests.test_viz_data import record_patches

    v = seed_graph()
    view = Explorer(v["loss"], names=v, lazy_hover=True)
    gv = view.graph_view
    ids = dict(zip(gv.tensor_source.data["label"], gv.tensor_source.data["id"]))
    fns = {d["label"]: n for n, d in view.G.nodes(data=True) if d["kind"] == "function"}
    z, bce = ids["z"], fns["BinaryCrossEntropyWithLogitsBackward0"]
    edge = (z, bce)
    assert edge in gv.edge_row
    ask(view, *(hover_key("t", f, z) for f in ("shape", "value", "grad")),
        hover_key("f", "saved", bce), hover_key("e", "grad", edge))
    np.testing.assert_allclose(numbers(cached(view, hover_key("t", "value", z))), SEED_Z, atol=2e-4)
    assert cached(view, hover_key("t", "shape", z)) == "(3,) float32"
    assert cached(view, hover_key("t", "grad", z)) == "none yet"
    assert cached(view, hover_key("e", "grad", edge)) == "not crossed yet"
    ask(view, hover_key("t", "role", z), hover_key("t", "requires_grad", z),
        hover_key("f", "name", bce), hover_key("e", "from", edge), hover_key("e", "to", edge))
    assert cached(view, hover_key("t", "role", z)) == "intermediate"
    assert cached(view, hover_key("t", "requires_grad", z)) == "yes"  # (w and b require it)
    assert cached(view, hover_key("f", "name", bce)) == "BinaryCrossEntropyWithLogitsBackward0"
    assert (cached(view, hover_key("e", "from", edge)), cached(view, hover_key("e", "to", edge))) \
        == ("z", "BinaryCrossEntropyWithLogitsBackward0")
    # BCE saves its input and its target, both of z's shape (3)
    assert cached(view, hover_key("f", "saved", bce)) == "self (3), target (3)"

    patches = record_patches(monkeypatch)
    view.step()  # the seed: nothing reaches z yet
    assert cached(view, hover_key("t", "grad", z)) == "none yet"
    view.step()  # BCE runs: dloss/dz crosses the edge z -> BCE and reaches z
    # what was sent of z's gradient and the edge's is stale now; its value is not
    assert cached(view, hover_key("t", "grad", z)) is None
    assert cached(view, hover_key("e", "grad", edge)) is None
    assert cached(view, hover_key("t", "value", z)) is not None
    # the steps patched no hover text into the drawn sources
    drawn = {"gv_tensors", "gv_functions", "gv_edges"}
    assert patches and not [c for name, p in patches if name in drawn for c in p
                            if c in HOVER_COLUMNS]
    ask(view, hover_key("t", "grad", z), hover_key("e", "grad", edge))
    np.testing.assert_allclose(numbers(cached(view, hover_key("t", "grad", z))), SEED_GRAD, atol=2e-4)
    np.testing.assert_allclose(numbers(cached(view, hover_key("e", "grad", edge))), SEED_GRAD,
                               atol=2e-4)
    ask(view, hover_key("f", "saved", bce))  # asked again: answered again, in place
    assert cached(view, hover_key("f", "saved", bce)) == "self (3), target (3)"
    assert list(gv.hover.cache.data["key"]).count(hover_key("f", "saved", bce)) == 1
    # Back: z has no gradient again, and the page is told
    view.back()
    assert cached(view, hover_key("t", "grad", z)) is None
    ask(view, hover_key("t", "grad", z))
    assert cached(view, hover_key("t", "grad", z)) == "none yet"
    # a request for something not drawn, or not a key at all, is ignored
    before = list(gv.hover.cache.data["key"])
    ask(view, hover_key("t", "value", "no-such-node"), "junk", hover_key("e", "grad", ("a", "b")))
    assert list(gv.hover.cache.data["key"]) == before


def test_opening_a_scope_forgets_what_was_sent():
    loss, names = graphs.gpt_like(n_layers=3, n_heads=2)
    view = Explorer(loss, names=names)
    gv = view.graph_view
    leaf = gv.tensor_source.data["id"][0]
    ask(view, hover_key("t", "value", leaf))
    assert cached(view, hover_key("t", "value", leaf)) != "missing"
    closed = [b for b in gv.shown() if b in gv.tree.by_box]
    view.expand(closed[0])
    assert gv.hover.cache.data["key"] == [] and not gv.hover.sent


def test_make_eager_gives_the_columns_and_tooltips_of_an_eager_view():
    v = seed_graph()
    lazy = Explorer(v["loss"], names=v, lazy_hover=True)
    w = seed_graph()
    eager = Explorer(w["loss"], names=w, lazy_hover=False)
    for view in (lazy, eager):
        for _ in range(3):
            view.step()
    lazy.graph_view.make_eager()
    a, b = lazy.graph_view, eager.graph_view
    for sa, sb in ((a.tensor_source, b.tensor_source), (a.function_source, b.function_source),
                   (a.edge_source, b.edge_source)):
        for col in HOVER_COLUMNS & set(sb.data):
            assert list(sa.data[col]) == list(sb.data[col]), col
    for ta, tb in zip(a.hover_tools, b.hover_tools):
        assert ta.tooltips == tb.tooltips and ta.formatters == {}
    # (and b.grad's text is the README's after three steps? not yet: its step is the fourth)
    row = list(a.tensor_source.data["label"]).index("z")
    np.testing.assert_allclose(numbers(a.tensor_source.data["grad_text"][row]), SEED_GRAD, atol=2e-4)


def test_a_saved_page_of_a_big_graph_carries_its_hover_text(tmp_path):
    from tests.test_viz_data import chain
    from gradviz.viz.static_page import build_document

    loss, names = chain(50)
    view = Explorer(loss, names=names)
    assert view.graph_view.lazy_hover and view.G.number_of_nodes() > 300
    doc, rec, _ = build_document(view, max_passes=1)
    gv = rec.graph_view
    assert not gv.lazy_hover
    assert set(TENSOR_HOVER) <= set(gv.tensor_source.data)
    assert "grad_text" in gv.edge_source.data and "saved_text" in gv.function_source.data
    from bokeh.core.json_encoder import serialize_json
    assert "gv_hover_text" not in serialize_json(doc.to_json())
    assert all(t.formatters == {} and "@value_text" in rec.graph_view.hover_tools[0].tooltips
               for t in gv.hover_tools)


def test_lazy_template_reads_through_the_key_column():
    template = "<b>@label</b> @shape_text · @value_text @value_texts @grad_text"
    out = lazy_template(template, {"shape_text": "shape", "value_text": "value",
                                   "grad_text": "grad"}, "id", "t")
    assert out == "<b>@label</b> @id{t.shape} · @id{t.value} @value_texts @id{t.grad}"


def test_in_a_notebook_the_answer_is_pushed_with_the_outputs_document():
    """As Panel runs a notebook output: its document held between messages, a message from the
    page applied under a hold and its callbacks run on unhold; the explorer's push then sends
    what the document holds (``panel.io.model.diff``, what ``push_notebook`` sends)."""
    from bokeh.document import Document
    from panel.io.model import add_to_doc, diff

    v = seed_graph()
    view = Explorer(v["loss"], names=v, lazy_hover=True)
    doc = Document()
    root = view._layout.get_root(doc, None)
    add_to_doc(root, doc, True)
    doc.hold("combine")
    doc.callbacks._held_events = []
    sent = []
    view._push_notebook = lambda *panes: sent.append(diff(doc))
    z = dict(zip(view.graph_view.tensor_source.data["label"],
                 view.graph_view.tensor_source.data["id"]))["z"]
    held = doc.callbacks.hold_value
    doc.hold()
    ask(view, hover_key("t", "value", z))  # (the page's change, as the comm message applies it)
    doc.unhold()
    doc.hold(held)
    assert len(sent) == 1 and sent[0] is not None
    content = sent[0].content_json
    assert "ColumnsStreamed" in content and "-1.329" in content
    assert not [e for e in doc.callbacks._held_events if "Streamed" in type(e).__name__]


def test_a_recorded_notebook_output_carries_the_text_in_its_recording():
    """A notebook output that also steps without a kernel (``offline=True``) cannot ask
    Python: its recorded steps patch the hover text as a saved page's do."""
    from bokeh.document import Document

    from gradviz.viz.notebook import attach_offline_player

    v = seed_graph()
    view = Explorer(v["loss"], names=v, lazy_hover=True, offline=True)
    doc = Document()
    root = view._layout.get_root(doc, None)
    doc.add_root(root)
    nodes = attach_offline_player(view, doc, root)
    gv = view.graph_view
    assert not gv.lazy_hover and "grad_text" in gv.tensor_source.data
    # the step that gives z its gradient writes it into z's grad_text (README numbers)
    row = list(gv.tensor_source.data["label"]).index("z")
    patched = [json.dumps(n["f"]) for n in nodes[1:]]
    assert any('"grad_text"' in p for p in patched)
    cells = [c for p in nodes[1:] for e in p["f"] if e.get("kind") == "ColumnsPatched"
             for c in dict(e["patches"]["entries"]).get("grad_text", []) if c[0] == row]
    assert cells and np.allclose(numbers(cells[-1][1]), SEED_GRAD, atol=2e-4)
