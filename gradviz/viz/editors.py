"""Editors for a graph's inputs: every leaf and constant gets one.

Each editor offers a literal to edit or paste (``[[1, 2], [3, 4]]``, parsed with
``ast.literal_eval``: never ``eval``), one cell to set by index, a seeded randomise, and a
``requires_grad`` toggle. It only *proposes* a new value: the explorer replays the forward pass
and either accepts it or hands back the reason, which the editor shows next to the field.
Nothing changes on bad input.
"""
from __future__ import annotations

import ast

import numpy as np
import panel as pn
import param

from . import style
from .locking import locked

MAX_NUMBERS = 10_000          # a paste larger than this is refused
MAX_LITERAL_CHARS = 400_000   # refused before parsing: literal_eval of a huge string is slow


class InputError(ValueError):
    """The text is not an acceptable value; the message says why, for a person."""


NOT_A_NUMBER = "Not a number or a list of numbers: use e.g. 0.5 or [[1, 2], [3, 4]]."
NON_FINITE = "NaN and infinity are not accepted as inputs."
_NON_FINITE_NAMES = {"nan", "inf", "infinity"}
_TENSOR_CALLS = {"tensor", "array", "asarray"}  # a pasted repr: tensor([...]), np.array([...])


def parse_literal(text: str, max_numbers: int = MAX_NUMBERS) -> np.ndarray:
    """Parse ``"[[1, 2], [3, 4]]"`` (or a number) into a float array, safely.

    Only numbers, signs, lists and tuples are read (a pasted ``tensor([...])`` too); nothing
    is evaluated. Raises ``InputError`` with a message for a person for anything else: NaN or
    infinity (also written ``nan``, ``inf``, ``float('nan')``), a number too large for a float,
    rows of different lengths, an empty list, more than ``max_numbers`` numbers, and a text
    longer than ``MAX_LITERAL_CHARS`` (refused before parsing)."""
    text = (text or "").strip()
    if not text:
        raise InputError("Type a number or a nested list such as [[1, 2], [3, 4]].")
    if len(text) > MAX_LITERAL_CHARS:
        raise InputError(f"That paste is too large (more than {MAX_LITERAL_CHARS:,} characters); "
                         f"at most {max_numbers:,} numbers are accepted.")
    try:
        tree = ast.parse(text.replace("\n", " "), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        # (ValueError: an integer literal longer than Python's 4,300-digit limit.)
        raise InputError(NOT_A_NUMBER) from None
    try:
        value = _read(tree.body, 0)
    except RecursionError:
        raise InputError("Lists nested too deeply.") from None
    try:
        arr = np.array(value, dtype=float)
    except (ValueError, TypeError):
        raise InputError("The rows have different lengths: every row needs the same number of entries.") from None
    if arr.size == 0:
        raise InputError("That list is empty: give at least one number, e.g. [1, 2, 3].")
    if arr.size > max_numbers:
        raise InputError(f"Too many numbers ({arr.size:,}); at most {max_numbers:,} are accepted.")
    if not np.all(np.isfinite(arr)):
        raise InputError(NON_FINITE)
    return arr


def _read(node, depth: int):
    """The number or (nested) list that an expression node writes, or InputError."""
    if depth > 32:
        raise InputError("Lists nested too deeply.")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_read(e, depth + 1) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _read(node.operand, depth + 1)
        if isinstance(v, list):
            raise InputError(NOT_A_NUMBER)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            raise InputError("True/False are not numbers here; use 1 or 0.")
        if isinstance(v, int):
            try:
                float(v)
            except OverflowError:
                raise InputError(f"A number with {len(str(abs(v))):,} digits is too large: "
                                 "the largest a float can hold is about 1.8e308.") from None
            return v
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise InputError(NON_FINITE + " (A number above about 1.8e308 is infinity "
                                 "as a float.)")
            return v
        if isinstance(v, complex):
            raise InputError("Complex numbers are not accepted here.")
        raise InputError(f"{v!r} is not a number.")
    if isinstance(node, ast.Name) and node.id.lower() in _NON_FINITE_NAMES or \
            isinstance(node, ast.Attribute) and node.attr.lower() in _NON_FINITE_NAMES:
        raise InputError(NON_FINITE)  # nan, inf, np.nan, math.inf, torch.inf
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            node.func.id if isinstance(node.func, ast.Name) else ""
        if name == "float" and len(node.args) == 1 and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).strip().lower().lstrip("+-") in _NON_FINITE_NAMES:
            raise InputError(NON_FINITE)
        if name in _TENSOR_CALLS and len(node.args) == 1:
            return _read(node.args[0], depth + 1)  # keywords (requires_grad=...) are ignored
    raise InputError(NOT_A_NUMBER)


