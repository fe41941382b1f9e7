"""The losses (functional and as modules) against PyTorch: values, gradients, grad_fn chains,
legacy ``size_average``/``reduce`` warnings, errors and reprs; new gradients against finite
differences in float64."""
from __future__ import annotations

import numpy as np
import pytest

from nn_parity import assert_finite_differences, assert_parity, error_of, warnings_of

rng = np.random.default_rng(7)
X = rng.standard_normal((4, 5))
T = rng.standard_normal((4, 5))
T_ROW = rng.standard_normal((1, 5))
IDX = np.array([0, 3, 1, 4])
IDX_IGNORED = np.array([0, -100, 1, 4])
IDX_3D = np.array([[0, 2, 1], [4, -1, 3]])
P = rng.uniform(0.1, 0.9, (4, 5))
Y01 = (rng.uniform(size=(4, 5)) > 0.5).astype(np.float64)
W5 = rng.uniform(0.5, 2.0, 5)
X3D = rng.standard_normal((2, 5, 3))
PROBS = np.exp(T) / np.exp(T).sum(1, keepdims=True)

INPUTS = dict(x=X, t=T, t_row=T_ROW, idx=IDX, idx_ignored=IDX_IGNORED, p=P, y01=Y01, w5=W5,
              x3d=X3D, idx3d=np.array([[0, 2, 1], [4, 0, 3]]), probs=PROBS)

