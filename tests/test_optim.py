"""gradviz.optim against torch.optim: the same parameters after many steps of a real loss
(whose gradients depend on the parameters, so any difference compounds), the same state_dict,
param_groups, repr and errors."""
from __future__ import annotations

import numpy as np
import pytest

import gradviz

pytestmark = pytest.mark.torch

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.02, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
]


def train(lib, name, options, steps=25, set_to_none=True):
    """A tiny regression model trained with ``name``; parameter values after each step."""
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    b0 = rng.normal(size=(3,)).astype(np.float32)
    x = lib.tensor(rng.normal(size=(8, 4)).astype(np.float32))
    y = lib.tensor(rng.normal(size=(8, 3)).astype(np.float32))
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    opt = getattr(lib.optim, name)([w, b], **options)
    history = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        loss = ((x @ w.t() + b).tanh() - y).pow(2).mean()
        loss.backward()
        opt.step()
        history.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return history, opt


@pytest.mark.parametrize("name, options", CONFIGS, ids=[f"{n}-{o}" for n, o in CONFIGS])
def test_updates_equal_pytorch(torch, name, options):
    ours, _ = train(gradviz, name, options)
    theirs, _ = train(torch, name, options)
    for step, ((w1, b1), (w2, b2)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6, err_msg=f"{name} step {step}")
        np.testing.assert_allclose(b1, b2, rtol=1e-5, atol=1e-6, err_msg=f"{name} step {step}")
    # The run actually moved the parameters (a no-op optimizer would also "agree").
    assert not np.allclose(ours[0][0], ours[-1][0])


@pytest.mark.parametrize("name, options", CONFIGS[1:2] + CONFIGS[8:9] + CONFIGS[15:16])
def test_state_dict_and_repr_match(torch, name, options):
    _, ours = train(gradviz, name, options, steps=3)
    _, theirs = train(torch, name, options, steps=3)
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert list(a["state"]) == list(b["state"])
    for i in b["state"]:
        assert list(a["state"][i]) == list(b["state"][i])
        for k, v in b["state"][i].items():
            np.testing.assert_allclose(a["state"][i][k].numpy(), v.numpy(), rtol=1e-6, atol=1e-7)
            assert str(a["state"][i][k].dtype).replace("gradviz", "torch") == str(v.dtype)
    assert repr(ours) == repr(theirs)


def test_load_state_dict_resumes_training(torch):
    """Training 6 steps equals training 3, saving, loading into a fresh optimizer, 3 more."""
    full, _ = train(gradviz, "Adam", dict(lr=0.05, amsgrad=True), steps=6)
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    b0 = rng.normal(size=(3,)).astype(np.float32)
    x = gradviz.tensor(rng.normal(size=(8, 4)).astype(np.float32))
    y = gradviz.tensor(rng.normal(size=(8, 3)).astype(np.float32))
    w = gradviz.tensor(w0, requires_grad=True)
    b = gradviz.tensor(b0, requires_grad=True)
    opt = gradviz.optim.Adam([w, b], lr=0.05, amsgrad=True)
    for i in range(6):
        if i == 3:
            saved = opt.state_dict()
            opt = gradviz.optim.Adam([w, b], lr=0.05, amsgrad=True)
            opt.load_state_dict(saved)
        opt.zero_grad()
        ((x @ w.t() + b).tanh() - y).pow(2).mean().backward()
        opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), full[-1][0])


def test_zero_grad_set_to_none(torch):
    for lib in (gradviz, torch):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (w * 2).sum().backward()
        opt.zero_grad(set_to_none=False)
        assert w.grad is not None and w.grad.sum().item() == 0
        opt.zero_grad()
        assert w.grad is None


def test_zero_grad_false_trains_the_same(torch):
    ours, _ = train(gradviz, "SGD", dict(lr=0.1, momentum=0.9), steps=5, set_to_none=False)
    theirs, _ = train(torch, "SGD", dict(lr=0.1, momentum=0.9), steps=5, set_to_none=False)
    np.testing.assert_allclose(ours[-1][0], theirs[-1][0], rtol=2e-6)


def test_param_groups_with_own_options(torch):
    results = []
    for lib in (gradviz, torch):
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.5)
        for _ in range(3):
            opt.zero_grad()
            (a * a + 3 * b * b).sum().backward()
            opt.step()
        opt.param_groups[0]["lr"] = 0.01  # schedulers change lr this way
        opt.zero_grad()
        (a * a).sum().backward()
        opt.step()
        results.append((a.detach().numpy().copy(), b.detach().numpy().copy(),
                        [sorted(g) for g in opt.param_groups]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][2] == results[1][2]


def test_closure_is_called_and_its_loss_returned(torch):
    for lib in (gradviz, torch):
        w = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)

        def closure():
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss

        assert opt.step(closure).item() == 2.0
        assert w.detach().numpy().tolist() == pytest.approx([0.8, 0.8])


