"""Walking PyTorch's autograd graph: the node a root feeds, and every node behind the roots.

A node's Python object is created on demand but kept while anyone holds it, so the lists these
functions return also keep each node's identity stable: ``id(node)`` is what an exported graph
maps to its node ids, and what a recorded pass's events carry.
"""
from __future__ import annotations

import torch
from torch.autograd.graph import get_gradient_edge

ACCUMULATE_GRAD = "torch::autograd::AccumulateGrad"


def is_accumulate(node) -> bool:
    """Whether ``node`` is the AccumulateGrad of a leaf (it has a ``variable``)."""
    return type(node).__name__ == "AccumulateGrad"


def gradient_edge(t):
    """The node a gradient for ``t`` flows into (its grad_fn, or its leaf's AccumulateGrad), and
    which of that node's outputs ``t`` is; ``(None, 0)`` for a tensor that needs no gradient."""
    if t.grad_fn is not None:
        return t.grad_fn, t.output_nr
    if t.requires_grad:
        edge = get_gradient_edge(t)
        return edge.node, edge.output_nr
    return None, 0


def next_functions(node) -> tuple:
    """``node.next_functions``, or () for a node whose edges cannot be read."""
    try:
        return node.next_functions
    except Exception:  # noqa: BLE001 - an unreadable node is shown without inputs
        return ()


def reachable(root_nodes) -> list:
    """Every node reachable from ``root_nodes`` (None entries skipped), depth first, each once."""
    seen: set = set()
    add, order = seen.add, []
    append = order.append
    stack = [n for n in reversed(root_nodes) if n is not None]
    push, pop = stack.append, stack.pop
    while stack:
        fn = pop()
        if fn in seen:
            continue
        add(fn)
        append(fn)
        try:
            nexts = fn.next_functions
        except Exception:  # noqa: BLE001 - an unreadable node is a dead end
            continue
        for nxt, _ in reversed(nexts):
            if nxt is not None and nxt not in seen:
                push(nxt)
    return order


def as_root_list(roots) -> list:
    """A tensor or a list of tensors -> a list of torch tensors (TypeError otherwise)."""
    root_list = [roots] if isinstance(roots, torch.Tensor) else list(roots)
    if not root_list or not all(isinstance(r, torch.Tensor) for r in root_list):
        raise TypeError("expected a torch.Tensor or a list of torch tensors")
    return root_list
