"""Runs one public program and writes its ``RESULTS`` as plain numpy values (a pickle).

Used by ``tests/test_public_programs.py`` in a fresh interpreter per run::

    python tests/programs/_harness.py {torch|gradviz} PROGRAM.py OUT.pickle

With ``gradviz``, every ``import torch`` / ``import torch.X.Y`` made by the program resolves to
``gradviz`` / ``gradviz.X.Y`` (an import hook, so any submodule gradviz has is found), and real
PyTorch is never imported. With ``torch``, the program runs on real PyTorch.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import pickle
import runpy
import sys
import time


class _TorchIsGradviz(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``torch[.sub]`` -> the already imported ``gradviz[.sub]`` module object."""

    def __init__(self):
        self._specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "torch" and not fullname.startswith("torch."):
            return None
        real = "gradviz" + fullname[len("torch"):]
        try:
            importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (real == exc.name or real.startswith(exc.name + ".")):
                # PyTorch's wording, so a program's missing submodule reads as it would.
                raise ModuleNotFoundError(f"No module named {fullname!r} (gradviz has no {real!r})",
                                          name=fullname) from None
            raise
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = sys.modules["gradviz" + spec.name[len("torch"):]]
        # The import system stamps the new spec on the module; gradviz's own is put back in
        # exec_module so gradviz's relative imports keep resolving inside gradviz.
        self._specs[id(module)] = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._specs.pop(id(module))


def to_plain(value):
    """A RESULTS value as something both sides can compare: numpy arrays, numbers, strings,
    None, and lists/tuples/dicts of those."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().numpy().copy()
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if hasattr(value, "__array__") and not isinstance(value, (str, bytes)):
        import numpy as np

        return np.asarray(value).copy()
    if isinstance(value, (bool, int, float, complex, str, type(None))):
        return value
    # Anything else (e.g. a torch.Size, a dtype) by its text, with the library's name removed.
    return str(value).replace("gradviz", "torch")


def main(argv):
    mode, program, out = argv
    if mode == "gradviz":
        import gradviz  # noqa: F401

        sys.meta_path.insert(0, _TorchIsGradviz())
    elif mode == "torch":
        import torch

        # One thread: the programs are tiny, and on a shared machine PyTorch's thread pool
        # spends more time waiting for cores than computing.
        torch.set_num_threads(1)
    else:
        raise SystemExit(f"mode must be 'torch' or 'gradviz', not {mode!r}")
    start = time.perf_counter()
    ns = runpy.run_path(program, run_name="__main__")
    seconds = time.perf_counter() - start
    if "RESULTS" not in ns or not isinstance(ns["RESULTS"], dict):
        raise SystemExit(f"{program} defines no RESULTS dict")
    results = {str(k): to_plain(v) for k, v in ns["RESULTS"].items()}
    if mode == "gradviz" and "torch" in sys.modules and not sys.modules["torch"].__name__.startswith("gradviz"):
        raise SystemExit("real PyTorch was imported during the gradviz run")
    with open(out, "wb") as f:
        pickle.dump({"results": results, "seconds": seconds}, f)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main(sys.argv[1:])
