"""``Variable``: the name tensors had before PyTorch 0.4, which PyTorch still accepts.

``Variable(t, requires_grad=True)`` gives a new leaf over the same data as ``t``, and every
tensor is an instance of ``Variable``, so old tutorials run unchanged."""
from __future__ import annotations


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        from ..tensor import Tensor

        return isinstance(other, Tensor)

    def __call__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from ..tensor import Tensor

        if data is None:
            from ..creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            if out._array.dtype.kind not in "fc":
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            out._requires_grad = True
        return out


class Variable(metaclass=_VariableMeta):
    """Legacy alias: ``Variable(tensor, requires_grad=False)`` returns a tensor."""
