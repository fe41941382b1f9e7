"""The timeline alone (no Panel): random histories against an independent reference.

The reference (``Model``) knows nothing of the timeline's code: it keeps the history as plain
tuples, counts a pass's events from the graph (one seed, one per node backward visits, one
"done"), and computes every leaf's ``.grad`` from scratch on a freshly built twin graph with plain
``root.backward(gradient, retain_graph=True)`` calls and ``.grad.zero_()``. It takes the twin's
library as a parameter, so the same reference checks a torch graph.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradviz as gv
from gradviz import sources
from gradviz.timeline import EditEntry, EventEntry, NoPass, PassEntry, Timeline, ZeroEntry

SECOND_TIME = "Trying to backward through the graph a second time"


# --- programs, built from input values by any torch-like library -------------------------------
def seed_program(lib, values):
    x, y = lib.ones(5), lib.zeros(3)
    w = lib.tensor(values["w"], requires_grad=True)
    b = lib.tensor(values["b"], requires_grad=True)
    z = lib.matmul(x, w) + b
    loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
    return loss, {"x": x, "y": y, "w": w, "b": b, "z": z, "loss": loss}


def shared_program(lib, values):
    """A non-scalar root (backward from ones) with a leaf used twice."""
    a = lib.tensor(values["a"], requires_grad=True)
    b = lib.tensor(values["b"], requires_grad=True)
    out = a * b + a.tanh()
    return out, {"a": a, "b": b, "out": out}


def chain_program(lib, values):
    w = lib.tensor(values["w"], requires_grad=True)
    c = lib.tensor(values["c"], requires_grad=True)
    h = lib.tensor(np.array([0.5, -1.0, 2.0], np.float32))
    for _ in range(3):
        h = lib.tanh(h * w + c)
    loss = h.mean()
    return loss, {"w": w, "c": c, "loss": loss}


def start_values(program):
    rng = np.random.default_rng(0)
    shapes = {seed_program: {"w": (5, 3), "b": (3,)}, shared_program: {"a": (4,), "b": (4,)},
              chain_program: {"w": (3,), "c": (3,)}}[program]
    return {k: rng.standard_normal(s).round(3).astype(np.float32) for k, s in shapes.items()}


PROGRAMS = [seed_program, shared_program, chain_program]


def leaf_names(names):
    return [k for k, t in names.items() if t.requires_grad and t.grad_fn is None]


def gradient_for(root):
    value = sources.value_array(root)
    return None if value.size == 1 else np.ones(value.shape, dtype=value.dtype)


def count_events(root) -> int:
    """One seed, one event per node backward visits (functions and AccumulateGrads), one done:
    counted by walking ``next_functions``, independently of the engine's plan."""
    seen, stack = set(), [root.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack.extend(nxt for nxt, _ in fn.next_functions)
    return 1 + len(seen) + 1


def twin_grads(lib, program, values, items):
    """Leaf ``.grad`` after ``items`` ("pass" or "zero") on a fresh twin, by plain calls."""
    root, names = program(lib, values)
    g = gradient_for(root)
    gradient = None if g is None else lib.tensor(g)
    for item in items:
        if item == "pass":
            root.backward(gradient, retain_graph=True)
        else:
            for k in leaf_names(names):
                if names[k].grad is not None:
                    names[k].grad.zero_()
    return {k: sources.grad_array(names[k]) for k in leaf_names(names)}


# --- the reference ------------------------------------------------------------------------------
class Model:
    """The timeline's documented semantics, in plain tuples: ("ev", scene, pass), ("zero",
    scene), ("pass", scene), ("edit", scene); ``scenes[i]`` holds input values and totals."""

    def __init__(self, lib, program, values, retain):
        self.lib, self.program = lib, program
        self.scenes = [self._scene(values)]
        self.hist, self.pos = [], 0
        self.retain = {(0, 1): retain}
        self.freed = set()  # scenes whose (PyTorch) graph was freed for good

    def _scene(self, values):
        root, _ = self.program(self.lib, values)
        return {"values": values, "n": count_events(root)}

    # the state at pos, from the history alone
    def state(self):
        scene, p, k, start, last = 0, 1, 0, 0, None
        for i, e in enumerate(self.hist[:self.pos]):
            last = e
            if e[0] == "edit":
                scene, p, k, start = e[1], 1, 0, i + 1
            elif e[0] == "pass":
                p, k, start = p + 1, 0, i + 1
            elif e[0] == "ev":
                k += 1
        passes = 1 + sum(1 for e in self.hist if e[0] == "pass" and e[1] == scene)
        return dict(scene=scene, p=p, k=k, start=start, last=last, passes=passes,
                    n=self.scenes[scene]["n"])

    def counter(self):
        s = self.state()
        text = f"step {s['k']} of {s['n']}"
        return f"pass {s['p']} · {text}" if s["passes"] > 1 else text

    def items(self):
        """What happened to the current scene's leaves: whole passes and zeros, plus whether
        the current pass is part-way."""
        s = self.state()
        first = max((i + 1 for i, e in enumerate(self.hist[:self.pos]) if e[0] == "edit"),
                    default=0)
        items, k = [], 0
        for e in self.hist[first:self.pos]:
            if e[0] == "ev":
                k += 1
                if k == s["n"]:
                    items.append("pass")
            elif e[0] == "pass":
                k = 0
            elif e[0] == "zero":
                items.append("zero")
        return items, 0 < s["k"] < s["n"]

    def grads(self):
        items, partway = self.items()
        values = self.scenes[self.state()["scene"]]["values"]
        before = twin_grads(self.lib, self.program, values, items)
        after = twin_grads(self.lib, self.program, values, items + ["pass"]) if partway else None
        return before, after

    # moves and actions
    def step(self):
        s = self.state()
        if self.pos < len(self.hist):
            self.pos += 1
        elif s["k"] < s["n"]:
            self.hist.append(("ev", s["scene"], s["p"]))
            self.pos += 1

    def back(self):
        self.pos = max(0, self.pos - 1)

    def _next_is_event(self):
        s = self.state()
        return self.pos == len(self.hist) or self.hist[self.pos] == ("ev", s["scene"], s["p"])

    def run(self):
        while self.state()["k"] < self.state()["n"] and self._next_is_event():
            self.step()

    def reset(self):
        self.pos = self.state()["start"]

    def _finish(self):
        self.run()
        if self.state()["k"] < self.state()["n"]:
            del self.hist[self.pos:]
            self.run()

    def zero(self):
        start = self.pos
        self._finish()
        before, _ = self.grads()
        if all(g is None for g in before.values()):
            self.pos = start
            return False
        del self.hist[self.pos:]
        self.hist.append(("zero", self.state()["scene"]))
        self.pos += 1
        return True

    def again(self):
        start = self.pos
        self._finish()
        s = self.state()
        if not self.retain[(s["scene"], s["p"])]:
            if self.lib is not gv:  # PyTorch really freed it, to give its own error
                self.freed.add(s["scene"])
            self.pos = start
            return False
        del self.hist[self.pos:]
        self.hist.append(("pass", s["scene"]))
        self.pos += 1
        self.retain[(s["scene"], s["p"] + 1)] = True
        return True

    def set_retain(self, flag):
        """False when the toggle cannot take effect: a PyTorch graph that a refused Backward
        again freed for good (gradviz's passes restore what they freed when stepped back)."""
        s = self.state()
        if flag and s["scene"] in self.freed:
            return False
        if self.retain[(s["scene"], s["p"])] != flag:
            del self.hist[self.pos:]
            self.retain[(s["scene"], s["p"])] = flag
        return True

    def edit(self, values):
        s = self.state()
        flag = self.retain[(s["scene"], s["p"])]
        del self.hist[self.pos:]
        self.scenes.append(self._scene(values))
        self.hist.append(("edit", len(self.scenes) - 1))
        self.pos += 1
        self.retain[(len(self.scenes) - 1, 1)] = flag


# --- driving both -------------------------------------------------------------------------------
class Driven:
    """A timeline on a graph of ``program``, with its scenes' leaves by name."""

    def __init__(self, lib, program, values, retain):
        self.lib, self.program = lib, program
        root, names = program(lib, values)
        self.timeline = Timeline(sources.to_networkx(root, names), root, retain_graph=retain,
                                 extra={"names": names})

    def edit(self, values):
        root, names = self.program(self.lib, values)
        self.timeline.edit(sources.to_networkx(root, names), root, extra={"names": names},
                           what="edited")

    def grads(self):
        names = self.timeline.scene.extra["names"]
        return {k: sources.grad_array(names[k]) for k in leaf_names(names)}


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return np.allclose(a, b, rtol=1e-5, atol=1e-6)


def check(driven: Driven, model: Model):
    t = driven.timeline
    assert t.counter == model.counter()
    s = model.state()
    assert (t.pass_number, t.current_pass.position, t.current_pass.total) == (s["p"], s["k"], s["n"])
    got = driven.grads()
    before, after = model.grads()
    assert got.keys() == before.keys()
    for k in got:
        if after is None:
            assert same(got[k], before[k]), (k, got[k], before[k])
        else:  # part-way through a pass: each leaf is as before it, or as after it
            assert same(got[k], before[k]) or same(got[k], after[k]), (k, got[k])
    # What a view reads (the panel, the node colours) is the same .grad.
    by_label = {t.G.nodes[n]["label"]: n for n in t.G.nodes}
    shown = t.leaf_grads()
    for k in got:
        assert same(t.grads.get(by_label[k]), got[k]) and same(shown[by_label[k]], got[k])
    # The words say what the position is.
    last = s["last"]
    if last is not None and last[0] == "zero":
        assert t.sentence.startswith(("Zeroed .grad of", f"Pass {s['p']} was finished first"))
    elif s["k"] == 0 and last is not None and last[0] == "pass":
        assert t.sentence.startswith(f"Start of pass {s['p']} (Backward again)")
    elif s["k"] == 0 and last is not None and last[0] == "edit":
        assert t.sentence.startswith("edited: the forward pass was replayed")
    elif s["k"] == 0:
        assert t.sentence.startswith("Start of the pass")
    elif s["k"] == 1:
        assert t.sentence.startswith("Backward starts at")
    elif s["k"] == s["n"]:
        assert t.sentence.startswith("Backward is done")
    # The non-leaf gradients shown are those of this pass only: none at its step 0.
    if s["k"] == 0:
        assert not t.node_grads and not t.edge_grads


ACTIONS = st.one_of(
    st.sampled_from(["step", "step", "step", "back", "back", "back", "run", "reset", "again",
                     "again", "zero"]),
    st.tuples(st.just("retain"), st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 3)),
)


