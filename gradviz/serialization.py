"""``save`` and ``load``: objects holding tensors (a ``state_dict``, an optimizer's, a whole
model) written to a file or file-like object with pickle, as ``torch.save``/``torch.load`` are
used in training scripts. The format is gradviz's own (a pickle, not PyTorch's zip archive),
so files do not cross between the libraries.

``load`` defaults to ``weights_only=True`` as PyTorch 2.6+ does: only tensors, numpy arrays,
numbers, strings and the usual containers are rebuilt, so loading an untrusted file cannot run
code; ``weights_only=False`` unpickles anything (models, custom classes)."""
from __future__ import annotations

import os
import pickle

# What a weights-only load may rebuild: (module, name) pairs.
_SAFE = {
    ("gradviz.tensor", "_rebuild"), ("gradviz.nn.modules", "_rebuild_parameter"),
    ("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "slice"), ("builtins", "complex"), ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.dtypes", "Float32DType"), ("numpy.dtypes", "Float64DType"),
    ("numpy.dtypes", "Float16DType"), ("numpy.dtypes", "Int64DType"),
    ("numpy.dtypes", "Int32DType"), ("numpy.dtypes", "Int16DType"), ("numpy.dtypes", "Int8DType"),
    ("numpy.dtypes", "UInt8DType"), ("numpy.dtypes", "BoolDType"),
}


class _WeightsOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            "Weights only load failed. Re-running `gradviz.load` with `weights_only` set to "
            "`False` will likely succeed, but it can result in arbitrary code execution. Do it "
            "only if you got the file from a trusted source. Unsupported global: GLOBAL "
            f"{module}.{name}")


def save(obj, f, pickle_module=pickle, pickle_protocol: int = 2, **kwargs) -> None:
    """Write ``obj`` to the path or binary file object ``f``."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            pickle_module.dump(obj, fh, protocol=max(pickle_protocol, 2))
    else:
        pickle_module.dump(obj, f, protocol=max(pickle_protocol, 2))


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **kwargs):
    """Read back what ``save`` wrote. ``map_location`` is accepted and ignored: the CPU is
    gradviz's only device."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return load(fh, map_location, pickle_module, weights_only=weights_only)
    if weights_only is None or weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
        return _WeightsOnlyUnpickler(f).load()
    return (pickle_module or pickle).load(f)

