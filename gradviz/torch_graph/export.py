"""PyTorch's autograd graph in gradviz's schema (see ``gradviz.graph.to_networkx``).

Function nodes are PyTorch's own nodes, named by ``grad_fn.name()``, with the ``input_nr`` of
``next_functions`` on their edges and what they saved. Tensor nodes are the roots, the leaves
(``AccumulateGrad.variable``), and one node per output of every function. PyTorch keeps no link
from a node to the tensor it produced, so an intermediate tensor is known only when something
else holds it: a root, one of the caller's variables, a tensor another node saved as its input
(the real object), a value a node saved as its own result, or a module output recorded by
``gradviz.trace``. The rest are shown with the shape and dtype PyTorch recorded for their
gradient, and ``value=None``.

Constants (inputs that need no gradient) have no edge in PyTorch's graph; one is shown where a
node saved it and it fills the node's only gradient-free input slots unambiguously.
"""
from __future__ import annotations

import gc
import weakref

import torch


from ..health import Thresholds, gradient_health, magnitude
from ..graph import _common_prefix, tensor_label
from .arrays import dtype_name, to_numpy
from .names import CallerNames, caller_names, resolve
from .saved import read_saved
from .trace import OUTPUTS_KEY, SCOPE_KEY, SCOPES_KEY

RETAINED_KEY = "gradviz_retained"  # node.metadata: weak references to retain_grad() tensors
from .walk import as_root_list, gradient_edge, is_accumulate, next_functions, reachable


# Saved-tensor names in the order PyTorch's ops take their tensor arguments, for giving
# constants their input slot when a node has several.
_ARG_ORDER = ("self", "input", "mat1", "batch1", "other", "mat2", "batch2", "vec", "target",
              "weight", "bias")


def to_networkx(roots, names=None, model=None, *, thresholds: Thresholds = Thresholds(),
                _depth: int = 0):
    """Export the graph behind a torch tensor (or a list of them) as a ``networkx.DiGraph``.

    ``names``: ``{"w": w, "model": model}`` (or ``{id(w): "w"}``); by default the caller's
    variables. ``model``: a ``torch.nn.Module`` whose parameters are named by their qualified
    names (also done for any module among the caller's variables or in ``names``).
    ``G.graph``: ``roots``, ``ids``, ``objects``, ``inputs`` as for gradviz graphs, ``source="torch"``
    and ``accumulators`` (the leaves' AccumulateGrad nodes, kept alive so their ids stay valid).
    """
    root_list = as_root_list(roots)
    if names is None:
        names = caller_names(1 + _depth)
    known = resolve(names, model, explicit=not isinstance(names, CallerNames))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Exporter(known, thresholds).run(root_list)
    finally:
        if gc_was_enabled:
            gc.enable()


def _gradviz_rules() -> dict:
    """gradviz's derivative rules by node name: its nodes carry PyTorch's names and compute the
    same derivatives, so their sentences describe PyTorch's nodes too."""
    global _RULES
    if _RULES is None:
        from ..autograd.node import Node

        rules: dict = {}
        stack = [Node]
        while stack:
            for sub in stack.pop().__subclasses__():
                stack.append(sub)
                if sub.rule:
                    rules.setdefault(sub.__name__, sub.rule)
        _RULES = rules
    return _RULES


_RULES = None


def _rule(fn, name: str) -> str:
    rule = _gradviz_rules().get(name)
    if rule:
        return rule
    forward = getattr(type(fn), "_forward_cls", None)
    if forward is not None:
        return f"the backward that {forward.__qualname__}.backward defines"
    return ""


def _metadata(fn) -> dict:
    try:
        return fn.metadata
    except Exception:  # noqa: BLE001 - a node without metadata has no scope
        return {}


