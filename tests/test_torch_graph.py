"""PyTorch's own graphs in gradviz: the export (gradviz.torch_graph.to_networkx) and the recorded
pass (RecordedPass) on real torch models built here.

The truth every check compares against is PyTorch itself, observed independently of the code
under test: the graph walked here through ``next_functions``, ``loss.backward()`` on an identical
deep copy of the model, and the order and leaf gradients seen by hooks this file registers on that
copy."""
from __future__ import annotations

import copy
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import gradviz
from gradviz.torch_graph import RecordedPass, set_grad, to_networkx
from gradviz.torch_graph.saved import read_saved

pytestmark = pytest.mark.torch


# --- independent observation of PyTorch ---------------------------------------------------------
def walk(root_fn):
    """Every node reachable from ``root_fn`` through next_functions (each once)."""
    seen, stack, out = set(), [root_fn], []
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        out.append(fn)
        stack.extend(n for n, _ in fn.next_functions)
    return out


def is_acc(fn):
    return type(fn).__name__ == "AccumulateGrad"


def grads_of(model):
    return {n: (None if p.grad is None else p.grad.detach().clone()) for n, p in model.named_parameters()}


def same_grads(torch, a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        if (a[k] is None) != (b[k] is None):
            return False
        if a[k] is not None and not torch.equal(a[k], b[k]):
            return False
    return True


def reference_pass(torch, model, loss):
    """``loss.backward()`` on ``model``, watched by this file's own hooks: the order the engine
    ran the nodes in, and every parameter's grad after each accumulation."""
    names = {id(p): n for n, p in model.named_parameters()}
    nodes = walk(loss.grad_fn)
    base = min(n._sequence_nr() for n in nodes if not is_acc(n))
    order, snapshots, handles = [], [], []
    for n in nodes:
        if is_acc(n):
            def after(t):
                order.append(("accumulate", names[id(t)]))
                snapshots.append(grads_of(model))
            handles.append(n.variable.register_post_accumulate_grad_hook(after))
        else:
            handles.append(n.register_prehook(
                lambda go, n=n: order.append(("call", n.name(), n._sequence_nr() - base))))
    loss.backward()
    for h in handles:
        h.remove()
    return order, snapshots


# --- the models --------------------------------------------------------------------------------
def mlp(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
    x, y = torch.randn(5, 4), torch.randn(5, 1)
    return model, lambda m: nn.functional.mse_loss(m(x), y)


def cnn(torch):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    x, y = torch.randn(2, 1, 8, 8), torch.tensor([0, 2])
    return model, lambda m: nn.functional.cross_entropy(m(x), y)


def transformer(torch):
    nn = torch.nn
    model = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.1,
                                       batch_first=True)
    x = torch.randn(2, 3, 8)
    return model, lambda m: m(x).pow(2).mean()


class LSTMHead:
    @staticmethod
    def make(torch):
        nn = torch.nn

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(3, 5)
                self.head = nn.Linear(5, 1)

            def forward(self, x):
                out, _ = self.lstm(x)
                return self.head(out[-1])

        return Model()


def lstm(torch):
    model = LSTMHead.make(torch)
    x, y = torch.randn(4, 2, 3), torch.randn(2, 1)  # 4 steps, batch 2
    return model, lambda m: torch.nn.functional.mse_loss(m(x), y)


def custom_function(torch):
    nn = torch.nn

    class ScaledSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, s):
            ctx.save_for_backward(a, s)
            return a * a * s

        @staticmethod
        def backward(ctx, g):
            a, s = ctx.saved_tensors
            return 2 * a * s * g, (a * a * g).sum().reshape(s.shape)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 4)
            self.scale = nn.Parameter(torch.tensor([1.5]))

        def forward(self, x):
            return ScaledSquare.apply(self.lin(x), self.scale)

    x = torch.randn(6, 3)
    return Model(), lambda m: m(x).sum()


MODELS = {"mlp": mlp, "cnn": cnn, "transformer": transformer, "lstm": lstm,
          "custom_function": custom_function}


def build(torch, which, warm):
    """The model, an identical copy, and the losses of both (after one plain backward each
    when ``warm``, so the recorded pass accumulates into existing grads)."""
    torch.manual_seed(0)
    model, loss_of = MODELS[which](torch)
    twin = copy.deepcopy(model)
    if warm:
        for m in (model, twin):
            torch.manual_seed(1)
            loss_of(m).backward()
    torch.manual_seed(2)
    loss = loss_of(model)
    torch.manual_seed(2)
    twin_loss = loss_of(twin)
    return model, loss, twin, twin_loss