ERRORS = [
    "torch.optim.SGD([p], lr=-1)",
    "torch.optim.SGD([p], lr=0.1, momentum=-0.5)",
    "torch.optim.SGD([p], lr=0.1, weight_decay=-1)",
    "torch.optim.SGD([p], lr=0.1, nesterov=True)",
    "torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)",
    "torch.optim.Adam([p], lr=0.1, betas=(1.0, 0.9))",
    "torch.optim.Adam([p], lr=0.1, betas=(0.9, -0.1))",
    "torch.optim.Adam([p], eps=-1)",
    "torch.optim.AdamW([p], weight_decay=-1)",
    "torch.optim.RMSprop([p], alpha=-1)",
    "torch.optim.RMSprop([p], momentum=-1)",
    "torch.optim.SGD([], lr=0.1)",
    "torch.optim.SGD(p, lr=0.1)",
    "torch.optim.SGD([p * 2], lr=0.1)",
    "torch.optim.SGD([{'params': [p]}, {'params': [p]}], lr=0.1)",
]


@pytest.mark.parametrize("src", ERRORS)
def test_errors_match(torch, src):
    caught = []
    for lib in (gradviz, torch):
        p = lib.ones(2, requires_grad=True)
        with pytest.raises(Exception) as info:
            eval(src, {"torch": lib, "p": p})
        caught.append((type(info.value), str(info.value).replace("torch.", "gradviz.")))
    assert caught[0] == caught[1]


SCHEDULES = [
    "lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)",
    "lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.3)",
    "lr_scheduler.ExponentialLR(opt, gamma=0.9)",
    "lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)",
    "lr_scheduler.LambdaLR(opt, lr_lambda=lambda epoch: 0.95 ** epoch)",
    "lr_scheduler.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 2.0])",
]


@pytest.mark.parametrize("src", SCHEDULES)
def test_lr_schedules_equal_pytorch(torch, src):
    runs = []
    for lib in (gradviz, torch):
        a = lib.ones(2, requires_grad=True)
        b = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.2}], lr=0.1, momentum=0.9)
        sched = eval(src, {"lr_scheduler": lib.optim.lr_scheduler, "opt": opt})
        lrs, values = [], []
        for _ in range(11):
            opt.zero_grad()
            (a * a + b).sum().backward()
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
            values.append(a.detach().numpy().copy())
        runs.append((lrs, values, sched.last_epoch, [g["initial_lr"] for g in opt.param_groups]))
    (l1, v1, e1, i1), (l2, v2, e2, i2) = runs
    assert l1 == l2 and e1 == e2 and i1 == i2
    np.testing.assert_allclose(v1, v2, rtol=1e-6, atol=1e-7)


def test_scheduler_warns_when_stepped_before_the_optimizer(torch):
    texts = []
    for lib in (gradviz, torch):
        opt = lib.optim.SGD([lib.ones(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, 1)
        with pytest.warns(UserWarning) as record:
            sched.step()
        texts.append([str(w.message) for w in record])
    assert texts[0] == texts[1]


def test_scheduler_state_dict_resumes():
    opt = gradviz.optim.SGD([gradviz.ones(1, requires_grad=True)], lr=1.0)
    sched = gradviz.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3
    opt2 = gradviz.optim.SGD([gradviz.ones(1, requires_grad=True)], lr=1.0)
    sched2 = gradviz.optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(saved)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    opt.step()
    sched.step()
    opt2.step()
    sched2.step()
    assert sched.get_last_lr() == sched2.get_last_lr() == [0.25]


@pytest.mark.parametrize("name, options", [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                                           ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                           ("Adam", dict(lr=0.1, amsgrad=True)),
                                           ("RMSprop", dict(lr=0.1, momentum=0.5, centered=True))])
def test_zero_dim_parameters(torch, name, options):
    """Scalar parameters (a, b, c, d of the polynomial examples) update as in PyTorch."""
    runs = []
    for lib in (gradviz, torch):
        a = lib.tensor(0.5, requires_grad=True)
        b = lib.tensor(-1.0, requires_grad=True)
        opt = getattr(lib.optim, name)([a, b], **options)
        for _ in range(5):
            opt.zero_grad()
            ((a * 3.0 + b - 1.0) ** 2).backward()
            opt.step()
        state = opt.state_dict()["state"][0]
        runs.append((a.item(), b.item(), {k: float(v) for k, v in state.items()}))
    assert runs[0][0] == pytest.approx(runs[1][0], rel=1e-6)
    assert runs[0][1] == pytest.approx(runs[1][1], rel=1e-6)
    assert runs[0][2] == pytest.approx(runs[1][2], rel=1e-6)
