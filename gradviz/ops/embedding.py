"""Looking rows up by index: ``embedding`` (EmbeddingBackward0) and ``one_hot``."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from .base import record


class EmbeddingBackward0(Node):
    __slots__ = ()
    rule = "d weight[i] = Σ of g over every position that looked up row i (none for padding_idx)"

    def backward(self, g):
        idx, n, pad = self.saved("indices"), self.saved("num_weights"), self._saved.get("padding_idx")
        flat_idx = idx.reshape(-1)
        flat_g = g.reshape(flat_idx.size, -1)
        out = np.zeros((n, flat_g.shape[1]), dtype=g.dtype)
        np.add.at(out, flat_idx, flat_g)
        if pad is not None and pad >= 0:
            out[pad] = 0
        return (out,)


def _index_type_name(a: np.ndarray) -> str:
    from ..dtypes import scalar_type_name

    return f"torch.{scalar_type_name(a.dtype)}Tensor"


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of ``weight`` picked by the integer tensor ``input``: shape ``input.shape +
    (embedding_dim,)``. The row ``padding_idx`` receives no gradient."""
    from ..tensor import Tensor

    idx = input._array if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
            f"Long, Int; but got {_index_type_name(idx)} instead (while checking arguments for "
            "embedding)")
    w = weight._array
    n = w.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding with scale_grad_by_freq or sparse is not supported")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        # PyTorch renormalises the looked-up rows of weight in place, outside the graph.
        rows = np.unique(idx)
        norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] = (w[rows] * scale[:, None]).astype(w.dtype)
        weight._version_counter[0] += 1
    out = w[idx]
    return record(EmbeddingBackward0, out, (weight,), indices=idx, num_weights=n,
                  padding_idx=padding_idx)


def one_hot(tensor, num_classes: int = -1):
    """An int64 tensor with a trailing dim of ``num_classes`` (inferred as max + 1 when -1):
    1 at each value's position, 0 elsewhere. Not differentiable."""
    from ..tensor import Tensor

    a = tensor._array
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(a.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, a[..., None], 1, axis=-1)
    return Tensor._make(out)
