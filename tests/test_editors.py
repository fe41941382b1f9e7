"""Input editors without a browser: what a person may type into an input's field, and the
message each bad input gets (nothing proposed to the explorer, no exception escapes)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("panel")

from gradviz.viz.editors import (MAX_LITERAL_CHARS, InputError, TensorEditor,  # noqa: E402
                                 check_fits, parse_literal)


# --- parse_literal: the numbers a text writes ----------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("0.5", 0.5),
    ("-3", -3.0),
    ("+2e-3", 2e-3),
    ("[1, -2.5, 3e2]", [1.0, -2.5, 300.0]),
    ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
    ("tensor([1., 2.], requires_grad=True)", [1.0, 2.0]),
    ("np.array([[0.25]])", [[0.25]]),
    ("(1, 2,\n 3)", [1.0, 2.0, 3.0]),
    ("1" + "0" * 300, 1e300),  # a 301-digit integer still fits a float
])
def test_numbers_and_lists_are_read_as_written(text, expected):
    np.testing.assert_array_equal(parse_literal(text), np.array(expected, dtype=float))


@pytest.mark.parametrize("text, words", [
    ("9" * 400, "400 digits is too large"),
    ("[1, " + "9" * 400 + "]", "400 digits is too large"),
    ("nan", "NaN and infinity are not accepted"),
    ("NaN", "NaN and infinity are not accepted"),
    ("-inf", "NaN and infinity are not accepted"),
    ("[1, float('nan'), 2]", "NaN and infinity are not accepted"),
    ("[np.inf, 1]", "NaN and infinity are not accepted"),
    ("1e400", "NaN and infinity are not accepted"),
    ("[]", "That list is empty"),
    ("[[], []]", "That list is empty"),
    ("[[1, 2], [3]]", "different lengths"),
    ("[1, 'a']", "'a' is not a number"),
    ("[True, 1]", "True/False"),
    ("1j", "Complex numbers"),
    ("__import__('os').system('true')", "Not a number"),
    ("x + 1", "Not a number"),
    ("[" * 100 + "]" * 100, "nested too deeply"),
])
def test_each_bad_text_gets_its_own_message(text, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_literal(text)


def test_a_paste_longer_than_the_limit_is_refused_before_it_is_read():
    # The field cuts a 10 MB paste one character past the limit: what arrives is a list cut
    # off in the middle, which must be answered "too large", not "Not a number".
    ten_mb = "[" + "0.123456789, " * 800_000 + "1]"
    assert len(ten_mb) > 10_000_000
    arrived = ten_mb[:MAX_LITERAL_CHARS + 1]
    with pytest.raises(InputError, match="too large"):
        parse_literal(arrived)


@pytest.mark.parametrize("value, dtype, words", [
    (1e308, "float32", "1e+308 is too large for this float32 input"),
    (-4e38, "float32", "too large for this float32 input"),
    (70000.0, "float16", "too large for this float16 input"),
    (0.5, "int64", "whole numbers (int64): 0.5 is not one"),
    (300.0, "uint8", "out of range for this uint8 input"),
])
def test_a_number_the_inputs_dtype_cannot_hold_is_refused(value, dtype, words):
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")
                       .replace("+", r"\+")):
        check_fits(np.array([1.0, value]), dtype)


@pytest.mark.parametrize("value, dtype", [(3.4e38, "float32"), (1e308, "float64"),
                                          (-128.0, "int8"), (255.0, "uint8")])
def test_the_largest_numbers_a_dtype_holds_are_accepted(value, dtype):
    check_fits(np.array([value]), dtype)
    # and they really survive the conversion
    assert np.isfinite(np.array([value]).astype(dtype)).all()


# --- the editor: a bad input proposes nothing and says why; a good one clears it ------------
class Recorder:
    """Stands in for the explorer: records what the editor proposes and accepts it."""

    def __init__(self):
        self.proposed = []

    def __call__(self, editor, value=None, requires_grad=None):
        self.proposed.append(value)
        return None


def editor(value, recorder):
    return TensorEditor("t0", "b", np.asarray(value), True, recorder)


@pytest.mark.parametrize("text, words", [
    ("9" * 400, "too large"),
    ("nan", "NaN and infinity"),
    ("[]", "empty"),
    ("[1e308, 0, 0]", "too large for this float32 input"),
])
def test_apply_shows_the_message_next_to_the_field_and_proposes_nothing(text, words):
    rec = Recorder()
    ed = editor(np.zeros(3, dtype=np.float32), rec)
    ed.literal.value = text
    ed._apply()
    assert rec.proposed == []
    assert "gv-error" in ed.message.object and words in ed.message.object


def test_a_new_answer_replaces_the_old_error():
    rec = Recorder()
    ed = editor(np.zeros(3, dtype=np.float32), rec)
    ed.literal.value = "nan"
    ed._apply()
    assert "gv-error" in ed.message.object
    ed.literal.value = "[1, 2, 3]"
    ed._apply()
    np.testing.assert_array_equal(rec.proposed[-1], [1, 2, 3])
    assert "gv-error" not in ed.message.object and "Applied" in ed.message.object
    ed.cell_index.value, ed.cell_value.value = "0", "1e308"
    ed._set_cell()
    assert len(rec.proposed) == 1 and "too large for this float32 input" in ed.message.object


def test_an_unexpected_refusal_of_the_forward_pass_is_a_message_not_an_exception():
    def explode(editor, value=None, requires_grad=None):
        raise OverflowError("int too large to convert to float")

    ed = editor(np.zeros(3), explode)
    ed.literal.value = "[1, 2, 3]"
    ed._apply()  # must not raise
    assert "could not be applied" in ed.message.object


def test_the_field_cuts_a_paste_one_character_past_the_limit():
    ed = editor(np.zeros(3), Recorder())
    assert ed.literal.max_length == MAX_LITERAL_CHARS + 1
