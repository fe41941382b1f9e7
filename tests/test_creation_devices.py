"""Creation functions, random sampling, generators and devices.

gradviz has its own random stream (numpy's PCG64), so sampling is checked by what must hold
whatever the stream: shapes, dtypes, ranges, reproducibility under a seed and a Generator,
independence of a Generator from the global stream, and the distribution (chi-square and
moment checks with fixed seeds, at thresholds a correct sampler fails with probability far
below 1e-6). Everything deterministic (linspace, devices, ``to``, errors) is compared with
PyTorch itself.
"""
from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest

import gradviz as gv
from test_parity_torch import chain, norm, run, to_np, up_to_hint


def _error(src, mod):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run(src, mod)
    except BaseException as exc:  # noqa: BLE001 - AssertionError is what PyTorch raises for CUDA
        return type(exc).__name__, up_to_hint(str(exc))
    return None, None


# --- deterministic creation: the same values, dtypes and shapes as PyTorch ----------------------
CREATION_CASES = [
    "torch.linspace(0, 1, 5)", "torch.linspace(0, 1, steps=5)", "torch.linspace(-1, 1, 7)",
    "torch.linspace(0, 10, 4, dtype=torch.int64)", "torch.linspace(0, 10, 1)",
    "torch.linspace(0, 10, 0)", "torch.linspace(torch.tensor(0.0), torch.tensor(1.0), 3)",
    "torch.linspace(-3.5, 2.25, 50, dtype=torch.float64)", "torch.linspace(2, -3, 9, device='cpu')",
    "torch.logspace(0, 2, 5)", "torch.logspace(0, 2, 5, base=2)",
    "torch.zeros(2, 3, device='cpu')", "torch.zeros(size=(2, 3))", "torch.ones(size=[2])",
    "torch.zeros(())", "torch.zeros([])", "torch.empty(2, 3, device='cpu', dtype=torch.float64)",
    "torch.full((2,), 1.0, device='cpu')", "torch.full((2,), 7)", "torch.full((2,), True)",
    "torch.full(size=(2,), fill_value=2.0)", "torch.eye(2, device='cpu')",
    "torch.eye(2, 3, dtype=torch.int64)", "torch.arange(3, device='cpu')",
    "torch.arange(0, 1, 0.25, device=torch.device('cpu'))",
    "torch.ones_like(torch.zeros(2), device='cpu')", "torch.zeros_like(torch.zeros(2, dtype=torch.int32))",
    "torch.tensor([1.0, 2.0], device='cpu')", "torch.tensor([1, 2], device=torch.device('cpu'))",
    "torch.as_tensor([1.0, 2.0], device='cpu')", "torch.zeros(2, device='cpu:0')",
]


@pytest.mark.torch
@pytest.mark.parametrize("expr", CREATION_CASES)
def test_creation_parity(torch, expr):
    t = run(f"out = {expr}", torch)["out"]
    g = run(f"out = {expr}", gv)["out"]
    assert norm(str(g.dtype)) == norm(str(t.dtype))
    assert tuple(g.shape) == tuple(t.shape)
    assert g.requires_grad == t.requires_grad
    if "empty" not in expr:  # PyTorch's empty is uninitialised memory
        # Bit for bit: linspace follows PyTorch's formula step for step.
        np.testing.assert_array_equal(to_np(g), to_np(t))


@pytest.mark.torch
def test_linspace_bit_for_bit_random(torch):
    rng = np.random.default_rng(0)
    for _ in range(300):
        a, b = rng.uniform(-100, 100, 2)
        steps = int(rng.integers(0, 60))
        for dt in ("float32", "float64", "int64", "int32"):
            lo, hi = (int(a), int(b)) if dt.startswith("int") else (float(a), float(b))
            t = torch.linspace(lo, hi, steps, dtype=getattr(torch, dt)).numpy()
            g = gv.linspace(lo, hi, steps, dtype=getattr(gv, dt)).numpy()
            np.testing.assert_array_equal(g, t, err_msg=f"linspace({lo}, {hi}, {steps}, {dt})")