class _Exporter:
    def __init__(self, known, thresholds: Thresholds):
        self.name_of = known.name_of
        self.named_tensors = known.tensors
        self.thresholds = thresholds
        self.nodes: list = []
        self.edges: dict = {}
        self.ids: dict = {}
        self.objects: dict = {}
        self.inputs: dict = {}
        self.accumulators: list = []
        self.n_tensors = 0
        self.n_functions = 0
        self.outputs: dict = {}  # (id(fn), output_nr) -> tensor node id
        self.saved: dict = {}  # id(fn) -> Saved
        self.known: dict = {}  # (id(fn), output_nr) -> the tensor object
        self.values: dict = {}  # (id(fn), output_nr) -> a tensor holding its value
        self.scope_tables: dict = {}  # the {scope path: module class} of each trace seen

    # --- pass 1: every node, what it saved, which intermediates can be known ----------------
    def learn(self, roots) -> None:
        edges = [gradient_edge(r)[0] for r in roots]
        nodes = reachable([e for e in edges if e is not None and not is_accumulate(e)])
        by_id = {id(n): n for n in nodes}
        self.by_id = by_id
        candidates = list(roots) + list(self.named_tensors)
        for fn in nodes:
            saved = read_saved(fn)
            self.saved[id(fn)] = saved
            for label, t in saved.tensors:
                if label.startswith("result"):
                    nr = label[len("result"):]
                    if nr == "" or nr.isdigit():
                        self.values.setdefault((id(fn), int(nr or 0)), t)
                elif t.grad_fn is not None:
                    candidates.append(t)
            outs = _metadata(fn).get(OUTPUTS_KEY)
            if outs:
                for nr, t in outs.items():
                    self.values.setdefault((id(fn), nr), t)
        for t in candidates:
            fn = t.grad_fn
            if fn is not None and by_id.get(id(fn)) is fn:
                self.known.setdefault((id(fn), t.output_nr), t)

    # --- pass 2: nodes and edges, in gradviz's deterministic walk order ---------------------
    def run(self, roots):
        self.learn(roots)
        root_ids = []
        stack = []
        self.root_nodes = []
        for r in roots:
            tid = self.tensor(r, role="root")
            root_ids.append(tid)
            node, nr = gradient_edge(r)
            if node is None:
                continue
            self.root_nodes.append(node)
            if is_accumulate(node):
                self.ids.setdefault(id(node), tid)
                self.accumulators.append(node)
                continue
            self.outputs.setdefault((id(node), nr), tid)
            if id(node) not in self.ids:
                self.function(node)
                stack.append(node)
            self.edge(self.ids[id(node)], tid, nr)
        while stack:
            fn = stack.pop()
            fid = self.ids[id(fn)]
            feeding = []
            nexts = next_functions(fn)
            constants = self._constants(fn, nexts)
            for i, (nxt, nr) in enumerate(nexts):
                src = None
                if nxt is None:
                    const = constants.get(i)
                    if const is not None:
                        # A constant that is a view of another tensor (x reshaped inside an
                        # attention layer) is shown as the tensor it views, as gradviz does:
                        # that is the input the person wrote.
                        while const._base is not None:
                            const = const._base
                        src = self.tensor(const, role="constant")
                elif is_accumulate(nxt):
                    src = self.ids.get(id(nxt))
                    if src is None:
                        try:
                            var = nxt.variable
                        except Exception:  # noqa: BLE001
                            var = None
                        src = self.tensor(var, role="leaf") if var is not None else \
                            self.unknown_tensor(nxt, 0, role="leaf")
                        self.ids[id(nxt)] = src
                        self.accumulators.append(nxt)
                else:
                    if id(nxt) not in self.ids:
                        self.function(nxt)
                        stack.append(nxt)
                    src = self.output(nxt, nr)
                feeding.append(src)
                if src is not None:
                    self.edge(src, fid, i)
            self.inputs[fid] = feeding
        return self.build(root_ids)

    def output(self, fn, nr: int) -> str:
        key = (id(fn), nr)
        tid = self.outputs.get(key)
        if tid is None:
            t = self.known.get(key)
            if t is not None:
                tid = self.tensor(t, role="intermediate")
            else:
                tid = self.unknown_tensor(fn, nr, role="intermediate", value=self.values.get(key))
            self.outputs[key] = tid
            self.edge(self.ids[id(fn)], tid, nr)
        return tid

    def _constants(self, fn, nexts) -> dict:
        """Input slot -> constant tensor, where the node's gradient-free slots and the
        gradient-free tensors it saved match one to one."""
        free = [i for i, (nxt, _) in enumerate(nexts) if nxt is None]
        if not free:
            return {}
        saved = self.saved.get(id(fn))
        if saved is None:
            return {}
        found, seen = [], set()
        for label, t in saved.tensors:
            if label.startswith("result") or t.requires_grad or id(t) in seen:
                continue
            if not (t.is_floating_point() or t.is_complex()):
                continue
            seen.add(id(t))
            found.append((label, t))
        if len(found) != len(free):
            return {}
        found.sort(key=lambda lt: _ARG_ORDER.index(lt[0]) if lt[0] in _ARG_ORDER else len(_ARG_ORDER))
        return {i: t for i, (_, t) in zip(free, found)}

    # --- node builders ---------------------------------------------------------------------
    def _new_tensor_id(self) -> str:
        tid = f"t{self.n_tensors}"
        self.n_tensors += 1
        return tid

    def tensor(self, t, role: str) -> str:
        key = id(t)
        if key in self.ids:
            return self.ids[key]
        tid = self._new_tensor_id()
        name = self.name_of.get(key)
        is_leaf = t.grad_fn is None
        retains = bool(t.retains_grad) if not is_leaf else False
        grad = to_numpy(t.grad, copy=True) if (is_leaf or retains) and t.grad is not None else None
        shape = tuple(t.shape)
        self.nodes.append((tid, {
            "kind": "tensor",
            "label": tensor_label(name, shape),
            "name": name,
            "shape": shape,
            "dtype": dtype_name(t.dtype),
            "requires_grad": bool(t.requires_grad),
            "is_leaf": is_leaf,
            "role": role,
            "value": to_numpy(t),
            "grad": grad,
            "retains_grad": retains,
            "grad_health": gradient_health(grad, self.thresholds) if grad is not None else None,
            "grad_magnitude": magnitude(grad) if grad is not None else None,
        }))
        self.ids[key] = tid
        self.objects[tid] = t
        return tid

    def unknown_tensor(self, fn, nr: int, role: str, value=None) -> str:
        """A tensor PyTorch no longer links to: its shape and dtype from the metadata PyTorch
        keeps for its gradient, its value only if something saved it."""
        tid = self._new_tensor_id()
        shape, dtype = (), "unknown"
        try:
            meta = fn._input_metadata[nr]
            shape, dtype = tuple(meta.shape), dtype_name(meta.dtype)
        except Exception:  # noqa: BLE001 - no metadata: an empty shape and an unknown dtype
            if value is not None:
                shape, dtype = tuple(value.shape), dtype_name(value.dtype)
        self.nodes.append((tid, {
            "kind": "tensor",
            "label": tensor_label(None, shape),
            "name": None,
            "shape": shape,
            "dtype": dtype,
            "requires_grad": True,
            "is_leaf": False,
            "role": role,
            "value": to_numpy(value) if value is not None else None,
            "grad": None,
            "retains_grad": False,
            "grad_health": None,
            "grad_magnitude": None,
        }))
        return tid

    def function(self, fn) -> str:
        fid = f"fn{self.n_functions}"
        self.n_functions += 1
        try:
            name = fn.name()
        except Exception:  # noqa: BLE001
            name = type(fn).__name__
        saved = self.saved.get(id(fn))
        meta = _metadata(fn)
        table = meta.get(SCOPES_KEY)
        if table is not None:
            self.scope_tables.setdefault(id(table), table)
        self.nodes.append((fid, {
            "kind": "function",
            "label": name.removeprefix("torch::autograd::"),
            "name": name,
            "rule": _rule(fn, name),
            "saved": saved.entries if saved is not None else [],
            "saved_args": saved.args if saved is not None else [],
            "scope": tuple(meta.get(SCOPE_KEY, ())),
        }))
        self.ids[id(fn)] = fid
        self.objects[fid] = fn
        return fid

    def edge(self, u: str, v: str, input_nr: int) -> None:
        attrs = self.edges.get((u, v))
        if attrs is None:
            self.edges[(u, v)] = {"input_nr": input_nr, "input_nrs": [input_nr]}
        else:
            attrs["input_nrs"].append(input_nr)

    def build(self, root_ids):
        import networkx as nx

        G = nx.DiGraph()
        node, succ, pred = G._node, G._succ, G._pred
        for nid, attrs in self.nodes:
            node[nid] = attrs
            succ[nid] = {}
            pred[nid] = {}
        for (u, v), attrs in self.edges.items():
            succ[u][v] = attrs
            pred[v][u] = attrs
        G.graph.update(roots=root_ids, ids=self.ids, objects=self.objects, inputs=self.inputs,
                       source="torch", accumulators=self.accumulators)
        G.graph["scopes"] = self.scopes(node)
        self.remember_retained()
        return G

    def remember_retained(self) -> None:
        """Leave the tensors of this graph that called ``retain_grad()`` where a pass over it
        finds them (its roots' first node), so that ``RecordedPass`` records their RetainEvents
        and puts their ``.grad`` back without being told about them."""
        retained = [t for t in self.objects.values()
                    if isinstance(t, torch.Tensor) and t.grad_fn is not None and t.retains_grad]
        if not retained or not self.root_nodes:
            return
        try:
            meta = self.root_nodes[0].metadata
        except Exception:  # noqa: BLE001 - a node without metadata
            return
        known = meta.setdefault(RETAINED_KEY, [])
        ids = {id(r()) for r in known}
        known.extend(weakref.ref(t) for t in retained if id(t) not in ids)

    def scopes(self, node: dict) -> dict:
        """Give every tensor its ``scope`` as gradviz's export does (a function's output shares
        the function's; a leaf or constant sits in the innermost scope common to the functions
        using it, a named constant at the top) and return ``{scope path: module class}`` for the
        scopes in this graph, in the order they were entered."""
        for (u, v) in self.edges:
            du = node[u]
            if du["kind"] == "function" and node[v]["kind"] == "tensor":
                node[v]["scope"] = du["scope"]
        consumers: dict = {}
        for (u, v) in self.edges:
            if "scope" not in node[u]:
                consumers.setdefault(u, []).append(node[v]["scope"])
        used = set()
        for nid, attrs in self.nodes:
            if "scope" not in attrs:
                named_input = attrs["name"] is not None and not attrs["requires_grad"]
                attrs["scope"] = () if named_input else _common_prefix(consumers.get(nid, ()))
            s = attrs["scope"]
            for k in range(1, len(s) + 1):
                used.add(s[:k])
        found: dict = {}
        for table in self.scope_tables.values():
            for path, cls in list(table.items()):
                if path in used:
                    found.setdefault(path, cls)
        return found

