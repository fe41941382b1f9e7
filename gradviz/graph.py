"""The recorded graph as data: ``to_networkx`` exports it, ``replay`` runs it forward again.

The export has two kinds of node, as the tutorial's picture has: tensors and the functions
between them. Edges point the way data flows forward (input tensor -> function -> output
tensor). Node ids come from a deterministic walk from the roots, so the same program gives the
same ids (and, with a deterministic layout, the same picture) in every process, and a replayed
graph gets the ids of the graph it was replayed from.
"""
from __future__ import annotations

import gc
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .autograd.node import AccumulateGrad, FreedTensor, SavedTensor
from .autograd import scope as _scopes
from .autograd.scope import frame_names
from .health import Thresholds, gradient_health, magnitude
from .ops.base import INPLACE_RECIPE
from .tensor import Tensor

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_networkx", "caller_names", "replay", "Replayed", "ReplayError",
           "same_structure", "tensor_label"]


# --- names ---------------------------------------------------------------------------------
def caller_names(depth: int = 1) -> dict:
    """Tensor names from a caller's variables: ``{id(tensor): name}``.

    ``depth`` counts frames above the caller of this function. Local variables win over
    globals (a notebook's variables are globals); names starting with "_" are skipped; when a
    tensor has several names the first one defined wins. A ``gradviz.nn.Module`` among the
    variables names its parameters by their paths (``blocks.3.attn.query.weight``), as
    ``torch.nn.Module`` variables do for PyTorch graphs; those paths win over plain variables."""
    from .nn.modules import Module

    frame = sys._getframe(depth + 1)
    names: dict = {}
    modules: list = []
    try:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if name.startswith("_"):
                    continue
                if isinstance(value, Tensor):
                    names.setdefault(id(value), name)
                elif isinstance(value, Module):
                    modules.append(value)
    finally:
        del frame
    return {**names, **_parameter_paths(modules)}


def _parameter_paths(modules) -> dict:
    """``{id(parameter): qualified name}`` of ``modules``' parameters; the module holding the
    most parameters (the whole model, before its parts) names a parameter first."""
    paths: dict = {}
    for m in sorted(modules, key=lambda m: -sum(1 for _ in m.parameters())):
        for qualified, p in m.named_parameters():
            paths.setdefault(id(p), qualified)
    return paths


def _names_by_id(names) -> dict:
    """Accept ``{"w": w}`` (the user's form, where ``{"model": model}`` names a
    ``gradviz.nn.Module``'s parameters by their paths) or ``{id(w): "w"}`` (caller_names'
    form). Names given for tensors win over module paths."""
    from .nn.modules import Module

    if not names:
        return {}
    out = {}
    modules = []
    for k, v in names.items():
        if isinstance(k, str) and isinstance(v, Tensor):
            out.setdefault(id(v), k)
        elif isinstance(k, str) and isinstance(v, Module):
            modules.append(v)
        elif isinstance(k, int) and isinstance(v, str):
            out[k] = v
        else:
            raise TypeError("names must map names to tensors or gradviz.nn modules, "
                            "e.g. names={'w': w} or names={'model': model}")
    return {**_parameter_paths(modules), **out}


def tensor_label(name, shape) -> str:
    """What a tensor node shows: its name, or its shape when it has none."""
    if name:
        return name
    label = _SHAPE_LABELS.get(shape)
    if label is None:
        label = "scalar" if len(shape) == 0 else "(" + ", ".join(map(str, shape)) + ")"
        _SHAPE_LABELS[shape] = label
    return label


# Big graphs repeat a few shapes and dtypes many times; formatting them once matters there.
_SHAPE_LABELS: dict = {}
_DTYPE_NAMES: dict = {}