@pytest.mark.torch
def test_requires_grad_keyword_parity(torch):
    exprs = ["torch.zeros(2, requires_grad=True)", "torch.linspace(0, 1, 3, requires_grad=True)",
             "torch.randn(2, requires_grad=True)", "torch.rand(2, dtype=torch.float64, requires_grad=True)",
             "torch.randint(0, 10, (3,), dtype=torch.float32, requires_grad=True)",
             "torch.randperm(5, dtype=torch.float64, requires_grad=True)",
             "torch.normal(0.0, 1.0, (2,), requires_grad=True)", "torch.full((2,), 1.5, requires_grad=True)",
             "torch.eye(2, requires_grad=True)", "torch.arange(0.0, 2.0, requires_grad=True)"]
    for e in exprs:
        t, g = run(f"out = {e}", torch)["out"], run(f"out = {e}", gv)["out"]
        assert (g.requires_grad, g.is_leaf, norm(str(g.dtype))) == (
            t.requires_grad, t.is_leaf, norm(str(t.dtype))), e


# --- sampling: shapes, dtypes, ranges -------------------------------------------------------------
@pytest.mark.torch
def test_sampling_shapes_and_dtypes_match_torch(torch):
    exprs = [
        "torch.randint(0, 10, (3,))", "torch.randint(10, (3,))", "torch.randint(10, size=(3, 2))",
        "torch.randint(low=0, high=10, size=(3,))", "torch.randint(0, 10, (3,), generator=g)",
        "torch.randint(0, 10, (3,), dtype=torch.float32)", "torch.randint(-5, 5, torch.Size([2, 2]))",
        "torch.randperm(5)", "torch.randperm(5, dtype=torch.float32)", "torch.randperm(5, generator=g)",
        "torch.randperm(0)",
        "torch.normal(0, 1, (2, 3))", "torch.normal(0.0, 1.0, size=(2, 3))",
        "torch.normal(2.0, 3.0, (4,), generator=g, dtype=torch.float64)",
        "torch.normal(torch.zeros(3), 1.0)", "torch.normal(2.0, torch.ones(3))",
        "torch.normal(torch.zeros(3, 1), torch.ones(2))",
        "torch.normal(torch.zeros(3, dtype=torch.float64), 1.0)",
        "torch.normal(torch.zeros(3), torch.ones(3), generator=g)",
        "torch.randn(size=(2, 3))", "torch.randn(2, 3, generator=g)", "torch.randn([2, 3])",
        "torch.randn(torch.Size([2]))", "torch.randn(2, device='cpu')", "torch.rand(2, generator=g)",
        "torch.rand(3, 2, dtype=torch.float64)", "torch.randn_like(torch.zeros(2, dtype=torch.float64))",
        "torch.rand_like(torch.zeros(2))", "torch.randint_like(torch.zeros(2), 5)",
        "torch.randint_like(torch.zeros(2), 3, 5)",
        "torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), 1, generator=g)",
        "torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), 5, replacement=True, generator=g)",
        "torch.multinomial(torch.ones(2, 3), 2)", "torch.tensor([1.0, 2.0]).multinomial(2, True)",
        "torch.multinomial(torch.tensor([1.0, 2.0], dtype=torch.float64), 1)",
        "torch.bernoulli(torch.full((3,), 0.5))", "torch.bernoulli(torch.full((3,), 0.5, dtype=torch.float64))",
        "torch.bernoulli(torch.zeros(3), p=0.3)",
    ]
    for e in exprs:
        t = run(f"out = {e}", torch, g=torch.Generator().manual_seed(1))["out"]
        g = run(f"out = {e}", gv, g=gv.Generator().manual_seed(1))["out"]
        assert (norm(str(g.dtype)), tuple(g.shape), g.requires_grad) == (
            norm(str(t.dtype)), tuple(t.shape), t.requires_grad), e


def test_integer_draws_stay_in_range_and_cover_it():
    gv.manual_seed(0)
    x = gv.randint(-3, 4, (5000,)).numpy()
    assert x.min() == -3 and x.max() == 3 and set(np.unique(x)) == set(range(-3, 4))
    p = gv.randperm(50).numpy()
    assert sorted(p.tolist()) == list(range(50)) and p.dtype == np.int64
    assert p.tolist() != list(range(50))