# --- the checks on every model ------------------------------------------------------------------
@pytest.mark.parametrize("which", list(MODELS))
def test_export_has_one_function_per_node_and_the_parameters_as_named_leaves(torch, which):
    model, loss, _, _ = build(torch, which, warm=False)
    G = to_networkx(loss, model=model)
    nodes = walk(loss.grad_fn)
    functions = [n for n in nodes if not is_acc(n)]
    got = [d for _, d in G.nodes(data=True) if d["kind"] == "function"]
    assert len(got) == len(functions)
    assert sorted(d["name"] for d in got) == sorted(n.name() for n in functions)
    # Every node of the walk maps to its own function node, and every edge is a next_function.
    ids = G.graph["ids"]
    assert {ids[id(n)] for n in functions} == {n for n, d in G.nodes(data=True) if d["kind"] == "function"}
    for fn in functions:
        fid = ids[id(fn)]
        feeding = G.graph["inputs"][fid]
        assert len(feeding) == len(fn.next_functions)
        for i, (nxt, _) in enumerate(fn.next_functions):
            if nxt is not None:
                assert G.has_edge(feeding[i], fid) and i in G.edges[feeding[i], fid]["input_nrs"]
    leaves = {d["label"] for _, d in G.nodes(data=True) if d["kind"] == "tensor" and d["role"] == "leaf"}
    assert leaves == {n for n, p in model.named_parameters() if p.requires_grad}
    for n, p in model.named_parameters():
        assert G.graph["objects"][ids[id(p)]] is p
        np.testing.assert_array_equal(G.nodes[ids[id(p)]]["value"], p.detach().numpy())
    root = G.nodes[G.graph["roots"][0]]
    assert root["role"] == "root" and root["shape"] == () and G.graph["source"] == "torch"
    assert float(root["value"]) == loss.item()


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "accumulating"])
@pytest.mark.parametrize("which", list(MODELS))
def test_recorded_pass_follows_pytorchs_order_and_grads_step_by_step(torch, which, warm):
    model, loss, twin, twin_loss = build(torch, which, warm)
    start = grads_of(model)
    order, snapshots = reference_pass(torch, twin, twin_loss)
    final = grads_of(twin)

    G = to_networkx(loss, model=model)
    p = RecordedPass(loss)
    # Recording changed nothing yet.
    assert same_grads(torch, grads_of(model), start)
    assert p.position == 0 and p.total == len(p.events) and p.events[-1].kind == "done"
    assert p.events[0].kind == "seed" and p.events[0].tensor is loss

    base = min(n._sequence_nr() for n in walk(loss.grad_fn) if not is_acc(n))
    label = {i: G.nodes[n]["label"] for i, n in G.graph["ids"].items()}
    got = []
    for e in p.events:
        if e.kind == "call":
            got.append(("call", e.node.name(), e.node._sequence_nr() - base))
        elif e.kind == "accumulate":
            got.append(("accumulate", label[id(e.tensor)]))
    assert got == order

    # Forward: after the k-th accumulation every grad is what PyTorch held after its k-th.
    expected, k, seen = start, 0, [grads_of(model)]
    while not p.done:
        e = p.step()
        if e.kind == "accumulate":
            expected = snapshots[k]
            k += 1
        assert same_grads(torch, grads_of(model), expected), (which, p.position, e)
        seen.append(grads_of(model))
    assert k == len(snapshots)
    assert same_grads(torch, grads_of(model), final)
    # Back restores exactly, all the way to the start.
    while p.position:
        p.back()
        assert same_grads(torch, grads_of(model), seen[p.position])
    assert same_grads(torch, grads_of(model), start)
    p.run()
    assert same_grads(torch, grads_of(model), final)


