"""Say in one sentence what a backward event did, in words a learner follows.

``describe(event, graph)`` uses the exported graph (``gradviz.to_networkx``) for the names of
tensors (``w``, ``z``, ``loss``); without one it falls back to positions ("input 0").
"""
from __future__ import annotations

import numpy as np


def short(a) -> str:
    """A gradient in a few characters: the numbers themselves when there are few."""
    if a is None:
        return "nothing"
    a = np.asarray(a)
    if a.size == 1:
        return number(a.reshape(()).item())
    if a.size <= 6:
        return "[" + ", ".join(number(v) for v in a.ravel()) + "]"
    with np.errstate(invalid="ignore"):
        m = float(np.abs(a).max()) if a.size else 0.0
    return f"a {'×'.join(map(str, a.shape))} array (largest |value| {m:.3g})"


def number(v) -> str:
    """Four decimals, as PyTorch prints tensors; scientific notation for very small or large."""
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.3e}"


class _Names:
    def __init__(self, graph):
        self.G = graph
        self.ids = graph.graph["ids"] if graph is not None else {}
        roots = graph.graph["roots"] if graph is not None else []
        # A root without a name is "L" (dL/dz), as a textbook writes the loss; its label would
        # be its shape ("scalar"), which reads as "dscalar/dz".
        self.root_id = roots[0] if roots else None
        attrs = graph.nodes[roots[0]] if roots else {}
        self.root = (attrs["name"] if "name" in attrs else attrs.get("label")) or "L"

    def label(self, gid) -> str:
        return self.root if gid == self.root_id else self.G.nodes[gid]["label"]

    def of(self, obj, fallback: str) -> str:
        gid = self.ids.get(id(obj))
        return self.label(gid) if gid is not None else fallback

    def output_of(self, node, fallback="its output") -> str:
        gid = self.ids.get(id(node))
        if gid is None:
            return fallback
        for succ in self.G.successors(gid):
            return self.label(succ)
        return fallback

    def inputs_of(self, node) -> list:
        gid = self.ids.get(id(node))
        feeding = self.G.graph["inputs"].get(gid) if gid is not None else None
        n = len(node.next_functions)
        if not feeding:
            return [f"input {i}" for i in range(n)]
        return [self.G.nodes[f]["label"] if f is not None else f"input {i}"
                for i, f in enumerate(feeding)]


def describe(event, graph=None) -> str:
    names = _Names(graph)
    d = f"d{names.root}"
    kind = event.kind
    if kind == "seed":
        root = names.of(event.tensor, "the root")
        if event.grad.size == 1 and float(event.grad.reshape(())) == 1.0:
            return f"Backward starts at {root}: {d}/d{root} = 1."
        return f"Backward starts at {root} with the gradient you passed: {short(event.grad)}."
    if kind == "done":
        return "Backward is done: every leaf that requires grad now holds its gradient in .grad."
    if kind == "accumulate":
        leaf = names.of(event.tensor, "the leaf")
        if event.grad_in is None:
            return f"No gradient reached {leaf}; {leaf}.grad is unchanged."
        if event.before is None:
            return (f"AccumulateGrad stores {d}/d{leaf} = {short(event.grad_in)} in {leaf}.grad "
                    f"(it was None).")
        return (f"AccumulateGrad adds {short(event.grad_in)} to {leaf}.grad: it was "
                f"{short(event.before)}, now {short(event.after)} (gradients accumulate).")
    if kind == "retain":
        t = names.of(event.tensor, "the tensor")
        return f"{t} called retain_grad(), so it keeps {d}/d{t} = {short(event.grad_in)} in {t}.grad."
    if kind == "hook":
        t = names.of(event.tensor, "the tensor")
        if event.after is event.before:
            return f"A hook registered on {t} sees its gradient {short(event.before)}."
        return (f"A hook registered on {t} replaces its gradient {short(event.before)} with "
                f"{short(event.after)}.")
    return _describe_call(event, names, d)


def _grad_of(d: str, label: str) -> str:
    """``dloss/dz`` for a named tensor, ``dloss/d(its output)`` for an unnamed one."""
    if label.startswith("(") or label == "scalar":
        return f"{d}/d(its output {label})"
    return f"{d}/d{label}"


def _describe_call(event, names: _Names, d: str) -> str:
    fn = event.node
    name = fn.name()
    out = names.output_of(fn)
    dout = _grad_of(d, out)
    ins = names.inputs_of(fn)
    g = short(event.grad_in)
    sends = [(ins[i], gi) for i, gi in enumerate(event.grads_out)]
    targets = [f"{short(gi)} to {who}" for who, gi in sends if gi is not None]
    skipped = [who for (who, gi), (nxt, _) in zip(sends, fn.next_functions) if nxt is None]
    if event.grad_in is None:
        text = f"{name} received no gradient, so it sends none."
    elif name == "AddBackward0" and len(targets) == 2 and all(gi is not None for _, gi in sends):
        text = f"{name} passes {dout} = {g} unchanged to both inputs, {ins[0]} and {ins[1]}."
    elif name == "AddBackward0":
        text = f"{name} passes {dout} = {g} unchanged to {', '.join(t.split(' to ')[-1] for t in targets)}."
    elif name == "MulBackward0" and len(ins) == 2:
        text = (f"{name} multiplies the incoming {dout} = {g} by the other input and sends "
                f"{' and '.join(targets)}.")
    elif name == "SumBackward0":
        text = f"{name} copies {dout} = {g} to every element of {ins[0]}."
    elif name == "MeanBackward0":
        text = f"{name} spreads {dout} = {g} evenly: each element of {ins[0]} gets {g}/n."
    else:
        rule = fn.rule
        how = f" ({rule})" if rule else ""
        text = (f"{name} takes {dout} = {g}, applies its local derivative{how}, and sends "
                f"{', '.join(targets) if targets else 'nothing further'}.")
    if skipped and event.grad_in is not None:
        text += f" {', '.join(skipped)} {'needs' if len(skipped) == 1 else 'need'} no gradient."
    if event.freed:
        saved = [k for k, v in event.freed.items() if hasattr(v, "tensor")]
        text += f" Its saved tensors ({', '.join(saved)}) are freed (retain_graph=False)."
    return text
