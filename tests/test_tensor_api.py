"""Tensor behaviour a PyTorch user relies on, checked against PyTorch or by hand."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradviz as gv


# --- autograd state ----------------------------------------------------------------------------
def test_requires_grad_is_leaf_and_grad_none_until_backward():
    x = gv.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = gv.tensor([1.0, 1.0, 1.0])
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    assert not c.requires_grad and c.is_leaf
    y = x * c
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    z = c * 2
    assert not z.requires_grad and z.is_leaf and z.grad_fn is None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
    assert c.grad is None
    assert x.grad.is_leaf and not x.grad.requires_grad


def test_requires_grad_and_requires_grad_():
    x = gv.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    y = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        gv.tensor([1, 2]).requires_grad_()


def test_retain_grad_and_retains_grad():
    x = gv.tensor([1.0, -2.0], requires_grad=True)
    h = x * 3
    assert not h.retains_grad
    h.retain_grad()
    assert h.retains_grad
    (h * h).sum().backward()
    # d/dh sum(h²) = 2h = [6, -12]; d/dx = 2h·3
    np.testing.assert_allclose(h.grad.numpy(), [6.0, -12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, -36.0])
    x.retain_grad()  # a no-op on a leaf
    assert not x.retains_grad


def test_register_hook_modifies_and_remove():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x * 2
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    leaf_handle = x.register_hook(lambda g: g + 1)
    h.sum().backward(retain_graph=True)
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [21.0, 21.0])  # (1·10)·2 + 1
    handle.remove()
    leaf_handle.remove()
    x.grad = None
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    assert len(seen) == 1


def test_register_hook_requires_grad():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gv.ones(2).register_hook(lambda g: g)


def test_detach_shares_memory_and_version():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d[0] = 5.0
    assert x.detach().tolist() == [5.0, 2.0]
    assert x._version == d._version == 1
    y = (x * 3).detach()
    assert y.grad_fn is None and not y.requires_grad


def test_version_counter_matches_torch(torch):
    src = """