def test_recorded_gradients_never_change_afterwards(torch):
    """The pass keeps PyTorch's gradient tensors instead of copies; later passes, zeroing and
    stepping must not reach them. Checked against what this test's own hooks copied while a
    twin ran, node by node."""
    model, loss, twin, twin_loss = build(torch, "transformer", warm=False)
    seen = []
    for n in walk(twin_loss.grad_fn):
        if not is_acc(n):
            n.register_hook(lambda gi, go, n=n: seen.append(
                (n.name(), [None if g is None else g.detach().clone() for g in gi])))
    twin_loss.backward()
    p = RecordedPass(loss, retain_graph=True)
    for _ in range(2):
        p.run()
        loss.backward(retain_graph=True)
        model.zero_grad()
        RecordedPass(loss, retain_graph=True).run()
        p.reset()
    calls = [e for e in p.events if e.kind == "call"]
    assert [e.node.name() for e in calls] == [name for name, _ in seen]
    for e, (_, sent) in zip(calls, seen):
        for ours, theirs in zip(e.grads_out, sent):
            assert (ours is None) == (theirs is None)
            if ours is not None:
                assert torch.equal(torch.from_numpy(np.ascontiguousarray(ours)), theirs)


def test_call_events_carry_what_each_node_received_and_sent(torch):
    x = torch.randn(3, 4)
    w = torch.randn(4, 2, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    z = x @ w + b
    loss = z.tanh().sum()
    p = RecordedPass(loss)
    calls = {e.node.name(): e for e in p.events if e.kind == "call"}
    th = torch.tanh(x @ w + b).detach()
    np.testing.assert_allclose(calls["TanhBackward0"].grad_in, np.ones((3, 2)))
    np.testing.assert_allclose(calls["TanhBackward0"].grads_out[0], (1 - th ** 2).numpy(), rtol=1e-6)
    add = calls["AddBackward0"]
    np.testing.assert_array_equal(add.grads_out[0], add.grad_in)
    np.testing.assert_allclose(add.grads_out[1], add.grad_in.sum(0), rtol=1e-6)
    mm = calls["MmBackward0"]
    assert mm.grads_out[0] is None  # x needs no gradient
    np.testing.assert_allclose(mm.grads_out[1], x.numpy().T @ mm.grad_in, rtol=1e-5)


def test_a_pass_that_cannot_run_raises_pytorchs_error_and_changes_nothing(torch):
    def program():
        torch.manual_seed(0)
        x = torch.randn(3, 4)
        w = torch.randn(4, 2, requires_grad=True)
        b = torch.randn(2, requires_grad=True)
        # b's branch is made last, so PyTorch runs it (and accumulates into b) before reaching
        # the freed ExpBackward0: a plain second backward leaves b.grad half-updated.
        return w, b, (x @ w).exp().sum() + b.sum()

    w, b, loss = program()
    RecordedPass(loss).run()
    before = (w.grad.clone(), b.grad.clone(), w.grad, b.grad)
    with pytest.raises(RuntimeError) as ours:
        RecordedPass(loss).step()
    w2, b2, loss2 = program()
    loss2.backward()
    b_after_one = b2.grad.clone()
    with pytest.raises(RuntimeError) as theirs:
        loss2.backward()
    assert str(ours.value) == str(theirs.value)
    assert not torch.equal(b2.grad, b_after_one)  # PyTorch alone did change b.grad
    assert torch.equal(w.grad, before[0]) and torch.equal(b.grad, before[1])
    assert w.grad is before[2] and b.grad is before[3]
    # With retain_graph the graph stays usable: a second pass accumulates on top of the first.
    w, b, loss = program()
    RecordedPass(loss, retain_graph=True).run()
    RecordedPass(loss, retain_graph=True).run()
    w2, b2, loss2 = program()
    loss2.backward(retain_graph=True)
    loss2.backward()
    assert torch.equal(w.grad, w2.grad) and torch.equal(b.grad, b2.grad)


def test_retain_graph_off_frees_the_graph_only_once_the_pass_stood_at_its_end(torch):
    x = torch.randn(3, 4)
    w = torch.randn(4, 2, requires_grad=True)
    loss = (x @ w).exp().sum()
    p = RecordedPass(loss)
    p.seek(2)
    # Mid-pass the graph is still there: the pass can be re-planned keeping the graph.
    q = RecordedPass(loss, retain_graph=True)
    q.run()
    kept = w.grad.clone()
    r = RecordedPass(loss)  # q kept the graph: a new pass runs
    r.run()
    assert torch.equal(w.grad, kept * 2)  # accumulated once more, as a second backward() does
    r.back()
    r.step()  # standing at its end again
    with pytest.raises(RuntimeError, match="second time"):
        RecordedPass(loss).step()
    assert torch.equal(w.grad, kept * 2)  # freeing ran PyTorch once more and put .grad back
    # What each node freed was read before the graph went: ExpBackward0 its result, MmBackward0
    # its saved input x (w needs its gradient, x does not: only x is kept).
    freed = {e.node.name(): set(e.freed or ()) for e in r.events if e.kind == "call"}
    assert freed["ExpBackward0"] == {"result"} and freed["MmBackward0"] == {"self"}
    assert all(e.freed is None for e in q.events if e.kind == "call")  # retain_graph=True
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()  # freed for real


def test_stepper_and_to_networkx_accept_torch_tensors(torch):
    x = torch.randn(3)
    weight = torch.randn(3, requires_grad=True)
    loss = (x * weight).sum()
    G = gradviz.to_networkx(loss)  # names from this function's variables
    labels = {d["label"] for _, d in G.nodes(data=True)}
    assert {"x", "weight", "loss"} <= labels
    assert G.graph["source"] == "torch"
    s = gradviz.Stepper(loss)
    assert isinstance(s, RecordedPass)
    s.run()
    np.testing.assert_array_equal(weight.grad.numpy(), x.numpy())


def test_module_paths_name_parameters_over_leftover_variables(torch):
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    for p in model.parameters():  # leaves ``p`` bound to the last parameter, as notebooks do
        pass
    loss = model(torch.randn(4, 2)).sum()
    G = gradviz.to_networkx(loss)  # the model is one of this function's variables
    leaves = {d["label"] for _, d in G.nodes(data=True) if d.get("role") == "leaf"}
    assert leaves == {"0.weight", "0.bias", "1.weight", "1.bias"}
    # Explicit names win over module paths.
    G = to_networkx(loss, names={"model": model, "last_bias": model[1].bias})
    leaves = {d["label"] for _, d in G.nodes(data=True) if d.get("role") == "leaf"}
    assert leaves == {"0.weight", "0.bias", "1.weight", "last_bias"}


def test_export_ids_are_stable_across_processes(torch):
    src = textwrap.dedent("""
        import json, torch, gradviz.torch_graph as tg
        torch.manual_seed(0)
        model = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        loss = model(torch.randn(2, 3, 8)).sum()
        G = tg.to_networkx(loss, model=model)
        print(json.dumps([[n, d["label"], d["kind"]] for n, d in G.nodes(data=True)]
                         + sorted([u, v] for u, v in G.edges())))
    """)
    outs = [subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, timeout=120,
                           check=True).stdout for _ in range(2)]
    assert outs[0] == outs[1] and len(outs[0]) > 100


