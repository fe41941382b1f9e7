"""The explorer's notebook output, rendered as Jupyter renders it (``_repr_mimebundle_``), without
a browser: the document it is serialised from must hold no change still to be sent.

Panel sends a notebook output's queued document changes with the first push after the page
talks to Python (a click on Step). Anything queued at render time is already in the output (the
output *is* that document, serialised), so sending it again can only do harm: queued
"root removed / root added" events made the page take the explorer off its output and draw it
again elsewhere, and the live JupyterLab test then saw the output's counter stay at step 0."""
from __future__ import annotations

import pytest

pn = pytest.importorskip("panel")

import gradviz  # noqa: E402


def _render(view, monkeypatch):
    """``view``'s notebook output, the Bokeh document it was serialised from, and the list
    that collects what Python sends to the output from then on (each message's text parts)."""
    from panel.config import panel_extension

    monkeypatch.setattr(panel_extension, "_loaded", True)  # as after gradviz.explore in Jupyter
    layout = view._layout
    render = type(layout)._render_mimebundle
    docs, sent = [], []

    def keep_doc(self, model, doc, comm, location=None):
        docs.append(doc)
        # An open kernel comm (Panel sends only through one) that keeps what it is given.
        monkeypatch.setattr(comm, "_comm", object(), raising=False)
        monkeypatch.setattr(comm, "send", lambda data=None, **kw: sent.append(data))
        return render(self, model, doc, comm, location)

    monkeypatch.setattr(type(layout), "_render_mimebundle", keep_doc)
    bundle = view._repr_mimebundle_()
    assert len(docs) == 1
    return bundle, docs[0], sent


def _seed_view(offline):
    x = gradviz.ones(5)
    w = gradviz.tensor([[-0.5307, -0.7968, -0.2264], [0.1109, -0.1617, 0.1858],
                        [-0.8023, -0.0873, -0.1678], [0.7206, -1.1387, -0.4571],
                        [1.4859, 1.2503, 0.4301]], requires_grad=True)
    b = gradviz.tensor([-1.1817, -0.3948, -0.1673], requires_grad=True)
    loss = gradviz.nn.functional.binary_cross_entropy_with_logits(x @ w + b, gradviz.zeros(3))
    return gradviz.explore(loss, offline=offline)


@pytest.mark.parametrize("offline", ["auto", False])
def test_a_rendered_output_has_nothing_left_to_send(offline, monkeypatch):
    view = _seed_view(offline)
    bundle, doc, _ = _render(view, monkeypatch)
    assert "text/html" in bundle[0]
    assert doc.callbacks._held_events == []


@pytest.mark.parametrize("offline", ["auto", False])
def test_the_first_step_sends_only_what_the_step_changed(offline, monkeypatch):
    import json

    view = _seed_view(offline)
    _, doc, sent = _render(view, monkeypatch)
    roots = [r.id for r in doc.roots]
    view.step()
    events = [e for part in sent if isinstance(part, str) and '"events"' in part
              for e in json.loads(part)["events"]]
    assert events, "Step sent nothing to the output"
    assert not [e for e in events if e["kind"] in ("RootAdded", "RootRemoved")]
    assert [r.id for r in doc.roots] == roots
    # ...and the step itself is among the changes: the counter's new text (the seed's pass has
    # 8 backward steps).
    texts = [str(e.get("new")) for e in events if e.get("attr") == "text"]
    assert any("step 1 of 8" in t for t in texts), texts
