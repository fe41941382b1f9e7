"""Which module was running when each autograd node was made: ``with gradviz.trace(model):``.

Forward pre-hooks push a module call (and PyTorch's next autograd sequence number) on a stack;
forward hooks walk back from the module's outputs over the nodes made since, and mark each node
not yet marked by an inner module with the stack as it stands: the node's ``scope``, outermost
first. Sequence numbers only grow along a thread and a node only points to older nodes, so the
walk stops exactly where the module's own nodes end.

Scope names are gradviz's (``gradviz.autograd.scope``): the traced model is named after its class
(``TransformerEncoderLayer``), the modules inside it by their qualified names (``self_attn``,
``encoder.layers.0``), and a module called again under the same parent is numbered in the order
of its calls (``cell``, ``cell#2``), so each call is a box of its own. The marks live in each
node's ``metadata`` dict, so they last as long as the graph and cost nothing once it is gone.
"""
from __future__ import annotations

import torch
from torch._C._autograd import _get_sequence_nr
from torch.utils._pytree import tree_leaves

from .walk import is_accumulate, next_functions

SCOPE_KEY = "gradviz_scope"  # node.metadata: the scope path of the module calls running
SCOPES_KEY = "gradviz_scopes"  # node.metadata: the trace's {scope path: module class name}
OUTPUTS_KEY = "gradviz_outputs"  # node.metadata: {output_nr: a module's output, detached}


class trace:
    """``with gradviz.trace(model): loss = loss_fn(model(x), y)``

    Marks every autograd node made inside ``model``'s forward with ``scope``, a tuple of the
    module calls running, outermost first (``("TransformerEncoderLayer", "self_attn")``; ``()``
    outside the model), and keeps each module's outputs so the exported graph can show their
    values. The hooks are removed on leaving the block."""

    def __init__(self, model):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"trace expects a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.scopes: dict = {}  # scope path -> module class name, in the order entered
        self._handles: list = []
        self._stack: list = []  # (module, scope path, first sequence number of its nodes)
        self._calls: dict = {}  # (parent path, name) -> calls so far

    def __enter__(self):
        for name, module in self.model.named_modules():
            label = name or type(module).__name__
            self._handles.append(module.register_forward_pre_hook(self._enter(label)))
            self._handles.append(module.register_forward_hook(self._leave(), always_call=True))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._stack.clear()

    def _enter(self, name: str):
        def hook(module, args):
            parent = self._stack[-1][1] if self._stack else ()
            k = self._calls.get((parent, name), 0) + 1
            self._calls[(parent, name)] = k
            path = parent + (name if k == 1 else f"{name}#{k}",)
            self.scopes[path] = type(module).__name__
            self._stack.append((module, path, _get_sequence_nr()))
        return hook

    def _leave(self):
        def hook(module, args, output):
            if not self._stack or self._stack[-1][0] is not module:
                return  # a forward that raised before its inner modules left
            _, path, start = self._stack.pop()
            _mark(output, path, start, self.scopes)
        return hook


def _mark(output, path: tuple, start: int, scopes: dict) -> None:
    stack = []
    for t in tree_leaves(output):
        if isinstance(t, torch.Tensor) and t.grad_fn is not None:
            fn = t.grad_fn
            if not is_accumulate(fn) and fn._sequence_nr() >= start:
                outs = fn.metadata.setdefault(OUTPUTS_KEY, {})
                outs.setdefault(t.output_nr, t.detach())
                stack.append(fn)
    seen = set()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        meta = fn.metadata
        if SCOPE_KEY not in meta:
            meta[SCOPE_KEY] = path
            meta[SCOPES_KEY] = scopes
        for nxt, _ in next_functions(fn):
            if nxt is not None and nxt not in seen and not is_accumulate(nxt) \
                    and nxt._sequence_nr() >= start:
                stack.append(nxt)