def test_import_gradviz_does_not_import_torch():
    src = "import sys, gradviz; gradviz.to_networkx; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- unusual graphs ------------------------------------------------------------------------------
def recorded_equals_backward(torch, make, **pass_kwargs):
    """Build twice; record one pass, run plain backward on the other; compare every leaf."""
    torch.manual_seed(0)
    leaves, roots = make()
    torch.manual_seed(0)
    leaves2, roots2 = make()
    G = to_networkx(roots, names={f"l{i}": t for i, t in enumerate(leaves)})
    p = RecordedPass(roots, **pass_kwargs)
    p.run()
    torch.autograd.backward(roots2, pass_kwargs.get("gradient"))
    for a, b in zip(leaves, leaves2):
        assert (a.grad is None) == (b.grad is None)
        if a.grad is not None:
            assert torch.equal(a.grad, b.grad)
    return G, p


def test_double_backward_graph(torch):
    def make():
        x = torch.randn(4, requires_grad=True)
        y = (x ** 3).sin().sum()
        (g,) = torch.autograd.grad(y, x, create_graph=True)
        return [x], [(g * g).sum()]

    G, p = recorded_equals_backward(torch, make)
    assert G.number_of_nodes() > 6 and p.total > 6


def test_hooks_retain_grad_views_inplace_no_grad_and_several_roots(torch):
    state = {}

    def make():
        a = torch.randn(3, 4, requires_grad=True)
        w = torch.randn(4, 4, requires_grad=True)
        h = a @ w
        h.register_hook(lambda g: g * 2)  # a hook that changes the gradient
        h.retain_grad()
        v = h.view(12)[2:8]  # views
        u = v.clone()
        u[0] = u[0] * 3  # in place through a view: CopySlices
        u.relu_()  # in place on a non-leaf
        with torch.no_grad():
            c = a.sum() * 2  # computed without a graph: a constant
        r1 = (u * c).sum()
        r2 = (h.exp() * 0.5).mean()
        state.update(h=h)
        return [a, w], [r1, r2]

    G, p = recorded_equals_backward(torch, make)
    names = {d["name"] for _, d in G.nodes(data=True) if d["kind"] == "function"}
    assert "torch::autograd::CopySlices" in names or "CopySlices" in names
    assert len(G.graph["roots"]) == 2
    kinds = [e.kind for e in p.events]
    assert kinds[:2] == ["seed", "seed"]