# --- export --------------------------------------------------------------------------------
def to_networkx(roots, names=None, *, thresholds: Thresholds = Thresholds(),
                _depth: int = 0) -> nx.DiGraph:
    """Export the graph behind ``roots`` (a tensor or a list of tensors) as a ``networkx.DiGraph``.

    Tensor nodes: ``kind="tensor"``, ``label``, ``name``, ``shape``, ``dtype``, ``requires_grad``,
    ``is_leaf``, ``role`` ("root", "leaf", "constant" or "intermediate"), ``value`` (ndarray),
    ``grad`` (ndarray or None), ``retains_grad``, ``grad_health``, ``grad_magnitude``.
    Function nodes: ``kind="function"``, ``label``/``name`` (``AddBackward0``), ``rule``,
    ``saved`` (a list of ``{"name", "shape", "freed"}``).
    Every node: ``scope``, the names of the module calls / ``gradviz.scope`` blocks that were
    running when it was recorded, outermost first (``()`` at the top level; see
    ``gradviz.autograd.scope`` and ``_Exporter.scopes`` for tensors no function made).
    Edges: ``input_nr`` (and ``input_nrs`` when a tensor feeds one function twice).

    ``names``: ``{"w": w, ...}``; by default the caller's variables name the tensors.
    ``G.graph`` holds ``scopes`` (``{scope tuple: module class name, or None for a
    gradviz.scope block}``, in the order they were entered), ``roots`` (ids),
    ``ids`` (``id(object) -> node id`` for tensors, grad_fns
    and AccumulateGrad nodes), ``objects`` (node id -> tensor or grad_fn) and ``inputs``
    (function id -> the node id feeding each of its ``next_functions``, or None).
    """
    root_list = [roots] if isinstance(roots, Tensor) else list(roots)
    if not root_list or not all(isinstance(r, Tensor) for r in root_list):
        raise TypeError("to_networkx expects a tensor or a list of tensors")
    name_of = _names_by_id(names) if names is not None else caller_names(1 + _depth)
    # The export allocates a few dicts per node and frees none; pausing the cyclic collector
    # keeps it from rescanning the whole heap again and again on big graphs.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Exporter(name_of, thresholds).run(root_list)
    finally:
        if gc_was_enabled:
            gc.enable()