def check_fits(value: np.ndarray, dtype) -> None:
    """InputError unless every number of ``value`` can be stored in ``dtype`` as it is: not
    beyond a float type's largest number (1e308 into float32 would become infinity), and a
    whole number in range for an integer type."""
    dtype = np.dtype(dtype)
    value = np.asarray(value, dtype=float)
    if dtype.kind == "f":
        limit = float(np.finfo(dtype).max)
        big = np.abs(value) > limit
        if big.any():
            v = float(value[big].flat[0])
            raise InputError(f"{v:g} is too large for this {dtype.name} input: its numbers go up "
                             f"to about {limit:.3g}.")
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        frac = value != np.round(value)
        if frac.any():
            raise InputError(f"This input holds whole numbers ({dtype.name}): "
                             f"{float(value[frac].flat[0]):g} is not one.")
        out = (value < info.min) | (value > info.max)
        if out.any():
            raise InputError(f"{float(value[out].flat[0]):g} is out of range for this {dtype.name} "
                             f"input ({info.min} to {info.max}).")


def parse_index(text: str, shape: tuple) -> tuple:
    """``"1, 2"`` (or ``"(1, 2)"``, or ``""`` for a scalar) -> a valid index into ``shape``."""
    text = (text or "").strip().strip("()[]")
    if not shape:
        if text:
            raise InputError("This input is a single number: leave the index empty.")
        return ()
    try:
        idx = tuple(int(p) for p in text.replace(" ", "").split(",") if p != "")
    except ValueError:
        raise InputError("The index is whole numbers separated by commas, e.g. 0, 2.") from None
    if len(idx) != len(shape):
        raise InputError(f"This input has {len(shape)} dimension(s): give {len(shape)} index number(s).")
    for i, n in zip(idx, shape):
        if not -n <= i < n:
            raise InputError(f"Index {i} is out of range for a dimension of size {n}.")
    return idx


def literal_of(a: np.ndarray) -> str:
    """The text an editor shows for a value: short floats, valid Python."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _num(a.item())
    return _nested(a)


def _num(v) -> str:
    if isinstance(v, float):
        return np.format_float_positional(v, precision=4, trim="-")
    return str(v)


def _nested(a) -> str:
    if a.ndim == 1:
        return "[" + ", ".join(_num(v) for v in a.tolist()) + "]"
    return "[" + ",\n ".join(_nested(r) for r in a) + "]"


def random_value(shape: tuple, seed: int, like: np.ndarray) -> np.ndarray:
    """Standard normal numbers (integers 0-9 for an integer input), reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    if like.dtype.kind in "iub":
        return rng.integers(0, 10, size=shape).astype(like.dtype)
    return rng.standard_normal(shape).round(4)


