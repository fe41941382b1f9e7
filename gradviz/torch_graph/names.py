"""Names for torch tensors: the caller's variables, and parameters by their module path.

A parameter is named by its qualified name in the model (``encoder.layers.0.linear1.weight``)
when the model is passed or is one of the caller's variables; that name wins over a caller's
variable (a loop variable ``p`` left over from ``for p in model.parameters()`` must not name a
weight), and explicit ``names=`` win over both.
"""
from __future__ import annotations

import sys

import torch


class CallerNames(dict):
    """``{"name": tensor_or_module}`` taken from a caller's variables rather than given by the
    user: for parameters, module paths win over these names."""


def caller_names(depth: int = 1) -> CallerNames:
    """``{"name": tensor_or_module}`` from a caller's variables (locals over globals, names
    starting with "_" skipped); ``depth`` counts frames above the caller of this function."""
    frame = sys._getframe(depth + 1)
    found = CallerNames()
    try:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                if name.startswith("_") or name in found:
                    continue
                if isinstance(value, (torch.Tensor, torch.nn.Module)):
                    found[name] = value
    finally:
        del frame
    return found


class Names:
    """What an export knows by name: ``name_of`` (``id(tensor) -> name``) and ``tensors``
    (the named tensor objects, in the order given, so intermediates among them can be found)."""

    def __init__(self, name_of: dict, tensors: list):
        self.name_of = name_of
        self.tensors = tensors


def resolve(names, model, explicit: bool) -> Names:
    """``names``: ``{"w": w, "model": model}`` or ``{id(w): "w"}``; ``explicit`` says whether the
    user gave them (explicit names win over module paths) or they came from the caller's
    variables (module paths win)."""
    plain: dict = {}
    tensors: list = []
    modules: list = []
    for k, v in (names or {}).items():
        if isinstance(k, str) and isinstance(v, torch.Tensor):
            plain.setdefault(id(v), k)
            tensors.append(v)
        elif isinstance(k, str) and isinstance(v, torch.nn.Module):
            modules.append(v)
        elif isinstance(k, int) and isinstance(v, str):
            plain[k] = v
        else:
            raise TypeError("names must map names to torch tensors or modules, e.g. names={'w': w}")
    if model is not None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        modules.insert(0, model)
    else:
        # The whole model before its parts, so parameters get their fullest qualified names.
        modules.sort(key=lambda m: -sum(1 for _ in m.parameters()))
    paths: dict = {}
    for m in modules:
        for qualified, p in m.named_parameters():
            paths.setdefault(id(p), qualified)
    if explicit:
        name_of = {**paths, **plain}
    else:
        name_of = {**plain, **paths}
    return Names(name_of, tensors)
