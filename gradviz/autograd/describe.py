"""Say in one sentence what a backward event did, in words a learner follows.

``describe(event, graph)`` uses the exported graph (``gradviz.to_networkx``) for the names of
tensors (``w``, ``z``, ``loss``); without one it falls back to positions ("input 0"). A tensor
without a name is called after what made it: ``x @ w``, ``tanh(z)``, or "the output of
MmBackward0" (never its shape). ``describe_start`` and ``describe_zero`` word the states between
events (the start of a pass, Zero grads) for ``gradviz.timeline``.
"""
from __future__ import annotations

import numpy as np


def short(a) -> str:
    """A gradient in a few characters: the numbers themselves when there are few."""
    if a is None:
        return "nothing"
    if isinstance(a, tuple):  # a node with several outputs: one gradient per output
        return "(" + ", ".join(short(x) for x in a) + ")"
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


# How an unnamed tensor is called: after what made it. Binary operators read as code
# (``x @ w``), a few functions as calls (``tanh(z)``); shape-only ops are transparent (the
# ``x @ w`` of a vector is a matrix product followed by a squeeze).
_BINARY = {"AddBackward0": "+", "SubBackward0": "-", "MulBackward0": "*", "DivBackward0": "/",
           "MmBackward0": "@", "MvBackward0": "@", "DotBackward0": "@", "BmmBackward0": "@",
           "MatmulBackward0": "@", "PowBackward1": "**"}
_CALLS = {"TanhBackward0": "tanh", "SigmoidBackward0": "sigmoid", "ReluBackward0": "relu",
          "ExpBackward0": "exp", "LogBackward0": "log", "SinBackward0": "sin",
          "CosBackward0": "cos", "SqrtBackward0": "sqrt", "AbsBackward0": "abs",
          "TanBackward0": "tan", "SinhBackward0": "sinh", "CoshBackward0": "cosh",
          "AsinBackward0": "asin", "AcosBackward0": "acos", "AtanBackward0": "atan",
          "Log10Backward0": "log10", "Log2Backward0": "log2", "Log1PBackward0": "log1p",
          "Expm1Backward0": "expm1", "Exp2Backward0": "exp2", "RsqrtBackward0": "rsqrt",
          "ReciprocalBackward0": "reciprocal", "ErfBackward0": "erf", "SignBackward0": "sign",
          "SgnBackward0": "sgn", "FloorBackward0": "floor", "CeilBackward0": "ceil",
          "RoundBackward0": "round", "TruncBackward0": "trunc", "FracBackward0": "frac"}
_METHODS = {"SumBackward0": "{}.sum()", "MeanBackward0": "{}.mean()", "TBackward0": "{}.T",
            "NegBackward0": "-{}", "ProdBackward0": "{}.prod()"}
_TRANSPARENT = ("SqueezeBackward", "UnsqueezeBackward", "ViewBackward", "ReshapeAlias",
                "ExpandBackward", "SqueezeBackward4")
_PRECEDENCE = {"+": 4, "-": 4, "*": 5, "/": 5, "@": 5, "**": 7}
_LONGEST = 28  # characters; longer expressions read worse than "the output of MmBackward0"


def root_name(G) -> str:
    """What the sentences call the root: its name, else "L" (dL/dz, as a textbook writes)."""
    roots = G.graph["roots"] if G is not None else []
    attrs = G.nodes[roots[0]] if roots else {}
    return attrs.get("name") or "L"


class Name:
    """How a sentence refers to one tensor: ``text`` ("w", "x @ w", "the output of
    MmBackward0"), and whether it reads as a variable (``w.grad``) or an expression."""

    __slots__ = ("text", "kind", "precedence")

    def __init__(self, text: str, kind: str, precedence: int = 9):
        self.text, self.kind = text, kind  # kind: "var", "expr" or "phrase"
        self.precedence = precedence  # of its outermost operator (9: binds like a name)

    def __str__(self) -> str:
        return self.text

    @property
    def operand(self) -> str:
        return f"({self.text})" if self.kind == "expr" and self.precedence < 9 else self.text

    def inside(self, precedence: int, right: bool = False) -> str:
        """Its text as an operand of an operator of ``precedence`` (Python's rules)."""
        if self.precedence < precedence or (right and self.precedence == precedence):
            return f"({self.text})"
        return self.text

    @property
    def grad(self) -> str:
        """Its ``.grad``: ``w.grad``, ``(x @ w).grad``, ``the .grad of the output of ...``."""
        if self.kind == "phrase":
            return f"the .grad of {self.text}"
        return f"{self.operand}.grad"

    def d(self, d: str) -> str:
        """``dL/dw``, ``dL/d(x @ w)``, ``dL/d(the output of MmBackward0)``."""
        return f"{d}/d{self.text}" if self.kind == "var" else f"{d}/d({self.text})"