def play(lib, program, retain, actions):
    values = start_values(program)
    driven, model = Driven(lib, program, values, retain), Model(lib, program, values, retain)
    check(driven, model)
    t = driven.timeline
    for action in actions:
        if action == "step":
            t.step(), model.step()
        elif action == "back":
            t.back(), model.back()
        elif action == "run":
            t.run(), model.run()
        elif action == "reset":
            t.reset(), model.reset()
        elif action == "zero":
            entry = t.zero_grads()
            assert (entry is not None) == model.zero()
        elif action == "again":
            expected = model.again()
            if expected:
                assert isinstance(t.backward_again(), PassEntry)
            else:
                with pytest.raises(RuntimeError, match=SECOND_TIME):
                    t.backward_again()
        elif action[0] == "retain":
            if model.set_retain(action[1]):
                t.set_retain_graph(action[1])
            else:
                with pytest.raises(RuntimeError):
                    t.set_retain_graph(action[1])
        else:
            rng = np.random.default_rng(action[1])
            new = {k: rng.standard_normal(np.shape(v)).round(3).astype(np.float32)
                   for k, v in values.items()}
            driven.edit(new)
            model.edit(new)
        check(driven, model)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.sampled_from(PROGRAMS), retain=st.booleans(),
       actions=st.lists(ACTIONS, max_size=25))
