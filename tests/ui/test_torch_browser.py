"""PyTorch's own graph in the explorer, in a real browser: a TransformerEncoderLayer stepped,
Back, Run, Backward again with and without retain_graph, Zero grads. The server runs in this
process, so every gradient is checked on the real parameters against an identical twin model
run with plain ``backward()`` calls.

Screenshots of each moment go to ``$GRADVIZ_SHOTS`` (default: a temporary directory) for a
person to look at. Skips without a browser or torch; fails under GRADVIZ_REQUIRE_*=1.
"""
from __future__ import annotations

import copy
import os
import tempfile

import pytest

pytest.importorskip("panel")
pytestmark = [pytest.mark.torch, pytest.mark.browser]

SESSIONS: list = []  # (model, twin, twin_loss, explorer) of every page served


def transformer_app():
    import torch

    from gradviz.torch_graph import CallerNames
    from gradviz.viz import Explorer

    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                             batch_first=True)
    twin = copy.deepcopy(layer)
    x = torch.randn(1, 3, 4)
    loss = layer(x).pow(2).mean()
    twin_loss = twin(x).pow(2).mean()
    view = Explorer(loss, names=CallerNames({"layer": layer, "x": x, "loss": loss}))
    SESSIONS.append((layer, twin, twin_loss, view))
    return view


def traced_app():
    """Two layers built inside gradviz.trace: drawn as module boxes."""
    import torch

    import gradviz
    from gradviz.torch_graph import CallerNames
    from gradviz.viz import Explorer

    torch.manual_seed(0)
    model = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8, dropout=0.0,
                                         batch_first=True), num_layers=2, enable_nested_tensor=False)
    x = torch.randn(1, 3, 4)
    with gradviz.trace(model):
        loss = model(x).pow(2).mean()
    twin_loss = None
    view = Explorer(loss, names=CallerNames({"model": model, "x": x, "loss": loss}))
    SESSIONS.append((model, None, twin_loss, view))
    return view


@pytest.fixture(scope="module")
def server(ui_browser, explorer_server_class, torch):
    s = explorer_server_class({"transformer": transformer_app, "traced": traced_app})
    yield s
    s.stop()
    assert not s.log.records, "server logged tracebacks:\n" + "\n".join(s.log.records)


def grads(torch, model):
    return {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}


def same(torch, a, b):
    return all((a[k] is None) == (b[k] is None) and (a[k] is None or torch.equal(a[k], b[k]))
               for k in a)


def shot(p, name):
    folder = os.environ.get("GRADVIZ_SHOTS") or os.path.join(tempfile.gettempdir(), "gradviz_torch_shots")
    os.makedirs(folder, exist_ok=True)
    p.page.mouse.move(0, 0)
    p.page.wait_for_timeout(300)
    p.page.screenshot(path=os.path.join(folder, f"{name}.png"))


def test_transformer_layer_steps_through_pytorchs_own_pass(server, open_page, torch):
    p = open_page(server.url("transformer"))
    layer, twin, twin_loss, view = SESSIONS[-1]
    n = view.stepper.total
    p.wait_contains("Recorded from PyTorch's engine")
    p.wait_text(f"step 0 of {n}")
    for _ in range(6):
        p.click("Step")
    p.wait_text(f"step 6 of {n}")
    shot(p, "1-after-6-steps")
    p.click("Back")
    p.wait_text(f"step 5 of {n}")

    p.click("Run")
    p.wait_text(f"step {n} of {n}")
    twin_loss.backward(retain_graph=True)
    assert same(torch, grads(torch, layer), grads(torch, twin))
    shot(p, "2-after-run")

    # retain_graph ticked: this pass is re-planned keeping the graph, so Backward again runs.
    p.page.locator(".gv-retain-graph input").check()
    p.wait_contains("retain_graph=True")
    p.click("Backward again")
    p.wait_text(f"pass 2 · step {n} of {n}")
    twin_loss.backward(retain_graph=True)
    assert same(torch, grads(torch, layer), grads(torch, twin))
    shot(p, "3-backward-again-retained")

    # Unticked: this pass frees the graph, and Backward again shows PyTorch's own error.
    p.page.locator(".gv-retain-graph input").uncheck()
    p.wait_contains("retain_graph=False")
    before = grads(torch, layer)
    p.click("Backward again")
    p.wait_contains("Trying to backward through the graph a second time")
    assert p.page.get_by_text(f"pass 2 · step {n} of {n}", exact=True).count() == 1
    assert same(torch, grads(torch, layer), before)
    shot(p, "4-backward-again-error")

    p.click("Zero grads")
    p.wait_contains("Zeroed")
    assert all(torch.equal(q.grad, torch.zeros_like(q)) for q in layer.parameters())
    shot(p, "5-zero-grads")
    p.click("Back")
    p.page.wait_for_timeout(500)
    assert same(torch, grads(torch, layer), before)
    assert not p.errors, p.errors


def test_a_traced_model_opens_as_module_boxes_and_runs(server, open_page, torch):
    p = open_page(server.url("traced"))
    model, _, _, view = SESSIONS[-1]
    n = view.stepper.total
    p.wait_text(f"step 0 of {n}")
    assert view.graph_view.tree.scopes  # the module calls gradviz.trace recorded
    shot(p, "6-traced-start")
    p.click("Run")
    p.wait_text(f"step {n} of {n}")
    assert all(q.grad is not None for q in model.parameters())
    shot(p, "7-traced-after-run")
    assert not p.errors, p.errors
