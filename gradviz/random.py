"""gradviz's own random stream. ``manual_seed`` makes runs repeatable; the numbers are not
PyTorch's (the stream is numpy's PCG64), which no program should rely on anyway.

A ``Generator`` is a seedable stream of its own, as in PyTorch: pass it as ``generator=`` to
``randn``, ``rand``, ``randint``, ``randperm``, ``normal``, ``multinomial`` and the in-place
``normal_``/``uniform_``, and the global stream is left alone."""
from __future__ import annotations

import numpy as np

# PyTorch's default seed of a new generator (a fixed value, so a fresh Generator() repeats).
_DEFAULT_SEED = 67280421310721


class Generator:
    """A random stream: ``gradviz.Generator().manual_seed(42)``."""

    def __init__(self, device="cpu"):
        from .devices import as_device, check_available

        d = as_device(device)
        if d.type == "cuda":
            raise RuntimeError("Cannot get CUDA generator without ATen_cuda library.")
        check_available(d)
        self.device = d
        self.manual_seed(_DEFAULT_SEED)

    def __repr__(self) -> str:
        return f"<gradviz.Generator object at {hex(id(self))}>"

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            # PyTorch takes a negative seed modulo 2**64.
            seed += 1 << 64
        if not 0 <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % (1 << 63))
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> "Generator":
        self._rng.bit_generator.state = state
        return self

    # --- draws, as numpy arrays (the creation functions wrap them in tensors) --------------
    def normal(self, shape, dtype) -> np.ndarray:
        return self._rng.standard_normal(shape).astype(dtype, copy=False)

    def uniform(self, shape, dtype) -> np.ndarray:
        return self._rng.random(shape).astype(dtype, copy=False)

    def integers(self, low, high, shape) -> np.ndarray:
        return self._rng.integers(low, high, size=shape, dtype=np.int64)

    def permutation(self, n) -> np.ndarray:
        return self._rng.permutation(n).astype(np.int64)

    def categorical(self, probs: np.ndarray, n: int, replacement: bool) -> np.ndarray:
        """``n`` category indices drawn with weights ``probs`` (one row, non-negative, not all
        zero), with or without replacement."""
        p = probs.astype(np.float64) / probs.astype(np.float64).sum()
        if replacement:
            return self._rng.choice(len(p), size=n, replace=True, p=p).astype(np.int64)
        # Without replacement: the Gumbel-top-k trick (the k largest of log p + Gumbel noise are
        # a draw of k distinct categories with these weights); zero weights come last.
        with np.errstate(divide="ignore"):
            keys = np.log(p) + self._rng.gumbel(size=len(p))
        return np.argsort(-keys, kind="stable")[:n].astype(np.int64)


default_generator = Generator()
default_generator.manual_seed(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global stream; returns it (``gradviz.manual_seed(0)`` as in PyTorch)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)
