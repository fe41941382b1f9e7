"""Public PyTorch teaching programs run unchanged on PyTorch and on gradviz, and agree.

Every ``tests/programs/*.py`` (names starting with ``_`` excepted; see
``tests/programs/README.md`` for the format) runs twice, each in a fresh interpreter: once
with real PyTorch, once with gradviz standing in for ``torch`` and all its submodules. The two
``RESULTS`` dicts must have the same keys, and each value must agree:

- arrays (tensors are converted to numpy): same shape and dtype, values within
  ``RTOL``/``ATOL`` below (float32 training loops of a few dozen steps drift by rounding only);
  integer and boolean arrays exactly;
- numbers within the same tolerance; strings, None and booleans exactly;
- lists, tuples and dicts element by element.
"""
from __future__ import annotations

import pathlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

from conftest import import_torch

PROGRAMS_DIR = pathlib.Path(__file__).parent / "programs"
HARNESS = PROGRAMS_DIR / "_harness.py"
PROGRAMS = sorted(p for p in PROGRAMS_DIR.glob("*.py") if not p.name.startswith("_"))

# The tolerance every comparison uses (see the module docstring).
RTOL = 1e-4
ATOL = 1e-5


def run_program(program: pathlib.Path, mode: str, tmp_path: pathlib.Path) -> dict:
    """RESULTS of ``program`` run with ``mode`` ('torch' or 'gradviz') in a new interpreter."""
    out = tmp_path / f"{mode}.pickle"
    proc = subprocess.run([sys.executable, str(HARNESS), mode, str(program), str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{program.name} failed under {mode}:\n{proc.stderr[-4000:]}", pytrace=False)
    with open(out, "rb") as f:
        return pickle.load(f)["results"]


def differences(expected, actual, where: str = "") -> list[str]:
    """Where ``actual`` (gradviz) differs from ``expected`` (PyTorch); empty when they agree."""
    if isinstance(expected, dict) or isinstance(actual, dict):
        if not (isinstance(expected, dict) and isinstance(actual, dict)):
            return [f"{where}: {type(expected).__name__} vs {type(actual).__name__}"]
        if set(expected) != set(actual):
            return [f"{where}: keys differ: missing {sorted(set(expected) - set(actual))}, "
                    f"extra {sorted(set(actual) - set(expected))}"]
        return [d for k in expected for d in differences(expected[k], actual[k], f"{where}[{k!r}]")]
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)) \
            and not isinstance(expected, np.ndarray):
        if len(expected) != len(actual):
            return [f"{where}: length {len(expected)} vs {len(actual)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual))
                for d in differences(e, a, f"{where}[{i}]")]
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        e, a = np.asarray(expected), np.asarray(actual)
        if e.shape != a.shape:
            return [f"{where}: shape {e.shape} vs {a.shape}"]
        if e.dtype != a.dtype:
            return [f"{where}: dtype {e.dtype} vs {a.dtype}"]
        if e.dtype.kind in "fc":
            if not np.allclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True):
                err = np.max(np.abs(a.astype(np.float64) - e.astype(np.float64)))
                return [f"{where}: values differ (max abs difference {err:.3g})"]
            return []
        return [] if np.array_equal(e, a) else [f"{where}: values differ:\n{e}\nvs\n{a}"]
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None \
            or isinstance(expected, str) or isinstance(actual, str):
        return [] if (type(expected) is type(actual) and expected == actual) else \
            [f"{where}: {expected!r} vs {actual!r}"]
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if expected == actual else [f"{where}: {expected} vs {actual}"]
        ok = np.isclose(actual, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
        return [] if ok else [f"{where}: {expected!r} vs {actual!r}"]
    return [f"{where}: cannot compare {type(expected).__name__} with {type(actual).__name__}"]


@pytest.mark.torch
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_program_matches_pytorch(program, tmp_path):
    import_torch()
    expected = run_program(program, "torch", tmp_path)
    actual = run_program(program, "gradviz", tmp_path)
    assert expected, f"{program.name}: RESULTS is empty"
    problems = differences(expected, actual)
    assert not problems, f"{program.name} differs from PyTorch:\n" + "\n".join(problems)


def test_every_program_says_where_it_comes_from():
    for program in PROGRAMS:
        text = program.read_text()
        assert text.lstrip().startswith(('"""', "'''")), f"{program.name} has no docstring"
        assert "RESULTS" in text, f"{program.name} defines no RESULTS"


# --- the comparison itself must be able to fail -------------------------------------------------
@pytest.mark.parametrize("expected, actual", [
    ({"a": 1.0}, {"b": 1.0}),
    ({"a": np.zeros(3, np.float32)}, {"a": np.zeros(4, np.float32)}),
    ({"a": np.zeros(3, np.float32)}, {"a": np.zeros(3, np.float64)}),
    ({"a": np.zeros(3, np.float32)}, {"a": np.full(3, 1e-3, np.float32)}),
    ({"a": np.arange(3)}, {"a": np.arange(3) + 1}),
    ({"a": 1.0}, {"a": 1.01}),
    ({"a": 3}, {"a": 4}),
    ({"a": "Linear(in_features=2)"}, {"a": "Linear(in_features=3)"}),
    ({"a": [1.0, 2.0]}, {"a": [1.0]}),
    ({"a": None}, {"a": 0.0}),
])
def test_differences_are_found(expected, actual):
    assert differences(expected, actual)


def test_equal_results_have_no_differences():
    r = {"w": np.linspace(0, 1, 5, dtype=np.float32), "n": 3, "loss": 0.25, "s": "x",
         "hist": [0.5, 0.25], "none": None}
    near = dict(r, w=r["w"] * (1 + 1e-6), loss=0.25 + 1e-7)
    assert differences(r, near) == []


def test_gradviz_run_never_imports_real_torch(tmp_path):
    program = tmp_path / "which.py"
    program.write_text('"""Which library answers to `import torch`."""\n'
                       "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
                       "from torch import optim\n"
                       "RESULTS = {'torch': torch.__name__, 'nn': nn.__name__, 'F': F.__name__,\n"
                       "           'optim': optim.__name__, 'x': torch.ones(2)}\n")
    got = run_program(program, "gradviz", tmp_path)
    assert got["torch"] == "gradviz" and got["nn"] == "gradviz.nn"
    assert got["F"] == "gradviz.nn.functional" and got["optim"] == "gradviz.optim"
    np.testing.assert_array_equal(got["x"], np.ones(2, np.float32))