def test_random_histories_match_plain_backward_calls(program, retain, actions):
    play(gv, program, retain, actions)


@pytest.mark.torch
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=st.sampled_from(PROGRAMS), retain=st.booleans(),
       actions=st.lists(ACTIONS, max_size=15))
def test_random_histories_of_torch_graphs_match_plain_backward_calls(torch, program, retain,
                                                                    actions):
    play(torch, program, retain, actions)


# --- the documented semantics, one by one --------------------------------------------------------
def fresh(program=seed_program, retain=False):
    return Driven(gv, program, start_values(program), retain)


def test_back_after_zero_grads_restores_what_it_zeroed_and_a_second_back_only_undoes_one_step():
    d = fresh(shared_program, retain=True)
    t = d.timeline
    t.run()
    t.backward_again()
    t.run()
    full = d.grads()
    entry = t.zero_grads()
    assert isinstance(entry, ZeroEntry) and set(entry.labels) == {"a", "b"}
    assert all(np.all(g == 0) for g in d.grads().values())
    assert t.back() is entry
    assert all(np.array_equal(d.grads()[k], full[k]) for k in full)
    assert "Backward is done" in t.sentence and t.counter.startswith("pass 2 · step")
    t.back()  # the done event: nothing changes in .grad
    assert all(np.array_equal(d.grads()[k], full[k]) for k in full)
    while not isinstance(t.last_entry, EventEntry) or t.last_entry.event.kind != "accumulate":
        t.back()
    t.back()  # undo the last accumulation of pass 2: back to one pass's worth, never None
    assert all(g is not None for g in d.grads().values())


