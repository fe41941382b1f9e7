"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and ``state_dict``, as
``torch.optim.Optimizer`` keeps them. Subclasses implement ``_update(group)`` on numpy arrays.

Updates follow PyTorch's single-tensor CPU code path operation by operation, each result rounded
to the parameter's dtype as PyTorch's kernels round it (a Python scalar enters a float32 kernel
as float32), so trajectories agree with PyTorch's to float rounding over many steps.
"""
from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor

# Group options PyTorch keeps for its fast paths; gradviz has one path, but a group carries
# them so that ``param_groups``, ``state_dict()`` and ``repr`` read as PyTorch's do.
_REQUIRED = object()


class Optimizer:
    """Base class of the optimizers: ``param_groups`` (a list of dicts holding ``params`` and
    the options), ``state`` (a dict from parameter to its buffers)."""

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = {}
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. Please "
                            "use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            import warnings

            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          UserWarning, stacklevel=3)
        group = {"params": params}
        for name, default in self.defaults.items():
            if default is _REQUIRED and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group[name] = param_group.get(name, default)
        for name, value in param_group.items():
            if name != "params":
                group[name] = value
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        # The group's keys in PyTorch's order: params first, then the defaults.
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters: to None (the default since PyTorch
        2.0), or to zeros in place with ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p._grad.zero_()

    def step(self, closure=None):
        """One update of every parameter that has a gradient. ``closure`` re-evaluates the
        model and returns the loss, which ``step`` returns."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # The updates work on numpy arrays, never through recorded ops, so no grad mode is
        # needed around them (and a training step does not pay for entering one).
        for group in self.param_groups:
            self._update(group)
        return loss

    def _update(self, group: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- helpers for the subclasses -------------------------------------------------------
    def _params_with_grad(self, group):
        """(param, its data array, its gradient array) for each parameter with a gradient."""
        for p in group["params"]:
            if p._grad is not None:
                g = p._grad._array
                yield p, p._array, (-g if group.get("maximize") else g)

    @staticmethod
    def _write(p: Tensor, new: np.ndarray) -> None:
        """Store ``new`` as ``p``'s data in place (views and the version counter see it)."""
        np.copyto(p._array, new, casting="unsafe")
        p._version_counter[0] += 1

    # --- saving and restoring -------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: buffers}, 'param_groups': [options + 'params': [indices]]}``,
        parameters numbered in group order, as PyTorch numbers them."""
        index, groups, start = {}, [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            for i, p in zip(ids, group["params"]):
                index.setdefault(id(p), i)
            packed["params"] = ids
            start += len(ids)
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        self.state = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for p, i in zip(group["params"], saved["params"]):
                if i in state_dict["state"]:
                    self.state[p] = {k: (Tensor._make(v._array.copy()) if isinstance(v, Tensor) else v)
                                     for k, v in state_dict["state"][i].items()}
            for k, v in saved.items():
                if k != "params":
                    group[k] = v

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def f32(value, like: np.ndarray):
    """A Python number as the scalar a kernel of ``like``'s dtype computes with."""
    return like.dtype.type(value)


def lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp`` as its CPU kernel computes it (two formulas, split at weight 0.5)."""
    w = f32(weight, start)
    if abs(weight) < 0.5:
        return start + w * (end - start)
    return end - (end - start) * (start.dtype.type(1) - w)


def step_tensor(state: dict) -> float:
    """Advance the float32 ``step`` count PyTorch keeps per parameter; return its value."""
    step = state["step"]
    step._array = np.asarray(step._array + np.float32(1))
    return float(step._array)


def zeros_state(a: np.ndarray) -> Tensor:
    return Tensor._make(np.zeros_like(a))
