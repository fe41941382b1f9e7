"""gradviz's own random stream. ``manual_seed`` makes runs repeatable; the numbers are not
PyTorch's (the stream is numpy's PCG64), which no program should rely on anyway."""
from __future__ import annotations

import numpy as np


class Generator:
    def __init__(self, seed: int | None = None):
        self.manual_seed(seed if seed is not None else 0)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state) -> None:
        self._rng.bit_generator.state = state

    def normal(self, shape, dtype) -> np.ndarray:
        return self._rng.standard_normal(shape).astype(dtype, copy=False)

    def uniform(self, shape, dtype) -> np.ndarray:
        return self._rng.random(shape).astype(dtype, copy=False)

    def integers(self, low, high, shape) -> np.ndarray:
        return self._rng.integers(low, high, size=shape, dtype=np.int64)

    def permutation(self, n) -> np.ndarray:
        return self._rng.permutation(n).astype(np.int64)


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()