class _Exporter:
    def __init__(self, name_of: dict, thresholds: Thresholds):
        self.name_of = name_of
        self.thresholds = thresholds
        self.nodes: list = []  # (id, attrs), in id order
        self.edges: dict = {}  # (u, v) -> attrs
        self.ids: dict = {}  # id(obj) -> node id
        self.objects: dict = {}
        self.inputs: dict = {}
        self.n_tensors = 0
        self.n_functions = 0
        self._output_of: dict = {}  # id(grad_fn) -> id of the tensor node it produced
        self.frames: list = []  # (function id, output tensor id, the grad_fn's scope frames)

    def run(self, roots) -> nx.DiGraph:
        root_ids = []
        stack = []
        for r in roots:
            tid = self.tensor(r, r._array, role="root")
            root_ids.append(tid)
            fn = r.grad_fn
            if fn is not None and id(fn) not in self.ids:
                self.function(fn, tid)
                stack.append(fn)
        # Depth-first, following next_functions in order: a deterministic walk.
        while stack:
            fn = stack.pop()
            fid = self.ids[id(fn)]
            feeding = []
            fn_inputs = fn._inputs
            for i, (nxt, _) in enumerate(fn.next_functions):
                src = None
                if nxt is None:
                    const = fn_inputs[i] if i < len(fn_inputs) else None
                    if const is not None:
                        shown = self._displayed_constant(const)
                        src = self.tensor(shown, shown._array, role="constant")
                elif isinstance(nxt, AccumulateGrad):
                    var = nxt.variable
                    src = self.tensor(var, var._array, role="leaf")
                    self.ids[id(nxt)] = src
                else:
                    if id(nxt) not in self.ids:
                        out = nxt.output_tensor()
                        if out is not None and out.grad_fn is not nxt:
                            # Changed in place since: this node made an earlier version of
                            # that tensor, a node of its own holding the value it had then.
                            out = None
                        arr = out._array if out is not None else nxt._out_array
                        tid = self.tensor(out, arr, role="intermediate")
                        self.function(nxt, tid)
                        stack.append(nxt)
                    src = self._output_of[id(nxt)]
                feeding.append(src)
                if src is not None:
                    self.edge(src, fid, i)
            self.inputs[fid] = feeding
        return self.build(root_ids)

    def tensor(self, t, arr, role: str) -> str:
        key = id(t) if t is not None else None
        if key is not None and key in self.ids:
            return self.ids[key]
        tid = f"t{self.n_tensors}"
        self.n_tensors += 1
        name = self.name_of.get(key) if key is not None else None
        grad = t._grad._array if (t is not None and t._grad is not None) else None
        shape = tuple(arr.shape)
        self.nodes.append((tid, {
            "kind": "tensor",
            "label": tensor_label(name, shape),
            "name": name,
            "shape": shape,
            "dtype": _DTYPE_NAMES.get(arr.dtype) or _DTYPE_NAMES.setdefault(arr.dtype, arr.dtype.name),
            "requires_grad": bool(t._requires_grad) if t is not None else True,
            "is_leaf": (t.grad_fn is None) if t is not None else False,
            "role": role,
            "value": arr,
            "grad": grad,
            "retains_grad": bool(t._retains_grad) if t is not None else False,
            "grad_health": gradient_health(grad, self.thresholds) if grad is not None else None,
            "grad_magnitude": magnitude(grad) if grad is not None else None,
        }))
        if key is not None:
            self.ids[key] = tid
            self.objects[tid] = t
        return tid

    def function(self, fn, out_tid: str) -> str:
        fid = f"fn{self.n_functions}"
        self.n_functions += 1
        name = fn.name()
        saved = []
        if fn._saved:
            for k, v in fn._saved.items():
                if isinstance(v, SavedTensor):
                    saved.append({"name": k, "shape": tuple(v.tensor._array.shape), "freed": False})
                elif isinstance(v, FreedTensor):
                    saved.append({"name": k, "shape": v.shape, "freed": True})
        self.nodes.append((fid, {
            "kind": "function",
            # (PyTorch names a few nodes "torch::autograd::CopySlices"; the label is the short name)
            "label": name.removeprefix("torch::autograd::"),
            "name": name,
            "rule": fn.rule,
            "saved": saved,
        }))
        self.frames.append((fid, out_tid, fn._scope))
        self.ids[id(fn)] = fid
        self.objects[fid] = fn
        self._output_of[id(fn)] = out_tid
        self.edge(fid, out_tid, 0)
        return fid

    def edge(self, u: str, v: str, input_nr: int) -> None:
        attrs = self.edges.get((u, v))
        if attrs is None:
            self.edges[(u, v)] = {"input_nr": input_nr, "input_nrs": [input_nr]}
        else:
            attrs["input_nrs"].append(input_nr)

    @staticmethod
    def _displayed_constant(t):
        # A constant that is only a view of another tensor (x.unsqueeze(0) inside matmul) is
        # shown as the tensor it views: that is the input the person wrote and can edit.
        while t._base is not None:
            t = t._base
        return t

    def build(self, root_ids) -> nx.DiGraph:
        import networkx as nx  # imported on first export: `import gradviz` stays light

        G = nx.DiGraph()
        # Filled through networkx's own adjacency dicts: add_nodes_from/add_edges_from check
        # and copy every attribute dict, which is most of the cost on a 100k-node graph.
        node, succ, pred = G._node, G._succ, G._pred
        for nid, attrs in self.nodes:
            node[nid] = attrs
            succ[nid] = {}
            pred[nid] = {}
        for (u, v), attrs in self.edges.items():
            succ[u][v] = attrs
            pred[v][u] = attrs
        G.graph.update(roots=root_ids, ids=self.ids, objects=self.objects, inputs=self.inputs)
        G.graph["scopes"] = self.scopes(node)
        self.name_parameters(node)
        return G

    def name_parameters(self, node: dict) -> None:
        """A leaf nobody named that a module's op used is that module's parameter: it takes
        its path in the model (``blocks.3.attn.query.weight``, ``named_parameters``' spelling)
        instead of its shape."""
        frames_of = {fid: ft for fid, _, ft in self.frames if ft}
        if not frames_of:
            return
        paths_of: dict = {}
        for (u, v) in self.edges:
            attrs = node[u]
            if attrs["kind"] != "tensor" or attrs["role"] != "leaf" or attrs["name"] is not None:
                continue
            ft = frames_of.get(v)
            name = _scopes.parameter_name(self.objects.get(u), ft, paths_of) if ft else None
            if name is not None:
                attrs["name"] = name
                attrs["label"] = tensor_label(name, attrs["shape"])

    def scopes(self, node: dict) -> dict:
        """Set every node's ``scope`` (a tuple of names, outermost first) and return
        ``{scope: module class name or None}`` in the order the scopes were entered.

        A function's scope is what was running when it was recorded, and the tensor it made
        shares it. A tensor no function made (a leaf, a constant) goes in the innermost scope
        common to all the functions that use it: a weight used by one ``Linear`` sits in that
        ``Linear``'s box, a weight shared by every call of an RNN cell sits outside all of them
        (inside any one call, that call's box would feed the others and the collapsed graph could
        have a cycle), and so does a constant made inside a module (a mask, padding). A constant
        the caller named (``x``, the data fed to the model) is the caller's own input and stays
        at the top level, so a box shows it as going in."""
        path_of_tuple: dict = {}
        for _, _, ft in self.frames:
            path_of_tuple.setdefault(id(ft), ft)
        frames = {f: None for ft in path_of_tuple.values() for f in ft}
        names = frame_names(path_of_tuple.values())
        path_of_frame: dict = {}
        found: dict = {}
        for f in sorted(frames, key=lambda f: f.serial):  # a parent was entered before its children
            path = (path_of_frame[f.parent] if f.parent is not None else ()) + (names[f],)
            path_of_frame[f] = path
            found[path] = f.module_class
        for k, ft in path_of_tuple.items():
            path_of_tuple[k] = path_of_frame[ft[-1]] if ft else ()
        for fid, out_tid, ft in self.frames:
            path = path_of_tuple[id(ft)]
            node[fid]["scope"] = path
            node[out_tid]["scope"] = path
        consumers: dict = {}
        for (u, v) in self.edges:
            if "scope" not in node[u]:
                consumers.setdefault(u, []).append(node[v]["scope"])
        for nid, attrs in self.nodes:
            if "scope" not in attrs:
                named_input = attrs["name"] is not None and not attrs["requires_grad"]
                attrs["scope"] = () if named_input else _common_prefix(consumers.get(nid, ()))
        return found


