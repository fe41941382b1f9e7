"""``gradviz.linalg``: the vector norms of ``torch.linalg``."""
from __future__ import annotations

from .ops.statistics import vector_norm


def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """``torch.linalg.norm`` for vector norms, and the Frobenius norm of matrices (the 2-norm
    of all their elements). Other matrix norms (nuclear, spectral) are not implemented."""
    if isinstance(ord, str):
        if ord != "fro":
            raise NotImplementedError(f"gradviz.linalg.norm: the matrix norm ord={ord!r} is not "
                                      "implemented; only vector norms and 'fro'")
        ord = None
    if ord is not None and (dim is None and A.ndim == 2 or isinstance(dim, (tuple, list))
                            and len(dim) == 2):
        raise NotImplementedError("gradviz.linalg.norm: matrix norms other than 'fro' are not "
                                  "implemented; use vector_norm")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


__all__ = ["norm", "vector_norm"]


from .ops.cross_svd import linalg_cross as cross  # noqa: E402,F401
