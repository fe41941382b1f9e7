"""What a PyTorch autograd node saved for backward, read without side effects.

Generated nodes expose each saved value as ``_saved_<name>``; tensors also as ``_raw_saved_<name>``,
whose ``.data`` is the stored tensor without running saved-tensor unpack hooks (which, under
activation checkpointing, would recompute the forward). A custom ``Function`` keeps its tensors
in ``_raw_saved_tensors``. After backward without ``retain_graph`` the tensors are gone: reading
them raises PyTorch's error, which here marks the entry as freed. Anything else that cannot be read
is reported as unreadable rather than raised, so no node can break an export.
"""
from __future__ import annotations

import torch
from torch.autograd.function import BackwardCFunction

# Sizes and strides PyTorch keeps beside a saved tensor: not shown as saved values of their own,
# but they still give a freed tensor's shape.
_SHAPE_SUFFIXES = ("_sym_sizes", "_sym_strides", "_sym_storage_offset", "_sym_sizes_opt",
                   "_sym_argsize_dim", "_sizes", "_strides")

_ATTRS_BY_TYPE: dict = {}


class Saved:
    """``entries``: ``[{"name", "shape", "freed"}]`` for tensors (shape None when unknown);
    ``args``: ``[{"name", "value"}]`` for the other saved values (dims, scalars, sizes);
    ``tensors``: ``[(name, tensor)]``, the saved tensors still readable."""

    __slots__ = ("entries", "args", "tensors")

    def __init__(self):
        self.entries: list = []
        self.args: list = []
        self.tensors: list = []


def _attrs(tp) -> tuple:
    cached = _ATTRS_BY_TYPE.get(tp)
    if cached is None:
        names = [a[len("_saved_"):] for a in dir(tp) if a.startswith("_saved_")]
        raw = {a[len("_raw_saved_"):] for a in dir(tp) if a.startswith("_raw_saved_")}
        cached = _ATTRS_BY_TYPE[tp] = (tuple(names), raw)
    return cached


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_freed(exc: Exception) -> bool:
    return "freed" in str(exc) or "second time" in str(exc)


def _sizes(fn, name):
    try:
        s = getattr(fn, f"_saved_{name}_sym_sizes")
        return tuple(int(x) for x in s)
    except Exception:  # noqa: BLE001 - no sizes kept beside this tensor
        return None


def read_saved(fn) -> Saved:
    out = Saved()
    if isinstance(fn, BackwardCFunction):
        _read_custom(fn, out)
        return out
    names, raw = _attrs(type(fn))
    for name in names:
        if name.endswith(_SHAPE_SUFFIXES):
            continue
        if name in raw:
            _read_raw(fn, name, out)
            continue
        try:
            v = getattr(fn, "_saved_" + name)
        except RuntimeError as e:
            if _is_freed(e):
                out.entries.append({"name": name, "shape": _sizes(fn, name), "freed": True})
            else:
                out.args.append({"name": name, "value": "(unreadable)"})
            continue
        except Exception:  # noqa: BLE001
            out.args.append({"name": name, "value": "(unreadable)"})
            continue
        if isinstance(v, torch.Tensor):
            out.entries.append({"name": name, "shape": tuple(v.shape), "freed": False})
            out.tensors.append((name, v))
        else:
            out.args.append({"name": name, "value": _short(v)})
    return out


def _read_raw(fn, name, out: Saved) -> None:
    try:
        raw = getattr(fn, "_raw_saved_" + name)
    except RuntimeError as e:
        if _is_freed(e):
            out.entries.append({"name": name, "shape": _sizes(fn, name), "freed": True})
        return
    except Exception:  # noqa: BLE001
        out.args.append({"name": name, "value": "(unreadable)"})
        return
    items = list(enumerate(raw)) if isinstance(raw, (list, tuple)) else [(None, raw)]
    for i, r in items:
        label = name if i is None else f"{name}[{i}]"
        try:
            data = r.data
        except RuntimeError as e:
            if _is_freed(e):
                out.entries.append({"name": label, "shape": None, "freed": True})
            continue
        except Exception:  # noqa: BLE001
            out.args.append({"name": label, "value": "(unreadable)"})
            continue
        if isinstance(data, torch.Tensor):
            out.entries.append({"name": label, "shape": tuple(data.shape), "freed": False})
            out.tensors.append((label, data))
        elif data is None:
            # Either freed by backward or never defined (an optional input left out): only the
            # unpacking accessor tells which, and with nothing packed it runs no hook.
            try:
                getattr(fn, "_saved_" + name)
            except RuntimeError as e:
                if _is_freed(e):
                    out.entries.append({"name": label, "shape": _sizes(fn, name) if i is None else None,
                                        "freed": True})
            except Exception:  # noqa: BLE001
                pass
        else:
            # Packed by a saved-tensor hook (checkpointing, offloading): kept, in another form.
            out.entries.append({"name": label, "shape": _sizes(fn, name) if i is None else None,
                                "freed": False})


def _read_custom(fn, out: Saved) -> None:
    try:
        raws = fn._raw_saved_tensors
    except RuntimeError as e:
        if _is_freed(e):
            out.entries.append({"name": "saved_tensors", "shape": None, "freed": True})
        return
    except Exception:  # noqa: BLE001
        return
    for i, r in enumerate(raws or ()):
        label = f"saved_tensors[{i}]"
        try:
            data = r.data
        except Exception:  # noqa: BLE001
            out.entries.append({"name": label, "shape": None, "freed": True})
            continue
        if isinstance(data, torch.Tensor):
            out.entries.append({"name": label, "shape": tuple(data.shape), "freed": False})
            out.tensors.append((label, data))
        elif data is not None:
            out.entries.append({"name": label, "shape": None, "freed": False})


def saved_tensor_names(fn) -> tuple:
    """The names of the tensors ``fn`` holds for backward now (those a pass without
    ``retain_graph`` frees). Runs before every recorded pass for every node, so it only checks
    that each raw saved slot holds something, without building ``read_saved``'s entries."""
    if isinstance(fn, BackwardCFunction):
        try:
            raws = fn._raw_saved_tensors or ()
        except Exception:  # noqa: BLE001 - freed already, or unreadable: nothing left to free
            return ()
        return tuple(f"saved_tensors[{i}]" for i, r in enumerate(raws) if r.data is not None)
    names, raw = _attrs(type(fn))
    if not raw:
        return ()
    out = []
    for name in names:
        if name not in raw:
            continue
        try:
            r = getattr(fn, "_raw_saved_" + name)
            if isinstance(r, (list, tuple)):
                out.extend(f"{name}[{i}]" for i, x in enumerate(r) if x.data is not None)
            elif r.data is not None:
                out.append(name)
        except Exception:  # noqa: BLE001 - freed already, or unreadable
            continue
    return tuple(out)