class TensorEditor(pn.viewable.Viewer):
    """The editor of one leaf or constant. ``on_propose(editor, value=None, requires_grad=None)``
    is called with a new value or flag and returns None (accepted) or an error message."""

    name_label = param.String(doc="The tensor's name as shown (e.g. 'w').")
    node_id = param.String(doc="Its node id in the exported graph.")

    def __init__(self, node_id: str, label: str, value: np.ndarray, requires_grad: bool,
                 on_propose, **params):
        super().__init__(node_id=node_id, name_label=label, **params)
        self.shape = tuple(value.shape)
        self._value = value
        self._on_propose = on_propose
        # One character over the limit: the browser cuts a longer paste there, and
        # parse_literal then says it is too large (instead of reading a cut-off list).
        self.literal = pn.widgets.TextAreaInput(value=literal_of(value), auto_grow=True,
                                                max_length=MAX_LITERAL_CHARS + 1,
                                                max_rows=8, rows=min(max(1, len(value) if value.ndim else 1), 6),
                                                sizing_mode="stretch_width",
                                                css_classes=["gv-literal"])
        self.apply_button = pn.widgets.Button(label="Apply", color="primary", width=64)
        self.cell_index = pn.widgets.TextInput(placeholder="index: 0, 1" if value.ndim else "(scalar)",
                                               width=80, disabled=value.ndim == 0)
        self.cell_value = pn.widgets.TextInput(placeholder="value", width=64)
        self.cell_button = pn.widgets.Button(label="Set cell", width=72)
        self.seed = pn.widgets.IntInput(value=0, start=0, end=2**31 - 1, width=80)
        self.random_button = pn.widgets.Button(label="Randomise", width=90)
        self.requires_grad = pn.widgets.Checkbox(label="requires_grad", value=bool(requires_grad))
        self.message = style.html("", sizing_mode="stretch_width", margin=(0, 5))
        # (locked: each of these redraws the explorer's Bokeh sources)
        self.apply_button.on_click(locked(self._apply))
        self.cell_button.on_click(locked(self._set_cell))
        self.random_button.on_click(locked(self._randomise))
        self.requires_grad.param.watch(locked(self._toggle), "value")
        shape = "×".join(map(str, self.shape)) or "scalar"
        self.header = style.html(
            f'<span class="gv-title">{label}</span> <span class="gv-muted">{shape} · {value.dtype}</span>',
            margin=(4, 5, 0, 5))
        self._layout = pn.Column(
            pn.Row(self.header, pn.layout.HSpacer(), self.requires_grad, align="center"),
            self.literal,
            # Wraps onto a second line rather than running out of a narrow side panel.
            pn.FlexBox(self.apply_button, self.cell_index, self.cell_value, self.cell_button,
                       flex_wrap="wrap", align_items="center", sizing_mode="stretch_width"),
            pn.Row(style.html('<span class="gv-muted">seed</span>', margin=(12, 2, 0, 5)),
                   self.seed, self.random_button),
            self.message,
            sizing_mode="stretch_width", css_classes=["gv-editor"],
            styles={"border-bottom": "1px solid #e4e7eb", "padding-bottom": "6px"})

    def __panel__(self):
        return self._layout

    def read_only(self) -> pn.Column:
        """The editor as a page without Python shows it: the name, shape and dtype, the value
        and ``requires_grad``, disabled. Apply, Set cell and Randomise are left out: they could
        do nothing there, and their dozen widgets cost a saved page about 6 kB per input."""
        self.literal.disabled = True
        self.requires_grad.disabled = True
        # The header takes the row's free width itself (no spacer model between).
        header = style.html(self.header.object, margin=self.header.margin,
                            sizing_mode="stretch_width")
        return pn.Column(pn.Row(header, self.requires_grad, align="center",
                                sizing_mode="stretch_width"),
                         self.literal, sizing_mode="stretch_width",
                         css_classes=["gv-editor"], styles=dict(self._layout.styles))

    # --- proposing -------------------------------------------------------------------------
    def _propose(self, value=None, requires_grad=None) -> bool:
        if value is not None:
            try:
                check_fits(value, self._value.dtype)
            except InputError as e:
                self.show_error(str(e))
                return False
        try:
            error = self._on_propose(self, value=value, requires_grad=requires_grad)
        except (ValueError, TypeError, ArithmeticError) as e:
            # The forward pass itself refused the value in a way nobody foresaw: still a
            # message next to the field, not a traceback (and nothing was applied).
            error = f"This value could not be applied: {e}"
        if error:
            self.show_error(error)
            return False
        self.message.object = '<div class="gv-ok">Applied: forward pass recomputed.</div>'
        return True

    def show_error(self, text: str) -> None:
        from html import escape
        self.message.object = f'<div class="gv-error">{escape(text)}</div>'

    def _apply(self, event=None):
        try:
            value = parse_literal(self.literal.value)
        except InputError as e:
            self.show_error(str(e))
            return
        self._propose(value=value)

    def _set_cell(self, event=None):
        try:
            idx = parse_index(self.cell_index.value, self._value.shape)
            number = parse_literal(self.cell_value.value)
            if number.ndim != 0:
                raise InputError("A cell takes a single number.")
        except InputError as e:
            self.show_error(str(e))
            return
        value = np.array(self._value, dtype=float)
        value[idx] = float(number)
        self._propose(value=value)

    def _randomise(self, event=None):
        self._propose(value=random_value(self._value.shape, int(self.seed.value or 0), self._value))

    def _toggle(self, event):
        if self._syncing:
            return
        if not self._propose(requires_grad=bool(event.new)):
            self._syncing = True
            try:
                self.requires_grad.value = bool(event.old)
            finally:
                self._syncing = False

    _syncing = False

    def sync(self, value: np.ndarray, requires_grad: bool) -> None:
        """Show the value the graph now holds (after any accepted change)."""
        self._value = value
        self.shape = tuple(value.shape)
        self.literal.value = literal_of(value)
        if self.requires_grad.value != bool(requires_grad):
            self._syncing = True
            try:
                self.requires_grad.value = bool(requires_grad)
            finally:
                self._syncing = False