CASES = {
    "l1_mean": "out = F.l1_loss(x, t)",
    "l1_sum": "out = F.l1_loss(x, t, reduction='sum')",
    "l1_none": "out = F.l1_loss(x, t, reduction='none')",
    "l1_broadcast_target": "out = F.l1_loss(x, t_row)",
    "l1_module": "out = nn.L1Loss()(x, t)",
    "smooth_l1": "out = F.smooth_l1_loss(x, t)",
    "smooth_l1_beta": "out = F.smooth_l1_loss(x, t, beta=0.5, reduction='sum')",
    "smooth_l1_beta0": "out = F.smooth_l1_loss(x, t, beta=0.0)",
    "smooth_l1_module": "out = nn.SmoothL1Loss(beta=2.0, reduction='none')(x, t)",
    "huber": "out = F.huber_loss(x, t)",
    "huber_delta": "out = F.huber_loss(x, t, delta=0.3, reduction='none')",
    "huber_module": "out = nn.HuberLoss(delta=0.5)(x, t)",
    "mse_module": "out = nn.MSELoss(reduction='sum')(x, t)",
    "ce": "out = F.cross_entropy(x, idx)",
    "ce_module_weight": "out = nn.CrossEntropyLoss(weight=w5)(x, idx)",
    "ce_ignore_index": "out = nn.CrossEntropyLoss()(x, idx_ignored)",
    "ce_ignore_custom": "out = F.cross_entropy(x, idx, ignore_index=3)",
    "ce_label_smoothing": "out = F.cross_entropy(x, idx, label_smoothing=0.1)",
    "ce_label_smoothing_sum": "out = F.cross_entropy(x, idx, label_smoothing=0.2, reduction='sum')",
    "ce_label_smoothing_none": "out = F.cross_entropy(x, idx_ignored, label_smoothing=0.2, reduction='none')",
    "ce_label_smoothing_ignored": "out = F.cross_entropy(x, idx_ignored, label_smoothing=0.3)",
    "ce_label_smoothing_weight": "out = nn.CrossEntropyLoss(weight=w5, label_smoothing=0.1)(x, idx_ignored)",
    "ce_probs": "out = F.cross_entropy(x, probs)",
    "ce_probs_smoothing": "out = nn.CrossEntropyLoss(label_smoothing=0.25)(x, probs)",
    "ce_probs_weight": "out = F.cross_entropy(x, probs, weight=w5, reduction='sum')",
    "ce_spatial": "out = F.cross_entropy(x3d, idx3d)",
    "nll_module": "out = nn.NLLLoss(weight=w5)(F.log_softmax(x, 1), idx)",
    "bce_module": "out = nn.BCELoss()(p, y01)",
    "bce_module_weight": "out = nn.BCELoss(weight=w5, reduction='sum')(p, y01)",
    "bce_logits_module": "out = nn.BCEWithLogitsLoss(pos_weight=w5)(x, y01)",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_loss_parity(torch, name):
    grad = ("x", "t") if "x, t" in CASES[name] else ("x", "p", "x3d")
    inputs = {k: v for k, v in INPUTS.items() if k in CASES[name]}
    assert_parity(torch, CASES[name], inputs, tuple(g for g in grad if g in inputs))


@pytest.mark.torch
def test_loss_parity_float32(torch):
    inputs = {k: (v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in INPUTS.items()}
    for name in ("l1_mean", "smooth_l1_beta", "huber_delta", "ce_label_smoothing_weight", "ce_probs_smoothing"):
        src = CASES[name]
        used = {k: v for k, v in inputs.items() if k in src}
        assert_parity(torch, src, used, ("x",), rtol=2e-6, atol=1e-7)


# Finite differences: inputs kept away from the kinks (|x - t| near 0, beta or delta).
AWAY = dict(x=np.array([[0.9, -1.7, 0.2], [2.4, -0.35, 1.3]]),
            t=np.array([[0.1, 0.4, -0.6], [0.0, 0.9, -1.1]]))
FD_CASES = [
    "out = F.l1_loss(x, t)",
    "out = F.l1_loss(x, t, reduction='none')",
    "out = F.smooth_l1_loss(x, t)",
    "out = F.smooth_l1_loss(x, t, beta=0.5, reduction='none')",
    "out = F.huber_loss(x, t, delta=0.5)",
    "out = F.huber_loss(x, t, reduction='sum')",
]


@pytest.mark.parametrize("src", FD_CASES)
def test_loss_finite_differences(src):
    assert_finite_differences(src, AWAY, ("x", "t"))


@pytest.mark.parametrize("src", [
    "out = F.cross_entropy(x, idx, label_smoothing=0.2)",
    "out = F.cross_entropy(x, idx_ignored, label_smoothing=0.3, reduction='none')",
    "out = F.cross_entropy(x, idx, weight=w5, label_smoothing=0.1)",
    "out = F.cross_entropy(x, probs, label_smoothing=0.4)",
])
def test_cross_entropy_smoothing_finite_differences(src):
    inputs = {k: v for k, v in INPUTS.items() if k in src}
    assert_finite_differences(src, inputs, ("x",))


LEGACY = [
    "nn.MSELoss(size_average=False)",
    "nn.L1Loss(reduce=False)",
    "nn.CrossEntropyLoss(size_average=True, reduce=True)",
    "nn.NLLLoss(reduce=False, size_average=True)",
    "nn.BCELoss(size_average=False)",
    "nn.BCEWithLogitsLoss(reduce=False)",
    "nn.SmoothL1Loss(size_average=False)",
    "F.mse_loss(x, t, size_average=False)",
    "F.cross_entropy(x, idx, reduce=False)",
    "F.l1_loss(x, t, size_average=False)",
    "F.smooth_l1_loss(x, t, reduce=False)",
    "F.binary_cross_entropy(p, y01, size_average=False)",
]


@pytest.mark.torch
@pytest.mark.parametrize("expr", LEGACY)
def test_legacy_arguments_warn_and_reduce_alike(torch, expr):
    src = f"out = {expr}"
    inputs = {k: v for k, v in INPUTS.items() if k in expr}
    ours, theirs = warnings_of(__import__("gradviz"), src, inputs), warnings_of(torch, src, inputs)
    assert ours == theirs and any("size_average and reduce args" in w for w in ours)
    if expr.startswith("nn."):
        import gradviz

        m1, m2 = eval(expr, {"nn": gradviz.nn}), eval(expr, {"nn": torch.nn})
        assert m1.reduction == m2.reduction
    else:
        assert_parity(torch, src, inputs, ("x",) if "x" in inputs else ("p",))


ERRORS = {
    "smooth_l1_negative_beta": "F.smooth_l1_loss(x, t, beta=-1.0)",
    "huber_zero_delta": "F.huber_loss(x, t, delta=0.0)",
    "ce_label_smoothing_range": "F.cross_entropy(x, idx, label_smoothing=1.5)",
    "l1_bad_reduction": "F.l1_loss(x, t, reduction='avg')",
    "ce_target_out_of_bounds": "F.cross_entropy(x, idx * 2)",
    "bce_size_mismatch": "nn.BCELoss()(p, y01[0])",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", ERRORS)
def test_loss_errors(torch, name):
    import gradviz

    src = ERRORS[name]
    inputs = {k: v for k, v in INPUTS.items() if k in src}
    ours, theirs = error_of(gradviz, src, inputs), error_of(torch, src, inputs)
    assert theirs is not None
    assert ours == theirs


REPRS = ["nn.MSELoss()", "nn.L1Loss(reduction='sum')", "nn.SmoothL1Loss(beta=0.5)",
         "nn.HuberLoss(delta=2.0)", "nn.CrossEntropyLoss(label_smoothing=0.1)", "nn.NLLLoss()",
         "nn.BCELoss()", "nn.BCEWithLogitsLoss()"]


@pytest.mark.torch
@pytest.mark.parametrize("expr", REPRS)
def test_loss_module_repr_and_state(torch, expr):
    import gradviz

    m1, m2 = eval(expr, {"nn": gradviz.nn}), eval(expr, {"nn": torch.nn})
    assert repr(m1) == repr(m2)
    assert list(m1.state_dict()) == list(m2.state_dict())
    for attr in ("reduction", "beta", "delta", "ignore_index", "label_smoothing"):
        assert getattr(m1, attr, None) == getattr(m2, attr, None), attr


@pytest.mark.torch
def test_weighted_loss_keeps_weight_as_buffer(torch):
    import gradviz

    for lib in (gradviz, torch):
        w = lib.tensor(W5)
        m = lib.nn.CrossEntropyLoss(weight=w)
        assert list(m.state_dict()) == ["weight"]
        assert [n for n, _ in m.named_buffers()] == ["weight"]
        m2 = lib.nn.BCEWithLogitsLoss(pos_weight=w)
        assert list(m2.state_dict()) == ["pos_weight"]