def test_back_at_step_0_of_pass_2_returns_to_the_end_of_pass_1_and_step_redoes_it():
    d = fresh(retain=True)
    t = d.timeline
    t.run()
    entry = t.backward_again()
    assert t.counter == "pass 2 · step 0 of 8"
    assert t.back() is entry and t.counter == "pass 1 · step 8 of 8"
    assert t.step() is entry and t.counter == "pass 2 · step 0 of 8"


def test_reset_after_two_backward_again_is_the_start_of_pass_3_with_two_passes_of_grads():
    d = fresh(retain=True)
    t = d.timeline
    t.run()
    one = d.grads()["b"]
    for _ in range(2):
        t.backward_again()
        t.run()
    assert t.counter == "pass 3 · step 8 of 8"
    t.reset()
    assert t.counter == "pass 3 · step 0 of 8"
    assert "Start of pass 3" in t.sentence
    np.testing.assert_allclose(d.grads()["b"], 2 * one, rtol=1e-6)


def test_actions_mid_pass_finish_it_first():
    d = fresh(retain=True)
    t = d.timeline
    for _ in range(3):
        t.step()
    entry = t.zero_grads()
    assert entry.finished == 5 and t.counter == "step 8 of 8"
    assert t.sentence.startswith("Pass 1 was finished first (5 more steps)")


def test_an_action_after_going_back_drops_the_redo_future():
    d = fresh(retain=True)
    t = d.timeline
    t.run()
    t.backward_again()
    t.run()
    t.reset()
    t.back()  # end of pass 1; pass 2 is the redo future
    assert t.counter == "pass 1 · step 8 of 8"
    t.zero_grads()
    assert t.counter == "step 8 of 8"  # pass 2 is gone
    assert t.step() is None


def test_backward_again_over_a_freed_graph_raises_and_changes_nothing_even_mid_pass():
    d = fresh(retain=False)
    t = d.timeline
    t.run()
    t.back()
    t.back()
    before, position, n = d.grads(), t.position, len(t.entries)
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        t.backward_again()
    assert (t.position, len(t.entries), t.counter) == (position, n, "step 6 of 8")
    assert all(same(d.grads()[k], before[k]) for k in before)


@pytest.mark.parametrize("steps", [0, 3, 8])
def test_ticking_retain_graph_at_any_point_makes_backward_again_work(steps):
    d = fresh(retain=False)
    t = d.timeline
    for _ in range(steps):
        t.step()
    t.set_retain_graph(True)
    assert t.retain_graph and t.counter == f"step {steps} of 8"
    t.run()
    t.backward_again()
    t.run()
    expected = twin_grads(gv, seed_program, start_values(seed_program), ["pass", "pass"])
    assert same(d.grads()["w"], expected["w"])


def test_unticking_retain_graph_makes_the_current_pass_free_the_graph():
    d = fresh(retain=True)
    t = d.timeline
    t.step()
    t.step()
    t.set_retain_graph(False)
    t.run()
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        t.backward_again()


def test_an_edit_is_undone_by_back_and_the_old_graph_is_where_it_was():
    d = fresh()
    t = d.timeline
    for _ in range(4):
        t.step()
    old_G, old_b = t.G, d.grads()["b"]
    d.edit({"w": np.ones((5, 3), np.float32), "b": np.zeros(3, np.float32)})
    assert isinstance(t.last_entry, EditEntry) and t.G is not old_G
    assert t.counter == "step 0 of 8" and d.grads()["b"] is None
    assert t.take_touched()[2]  # the graph changed: a view repaints everything
    t.back()
    assert t.G is old_G and t.counter == "step 4 of 8"
    assert same(d.grads()["b"], old_b)


