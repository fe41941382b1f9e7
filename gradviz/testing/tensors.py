"""``gradviz.testing.assert_close``: PyTorch's ``torch.testing.assert_close`` for gradviz
tensors, with its default tolerances per dtype and its messages."""
from __future__ import annotations

import numpy as np

# (rtol, atol) by dtype, as torch.testing documents them.
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _as_array(x):
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return x._array, x
    return np.asarray(x), None


def assert_close(actual, expected, *, rtol=None, atol=None, equal_nan=False, check_dtype=True,
                 msg=None, **_ignored):
    """Raise AssertionError unless ``actual`` and ``expected`` have the same shape (and dtype)
    and are elementwise within ``atol + rtol·|expected|``."""
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    a, ta = _as_array(actual)
    e, te = _as_array(expected)
    if ta is not None and te is not None:
        if a.shape != e.shape:
            raise AssertionError(msg or f"The values for attribute 'shape' do not match: "
                                        f"{ta.shape} != {te.shape}.")
        if check_dtype and a.dtype != e.dtype:
            raise AssertionError(msg or f"The values for attribute 'dtype' do not match: "
                                        f"{ta.dtype} != {te.dtype}.")
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.result_type(a, e).name, (0.0, 0.0))
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    if msg is not None:
        raise AssertionError(msg)
    bad = ~close
    dt = np.result_type(a, e)
    floating = dt.kind == "f"
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if floating:
            # In the inputs' own dtype, so the numbers read as PyTorch's.
            abs_diff = np.abs(a.astype(dt) - e.astype(dt))
            rel_diff = abs_diff / np.abs(e.astype(dt))
        else:
            abs_diff = np.abs(a.astype(np.int64) - e.astype(np.int64))
            rel_diff = abs_diff.astype(np.float32) / np.abs(e.astype(np.float32))
    abs_diff = np.where(bad, abs_diff, 0)
    rel_diff = np.where(bad, rel_diff, 0)
    # np.argmax picks a NaN first, as PyTorch reports it.
    i = np.unravel_index(np.argmax(abs_diff), a.shape)
    j = np.unravel_index(np.argmax(rel_diff), a.shape)
    kind = "Tensor-likes" if ta is not None else "Scalars"
    verdict = "close" if (rtol or atol) else "equal"

    def where(idx):
        return f" at index {tuple(int(k) for k in idx)}" if a.ndim else ""

    up_abs = f" (up to {atol} allowed)" if verdict == "close" else ""
    up_rel = f" (up to {rtol} allowed)" if verdict == "close" else ""
    shown_abs = int(abs_diff[i]) if not floating else float(abs_diff[i])
    raise AssertionError(
        f"{kind} are not {verdict}!\n\nMismatched elements: {int(bad.sum())} / {a.size} "
        f"({100 * bad.sum() / a.size:.1f}%)\n"
        f"Greatest absolute difference: {shown_abs}{where(i)}{up_abs}\n"
        f"Greatest relative difference: {float(rel_diff[j])}{where(j)}{up_rel}")