def _common_prefix(paths) -> tuple:
    """The longest tuple every path starts with (``()`` for no paths)."""
    it = iter(paths)
    first = next(it, ())
    n = len(first)
    for p in it:
        n = min(n, len(p))
        for i in range(n):
            if p[i] != first[i]:
                n = i
                break
        if n == 0:
            break
    return first[:n]


def same_structure(a: nx.DiGraph, b: nx.DiGraph) -> bool:
    """Whether two exports have the same nodes (ids and kinds, function names) and edges."""
    if a.number_of_nodes() != b.number_of_nodes() or a.number_of_edges() != b.number_of_edges():
        return False
    for n, d in a.nodes(data=True):
        if n not in b or b.nodes[n]["kind"] != d["kind"] or b.nodes[n]["label" if d["kind"] == "function" else "kind"] != d["label" if d["kind"] == "function" else "kind"]:
            return False
    return all(b.has_edge(u, v) for u, v in a.edges())


# --- replay --------------------------------------------------------------------------------
class ReplayError(ValueError):
    """The recorded ops cannot take the new inputs (or the graph cannot be replayed)."""


@dataclass
class Replayed:
    """The result of ``replay``: new roots, and for every tensor of the old graph that was
    rebuilt, its new counterpart (``tensors[old] -> new``)."""

    roots: list
    tensors: dict

    @property
    def root(self):
        return self.roots[0]

    def names(self, old_names: dict) -> dict:
        """Carry ``{id(old): name}`` over to the new tensors."""
        return {id(new): old_names[id(old)] for old, new in self.tensors.items() if id(old) in old_names}


def sources(roots) -> list:
    """The tensors a graph was computed from (leaves and constants), in a deterministic order."""
    order, _ = _recipe_order([roots] if isinstance(roots, Tensor) else list(roots))
    return [t for t in order if t._recipe is None]


