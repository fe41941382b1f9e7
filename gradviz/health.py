"""Gradient health: is a gradient finite, and is its size reasonable?

Thresholds are on the largest absolute entry. A gradient whose entries are all below
``vanishing`` (but not all exactly zero) is vanishing; one with an entry above ``exploding`` is
exploding. Exact zeros are reported as "zero" (a ReLU that is off, a zeroed grad), not as a
problem.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_VANISHING = 1e-6
DEFAULT_EXPLODING = 1e3


@dataclass(frozen=True)
class Thresholds:
    vanishing: float = DEFAULT_VANISHING
    exploding: float = DEFAULT_EXPLODING


def gradient_health(grad, thresholds: Thresholds = Thresholds()) -> str | None:
    """One of "nan", "inf", "exploding", "vanishing", "zero", "ok"; None when there is no grad."""
    if grad is None:
        return None
    a = np.asarray(grad)
    if a.size == 0:
        return "ok"
    if a.dtype.kind not in "fc":
        return "ok"
    if np.isnan(a).any():
        return "nan"
    if np.isinf(a).any():
        return "inf"
    m = float(np.abs(a).max())
    if m == 0.0:
        return "zero"
    if m > thresholds.exploding:
        return "exploding"
    if m < thresholds.vanishing:
        return "vanishing"
    return "ok"


def magnitude(grad) -> float | None:
    """The largest absolute entry (NaN if any entry is NaN), or None without a grad."""
    if grad is None:
        return None
    a = np.asarray(grad)
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore"):
        return float(np.abs(a).max())