def test_patches_undo_and_redo_exactly_and_export_replays_every_state():
    d = fresh(shared_program, retain=True)
    t = d.timeline
    t.run()
    t.backward_again()
    t.run()
    t.zero_grads()
    states = []
    t.seek(0)
    while True:
        states.append((t.counter, t.sentence, dict(t.node_grads), dict(t.edge_grads),
                       d.grads(), t.current_node, t.fresh_edges))
        if t.step() is None:
            break
    exported = t.export()
    node, edge, leaf = (dict(exported["start"][k]) for k in ("node", "edge", "leaf"))
    by_label = {t.G.nodes[n]["label"]: n for n in t.G.nodes}
    for i, state in enumerate(states):
        if i:
            frame = exported["entries"][i - 1]
            for target, where in ((node, "node"), (edge, "edge"), (leaf, "leaf")):
                for k, v in frame[where].items():
                    if v is None:
                        target.pop(k, None)
                    else:
                        target[k] = v
            assert (frame["counter"], frame["sentence"]) == state[:2]
            assert frame["current"] == state[5] and tuple(frame["fresh"]) == state[6]
        assert node.keys() == state[2].keys() and all(same(node[k], state[2][k]) for k in node)
        assert edge.keys() == state[3].keys() and all(same(edge[k], state[3][k]) for k in edge)
        for label, g in state[4].items():
            assert same(leaf.get(by_label[label]), g)


def test_a_step_touches_only_the_neighbourhood_of_its_node():
    d = fresh(chain_program)
    t = d.timeline
    t.take_touched()
    for _ in range(3):
        t.step()
        nodes, edges, changed = t.take_touched()
        assert not changed and len(nodes) <= 5 and len(edges) <= 4
        current = t.current_node
        assert current in nodes and set(t.fresh_edges) <= edges


def test_a_root_without_a_graph_has_nothing_to_step():
    x = gv.ones(3)
    t = Timeline(sources.to_networkx(x, {"x": x}), x)
    assert isinstance(t.current_pass, NoPass) and t.step() is None and t.counter == "step 0 of 0"
    with pytest.raises(RuntimeError, match="no graph"):
        t.backward_again()


# --- unnamed tensors in the sentences -----------------------------------------------------------
def test_unnamed_tensors_are_named_after_what_made_them():
    x, w, b = gv.ones(3), gv.ones(3, requires_grad=True), gv.ones(3, requires_grad=True)
    out = (x * w + b).tanh().sum()
    t = Timeline(sources.to_networkx(out, {"x": x, "w": w, "b": b}), out)
    text = []
    while t.step() is not None:
        text.append(t.sentence)
    text = "\n".join(text)
    assert "unchanged to both inputs, x * w and b." in text
    assert "dL/d(x * w + b)" in text and "to every element of tanh(x * w + b)" in text
    assert "(3)" not in text and "scalar" not in text


def test_a_matrix_product_reads_as_x_at_w_and_unnamable_ones_as_the_output_of():
    x = gv.ones(5)
    w = gv.ones(5, 3, requires_grad=True)
    b = gv.ones(3, requires_grad=True)
    out = ((x @ w + b) * 2.0).sum()
    t = Timeline(sources.to_networkx(out, {"x": x, "w": w, "b": b}), out)
    text = []
    while t.step() is not None:
        text.append(t.sentence)
    text = "\n".join(text)
    assert "unchanged to both inputs, x @ w and b." in text
    assert "the output of MulBackward0" in text


# --- torch graphs, through the same timeline and the same reference ---------------------------
@pytest.mark.torch
def test_a_torch_graph_steps_and_accumulates_like_plain_backward(torch):
    values = start_values(seed_program)
    d = Driven(torch, seed_program, values, retain=True)
    t = d.timeline
    t.run()
    t.backward_again()
    t.run()
    assert t.counter.startswith("pass 2 · step")
    expected = twin_grads(torch, seed_program, values, ["pass", "pass"])
    assert all(same(d.grads()[k], expected[k]) for k in expected)
    t.zero_grads()
    t.back()
    assert all(same(d.grads()[k], expected[k]) for k in expected)