def test_retained_tensors_get_retain_events_and_are_restored(torch):
    torch.manual_seed(0)
    a = torch.randn(3, requires_grad=True)
    h = a * 2
    h.retain_grad()
    loss = (h * h).sum()
    p = RecordedPass(loss, tensors=[h])
    assert h.grad is None and a.grad is None  # put back after recording
    retains = [e for e in p.events if e.kind == "retain"]
    assert len(retains) == 1 and retains[0].tensor is h
    p.run()
    ref_a = a.detach().clone().requires_grad_()
    ref_h = ref_a * 2
    ref_h.retain_grad()
    (ref_h * ref_h).sum().backward()
    assert torch.equal(h.grad, ref_h.grad) and torch.equal(a.grad, ref_a.grad)
    p.reset()
    assert h.grad is None and a.grad is None


def test_custom_function_is_named_by_its_class(torch):
    class MyFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.exp()

    x = torch.randn(3, requires_grad=True)
    y = MyFn.apply(x).sum()
    G = to_networkx(y, names={"x": x})
    fn = [d for _, d in G.nodes(data=True) if d["kind"] == "function" and d["name"] == "MyFnBackward"]
    assert len(fn) == 1
    assert fn[0]["saved"] == [{"name": "saved_tensors[0]", "shape": (3,), "freed": False}]
    y.backward()
    G = to_networkx(y, names={"x": x})  # saved tensors freed now: shown so, no error
    fn = [d for _, d in G.nodes(data=True) if d["kind"] == "function" and d["name"] == "MyFnBackward"]
    assert fn[0]["saved"][0]["freed"] is True


def test_freed_saved_tensors_are_marked_and_shapes_kept_where_pytorch_keeps_them(torch):
    x = torch.randn(3, 4, requires_grad=True)
    w = torch.randn(4, 2, requires_grad=True)
    loss = (x @ w).sum()
    G = to_networkx(loss, names={})
    (mm,) = [d for _, d in G.nodes(data=True) if d.get("name") == "MmBackward0"]
    assert {s["name"]: (s["shape"], s["freed"]) for s in mm["saved"]} == {
        "self": ((3, 4), False), "mat2": ((4, 2), False)}
    loss.backward()
    G = to_networkx(loss, names={})
    (mm,) = [d for _, d in G.nodes(data=True) if d.get("name") == "MmBackward0"]
    assert {s["name"]: (s["shape"], s["freed"]) for s in mm["saved"]} == {
        "self": ((3, 4), True), "mat2": ((4, 2), True)}


def test_nodes_whose_insides_cannot_be_read_are_shown_with_what_is_known(torch):
    class Unreadable:
        @property
        def _saved_self(self):
            raise ValueError("no access")

        _saved_dim = 1

    saved = read_saved(Unreadable())
    assert saved.entries == [] and {a["name"]: a["value"] for a in saved.args} == {
        "self": "(unreadable)", "dim": "1"}
    # Checkpointed segments keep their saved tensors packed by hooks; reading them must not
    # run the recomputation.
    from torch.utils.checkpoint import checkpoint

    calls = []

    def segment(a):
        calls.append(1)
        return a.sin().cos()

    x = torch.randn(4, requires_grad=True)
    y = checkpoint(segment, x, use_reentrant=False).sum()
    G = to_networkx(y, names={"x": x})
    assert len(calls) == 1
    assert any(d.get("name") == "CosBackward0" for _, d in G.nodes(data=True))


