"""Tensor printing, following PyTorch's rules, so that printed values read the same.

Floats print with 4 decimals, in scientific notation when the magnitudes span more than
1000x or leave [1e-4, 1e8); integral floats print as ``4.``; rows wrap at 80 columns; tensors
with more than 1000 elements are summarised with ``...`` and 3 items at each edge.
"""
from __future__ import annotations

import math

import numpy as np

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE = None  # None: decided from the values, as above; True/False: forced

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """PyTorch's ``torch.set_printoptions``: decimals, the size above which tensors are
    summarised, how many items each edge keeps, the line width, a ``profile`` ('default',
    'short', 'full') and ``sci_mode`` (True/False forces scientific notation on or off; None
    lets the values decide)."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile is not None:
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        PRECISION = int(precision)
    if threshold is not None:
        THRESHOLD = threshold
    if edgeitems is not None:
        EDGEITEMS = int(edgeitems)
    if linewidth is not None:
        LINEWIDTH = int(linewidth)
    SCI_MODE = sci_mode


def get_printoptions() -> dict:
    return {"precision": PRECISION, "threshold": THRESHOLD, "edgeitems": EDGEITEMS,
            "linewidth": LINEWIDTH, "sci_mode": SCI_MODE}


class _Formatter:
    # Mirrors torch/_tensor_str.py's _Formatter: the width and the mode come from the nonzero
    # finite values only (nan, inf and 0 never widen a column or switch to scientific).
    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if values.dtype.kind == "b":
            self.max_width = max((len(str(bool(v))) for v in values.ravel()), default=1)
            return
        if not self.floating:
            self.max_width = max((len(str(int(v))) for v in values.ravel()), default=1)
            return
        flat = values.ravel().astype(np.float64)
        nz = flat[np.isfinite(flat) & (flat != 0)]
        if nz.size == 0:
            return
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        absv = np.abs(nz)
        lo, hi = absv.min(), absv.max()
        if self.int_mode:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8)
            if not self.sci_mode:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in nz)
        else:
            self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4)
            if not self.sci_mode:
                self.max_width = max(len(f"{v:.{PRECISION}f}") for v in nz)
        if SCI_MODE is not None:
            self.sci_mode = bool(SCI_MODE)
            if not self.sci_mode:
                self.max_width = max(len(f"{v:.0f}") + 1 if self.int_mode
                                     else len(f"{v:.{PRECISION}f}") for v in nz)
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{PRECISION}e}") for v in nz)

    @staticmethod
    def _nonfinite(v) -> str:
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")

    def format(self, v) -> str:
        if not self.floating:
            return str(bool(v)) if isinstance(v, (bool, np.bool_)) else str(int(v))
        v = float(v)
        if not math.isfinite(v):
            return self._nonfinite(v)
        if self.sci_mode:
            return f"{v:.{PRECISION}e}"
        if self.int_mode:
            return f"{v:.0f}."
        return f"{v:.{PRECISION}f}"

    def cell(self, v) -> str:
        return self.format(v).rjust(self.max_width)


def _summarised(a: np.ndarray) -> np.ndarray:
    """The elements that will be printed (edges only, for big tensors)."""
    if a.ndim == 0:
        return a.reshape(1)
    parts = []

    def walk(x):
        if x.ndim == 1:
            parts.append(x if x.shape[0] <= 2 * EDGEITEMS else np.concatenate([x[:EDGEITEMS], x[-EDGEITEMS:]]))
            return
        rows = range(x.shape[0]) if x.shape[0] <= 2 * EDGEITEMS else (
            list(range(EDGEITEMS)) + list(range(x.shape[0] - EDGEITEMS, x.shape[0])))
        for i in rows:
            walk(x[i])

    walk(a)
    return np.concatenate(parts) if parts else a.reshape(0)


def _rows(a: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    if a.ndim == 1:
        n = a.shape[0]
        if summarize and n > 2 * EDGEITEMS:
            cells = [fmt.cell(v) for v in a[:EDGEITEMS]] + [" ..."] + [fmt.cell(v) for v in a[-EDGEITEMS:]]
        else:
            cells = [fmt.cell(v) for v in a]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
        lines = [", ".join(cells[i:i + per_line]) for i in range(0, len(cells), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = a.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        parts = [_rows(a[i], fmt, indent + 1, summarize) for i in range(EDGEITEMS)] + ["..."] + [
            _rows(a[i], fmt, indent + 1, summarize) for i in range(n - EDGEITEMS, n)]
    else:
        parts = [_rows(a[i], fmt, indent + 1, summarize) for i in range(n)]
    sep = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def format_array(a: np.ndarray, indent: int) -> str:
    """The bracketed body PyTorch prints for ``a`` (after ``tensor(``)."""
    if a.size == 0:
        return "[]" if a.ndim <= 1 else f"size({tuple(a.shape)})"
    summarize = a.size > THRESHOLD
    shown = _summarised(a) if summarize else a
    fmt = _Formatter(shown)
    if a.ndim == 0:
        return fmt.format(a.item())
    return _rows(a, fmt, indent, summarize)


def tensor_repr(t) -> str:
    a = t._array
    prefix = "tensor("
    indent = len(prefix)
    from .dtypes import get_default_dtype

    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        # Nothing to infer an integer dtype from, so only the default float goes unsaid.
        if a.dtype != get_default_dtype().numpy:
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        body = format_array(a, indent)
        default = {get_default_dtype().numpy, np.dtype(np.int64), np.dtype(np.bool_)}
        if a.dtype not in default:
            suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """torch/_tensor_str.py's _add_suffixes: a suffix that would pass the line width goes on a
    new line (the length arithmetic, off by a little, is PyTorch's own)."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # Measured as PyTorch's "torch.float64" would be, so that lines break where PyTorch
        # breaks them and the text is PyTorch's with only the module name changed.
        n = len(suffix.replace("gradviz.", "torch."))
        if last_line_len + n + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
        else:
            parts.append(", " + suffix)
            last_line_len += n + 2
    parts.append(")")
    return "".join(parts)
