"""Saving a page that steps without Python: what is recorded, and that saving leaves the view
and the user's tensors as they were. (The page itself is driven in tests/ui/test_static_page.py.)
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("panel")

SEED_GRAD = np.array([0.1503, 0.0698, 0.1336])  # the seed README's b.grad (PyTorch 2.13)


def _seed_view():
    from gradviz import examples
    from gradviz.viz.explorer import Explorer

    ex = examples.build("seed")
    return Explorer(ex.root, names=ex.names, **ex.kwargs), ex


def _walk(nodes, start, kind):
    """Follow one kind of child from ``start`` as far as it goes."""
    path = [start]
    while kind in nodes[path[-1]]:
        path.append(nodes[path[-1]][kind])
    return path


def test_the_recorded_tree_holds_three_passes_of_eight_steps_and_zero_grads():
    from gradviz.viz.static_page import build_document

    view, _ = _seed_view()
    _, _, nodes = build_document(view)
    first = _walk(nodes, 0, "s")
    # The seed pass has 8 backward events (the "step 3 of 8").
    assert [nodes[i]["c"] for i in first] == [f"step {k} of 8" for k in range(9)]
    end = nodes[first[-1]]
    assert set(end) >= {"z", "a"}
    second = _walk(nodes, end["a"], "s")
    assert nodes[second[0]]["k"] == "pass"
    assert nodes[second[-1]]["c"] == "pass 2 · step 8 of 8"
    third = _walk(nodes, nodes[second[-1]]["a"], "s")
    assert nodes[third[-1]]["c"] == "pass 3 · step 8 of 8"
    assert "a" not in nodes[third[-1]]  # three passes at most
    assert nodes[end["z"]]["k"] == "zero" and "z" not in nodes[end["z"]]
    for i, n in enumerate(nodes[1:], 1):  # every state can be entered and left
        assert n["f"] and n["b"], (i, n["k"])


def test_saving_leaves_the_view_and_the_users_tensors_as_they_were(tmp_path):
    view, ex = _seed_view()
    b = ex.names["b"]
    view.step()
    view.step()
    assert b.grad is None
    view.save(str(tmp_path / "g.html"))
    assert view.counter == "step 2 of 8" and view.timeline.position == 2
    assert b.grad is None
    view.run()
    np.testing.assert_allclose(b.grad.numpy(), SEED_GRAD, atol=1e-4)
    view.save(str(tmp_path / "g2.html"))
    np.testing.assert_allclose(b.grad.numpy(), SEED_GRAD, atol=1e-4)
    assert view.counter == "step 8 of 8"


def test_resources_are_inline_or_cdn(tmp_path):
    view, _ = _seed_view()
    with pytest.raises(ValueError, match="inline.*cdn"):
        view.save(str(tmp_path / "g.html"), resources="local")
    view.save(str(tmp_path / "cdn.html"), resources="cdn")
    html = (tmp_path / "cdn.html").read_text(encoding="utf-8")
    assert "https://cdn.bokeh.org" in html and "BEGIN bokeh.min.js" not in html


def test_the_recorded_inspector_views_are_what_the_live_inspector_shows_in_every_state():
    """Every node's inspector view, as the player tracks it (the start views, then each move's
    changes), against a live explorer (retain_graph on, as the page records) moved the same
    way and asked to show that node."""
    import base64
    import gzip
    import json

    from gradviz import examples
    from gradviz.viz.explorer import Explorer
    from gradviz.viz.static_page import build_document

    view, _ = _seed_view()
    doc, rec, nodes = build_document(view)
    player = next(cb for m in doc.models for cb in m.js_event_callbacks.get("button_click", []))
    packed = json.loads(gzip.decompress(base64.b64decode(player.args["inspect"])))
    ids, views, maps = packed["ids"], packed["views"], packed["maps"]

    ex = examples.build("seed")
    live = Explorer(ex.root, names=ex.names, retain_graph=True, **ex.kwargs)
    moves = {"s": live.step, "z": live.zero_grads, "a": live.backward_again}
    shown = list(nodes[0]["at"])
    checked = 0

    def check(where):
        nonlocal checked
        for i, nid in enumerate(ids):
            live.select(nid)
            body, vmap, gmap = views[shown[i]]
            insp = live.inspector
            assert body == insp.body._transform_object(insp.body.object)["object"], (
                where, nid, body[-60:], live.timeline.counter)
            for k, m in ((vmap, insp.value_map), (gmap, insp.grad_map)):
                assert (k >= 0) == m.pane.visible, (where, nid)
                if k >= 0:
                    assert maps[k][1]["text"] == list(m.source.data["text"]), (where, nid)
            checked += 1

    def walk(n, path):
        check(path)
        for kind in ("s", "z", "a"):
            child = nodes[n].get(kind)
            if child is None:
                continue
            moves[kind]()
            changes = nodes[child]["i"]
            for k in range(0, len(changes), 2):
                shown[changes[k]] = changes[k + 1]
            walk(child, path + kind)
            live.back()
            changes = nodes[child]["j"]
            for k in range(0, len(changes), 2):
                shown[changes[k]] = changes[k + 1]
            live.timeline._truncate()  # the recording's states have no redo future

    def start_pass():  # the button also runs the pass; the tree has its steps apart
        live.timeline.backward_again()
        live._show()

    moves["a"] = start_pass
    walk(0, "")
    assert checked == len(nodes) * len(ids)