class _Names:
    def __init__(self, graph):
        self.G = graph
        self.ids = graph.graph["ids"] if graph is not None else {}
        roots = graph.graph["roots"] if graph is not None else []
        self.root_id = roots[0] if roots else None
        self.root = root_name(graph)

    def name(self, gid) -> Name:
        if gid == self.root_id:
            return Name(self.root, "var")
        return self._named(gid, depth=3) or self._phrase(gid)

    def _named(self, gid, depth):
        attrs = self.G.nodes[gid]
        if attrs.get("name"):
            return Name(attrs["name"], "var")
        if attrs["kind"] != "tensor":
            return None
        if attrs["role"] == "constant" and getattr(attrs.get("value"), "size", 0) == 1:
            return Name(_compact(attrs["value"]), "var")
        if depth == 0 or attrs["role"] not in ("intermediate", "root"):
            return None
        fid = next((p for p in self.G.predecessors(gid) if self.G.nodes[p]["kind"] == "function"), None)
        if fid is None:
            return None
        op = self.G.nodes[fid]["label"]
        feeding = self.G.graph["inputs"].get(fid) or []
        if None in feeding:
            return None
        args = [self._named(f, depth - 1) for f in feeding]
        if not args or None in args:
            return None
        if op.startswith(_TRANSPARENT) and len(args) == 1:
            return args[0]
        precedence = 9
        if op in _BINARY and len(args) == 2:
            symbol = _BINARY[op]
            precedence = _PRECEDENCE[symbol]
            text = f"{args[0].inside(precedence)} {symbol} {args[1].inside(precedence, right=True)}"
        elif op in _CALLS and len(args) == 1:
            text = f"{_CALLS[op]}({args[0].text})"
        elif op in _METHODS and len(args) == 1:
            text = _METHODS[op].format(args[0].inside(9))
            precedence = 6 if text.startswith("-") else 9
        else:
            return None
        return Name(text, "expr", precedence) if len(text) <= _LONGEST else None

    def _phrase(self, gid) -> Name:
        attrs = self.G.nodes[gid]
        if attrs["kind"] == "tensor" and attrs["role"] in ("intermediate", "root"):
            fid = next((p for p in self.G.predecessors(gid)
                        if self.G.nodes[p]["kind"] == "function"), None)
            if fid is not None:
                return Name(f"the output of {self.G.nodes[fid]['label']}", "phrase")
        if attrs["kind"] == "tensor" and attrs["role"] == "constant":
            return Name("a constant", "phrase")
        if attrs["kind"] == "tensor":
            return Name("an unnamed leaf", "phrase")
        return Name(attrs["label"], "var")

    def label(self, gid) -> str:
        return self.name(gid).text

    def of(self, obj, fallback: str) -> Name:
        gid = self.ids.get(id(obj))
        return self.name(gid) if gid is not None else Name(fallback, "phrase")

    def output_of(self, node, fallback="its output") -> Name:
        gid = self.ids.get(id(node))
        if gid is None:
            return Name(fallback, "phrase")
        for succ in self.G.successors(gid):
            return self.name(succ)
        return Name(fallback, "phrase")

    def inputs_of(self, node) -> list:
        gid = self.ids.get(id(node))
        feeding = self.G.graph["inputs"].get(gid) if gid is not None else None
        n = len(node.next_functions)
        if not feeding:
            return [f"input {i}" for i in range(n)]
        return [self.label(f) if f is not None else f"input {i}" for i, f in enumerate(feeding)]


def _compact(value) -> str:
    v = float(value.reshape(()).item())
    return str(int(v)) if v.is_integer() and abs(v) < 1e6 else f"{v:.4g}"


