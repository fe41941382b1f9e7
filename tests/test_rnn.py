"""Recurrent layers against PyTorch: the cells (values, gradients and grad_fn chains, which
PyTorch records op by op), the sequence layers (values of output, h_n, c_n and every gradient,
with PyTorch's weights loaded; reprs; parameter names), and errors."""
from __future__ import annotations

import numpy as np
import pytest

import gradviz
from nn_parity import error_of

pytestmark = pytest.mark.torch


def twin(torch, src):
    """The module built by ``src`` in PyTorch, and gradviz's with PyTorch's weights."""
    torch.manual_seed(0)
    theirs = eval(src, {"nn": torch.nn, "torch": torch})
    ours = eval(src, {"nn": gradviz.nn, "torch": gradviz})
    ours.load_state_dict({k: gradviz.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def names(fn, depth=0):
    """The grad_fn tree below ``fn`` by node names. Output numbers are left out: PyTorch's
    UnsafeSplitBackward0 is one node with four outputs, gradviz records one node per piece."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple(names(f, depth + 1) for f, _ in fn.next_functions))


def run(lib, module, x_np, extra=None, with_chain=False):
    x = lib.tensor(x_np, requires_grad=True)
    args = [x] if extra is None else [x, extra(lib)]
    out = module(*args)
    flat = [out] if not isinstance(out, tuple) else [o for item in out for o in (item if isinstance(item, tuple) else (item,))]
    r = np.random.default_rng(1)
    total = sum((o * lib.tensor(r.standard_normal(tuple(o.shape)).astype(x_np.dtype))).sum() for o in flat)
    total.backward()
    grads = {n: p.grad.numpy().copy() for n, p in module.named_parameters()}
    chains = [names(o.grad_fn) for o in flat] if with_chain else None
    return [o.detach().numpy().copy() for o in flat], x.grad.numpy().copy(), grads, chains


CELLS = [
    ("nn.RNNCell(3, 4)", (2, 3), None),
    ("nn.RNNCell(3, 4, nonlinearity='relu', bias=False)", (2, 3), None),
    ("nn.LSTMCell(3, 4)", (2, 3), None),
    ("nn.LSTMCell(3, 4)", (2, 3), lambda lib: (lib.tensor(np.full((2, 4), 0.3, np.float32)), lib.tensor(np.full((2, 4), -0.2, np.float32)))),
    ("nn.GRUCell(3, 4)", (2, 3), None),
    ("nn.GRUCell(3, 4)", (2, 3), lambda lib: lib.tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))),
    ("nn.GRUCell(3, 4)", (3,), None),
]


@pytest.mark.parametrize("src, shape, extra", CELLS)
def test_cells_match_including_grad_fn_chains(torch, src, shape, extra):
    ours, theirs = twin(torch, src)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    o1, gx1, g1, c1 = run(gradviz, ours, x, extra, with_chain=True)
    o2, gx2, g2, c2 = run(torch, theirs, x, extra, with_chain=True)
    assert c1 == c2
    for a, b in zip(o1, o2):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx1, gx2, rtol=1e-5, atol=1e-6)
    assert list(g1) == list(g2)
    for k in g2:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert repr(ours) == repr(theirs)


SEQUENCES = [
    ("nn.RNN(3, 4)", (5, 2, 3), None),
    ("nn.RNN(3, 4, num_layers=2, nonlinearity='relu', batch_first=True)", (2, 5, 3), None),
    ("nn.LSTM(3, 4)", (5, 2, 3), None),
    ("nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)", (2, 6, 3), None),
    ("nn.LSTM(3, 4, bias=False)", (4, 3), None),
    ("nn.LSTM(3, 4, num_layers=2, dropout=0.3).eval()", (5, 2, 3),
     lambda lib: (lib.tensor(np.full((2, 2, 4), 0.1, np.float32)), lib.tensor(np.full((2, 2, 4), -0.3, np.float32)))),
    ("nn.GRU(3, 4, bidirectional=True)", (5, 2, 3), None),
    ("nn.GRU(3, 4, num_layers=3, batch_first=True)", (2, 4, 3),
     lambda lib: lib.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(3, 2, 4))),
]


@pytest.mark.parametrize("src, shape, extra", SEQUENCES)
def test_sequence_layers_match(torch, src, shape, extra):
    ours, theirs = twin(torch, src)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    o1, gx1, g1, _ = run(gradviz, ours, x, extra)
    o2, gx2, g2, _ = run(torch, theirs, x, extra)
    assert [a.shape for a in o1] == [b.shape for b in o2]
    for a, b in zip(o1, o2):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx1, gx2, rtol=1e-4, atol=1e-6)
    for k in g2:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_lstm_dropout_between_layers_only_in_training():
    gradviz.manual_seed(0)
    lstm = gradviz.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = gradviz.randn(5, 2, 3)
    lstm.eval()
    a = lstm(x)[0].detach().numpy()
    assert np.array_equal(a, lstm(x)[0].detach().numpy())
    lstm.train()
    b = lstm(x)[0].detach().numpy()
    assert not np.allclose(a, b)


@pytest.mark.parametrize("src", [
    "nn.LSTM(3, 4)(torch.ones(5, 2, 2))",
    "nn.GRU(3, 4)(torch.ones(5, 2, 3), torch.ones(2, 2, 4))",
    "nn.LSTM(3, 4)(torch.ones(2, 2, 2, 3))",
    "nn.LSTMCell(3, 4)(torch.ones(1, 2, 3))",
    "nn.RNN(3, 4, nonlinearity='sigmoid')",
    "nn.LSTM(3, 4, dropout=1.5)",
])
def test_errors_match(torch, src):
    ours, theirs = error_of(gradviz, src), error_of(torch, src)
    assert theirs is not None
    assert ours == theirs
