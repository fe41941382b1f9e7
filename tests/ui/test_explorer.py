"""The explorer in a real browser: every button does what it says, with the numbers checked
against values computed independently (the seed README, and the tutorial's eye(4, 5) cell).

Skips without a browser; fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("panel")

from tests.graph_programs import SEED_B, SEED_W, seed_graph  # noqa: E402


W, B = SEED_W, SEED_B
SEED_GRAD = [0.1503, 0.0698, 0.1336]  # from the seed README (PyTorch 2.13)


def seed_app(retain_graph=False):
    def factory():
        from gradviz.viz import Explorer

        v = seed_graph()
        return Explorer(v["loss"], names=v, retain_graph=retain_graph)
    return factory


def eye_app():
    import gradviz as torch
    from gradviz.viz import Explorer

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    return Explorer(out, names={"inp": inp, "out": out}, gradient=torch.ones_like(out),
                    retain_graph=True)


def no_grad_app():
    import gradviz as torch
    from gradviz.viz import Explorer

    x = torch.ones(5, requires_grad=True)
    with torch.no_grad():
        z = x * 2
    return Explorer(z, names={"z": z})


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"seed": seed_app(), "eye": eye_app, "nograd": no_grad_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


def numbers(text: str) -> np.ndarray:
    return np.array([float(v) for v in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", text)])


def test_seed_page_loads_and_each_step_button_does_what_it_says(server, open_page):
    p = open_page(server.url("seed"))
    p.wait_text("step 0 of 8")
    p.wait_contains("Press Step to start backward from loss")
    for label in ("Reset", "Back", "Step", "Run", "Play", "Backward again", "Zero grads"):
        assert p.page.get_by_role("button", name=label, exact=True).count() == 1
    p.click("Step")
    p.wait_text("step 1 of 8")
    p.wait_contains("Backward starts at loss")
    p.click("Step")
    p.wait_text("step 2 of 8")
    p.wait_contains("BinaryCrossEntropyWithLogitsBackward0 takes dloss/dloss")
    # The edges next to BCE carry the gradient now, with a label and a colour
    labels = [t for t in p.column("gv_edges", "grad_label") if t]
    assert labels, "the edges just crossed carry a label"
    p.click("Back")
    p.wait_text("step 1 of 8")
    p.wait_contains("Backward starts at loss")
    p.click("Run")
    p.wait_text("step 8 of 8")
    np.testing.assert_allclose(numbers(p.tensor("b", "grad_text")), SEED_GRAD, atol=1e-4)
    assert p.tensor("w", "grad_text").startswith("5×3")  # 15 numbers: a summary in the hover
    # Tap w: the inspector shows its grad in full
    p.select("w")
    p.page.locator('.gv-array[data-field="grad"]').first.wait_for()
    grad = numbers(p.page.locator('.gv-array[data-field="grad"]').first.inner_text())
    np.testing.assert_allclose(grad.reshape(5, 3), np.tile(SEED_GRAD, (5, 1)), atol=1e-4)
    # Back restores what the pass did: b.grad is None again before its AccumulateGrad
    p.click("Reset")
    p.wait_text("step 0 of 8")
    assert p.tensor("b", "grad_text") == "none yet"
    assert not p.errors, p.errors


def test_play_steps_on_a_timer_and_stops_at_the_end(server, open_page):
    p = open_page(server.url("seed"))
    p.page.get_by_role("button", name="Play", exact=True).click()
    p.page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=3000)
    p.wait_text("step 8 of 8", timeout=15_000)
    p.page.get_by_role("button", name="Play", exact=True).wait_for(timeout=3000)
    assert not p.errors, p.errors


def test_backward_again_without_retain_graph_shows_the_error_and_changes_nothing(server, open_page):
    p = open_page(server.url("seed"))
    p.click("Run")
    p.wait_text("step 8 of 8")
    before = p.tensor("b", "grad_text")
    p.click("Backward again")
    p.wait_contains("Trying to backward through the graph a second time")
    assert p.page.get_by_text("step 8 of 8", exact=True).count() == 1
    assert p.tensor("b", "grad_text") == before
    # With the retain_graph toggle on (after Reset, which restores the freed buffers), the
    # second pass works and b.grad doubles.
    p.click("Reset")
    p.wait_text("step 0 of 8")
    p.page.locator(".gv-retain-graph input").check()
    p.page.wait_for_timeout(300)
    p.click("Run")
    p.wait_text("step 8 of 8")
    p.click("Backward again")
    _wait_for(lambda: np.allclose(numbers(p.tensor("b", "grad_text")),
                                  2 * np.array(SEED_GRAD), atol=2e-4))
    assert p.page.get_by_text("Trying to backward").count() == 0
    assert not p.errors, p.errors


def test_backward_again_accumulates_and_zero_grads_resets(server, open_page):
    p = open_page(server.url("eye"))
    p.wait_contains("step 0 of")
    p.click("Run")
    p.wait_contains("Backward is done")
    p.select("inp")
    grad = p.page.locator('.gv-array[data-field="grad"]').first

    def shown():
        return numbers(grad.inner_text()).reshape(4, 5)

    expected = np.eye(4, 5) * 2 + 2  # 4 on the diagonal, 2 elsewhere
    p.page.wait_for_function("() => true")
    np.testing.assert_array_equal(shown(), expected)
    p.click("Backward again")
    p.page.wait_for_timeout(200)
    _wait_for(lambda: np.array_equal(shown(), 2 * expected))
    # The pointer leaves Backward again, as a user's does on the way to Zero grads: resting
    # on it, its description tooltip opens over Zero grads and takes Playwright's click.
    p.page.mouse.move(5, 890)
    p.click("Zero grads")
    p.wait_contains("Zeroed .grad of inp")
    _wait_for(lambda: np.array_equal(shown(), 0 * expected))
    p.click("Backward again")
    _wait_for(lambda: np.array_equal(shown(), expected))
    assert not p.errors, p.errors


def _wait_for(predicate, timeout=8.0):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return
        except ValueError:  # text mid-update
            pass
        time.sleep(0.1)
    assert predicate()


def test_bad_input_shows_its_message_and_changes_nothing_good_input_replays(server, open_page):
    p = open_page(server.url("seed"))
    p.click("Step")
    p.wait_text("step 1 of 8")
    p.page.get_by_text("Inputs", exact=True).click()
    x_editor = p.page.locator(".gv-editor").first
    literal = x_editor.locator("textarea")
    loss_before = p.tensor("loss", "value_text")
    xs_before = p.column("gv_tensors", "x")
    for text, words in (("[[1, 2]]", "cannot take the new inputs"),
                        ("abc", "Not a number"),
                        ("[" + "1, " * 10_001 + "]", "Too many numbers"),
                        ("[1, 1, 1e999, 1, 1]", "NaN and infinity")):
        literal.fill(text)
        x_editor.get_by_role("button", name="Apply", exact=True).click()
        p.wait_contains(words)
        assert p.tensor("loss", "value_text") == loss_before
        assert p.page.get_by_text("step 1 of 8", exact=True).count() == 1
    literal.fill("[2, 2, 2, 2, 2]")
    x_editor.get_by_role("button", name="Apply", exact=True).click()
    p.wait_contains("Applied: forward pass recomputed")
    p.wait_text("step 0 of 8")
    z = 2 * np.array(W).sum(0) + np.array(B)
    loss = np.mean(np.log1p(np.exp(z)))  # BCE with logits against y = 0
    assert float(p.tensor("loss", "value_text")) == pytest.approx(loss, abs=1e-3)
    assert p.column("gv_tensors", "x") == xs_before  # the layout did not move
    assert not p.errors, p.errors


def test_two_sessions_stay_separate(server, open_page):
    a = open_page(server.url("seed"))
    b = open_page(server.url("seed"))
    a.click("Run")
    a.wait_text("step 8 of 8")
    b.click("Step")
    b.wait_text("step 1 of 8")
    assert b.tensor("b", "grad_text") == "none yet"
    np.testing.assert_allclose(numbers(a.tensor("b", "grad_text")), SEED_GRAD, atol=1e-4)
    assert not a.errors and not b.errors


def test_a_root_without_a_graph_shows_one_node_and_a_note(server, open_page):
    p = open_page(server.url("nograd"))
    p.wait_contains("No graph was recorded")
    assert p.column("gv_tensors", "label") == ["z"]
    assert p.column("gv_functions", "label") == []
    p.wait_text("step 0 of 0")
    assert not p.errors, p.errors