def test_set_grad_round_trips_exactly_including_bfloat16(torch):
    p = torch.randn(5, dtype=torch.bfloat16, requires_grad=True)
    g = torch.randn(5, dtype=torch.bfloat16)
    from gradviz.torch_graph import grad_array

    p.grad = g.clone()
    arr = grad_array(p)
    keep = p.grad
    set_grad(p, None)
    assert p.grad is None
    set_grad(p, arr)
    assert torch.equal(p.grad, g) and p.grad.dtype == torch.bfloat16
    p.grad = keep
    set_grad(p, arr * 0)
    assert p.grad is keep and torch.equal(keep, torch.zeros_like(g))


# --- module scopes -----------------------------------------------------------------------------
def test_trace_records_the_module_running_when_each_node_was_made(torch):
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    made_by = {}  # grad_fn of each module's output, seen by this test's own hooks
    for name, m in model.named_children():
        m.register_forward_hook(lambda mod, a, out, name=name: made_by.setdefault(name, out.grad_fn) and None)
    x = torch.randn(3, 4)
    with gradviz.trace(model):
        out = model(x)
    loss = out.pow(2).mean()
    G = to_networkx(loss, model=model)
    ids = G.graph["ids"]
    for name in ("0", "1", "2"):
        assert G.nodes[ids[id(made_by[name])]]["scope"] == ("Sequential", name)
    by_name = {d["name"]: d["scope"] for _, d in G.nodes(data=True) if d["kind"] == "function"}
    assert by_name["MeanBackward0"] == () and by_name["PowBackward0"] == ()
    # Linear makes TBackward0 (of its weight) inside its own call.
    t_scopes = sorted(d["scope"] for _, d in G.nodes(data=True) if d.get("name") == "TBackward0")
    assert t_scopes == [("Sequential", "0"), ("Sequential", "2")]
    assert G.nodes[ids[id(model[0].weight)]]["scope"] == ("Sequential", "0")
    assert list(G.graph["scopes"]) == [("Sequential",), ("Sequential", "0"), ("Sequential", "1"),
                                       ("Sequential", "2")]
    assert G.graph["scopes"][("Sequential", "0")] == "Linear"
    # The module's output value is known through the trace.
    np.testing.assert_array_equal(G.nodes[G.graph["inputs"][ids[id(by_grad(loss, "PowBackward0"))]][0]]["value"],
                                  out.detach().numpy())


def by_grad(loss, name):
    return next(n for n in walk(loss.grad_fn) if n.name() == name)


def test_trace_numbers_repeated_calls_and_nests_the_transformer(torch):
    nn = torch.nn
    torch.manual_seed(0)
    cell = nn.Linear(3, 3)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    made_by = {}
    layer.self_attn.register_forward_hook(lambda m, a, out: made_by.setdefault("attn", out[0].grad_fn) and None)
    h = torch.randn(1, 3)
    with gradviz.trace(cell):
        for _ in range(3):
            h = cell(h).tanh()
    G = to_networkx(h.sum(), names={})
    scopes = {d["scope"] for _, d in G.nodes(data=True) if d.get("name") == "AddmmBackward0"}
    assert scopes == {("Linear",), ("Linear#2",), ("Linear#3",)}
    with gradviz.trace(layer):
        out = layer(torch.randn(2, 3, 8))
    G = to_networkx(out.sum(), model=layer)
    assert G.nodes[G.graph["ids"][id(made_by["attn"])]]["scope"] == ("TransformerEncoderLayer", "self_attn")
    assert G.graph["scopes"][("TransformerEncoderLayer", "self_attn")] == "MultiheadAttention"
    # After the block, nothing is traced any more.
    out2 = layer(torch.randn(2, 3, 8))
    G2 = to_networkx(out2.sum(), names={})
    assert all(d["scope"] == () for _, d in G2.nodes(data=True) if d["kind"] == "function")


def test_trace_of_a_gradviz_module_does_nothing_and_other_objects_are_refused(torch):
    lin = gradviz.nn.Linear(2, 3)
    with gradviz.trace(lin) as traced:
        out = lin(gradviz.ones(1, 2))
    assert traced is lin and out.shape == (1, 3)
    with pytest.raises(TypeError):
        gradviz.torch_graph.trace("model")
    with pytest.raises(TypeError):
        gradviz.to_networkx([torch.ones(1), "not a tensor"])