def _tensors_in(args):
    for a in args:
        if isinstance(a, Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from _tensors_in(a)


def _recipe_order(roots):
    """Every tensor the roots were computed from, inputs before outputs (iterative post-order,
    so deep graphs do not hit Python's recursion limit)."""
    order, seen = [], set()
    for root in roots:
        if id(root) in seen:
            continue
        stack = [(root, False)]
        while stack:
            t, expanded = stack.pop()
            if expanded:
                order.append(t)
                continue
            if id(t) in seen:
                continue
            seen.add(id(t))
            stack.append((t, True))
            recipe = t._recipe
            if recipe is INPLACE_RECIPE:
                raise ReplayError(
                    f"a tensor of shape {tuple(t._array.shape)} was changed in place while the graph "
                    "was recorded; replay can only re-run out-of-place operations")
            if recipe is not None:
                for a in reversed(list(_tensors_in(recipe[1]))):
                    if id(a) not in seen:
                        stack.append((a, False))
                for a in _tensors_in(recipe[2].values()):
                    if id(a) not in seen:
                        stack.append((a, False))
    return order, seen


def _substitute(x, new):
    if isinstance(x, Tensor):
        return new[id(x)]
    if isinstance(x, list):
        return [_substitute(i, new) for i in x]
    if isinstance(x, tuple):
        return tuple(_substitute(i, new) for i in x)
    return x


def replay(roots, values: dict | None = None) -> Replayed:
    """Run the recorded computation of ``roots`` forward again, with new values for some of its
    leaves and constants: ``values = {old_tensor: new_value}`` (array-likes or tensors).

    Nothing of the old graph changes: every leaf and constant is copied into a new tensor (with
    the same ``requires_grad``; gradients start at None), and every op is re-run on the copies.
    A value of another dtype is converted to the old tensor's dtype; a shape the recorded ops
    cannot take raises ``ReplayError`` naming the op and the reason."""
    from .autograd.grad_mode import set_grad_enabled, is_grad_enabled

    root_list = [roots] if isinstance(roots, Tensor) else list(roots)
    values = values or {}
    order, seen = _recipe_order(root_list)
    for old in values:
        if not isinstance(old, Tensor):
            raise TypeError("replay values must be keyed by the tensors they replace")
        if id(old) not in seen:
            raise ReplayError("a replacement value was given for a tensor that is not part of this graph")
        if old._recipe is not None:
            raise ReplayError("only leaves and constants can be given new values; "
                              "other tensors are computed from them")
    new_values = {id(k): v for k, v in values.items()}
    new: dict = {}
    mapping: dict = {}
    previous = is_grad_enabled()
    previous_scope = _scopes.current
    try:
        for t in order:
            recipe = t._recipe
            if recipe is None:
                arr = _checked_value(t, new_values[id(t)]) if id(t) in new_values else t._array.copy()
                nt = Tensor._make(arr, t._requires_grad)
            else:
                op, args, kwargs, enabled, index = recipe
                set_grad_enabled(enabled)
                # Re-recorded under the scopes of the original, so the copy collapses the same.
                fn = t.grad_fn
                _scopes.current = fn._scope if fn is not None else ()
                try:
                    out = op(*_substitute(args, new), **{k: _substitute(v, new) for k, v in kwargs.items()})
                except (RuntimeError, ValueError, IndexError, TypeError) as e:
                    raise ReplayError(f"{op.__name__} cannot take the new inputs: {e}") from e
                nt = out if index is None else out[index]
            new[id(t)] = nt
            mapping[t] = nt
    finally:
        set_grad_enabled(previous)
        _scopes.current = previous_scope
    return Replayed([new[id(r)] for r in root_list], mapping)


def _checked_value(old: Tensor, value) -> np.ndarray:
    arr = value._array if isinstance(value, Tensor) else np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ReplayError(f"expected numbers, got values of type {arr.dtype}")
    target = old._array.dtype
    if arr.dtype != target:
        if target.kind in "iub" and arr.dtype.kind == "f":
            if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
                raise ReplayError(f"this input holds {target.name} values; got non-integer numbers")
        arr = arr.astype(target)
    else:
        arr = arr.copy()
    return arr