def describe(event, graph=None) -> str:
    names = _Names(graph)
    d = f"d{names.root}"
    kind = event.kind
    if kind == "seed":
        root = names.of(event.tensor, "the root")
        if event.grad.size == 1 and float(event.grad.reshape(())) == 1.0:
            return f"Backward starts at {root}: {root.d(d)} = 1."
        return f"Backward starts at {root} with the gradient you passed: {short(event.grad)}."
    if kind == "done":
        return "Backward is done: every leaf that requires grad now holds its gradient in .grad."
    if kind == "accumulate":
        leaf = names.of(event.tensor, "the leaf")
        if event.grad_in is None:
            return f"No gradient reached {leaf}; {leaf.grad} is unchanged."
        if event.before is None:
            return (f"AccumulateGrad stores {leaf.d(d)} = {short(event.grad_in)} in {leaf.grad} "
                    f"(it was None).")
        return (f"AccumulateGrad adds {short(event.grad_in)} to {leaf.grad}: it was "
                f"{short(event.before)}, now {short(event.after)} (gradients accumulate).")
    if kind == "retain":
        t = names.of(event.tensor, "the tensor")
        return (f"{_capital(t.text)} called retain_grad(), so it keeps {t.d(d)} = "
                f"{short(event.grad_in)} in {t.grad}.")
    if kind == "hook":
        t = names.of(event.tensor, "the tensor")
        if event.after is event.before:
            return f"A hook registered on {t} sees its gradient {short(event.before)}."
        return (f"A hook registered on {t} replaces its gradient {short(event.before)} with "
                f"{short(event.after)}.")
    return _describe_call(event, names, d)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text.startswith(("the ", "a ", "an ")) else text


def _describe_call(event, names: _Names, d: str) -> str:
    fn = event.node
    name = fn.name().removeprefix("torch::autograd::")
    dout = names.output_of(fn).d(d)
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
        receivers = [who for who, gi in sends if gi is not None]
        text = f"{name} passes {dout} = {g} unchanged to {', '.join(receivers)}."
    elif name == "MulBackward0" and len(ins) == 2:
        text = (f"{name} multiplies the incoming {dout} = {g} by the other input and sends "
                f"{' and '.join(targets)}.")
    elif name == "SumBackward0":
        text = f"{name} copies {dout} = {g} to every element of {ins[0]}."
    elif name == "MeanBackward0":
        text = f"{name} spreads {dout} = {g} evenly: each element of {ins[0]} gets {g}/n."
    else:
        rule = getattr(fn, "rule", None)
        if rule is None:  # a PyTorch node: the exported graph holds its rule
            gid = names.ids.get(id(fn))
            rule = names.G.nodes[gid].get("rule") if gid is not None else ""
        how = f" ({rule})" if rule else ""
        text = (f"{name} takes {dout} = {g}, applies its local derivative{how}, and sends "
                f"{', '.join(targets) if targets else 'nothing further'}.")
    if skipped and event.grad_in is not None:
        text += f" {_capital(', '.join(skipped))} {'needs' if len(skipped) == 1 else 'need'} no gradient."
    if event.freed:
        saved = [k for k, v in event.freed.items() if hasattr(v, "tensor")]
        text += f" Its saved tensors ({', '.join(saved)}) are freed (retain_graph=False)."
    return text


# --- states between events (the timeline's words) ----------------------------------------------
def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe_start(root: str, pass_number: int, holding=(), edited=None, zeros=False) -> str:
    """Step 0 of a pass (after Reset, Backward again, or an input edit). ``holding``: the
    leaves whose ``.grad`` is set; ``zeros``: all of them are zero (Zero grads came before)."""
    if edited:
        return (f"{edited}: the forward pass was replayed with it. Press Step to start backward "
                f"from {root}, one node at a time.")
    if pass_number == 1:
        return f"Start of the pass: press Step to start backward from {root}, one node at a time."
    if holding and zeros:
        return (f"Start of pass {pass_number} (Backward again): {_and([f'{h}.grad' for h in holding])} "
                f"{'is' if len(holding) == 1 else 'are'} zero (Zero grads), so this pass starts "
                "them afresh. Press Step to go on.")
    if holding:
        kept = _and([f"{h}.grad" for h in holding])
        one = len(holding) == 1
        return (f"Start of pass {pass_number} (Backward again): {kept} still "
                f"{'holds' if one else 'hold'} what earlier passes left, so this pass adds to "
                f"{'it' if one else 'them'} (gradients accumulate). Press Step to go on.")
    return f"Start of pass {pass_number} (Backward again). Press Step to go on."


def describe_done(pass_number: int) -> str:
    """The end of pass 2, 3, ...: its gradients were added to what the leaves held."""
    return (f"Backward is done (pass {pass_number}): each leaf that requires grad added this "
            "pass's gradient to what its .grad held (gradients accumulate).")


def describe_zero(labels, finished: int = 0, pass_number: int = 1) -> str:
    """Zero grads (``.grad.zero_()``), after finishing the pass first when it was mid-way."""
    first = (f"Pass {pass_number} was finished first ({finished} more "
             f"step{'s' if finished != 1 else ''}); then: ") if finished else ""
    return (f"{first}Zeroed .grad of {', '.join(labels)} (.grad.zero_()): the next Backward again "
            "accumulates from zero. Back restores them.")
