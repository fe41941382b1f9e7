"""Printing and comparing tensors as PyTorch does: reprs under ``set_printoptions``, and the
verdicts and messages of ``testing.assert_close``."""
from __future__ import annotations

import numpy as np
import pytest

import gradviz as gv

pytestmark = pytest.mark.torch

OPTIONS = [dict(precision=2), dict(sci_mode=False), dict(sci_mode=True), dict(profile="short"),
           dict(profile="full", linewidth=120), dict(threshold=10, edgeitems=1),
           dict(precision=6, sci_mode=False), dict(linewidth=40), dict(profile="default")]


def _arrays():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)), np.array([1e-6, 1.0, 12345.678]),
            np.array([1.0, 2.0, 300000.0]), rng.standard_normal(1500), np.arange(12.0).reshape(3, 4),
            np.array([0.5, float("nan"), float("inf")]), rng.standard_normal((4, 5, 6)),
            np.array(3.25)]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_reprs_under_print_options(torch, options):
    try:
        for mod in (torch, gv):
            mod.set_printoptions(**options)
        for a in _arrays():
            for dtype in ("float32", "float64"):
                t = repr(torch.tensor(a, dtype=getattr(torch, dtype)))
                g = repr(gv.tensor(a, dtype=getattr(gv, dtype)))
                assert g.replace("gradviz.", "torch.") == t, (options, a.shape, dtype)
    finally:
        for mod in (torch, gv):
            mod.set_printoptions(profile="default")
    assert gv.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                     "linewidth": 80, "sci_mode": None}


ASSERT_CLOSE_CASES = [
    ("torch.tensor([1.0, 2.0])", "torch.tensor([1.0, 2.1])"),
    ("torch.tensor([1.0, 2.0])", "torch.tensor([1.0, 2.0000001])"),
    ("torch.tensor([1.0, 2.0])", "torch.tensor([1.0, 2.0], dtype=torch.float64)"),
    ("torch.tensor([[1.0, 2.0]])", "torch.tensor([[1.0, 3.0]])"),
    ("torch.tensor([1.0, 2.0])", "torch.tensor([1.0, 2.0, 3.0])"),
    ("torch.tensor([1.0, 2.0], dtype=torch.float64)", "torch.tensor([1.0, 2.0 + 1e-6], dtype=torch.float64)"),
    ("torch.tensor([1, 2])", "torch.tensor([1, 3])"),
    ("torch.tensor([float('nan')])", "torch.tensor([float('nan')])"),
]


@pytest.mark.parametrize("a,b", ASSERT_CLOSE_CASES)
def test_testing_assert_close(torch, a, b):
    """``torch.testing.assert_close``: the same verdict and the same message."""
    got = []
    for mod in (torch, gv):
        env = {"torch": mod}
        try:
            mod.testing.assert_close(eval(a, env), eval(b, env))
            got.append(None)
        except AssertionError as exc:
            got.append(str(exc).replace("gradviz.", "torch."))
    assert got[1] == got[0]