x = torch.zeros(3)
v = [x._version]
x.add_(1); v.append(x._version)
x.mul_(2); v.append(x._version)
x[0] = 4.0; v.append(x._version)
x.zero_(); v.append(x._version)
y = x.view(3); y.add_(1); v.append(x._version); v.append(y._version)
z = x + 1; v.append(z._version)
"""
    out = []
    for mod in (torch, gv):
        ns = {"torch": mod}
        exec(src, ns)
        out.append((ns["v"], ns["x"].tolist()))
    assert out[1] == out[0]


def test_conversions():
    x = gv.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert gv.tensor([3]).item() == 3 and isinstance(gv.tensor([3]).item(), int)
    assert gv.tensor(True).item() is True
    assert float(gv.tensor(2.5)) == 2.5 and int(gv.tensor(7)) == 7
    # numpy() shares memory, as in PyTorch
    a = np.zeros(3)
    t = gv.from_numpy(a)
    t.add_(1)
    np.testing.assert_array_equal(a, [1, 1, 1])
    x.numpy()[0, 0] = 9.0
    assert x[0, 0].item() == 9.0
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\)"):
        gv.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        gv.ones(2).item()


def test_shape_ndim_dtype_size(torch):
    for mod in (torch, gv):
        x = mod.zeros(2, 3, 4)
        assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4)
        assert x.size(1) == 3 and x.size(-1) == 4
        assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and len(x) == 2
        assert x.dtype == mod.float32 and x.dtype.is_floating_point
        assert mod.zeros(2, dtype=mod.int64).dtype == mod.int64
        assert not mod.zeros(2, dtype=mod.int64).dtype.is_floating_point
    assert repr(gv.zeros(2, 3).shape) == repr(torch.zeros(2, 3).shape).replace("torch.", "gradviz.")
    assert isinstance(gv.zeros(2).shape, tuple)


def test_T_and_mT():
    x = gv.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.T.numpy(), np.arange(24.0).reshape(2, 3, 4).transpose(2, 1, 0))
    np.testing.assert_array_equal(x.mT.numpy(), np.arange(24.0).reshape(2, 3, 4).transpose(0, 2, 1))
    v = gv.tensor([1.0, 2.0])
    np.testing.assert_array_equal(v.T.numpy(), [1.0, 2.0])


# --- in-place ----------------------------------------------------------------------------------
def test_inplace_results_and_grads():
    x = gv.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * 2
    h.add_(1)           # 2x + 1
    h.mul_(x)           # (2x + 1)·x  -> d/dx = 4x + 1
    assert h.grad_fn.name() == "MulBackward0"
    h.sum().backward()
    np.testing.assert_allclose(h.detach().numpy(), [3.0, 6.0, 21.0])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, -7.0, 13.0])


def test_inplace_on_leaf_requiring_grad_fails_but_works_in_no_grad():
    w = gv.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.add_(1)
    with gv.no_grad():
        w.sub_(0.5)
        w *= 2
    np.testing.assert_allclose(w.detach().numpy(), [1.0, 3.0])
    assert w.is_leaf and w.requires_grad


def test_inplace_modification_of_saved_tensor_detected():
    a = gv.tensor([1.0, 2.0], requires_grad=True)
    h = a.exp()
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()
    assert a.grad is None  # a failing pass changes nothing


def test_zero_on_grad():
    x = gv.ones(2, 2, requires_grad=True)
    (x * 3).sum().backward()
    g = x.grad
    x.grad.zero_()
    assert x.grad is g
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 2)))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 3.0))
    assert x.grad is g  # accumulated in place into the same tensor, like PyTorch


# --- grad modes --------------------------------------------------------------------------------
def test_grad_modes_as_context_managers():
    x = gv.ones(2, requires_grad=True)
    assert gv.is_grad_enabled()
    with gv.no_grad():
        assert not gv.is_grad_enabled()
        assert not (x * 2).requires_grad
        with gv.enable_grad():
            assert gv.is_grad_enabled()
            assert (x * 2).requires_grad
        assert not gv.is_grad_enabled()
    assert gv.is_grad_enabled()
    with gv.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert gv.is_grad_enabled()
    with gv.inference_mode():
        assert not gv.is_grad_enabled() and gv.is_inference_mode_enabled()
        assert not (x * 2).requires_grad
    assert gv.is_grad_enabled() and not gv.is_inference_mode_enabled()
    with gv.inference_mode(False):
        assert (x * 2).requires_grad


def test_set_grad_enabled_as_function_call():
    try:
        gv.set_grad_enabled(False)
        assert not gv.is_grad_enabled()
    finally:
        gv.set_grad_enabled(True)
    assert gv.is_grad_enabled()


def test_grad_modes_as_decorators():
    x = gv.ones(2, requires_grad=True)

    @gv.no_grad()
    def f1():
        return x * 2

    @gv.no_grad
    def f2():
        return x * 2

    @gv.enable_grad()
    def f3():
        return x * 2

    @gv.set_grad_enabled(False)
    def f4():
        return x * 2

    @gv.inference_mode()
    def f5():
        return x * 2

    @gv.inference_mode
    def f6():
        return x * 2

    assert gv.is_grad_enabled()  # defining them changed nothing
    assert not f1().requires_grad and not f2().requires_grad
    assert not f4().requires_grad and not f5().requires_grad and not f6().requires_grad
    with gv.no_grad():
        assert f3().requires_grad
    assert f1.__name__ == "f1"
    assert gv.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with gv.no_grad():
            raise ValueError
    assert gv.is_grad_enabled()


# --- autograd.grad and backward ------------------------------------------------------------------
def test_autograd_grad_leaves_nonleaves_and_allow_unused():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    u = gv.tensor([3.0, 4.0], requires_grad=True)
    h = x * x
    y = (h * 3).sum()
    gx, gh = gv.autograd.grad(y, [x, h], retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(gh.numpy(), [3.0, 3.0])
    assert x.grad is None and h._grad is None  # grad() leaves .grad alone
    (gx2,) = gv.autograd.grad(y, x, retain_graph=True)
    np.testing.assert_allclose(gx2.numpy(), [6.0, 12.0])
    gx3, gu = gv.autograd.grad(y, [x, u], allow_unused=True, retain_graph=True)
    assert gu is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        gv.autograd.grad(y, [x, u], retain_graph=True)
    gx4, gu4 = gv.autograd.grad(y, [x, u], materialize_grads=True, allow_unused=True)
    np.testing.assert_array_equal(gu4.numpy(), [0.0, 0.0])


def test_autograd_grad_with_grad_outputs():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gv.autograd.grad(x * x, x, grad_outputs=gv.tensor([1.0, -1.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, -4.0])


def test_create_graph_raises_not_implemented():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError):
        gv.autograd.grad((x * x).sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError):
        (x * x).sum().backward(create_graph=True)


def test_accumulation_with_retain_graph():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    for k in range(1, 4):
        y.backward(retain_graph=True)
        np.testing.assert_allclose(x.grad.numpy(), [2.0 * k, 4.0 * k])
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


def test_backward_with_gradient_argument_and_errors():
    x = gv.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(gv.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.5])
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        gv.ones(2).sum().backward()


# --- nn + optim: a tiny classifier trained the same way as in PyTorch ---------------------------
def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    w1 = (rng.standard_normal((8, 2)) * 0.7).astype(np.float32)
    b1 = (rng.standard_normal(8) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((2, 8)) * 0.7).astype(np.float32)
    b2 = (rng.standard_normal(2) * 0.1).astype(np.float32)
    return x, y, (w1, b1, w2, b2)


def _train(mod, steps=30, momentum=0.0, weight_decay=0.0):
    x, y, params = _data()
    model = mod.nn.Sequential(mod.nn.Linear(2, 8), mod.nn.ReLU(), mod.nn.Linear(8, 2))
    with mod.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(mod.tensor(v))
    opt = mod.optim.SGD(model.parameters(), lr=0.1, momentum=momentum, weight_decay=weight_decay)
    xt, yt = mod.tensor(x), mod.tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = mod.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_sequential_structure():
    model = gv.nn.Sequential(gv.nn.Linear(2, 8), gv.nn.ReLU(), gv.nn.Linear(8, 2))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(8, 2), (8,), (2, 8), (2,)]
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())
    out = model(gv.ones(5, 2))
    assert out.shape == (5, 2) and out.grad_fn.name() == "AddmmBackward0"


def test_training_loss_decreases():
    losses, _ = _train(gv, steps=60)
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize("momentum,weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.5, 1e-2)])
def test_training_matches_torch(torch, momentum, weight_decay):
    g_losses, g_params = _train(gv, momentum=momentum, weight_decay=weight_decay)
    t_losses, t_params = _train(torch, momentum=momentum, weight_decay=weight_decay)
    np.testing.assert_allclose(g_losses, t_losses, rtol=2e-5, atol=1e-6)
    for g, t in zip(g_params, t_params):
        np.testing.assert_allclose(g, t, rtol=1e-4, atol=1e-5)


def test_nonleaf_grad_access_warns():
    x = gv.ones(2, requires_grad=True)
    y = x * 2
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert y.grad is None
    assert len(w) == 1 and issubclass(w[0].category, UserWarning)