def _chi_square_ok(counts, probs):
    """Pearson's chi-square against ``probs``; the bound is a 1e-6 upper tail (Wilson-Hilferty),
    so a correct sampler with a fixed seed passes, and a wrong distribution fails."""
    counts = np.asarray(counts, dtype=float)
    expected = counts.sum() * np.asarray(probs)
    stat = float(((counts - expected) ** 2 / expected).sum())
    k = len(probs) - 1
    z = 4.75  # one-sided 1e-6
    bound = k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3
    return stat < bound, stat, bound


def test_multinomial_with_replacement_follows_the_weights():
    w = gv.tensor([1.0, 2.0, 3.0, 0.0, 4.0])
    draws = gv.multinomial(w, 20000, replacement=True, generator=gv.Generator().manual_seed(5))
    counts = np.bincount(draws.numpy(), minlength=5)
    assert counts[3] == 0  # a zero weight is never drawn
    ok, stat, bound = _chi_square_ok(counts[[0, 1, 2, 4]], np.array([1, 2, 3, 4]) / 10)
    assert ok, (counts, stat, bound)
    # and a uniform distribution is rejected by the same test (the test can fail)
    assert not _chi_square_ok(counts[[0, 1, 2, 4]], [0.25] * 4)[0]


def test_multinomial_without_replacement_draws_distinct_categories_by_weight():
    g = gv.Generator().manual_seed(3)
    w = gv.tensor([[5.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    firsts = []
    for _ in range(4000):
        s = gv.multinomial(w, 2, generator=g).numpy()
        assert s.shape == (2, 2) and s[0, 0] != s[0, 1]
        assert set(s[1].tolist()) == {1, 2}  # the only two with weight
        firsts.append(s[0, 0])
    # The first draw without replacement is a plain draw with the weights.
    ok, stat, bound = _chi_square_ok(np.bincount(firsts, minlength=4), np.array([5, 1, 1, 1]) / 8)
    assert ok, (stat, bound)


def test_normal_and_bernoulli_moments():
    g = gv.Generator().manual_seed(11)
    x = gv.normal(2.0, 3.0, (40000,), generator=g, dtype=gv.float64).numpy()
    # mean within 6 standard errors, std within 2 %
    assert abs(x.mean() - 2.0) < 6 * 3.0 / math.sqrt(x.size)
    assert abs(x.std() - 3.0) < 0.06
    m = gv.normal(gv.tensor([0.0, 10.0]).unsqueeze(0).expand(20000, 2), gv.tensor([1.0, 0.1]),
                  generator=g).numpy()
    assert abs(m[:, 0].mean()) < 0.05 and abs(m[:, 1].mean() - 10.0) < 0.01
    assert abs(m[:, 1].std() - 0.1) < 0.005
    b = gv.bernoulli(gv.full((20000,), 0.3), generator=g).numpy()
    assert set(np.unique(b).tolist()) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    r = gv.randn(40000, generator=g).numpy()
    assert abs(r.mean()) < 0.03 and abs(r.std() - 1.0) < 0.02
    u = gv.rand(40000, generator=g).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01


# --- reproducibility --------------------------------------------------------------------------------
DRAWS = [lambda g: gv.randn(3, 2, generator=g), lambda g: gv.rand(4, generator=g),
         lambda g: gv.randint(0, 100, (5,), generator=g), lambda g: gv.randperm(8, generator=g),
         lambda g: gv.normal(0.0, 1.0, (3,), generator=g),
         lambda g: gv.multinomial(gv.ones(6), 3, generator=g),
         lambda g: gv.multinomial(gv.ones(6), 9, True, generator=g),
         lambda g: gv.bernoulli(gv.full((6,), 0.5), generator=g),
         lambda g: gv.zeros(4).normal_(generator=g), lambda g: gv.zeros(4).uniform_(generator=g)]


@pytest.mark.parametrize("k", range(len(DRAWS)))
def test_a_generator_repeats_under_its_seed_and_leaves_the_global_stream_alone(k):
    draw = DRAWS[k]
    a = draw(gv.Generator().manual_seed(42)).numpy()
    b = draw(gv.Generator().manual_seed(42)).numpy()
    c = draw(gv.Generator().manual_seed(43)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) or a.size < 2
    gv.manual_seed(7)
    expected = gv.randn(5).numpy()
    gv.manual_seed(7)
    draw(gv.Generator().manual_seed(1))
    np.testing.assert_array_equal(gv.randn(5).numpy(), expected)
    # the global stream itself repeats under manual_seed
    gv.manual_seed(3)
    d = draw(None).numpy()
    gv.manual_seed(3)
    np.testing.assert_array_equal(draw(None).numpy(), d)


@pytest.mark.torch
def test_generator_surface_matches_torch(torch):
    for mod in (torch, gv):
        g = mod.Generator()
        assert g.initial_seed() == 67280421310721
        assert g.manual_seed(2147483647) is g and g.initial_seed() == 2147483647
        assert repr(g.device) == "device(type='cpu')"
        state = g.get_state()
        x = mod.rand(3, generator=g)
        g.set_state(state)
        assert mod.equal(mod.rand(3, generator=g), x)
        assert isinstance(mod.manual_seed(3), mod.Generator)
        assert mod.initial_seed() == 3
    assert _error("torch.Generator('cuda')", torch)[0] == _error("torch.Generator('cuda')", gv)[0]
    assert _error("torch.Generator().manual_seed(2 ** 64)", gv) == _error(
        "torch.Generator().manual_seed(2 ** 64)", torch)
    assert gv.Generator().manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()


# --- devices ----------------------------------------------------------------------------------------
DEVICE_EXPRS = [
    "torch.device('cpu')", "torch.device('cpu:0')", "torch.device('cpu', 0)",
    "torch.device('cuda')", "torch.device('cuda:1')", "torch.device('cuda', 1)",
    "torch.device(torch.device('cpu'))", "torch.device('meta')", "torch.device(type='cpu', index=0)",
]


@pytest.mark.torch
@pytest.mark.parametrize("expr", DEVICE_EXPRS)
def test_device_objects(torch, expr):
    t, g = run(f"out = {expr}", torch)["out"], run(f"out = {expr}", gv)["out"]
    assert (repr(g), str(g), g.type, g.index, f"{g}") == (repr(t), str(t), t.type, t.index, f"{t}")


@pytest.mark.torch
def test_device_equality_hash_and_tensor_attributes(torch):
    for mod in (torch, gv):
        assert mod.device("cpu") == mod.device("cpu")
        assert mod.device("cpu") != "cpu"
        assert mod.device("cpu:0") != mod.device("cpu")
        assert hash(mod.device("cpu")) == hash(mod.device("cpu"))
        assert len({mod.device("cpu"), mod.device("cpu"), mod.device("cuda")}) == 2
        x = mod.ones(2, requires_grad=True)
        assert x.device == mod.device("cpu") and repr(x.device) == "device(type='cpu')"
        assert (x.is_cuda, x.is_cpu, x.get_device()) == (False, True, -1)
        assert mod.cuda.is_available() is False and mod.cuda.device_count() == 0
        assert mod.cuda.is_initialized() is False
        assert mod.cuda.manual_seed(0) is None and mod.cuda.manual_seed_all(0) is None
        assert mod.get_default_device() == mod.device("cpu")
        with mod.device("cpu"):
            assert mod.ones(1).device == mod.device("cpu")
    assert pickle.loads(pickle.dumps(gv.device("cuda", 2))) == gv.device("cuda:2")


@pytest.mark.torch
def test_to_and_cpu_parity(torch):
    cases = [
        "y = x.cpu(); same = y is x",
        "y = x.to('cpu'); same = y is x",
        "y = x.to(torch.device('cpu')); same = y is x",
        "y = x.to('cpu', non_blocking=True); same = y is x",
        "y = x.to(); same = y is x",
        "y = x.to(device=None); same = y is x",
        "y = x.to(torch.float32); same = y is x",
        "y = x.to(torch.zeros(1)); same = y is x",
        "y = x.to('cpu', copy=True); same = y is x",
        "y = x.to(torch.float32, copy=True); same = y is x",
        "y = x.to(torch.float64); same = y is x",
        "y = x.to('cpu', torch.float64); same = y is x",
        "y = x.to(device='cpu', dtype=torch.float64); same = y is x",
        "y = x.to(torch.zeros(1, dtype=torch.float64)); same = y is x",
        "y = x.to(torch.float64, True); same = y is x",
        "y = x.to(torch.float64, False, True); same = y is x",
        "y = x.to(int); same = y is x",
        "y = x.to(torch.int64); same = y is x",
        "y = x.to(torch.ones(1, dtype=torch.int32), copy=True); same = y is x",
    ]
    for src in cases:
        outs = []
        for mod in (torch, gv):
            x = mod.tensor([1.5, -2.0], requires_grad=True)
            ns = run(src, mod, x=x)
            y = ns["y"]
            if y.requires_grad:
                y.sum().backward()
            outs.append((ns["same"], norm(str(y.dtype)), to_np(y).tolist(), y.requires_grad,
                         chain(y.grad_fn), None if x.grad is None else to_np(x.grad).tolist()))
        assert outs[1] == outs[0], src


DEVICE_ERRORS = {
    "to_cuda": "torch.ones(1).to('cuda')",
    "to_cuda_index": "torch.ones(1).to('cuda:0')",
    "to_cuda_device": "torch.ones(1).to(torch.device('cuda'))",
    "to_cuda_dtype": "torch.ones(1).to('cuda', torch.float64)",
    "to_cuda_keyword": "torch.ones(1).to(device='cuda')",
    "dot_cuda": "torch.ones(1).cuda()",
    "to_mps": "torch.ones(1).to('mps')",
    "to_xpu": "torch.ones(1).to('xpu')",
    "to_bogus": "torch.ones(1).to('bogus')",
    "to_dtype_then_device": "torch.ones(1).to(torch.float64, 'cuda')",
    "to_two_devices": "torch.ones(1).to('cpu', 'cpu')",
    "to_dtype_as_string": "torch.ones(1).to(dtype='float')",
    "zeros_cuda": "torch.zeros(2, device='cuda')",
    "randn_cuda": "torch.randn(2, device='cuda')",
    "tensor_cuda": "torch.tensor([1.0], device='cuda')",
    "tensor_cuda0": "torch.tensor([1.0], device='cuda:0')",
    "tensor_mps": "torch.tensor([1.0], device='mps')",
    "arange_cuda": "torch.arange(3, device='cuda')",
    "linspace_cuda": "torch.linspace(0, 1, 3, device=torch.device('cuda'))",
    "default_device_cuda": "torch.set_default_device('cuda')\ntry:\n    torch.zeros(1)\n"
                           "finally:\n    torch.set_default_device('cpu')",
    "device_block_cuda": "with torch.device('cuda'):\n    torch.ones(1)",
    "device_int": "torch.device(0)",
    "device_bogus": "torch.device('bogus')",
    "device_upper": "torch.device('CPU')",
    "device_space": "torch.device(' cpu')",
    "device_bad_index": "torch.device('cuda:x')",
    "device_negative": "torch.device('cpu', -1)",
    "device_two_indices": "torch.device('cpu:0', 1)",
    "cuda_current_device": "torch.cuda.current_device()",
    "cuda_synchronize": "torch.cuda.synchronize()",
    "cuda_device_name": "torch.cuda.get_device_name()",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(DEVICE_ERRORS))
def test_device_error_parity(torch, name):
    t, g = _error(DEVICE_ERRORS[name], torch), _error(DEVICE_ERRORS[name], gv)
    assert t[0] is not None, "the case must raise in torch"
    assert g == t


SAMPLING_ERRORS = {
    "multinomial_too_many": "torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), 5)",
    "multinomial_negative": "torch.multinomial(torch.tensor([-1.0, 2.0]), 1)",
    "multinomial_inf": "torch.multinomial(torch.tensor([float('inf'), 1.0]), 1)",
    "multinomial_nan": "torch.multinomial(torch.tensor([float('nan'), 1.0]), 1)",
    "multinomial_all_zero": "torch.multinomial(torch.tensor([0.0, 0.0]), 1)",
    "multinomial_int": "torch.multinomial(torch.tensor([1, 2]), 1)",
    "multinomial_3d": "torch.multinomial(torch.ones(2, 2, 2), 1)",
    "multinomial_0d": "torch.multinomial(torch.tensor(1.0), 1)",
    "multinomial_zero_samples": "torch.multinomial(torch.tensor([0.5, 0.5]), 0)",
    "randint_empty_range": "torch.randint(5, 5, (3,))",
    "randint_size_int": "torch.randint(3, 10)",
    "randint_requires_grad_int": "torch.randint(0, 10, (3,), requires_grad=True)",
    "randperm_negative": "torch.randperm(-1)",
    "normal_negative_std": "torch.normal(0.0, -1.0, (3,))",
    "normal_negative_std_tensor": "torch.normal(torch.zeros(3), -torch.ones(3))",
    "normal_tensor_negative_scalar_std": "torch.normal(torch.zeros(3), -1.0)",
    "normal_broadcast": "torch.normal(torch.zeros(3), torch.ones(2))",
    "normal_int_mean": "torch.normal(torch.zeros(3, dtype=torch.int64), 1.0)",
    "randn_int_dtype": "torch.randn(2, dtype=torch.int64)",
    "rand_int_dtype": "torch.rand(2, dtype=torch.int64)",
    "linspace_negative_steps": "torch.linspace(0, 10, -1)",
    "zeros_negative": "torch.zeros(2, -1)",
    "ones_negative": "torch.ones(-1)",
    "rand_negative": "torch.rand(2, -1)",
    "full_negative": "torch.full((-1,), 1.0)",
    "eye_negative": "torch.eye(-1)",
    "eye_negative_m": "torch.eye(2, -3)",
    "zeros_size_twice": "torch.zeros(2, size=(3,))",
    "bernoulli_out_of_range": "torch.bernoulli(torch.tensor([1.5]))",
    "requires_grad_int": "torch.zeros(2, dtype=torch.int64, requires_grad=True)",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SAMPLING_ERRORS))
def test_sampling_error_parity(torch, name):
    t, g = _error(SAMPLING_ERRORS[name], torch), _error(SAMPLING_ERRORS[name], gv)
    assert t[0] is not None, "the case must raise in torch"
    assert g == t


@pytest.mark.torch
def test_normal_with_tensor_parameters_records_a_node_like_torch(torch):
    # PyTorch's normal is not reparametrised: the nodes are there, and send zeros.
    for src in ["out = torch.normal(m, s)", "out = torch.normal(m, 2.0)", "out = torch.normal(0.5, s)",
                "out = torch.bernoulli(p)"]:
        got = []
        for mod in (torch, gv):
            m = mod.zeros(3, requires_grad=True)
            s = mod.ones(3, requires_grad=True)
            p = mod.full((3,), 0.5, requires_grad=True)
            out = run(src, mod, m=m, s=s, p=p)["out"]
            out.sum().backward()
            got.append((chain(out.grad_fn), [None if t.grad is None else to_np(t.grad).tolist()
                                             for t in (m, s, p)]))
        assert got[1] == got[0], src


@pytest.mark.torch
def test_set_default_dtype_applies_to_new_parameters(torch):
    for mod in (torch, gv):
        old = mod.get_default_dtype()
        try:
            mod.set_default_dtype(mod.float64)
            lin = mod.nn.Linear(2, 3)
            assert lin.weight.dtype == mod.float64 and lin.bias.dtype == mod.float64
            assert mod.tensor([1.0]).dtype == mod.float64 and mod.randn(2).dtype == mod.float64
            assert mod.linspace(0, 1, 2).dtype == mod.float64
        finally:
            mod.set_default_dtype(old)
        assert mod.nn.Linear(2, 3).weight.dtype == mod.float32
        assert mod.nn.Linear(2, 3, device="cpu", dtype=mod.float64).weight.dtype == mod.float64
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            mod.nn.Linear(2, 3, device="cuda")


@pytest.mark.torch
def test_the_usual_device_idiom_runs(torch):
    src = ("device = 'cuda' if torch.cuda.is_available() else 'cpu'\n"
           "x = torch.randn(4, 3, device=device)\n"
           "w = torch.zeros(3, 2, device=device, requires_grad=True)\n"
           "loss = (x.to(device) @ w).square().mean()\n"
           "loss.backward()\n"
           "dev = str(w.grad.device)")
    for mod in (torch, gv):
        ns = run(src, mod)
        assert ns["device"] == "cpu" and ns["dev"] == "cpu"
        assert tuple(ns["w"].grad.shape) == (3, 2)


# --- legacy tensor types, numeric limits, constants -------------------------------------------------
@pytest.mark.torch
def test_legacy_tensor_types(torch):
    exprs = ["torch.FloatTensor([1, 2])", "torch.LongTensor([1.7, 2])", "torch.FloatTensor(2, 3)",
             "torch.FloatTensor()", "torch.LongTensor(3)", "torch.DoubleTensor([1])",
             "torch.IntTensor([1, 2])", "torch.ByteTensor([1, 0])", "torch.BoolTensor([1, 0])",
             "torch.tensor([1.5, 2.5]).type(torch.LongTensor)",
             "torch.tensor([1.5, 2.5]).type('torch.DoubleTensor')",
             "torch.tensor([1, 2]).type(torch.float32)"]
    for e in exprs:
        t, g = run(f"out = {e}", torch)["out"], run(f"out = {e}", gv)["out"]
        assert (norm(str(g.dtype)), tuple(g.shape)) == (norm(str(t.dtype)), tuple(t.shape)), e
        if t.numel() and "(2, 3)" not in e and "(3)" not in e:  # uninitialised in PyTorch
            np.testing.assert_array_equal(to_np(g), to_np(t), err_msg=e)
    for mod in (torch, gv):
        assert isinstance(mod.ones(1), mod.FloatTensor)
        assert not isinstance(mod.ones(1, dtype=mod.float64), mod.FloatTensor)
        assert isinstance(mod.tensor([1]), mod.LongTensor)
        x = mod.tensor([1.5], requires_grad=True)
        assert x.type(mod.FloatTensor) is x
        y = x.type("torch.DoubleTensor")
        assert type(y.grad_fn).__name__ == "ToCopyBackward0"
        assert norm(x.type()) == "gradviz.FloatTensor"


@pytest.mark.torch
def test_finfo_iinfo_and_constants(torch):
    for name in ["float32", "float64", "float16"]:
        t, g = torch.finfo(getattr(torch, name)), gv.finfo(getattr(gv, name))
        for attr in ["bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"]:
            assert getattr(g, attr) == getattr(t, attr), (name, attr)
        assert repr(g) == repr(t)
    assert gv.finfo().eps == torch.finfo().eps
    for name in ["int8", "int16", "int32", "int64", "uint8"]:
        t, g = torch.iinfo(getattr(torch, name)), gv.iinfo(getattr(gv, name))
        assert (g.bits, g.min, g.max, repr(g)) == (t.bits, t.min, t.max, repr(t)), name
    for src in ["torch.finfo(torch.int64)", "torch.iinfo(torch.float32)"]:
        assert _error(src, gv) == _error(src, torch)
    assert (gv.pi, gv.e, gv.inf, gv.newaxis) == (torch.pi, torch.e, torch.inf, torch.newaxis)
    assert math.isnan(gv.nan)


@pytest.mark.torch
def test_in_place_samplers(torch):
    # Shapes, dtypes, ranges and the node each records, as in PyTorch; values by distribution.
    for src in ["out = torch.zeros(3).exponential_(2.0)", "out = torch.zeros(3).random_(0, 10)",
                "out = torch.zeros(3, dtype=torch.int64).random_(5)", "out = torch.zeros(2).random_(3)",
                "out = torch.zeros(4).bernoulli_(0.3)", "out = torch.zeros(4).bernoulli_(torch.full((4,), 0.5))",
                "out = torch.zeros(3, requires_grad=True).clone().exponential_()",
                "out = torch.zeros(3, requires_grad=True).clone().random_(4)",
                "out = torch.zeros(3, requires_grad=True).clone().bernoulli_(0.5)"]:
        t, g = run(src, torch)["out"], run(src, gv)["out"]
        assert (norm(str(g.dtype)), tuple(g.shape), chain(g.grad_fn)) == (
            norm(str(t.dtype)), tuple(t.shape), chain(t.grad_fn)), src
    gen = gv.Generator().manual_seed(9)
    e = gv.zeros(40000, dtype=gv.float64).exponential_(2.0, generator=gen).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.5) < 0.01 and abs(e.std() - 0.5) < 0.01
    r = gv.zeros(20000).random_(3, 7, generator=gen).numpy()
    assert set(np.unique(r).tolist()) == {3.0, 4.0, 5.0, 6.0}
    b = gv.zeros(20000).bernoulli_(0.3, generator=gen).numpy()
    assert set(np.unique(b).tolist()) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.015
    a = gv.zeros(5).exponential_(generator=gv.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(a, gv.zeros(5).exponential_(generator=gv.Generator().manual_seed(1)).numpy())
