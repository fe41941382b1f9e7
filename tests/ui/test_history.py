"""One history, in a real browser (issue 12, "Broken" items 1 and 3): the retain_graph toggle
takes effect whenever it is ticked, and Back, Reset, Zero grads and Backward again keep counter,
sentence and panel in agreement. Numbers are checked against the seed README's gradient and the
tutorial's eye(4, 5) cell worked by hand (d/dinp (inp + 1)^2 = 2 (inp + 1)).

Skips without a browser; fails instead under GRADVIZ_REQUIRE_BROWSER=1 (see conftest.py).
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("panel")

from tests.graph_programs import seed_graph  # noqa: E402
from tests.ui.test_explorer import SEED_GRAD, numbers  # noqa: E402
from tests.ui.test_explorer import _wait_for as _wait_briefly  # noqa: E402

EYE_ONE_PASS = np.eye(4, 5) * 2 + 2  # 4 on the diagonal, 2 elsewhere
SLOW = 30_000  # ms: a shared machine under load answers a click in seconds, not in 8


def seed_app():
    from gradviz.viz import Explorer

    v = seed_graph()
    return Explorer(v["loss"], names=v)


def eye_app():
    import gradviz as torch
    from gradviz.viz import Explorer

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    return Explorer(out, names={"inp": inp, "out": out}, gradient=torch.ones_like(out),
                    retain_graph=True)


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class):
    s = explorer_server_class({"seed": seed_app, "eye": eye_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


def _wait_for(predicate):
    _wait_briefly(predicate, timeout=SLOW / 1000)


def click(p, label):
    # Away first: a button's description tooltip stays up while the mouse rests on it and
    # would take the next click.
    p.page.mouse.move(1, 1)
    p.click(label)


def b_grad(p):
    return numbers(p.tensor("b", "grad_text"))


def tick_retain_graph(p):
    p.page.mouse.move(1, 1)  # the tooltip of the button just clicked would cover the toggle
    p.page.locator(".gv-retain-graph input").check()
    p.wait_contains("retain_graph=True: this pass (re-planned at step", timeout=SLOW)


# --- item 1: retain_graph ticked after some steps ------------------------------------------------
@pytest.mark.parametrize("steps", [3, 8])
def test_ticking_retain_graph_mid_pass_makes_backward_again_work(server, open_page, steps):
    p = open_page(server.url("seed"))
    p.wait_text("step 0 of 8", timeout=SLOW)
    for k in range(1, steps + 1):
        click(p, "Step")
        p.wait_text(f"step {k} of 8", timeout=SLOW)
    tick_retain_graph(p)
    p.wait_text(f"step {steps} of 8", timeout=SLOW)  # re-planned at the same step
    click(p, "Backward again")
    p.wait_text("pass 2 · step 8 of 8", timeout=SLOW)
    _wait_for(lambda: np.allclose(b_grad(p), 2 * np.array(SEED_GRAD), atol=2e-4))
    assert p.page.get_by_text("Trying to backward").count() == 0
    assert not p.errors, p.errors


def test_ticking_retain_graph_after_the_error_then_reset_and_run_works(server, open_page):
    p = open_page(server.url("seed"))
    click(p, "Run")
    p.wait_text("step 8 of 8", timeout=SLOW)
    click(p, "Backward again")
    p.wait_contains("Trying to backward through the graph a second time", timeout=SLOW)
    tick_retain_graph(p)
    click(p, "Reset")
    p.wait_text("step 0 of 8", timeout=SLOW)
    click(p, "Run")
    p.wait_text("step 8 of 8", timeout=SLOW)
    click(p, "Backward again")
    p.wait_text("pass 2 · step 8 of 8", timeout=SLOW)
    _wait_for(lambda: np.allclose(b_grad(p), 2 * np.array(SEED_GRAD), atol=2e-4))
    assert not p.errors, p.errors


def test_without_retain_graph_backward_again_shows_the_error_and_changes_nothing(server, open_page):
    p = open_page(server.url("seed"))
    click(p, "Run")
    p.wait_text("step 8 of 8", timeout=SLOW)
    before = p.tensor("b", "grad_text")
    click(p, "Backward again")
    p.wait_contains("Trying to backward through the graph a second time", timeout=SLOW)
    assert p.page.get_by_text("step 8 of 8", exact=True).count() == 1
    assert p.tensor("b", "grad_text") == before
    assert not p.errors, p.errors


# --- item 3: Zero grads, Back, Reset and Backward again agree ------------------------------------
def inspected_grad(p):
    return numbers(p.page.locator('.gv-array[data-field="grad"]').first.inner_text()).reshape(4, 5)


def test_back_after_zero_grads_restores_the_panel_and_the_words(server, open_page):
    p = open_page(server.url("eye"))
    p.wait_contains("step 0 of", timeout=SLOW)
    click(p, "Run")
    p.wait_contains("Backward is done", timeout=SLOW)
    click(p, "Backward again")
    p.wait_contains("pass 2 · step", timeout=SLOW)
    p.select("inp")
    _wait_for(lambda: np.array_equal(inspected_grad(p), 2 * EYE_ONE_PASS))
    click(p, "Zero grads")
    p.wait_contains("Zeroed .grad of inp", timeout=SLOW)
    _wait_for(lambda: np.array_equal(inspected_grad(p), 0 * EYE_ONE_PASS))
    click(p, "Back")
    # The sentence and the panel agree again: the end of pass 2, with both passes' gradient.
    p.wait_contains("Backward is done (pass 2)", timeout=SLOW)
    _wait_for(lambda: np.array_equal(inspected_grad(p), 2 * EYE_ONE_PASS))
    assert p.page.get_by_text("Zeroed .grad", exact=False).count() == 0  # the note went away
    click(p, "Back")  # the "done" event: .grad is untouched, and never None
    p.wait_contains("AccumulateGrad adds", timeout=SLOW)
    _wait_for(lambda: np.array_equal(inspected_grad(p), 2 * EYE_ONE_PASS))
    click(p, "Back")  # pass 2's accumulation into inp: back to one pass's gradient
    _wait_for(lambda: np.array_equal(inspected_grad(p), EYE_ONE_PASS))
    assert "None" not in p.page.locator('.gv-array[data-field="grad"]').first.inner_text()
    assert not p.errors, p.errors


def test_reset_after_two_backward_again_is_the_start_of_pass_3(server, open_page):
    p = open_page(server.url("eye"))
    p.wait_contains("step 0 of", timeout=SLOW)
    click(p, "Run")
    p.wait_contains("Backward is done", timeout=SLOW)
    counter = p.page.locator(".gv-counter").first
    n = int(counter.inner_text().split(" of ")[1])
    click(p, "Backward again")
    # Backward again changes the counter and the sentence.
    p.wait_text(f"pass 2 · step {n} of {n}", timeout=SLOW)
    p.wait_contains("Backward is done (pass 2)", timeout=SLOW)
    click(p, "Backward again")
    p.wait_text(f"pass 3 · step {n} of {n}", timeout=SLOW)
    p.wait_contains("Backward is done (pass 3)", timeout=SLOW)
    click(p, "Reset")
    p.wait_text(f"pass 3 · step 0 of {n}", timeout=SLOW)
    p.wait_contains("Start of pass 3 (Backward again)", timeout=SLOW)
    p.select("inp")
    _wait_for(lambda: np.array_equal(inspected_grad(p), 2 * EYE_ONE_PASS))
    click(p, "Back")  # across the start of pass 3: the end of pass 2
    p.wait_text(f"pass 2 · step {n} of {n}", timeout=SLOW)
    _wait_for(lambda: np.array_equal(inspected_grad(p), 2 * EYE_ONE_PASS))
    assert not p.errors, p.errors


# --- the same history driven from Python (no browser needed) -------------------------------------
def test_back_undoes_an_input_edit_and_the_editor_shows_the_old_value_again():
    view = seed_app()
    for _ in range(4):
        view.step()
    G, b_before = view.G, view.leaf_grads()["b"].copy()
    x_editor = view._editor("x")
    literal = x_editor.literal.value
    assert view.set_input("x", [2, 2, 2, 2, 2]) is None
    assert view.counter == "step 0 of 8" and view.leaf_grads()["b"] is None
    assert view.sentence.startswith("x is now [2.0000, 2.0000, 2.0000, 2.0000, 2.0000]")
    assert view.back()
    assert view.G is G and view.counter == "step 4 of 8"
    np.testing.assert_array_equal(view.leaf_grads()["b"], b_before)
    assert view._editor("x").literal.value == literal
    assert view.step() and view.counter == "step 0 of 8"  # Step redoes the edit
    assert view.sentence.startswith("x is now")


def test_zero_grads_then_back_from_python_agrees_everywhere():
    view = eye_app()
    view.run()
    assert view.backward_again()
    two = view.leaf_grads()["inp"].copy()
    np.testing.assert_array_equal(two, 2 * EYE_ONE_PASS)
    assert view.zero_grads() == ["inp"]
    assert view.sentence.startswith("Zeroed .grad of inp")
    assert view.back()
    assert view.sentence.startswith("Backward is done (pass 2)")
    np.testing.assert_array_equal(view.leaf_grads()["inp"], two)
    # the panel reads the user's tensor itself
    leaf = next(n for n, a in view.G.nodes(data=True) if a["label"] == "inp")
    np.testing.assert_array_equal(view.G.graph["objects"][leaf].grad.numpy(), two)
    assert view.stepper is view.timeline.current_pass


@pytest.mark.torch
def test_a_torch_graph_is_explored_through_the_same_timeline(torch):
    from gradviz.viz import Explorer

    def build():
        torch.manual_seed(0)
        x = torch.ones(5)
        w = torch.randn(5, 3, requires_grad=True)
        b = torch.randn(3, requires_grad=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, torch.zeros(3))
        return loss, {"x": x, "w": w, "b": b, "loss": loss}

    loss, names = build()
    view = Explorer(loss, names=names, retain_graph=True)
    view.run()
    assert view.backward_again() and view.counter == "pass 2 · step 8 of 8"
    twin, twin_names = build()
    twin.backward(retain_graph=True)
    twin.backward()
    np.testing.assert_allclose(view.leaf_grads()["b"], twin_names["b"].grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(names["w"].grad.numpy(), twin_names["w"].grad.numpy(), rtol=1e-6)
    view.reset()
    np.testing.assert_allclose(names["b"].grad.numpy(), twin_names["b"].grad.numpy() / 2, rtol=1e-6)


def test_the_tutorial_says_when_its_code_and_the_edited_graph_differ():
    from gradviz.apps import tutorial
    from gradviz.viz import Explorer

    app = tutorial.TutorialApp(section="forward")
    section = app._built["forward"]
    view = Explorer.find(section)
    note = next(o for o in section.objects if "gv-edited-note" in (o.css_classes or []))
    assert not note.visible and view.edited == ""
    assert view.set_input("x", [2, 2, 2, 2, 2]) is None
    assert note.visible and "x is now [2.0000" in note.object
    view.back()
    assert not note.visible and view.edited == ""
