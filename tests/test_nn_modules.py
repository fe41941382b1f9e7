"""gradviz.nn against torch.nn: the new functional ops (values, gradients, grad_fn chains,
errors; finite differences in float64), the modules (forward/backward with the same weights,
reprs, state_dict keys, train/eval behaviour) and Module's bookkeeping (registration,
load_state_dict and its errors, named_* iteration, apply, containers)."""
from __future__ import annotations

import re

import numpy as np
import pytest

import gradviz
from nn_parity import assert_finite_differences, assert_parity, error_of

rng = np.random.default_rng(3)
INPUTS = dict(
    x=rng.standard_normal((4, 5)),
    x3=rng.standard_normal((2, 3, 4)),
    x4=rng.standard_normal((2, 3, 4, 5)),
    w5=rng.uniform(0.5, 1.5, 5), b5=rng.standard_normal(5),
    w45=rng.uniform(0.5, 1.5, (4, 5)), b45=rng.standard_normal((4, 5)),
    w3=rng.uniform(0.5, 1.5, 3), b3=rng.standard_normal(3),
    table=rng.standard_normal((6, 3)),
    idx=np.array([[1, 2, 1], [0, 5, 1]]),
    labels=np.array([0, 3, 1, 3]),
    rm=rng.standard_normal(3), rv=rng.uniform(0.5, 2.0, 3),
    w_conv=rng.standard_normal((4, 3, 3, 3)), b_conv=rng.standard_normal(4),
    w_conv_g=rng.standard_normal((4, 1, 2, 2)), w_conv1=rng.standard_normal((5, 3, 2)),
)

CASES = {
    "gelu": ("out = F.gelu(x)", ("x",)),
    "gelu_tanh": ("out = F.gelu(x, approximate='tanh')", ("x",)),
    "gelu_module": ("out = nn.GELU(approximate='tanh')(x3)", ("x3",)),
    "layer_norm": ("out = F.layer_norm(x, (5,))", ("x",)),
    "layer_norm_affine": ("out = F.layer_norm(x, (5,), w5, b5, eps=1e-3)", ("x", "w5", "b5")),
    "layer_norm_two_dims": ("out = F.layer_norm(x3.reshape(3, 4, 2), (4, 2)) * 2", ("x3",)),
    "layer_norm_weight_only": ("out = F.layer_norm(x, [4, 5], w45)", ("x", "w45")),
    "batch_norm_train": ("out = F.batch_norm(x3, None, None, w3, b3, training=True)", ("x3", "w3", "b3")),
    "batch_norm_eval": ("out = F.batch_norm(x3, rm, rv, w3, b3)", ("x3", "w3", "b3")),
    "batch_norm_4d": ("out = F.batch_norm(x4, None, None, training=True)", ("x4",)),
    "embedding": ("out = F.embedding(idx, table)", ("table",)),
    "embedding_padding": ("out = F.embedding(idx, table, padding_idx=1) * 3", ("table",)),
    "embedding_negative_padding": ("out = F.embedding(idx, table, padding_idx=-1)", ("table",)),
    "pad_constant": ("out = F.pad(x, (1, 2))", ("x",)),
    "pad_constant_value": ("out = F.pad(x3, (1, 0, 2, 1), value=0.5)", ("x3",)),
    "pad_crop": ("out = F.pad(x3, (-1, 1, 0, -1))", ("x3",)),
    "pad_reflect_1d": ("out = F.pad(x3, (2, 1), mode='reflect')", ("x3",)),
    "pad_reflect_2d": ("out = F.pad(x4, (1, 2, 2, 1), mode='reflect')", ("x4",)),
    "pad_replicate_1d": ("out = F.pad(x3, (3, 1), mode='replicate')", ("x3",)),
    "pad_replicate_2d": ("out = F.pad(x4, (1, 2, 0, 3), mode='replicate')", ("x4",)),
    "dropout_eval": ("out = F.dropout(x * 2, 0.3, training=False)", ("x",)),
    "dropout_p0": ("out = F.dropout(x * 2, 0.0)", ("x",)),
    "dropout_p1": ("out = F.dropout(x * 2, 1.0)", ("x",)),
    "dropout_module_eval": ("out = nn.Dropout(0.4).eval()(x * 2)", ("x",)),
    "flatten_module": ("out = nn.Flatten()(x4)", ("x4",)),
    "flatten_module_dims": ("out = nn.Flatten(0, 1)(x3 * 1)", ("x3",)),
    "unflatten_module": ("out = nn.Unflatten(1, (5, 1))(x * 1)", ("x",)),
    "softmax_module": ("out = nn.Softmax(dim=1)(x)", ("x",)),
    "log_softmax_module": ("out = nn.LogSoftmax(dim=-1)(x3)", ("x3",)),
    "tanh_sigmoid_identity": ("out = nn.Identity(54, unused=1)(nn.Tanh()(x) + nn.Sigmoid()(x))", ("x",)),
    "relu_inplace": ("h = x * 1\nout = nn.ReLU(inplace=True)(h)", ("x",)),
    # Chains through piece 0 only: PyTorch numbers the pieces as outputs of one node, gradviz
    # records a node per piece (see test_split_pieces for every piece).
    "split": ("out = x3.split(2, dim=-1)[0] * 2", ("x3",)),
    "split_sizes": ("out = x.split([1, 3, 1], dim=1)[0].exp()", ("x",)),
    "chunk": ("q = x3.chunk(3, dim=1)[0]\nout = q @ q.transpose(-2, -1)", ("x3",)),
    "conv2d": ("out = F.conv2d(x4, w_conv, b_conv)", ("x4", "w_conv", "b_conv")),
    "conv2d_options": ("out = F.conv2d(x4[:, :2], w_conv_g, None, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)",
                       ("x4", "w_conv_g")),
    "conv2d_same_unbatched": ("out = F.conv2d(x4[0], w_conv, b_conv, padding='same')", ("x4", "w_conv", "b_conv")),
    "conv1d": ("out = F.conv1d(x3, w_conv1, None, stride=2, padding=1)", ("x3", "w_conv1")),
    "conv_module": ("m = nn.Conv2d(3, 4, 3, padding=1, dtype=torch.float64)\nwith torch.no_grad():\n    m.weight.copy_(w_conv)\n"
                    "    m.bias.copy_(b_conv)\nout = m(x4)", ("x4",)),
    "max_pool2d": ("out = F.max_pool2d(x4, 2)", ("x4",)),
    "max_pool2d_options": ("out = F.max_pool2d(x4, (3, 2), stride=(1, 2), padding=1, dilation=(1, 2))", ("x4",)),
    "max_pool2d_module_unbatched": ("out = nn.MaxPool2d(2, stride=1)(x4[0])", ("x4",)),
    "max_pool1d": ("out = F.max_pool1d(x3, 2)", ("x3",)),
    "avg_pool2d": ("out = F.avg_pool2d(x4, 2, padding=1)", ("x4",)),
    "avg_pool2d_module": ("out = nn.AvgPool2d((2, 3), stride=1)(x4)", ("x4",)),
    "avg_pool1d": ("out = nn.AvgPool1d(3, stride=1)(x3)", ("x3",)),
    "leaky_relu": ("out = F.leaky_relu(x) + nn.LeakyReLU(0.2)(x3).sum()", ("x", "x3")),
    "elu_silu_softplus": ("out = F.elu(x, 0.5) + nn.SiLU()(x) + F.softplus(x, beta=2.0, threshold=1.0) + nn.ELU()(x)", ("x",)),
    "tril_triu": ("out = torch.tril(x) + x.triu(1) * 2 + x.tril(-1).exp()", ("x",)),
    "causal_mask": ("T = 4\nmask = torch.tril(torch.ones(T, T, dtype=torch.float64))\n"
                    "att = (x[:, :4] @ x[:, :4].T).masked_fill(mask == 0, float('-inf'))\n"
                    "out = F.softmax(att, dim=-1)", ("x",)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", CASES)
def test_functional_parity(torch, name):
    src, grad = CASES[name]
    inputs = {k: v for k, v in INPUTS.items() if k in src}
    assert_parity(torch, src, inputs, grad, rtol=1e-7, atol=1e-9)


SPLITS = ["x3.split(2, dim=-1)", "torch.split(x, 2, dim=1)", "x.split([1, 3, 1], dim=1)",
          "x.split([0, 4], 0)", "x3.chunk(3, dim=1)", "torch.chunk(x, 4, 1)", "x.chunk(2)",
          "x.split(7, 1)"]


@pytest.mark.torch
@pytest.mark.parametrize("expr", SPLITS)
def test_split_pieces(torch, expr):
    """Every piece: shape, values, grad_fn name, and the gradient of a weighted sum of all."""
    results = []
    for lib in (gradviz, torch):
        leaves = {k: lib.tensor(INPUTS[k].copy(), requires_grad=True) for k in ("x", "x3")}
        pieces = eval(expr, {"torch": lib, **leaves})
        total = sum((p * (i + 1)).sum() for i, p in enumerate(pieces))
        total.backward()
        results.append(([tuple(p.shape) for p in pieces], [p.detach().numpy() for p in pieces],
                        [type(p.grad_fn).__name__ for p in pieces],
                        [leaves[k].grad for k in ("x", "x3")]))
    ours, theirs = results
    assert ours[0] == theirs[0] and ours[2] == theirs[2]
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b)
    for a, b in zip(ours[3], theirs[3]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.numpy())


@pytest.mark.torch
def test_functional_parity_float32(torch):
    inputs = {k: (v.astype(np.float32) if v.dtype == np.float64 else v) for k, v in INPUTS.items()}
    for name in ("gelu", "gelu_tanh", "layer_norm_affine", "batch_norm_train", "embedding_padding",
                 "pad_reflect_2d"):
        src, grad = CASES[name]
        used = {k: v for k, v in inputs.items() if k in src}
        assert_parity(torch, src, used, grad, rtol=1e-5, atol=1e-6)


FD = [
    ("out = F.gelu(x)", ("x",)),
    ("out = F.gelu(x, approximate='tanh')", ("x",)),
    ("out = F.layer_norm(x, (5,), w5, b5)", ("x", "w5", "b5")),
    ("out = F.layer_norm(x3, (3, 4))", ("x3",)),
    ("out = F.batch_norm(x3, None, None, w3, b3, training=True)", ("x3", "w3", "b3")),
    ("out = F.batch_norm(x3, rm, rv, w3, b3)", ("x3", "w3", "b3")),
    ("out = F.embedding(idx, table) * 2", ("table",)),
    ("out = F.pad(x3, (1, 2, -1, 1))", ("x3",)),
    ("out = F.pad(x3, (2, 3), mode='reflect')", ("x3",)),
    ("out = F.pad(x4, (2, 1, 1, 3), mode='replicate')", ("x4",)),
    ("out = x3.split(3, dim=2)[1] * x3.chunk(2, dim=-1)[0]", ("x3",)),
    ("out = F.conv2d(x4, w_conv, b_conv, stride=2, padding=(1, 2))", ("x4", "w_conv", "b_conv")),
    ("out = F.conv2d(x4[:, :2], w_conv_g, None, dilation=2, groups=2)", ("x4", "w_conv_g")),
    ("out = F.conv1d(x3, w_conv1, padding=1)", ("x3", "w_conv1")),
    ("out = F.max_pool2d(x4, 2, stride=1, padding=1)", ("x4",)),
    ("out = F.avg_pool2d(x4, (2, 3), stride=(1, 2), padding=1)", ("x4",)),
    ("out = F.leaky_relu(x, 0.1) + F.elu(x) + F.silu(x) + F.softplus(x)", ("x",)),
    ("out = x.split([2, 3], dim=1)[1].sum() + torch.tril(x, 1) - x.triu(-1)", ("x",)),
]


@pytest.mark.parametrize("src, grad", FD)
def test_finite_differences(src, grad):
    inputs = {k: v for k, v in INPUTS.items() if k in src}
    assert_finite_differences(src, inputs, grad)


@pytest.mark.torch
def test_one_hot(torch):
    for args in ("(labels)", "(labels, 6)", "(idx, 7)"):
        ours = eval(f"F.one_hot{args}", {"F": gradviz.nn.functional, "labels": gradviz.tensor(INPUTS["labels"]),
                                           "idx": gradviz.tensor(INPUTS["idx"])})
        theirs = eval(f"F.one_hot{args}", {"F": torch.nn.functional, "labels": torch.tensor(INPUTS["labels"]),
                                            "idx": torch.tensor(INPUTS["idx"])})
        assert str(ours.dtype).replace("gradviz", "torch") == str(theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_dropout_in_training_keeps_and_scales():
    gradviz.manual_seed(0)
    x = gradviz.ones(200, 50, requires_grad=True)
    out = gradviz.nn.functional.dropout(x, 0.3)
    vals = out.detach().numpy()
    kept = vals != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(vals[kept], 1 / 0.7, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), vals)  # the gradient is the mask itself
    assert out.grad_fn.name() == "MulBackward0" and out.grad_fn.next_functions[1] == (None, 0)
    m = gradviz.nn.Dropout(0.5)
    assert (m(gradviz.ones(1000)).numpy() == 0).any()
    m.eval()
    y = gradviz.ones(1000)
    assert m(y) is y


ERRORS = {
    "one_hot_float": "F.one_hot(torch.tensor([1.0]))",
    "one_hot_too_big": "F.one_hot(torch.tensor([3]), 3)",
    "one_hot_negative": "F.one_hot(torch.tensor([-1]), 3)",
    "embedding_out_of_range": "F.embedding(torch.tensor([7]), table)",
    "embedding_float_indices": "F.embedding(torch.tensor([1.0]), table)",
    "embedding_padding_range": "nn.Embedding(3, 2, padding_idx=5)",
    "layer_norm_shape": "F.layer_norm(x, (6,))",
    "layer_norm_module_shape": "nn.LayerNorm(4, dtype=torch.float64)(x)",
    "dropout_p": "F.dropout(x, 1.5)",
    "dropout_module_p": "nn.Dropout(-0.1)",
    "batch_norm_one_value": "nn.BatchNorm1d(5)(x[:1])",
    "batch_norm_dims": "nn.BatchNorm1d(3)(x4)",
    "pad_odd": "F.pad(x, (1,))",
    "pad_too_long": "F.pad(x, (1, 1, 1, 1, 1, 1))",
    "pad_reflect_too_big": "F.pad(x3, (4, 4), mode='reflect')",
    "gelu_approximate": "F.gelu(x, approximate='fast')",
    "train_mode_not_bool": "nn.Linear(2, 2).train('yes')",
    "module_list_forward": "nn.ModuleList([nn.ReLU()])(x)",
    "assign_tensor_to_parameter": "m = nn.Linear(2, 2)\nm.weight = torch.ones(2, 2)",
    "assign_tensor_to_module": "m = nn.Sequential(nn.Linear(2, 2))\nm._modules['0']\nsetattr(m, '0', torch.ones(2))",
    "register_parameter_dot": "nn.Linear(2, 2).register_parameter('a.b', None)",
    "register_parameter_tensor": "nn.Linear(2, 2).register_parameter('w2', torch.ones(2))",
    "register_parameter_existing": "m = nn.Linear(2, 2)\nm.foo = 1\nm.register_parameter('foo', None)",
    "register_buffer_not_tensor": "nn.Linear(2, 2).register_buffer('b2', 3)",
    "register_buffer_empty": "nn.Linear(2, 2).register_buffer('', None)",
    "sequential_index": "nn.Sequential(nn.ReLU())[3]",
    "module_list_index": "nn.ModuleList([nn.ReLU()])[-2]",
    "split_zero": "x.split(0, 1)",
    "split_sizes_sum": "x.split([1, 2], 1)",
    "chunk_zero": "x.chunk(0, 1)",
    "tril_1d": "torch.tril(torch.ones(3))",
    "conv_channels": "nn.Conv2d(3, 4, 3)(torch.randn(2, 2, 5, 5))",
    "conv_kernel_too_big": "nn.Conv2d(3, 4, 3)(torch.randn(2, 3, 2, 2))",
    "conv_groups": "nn.Conv2d(3, 4, 3, groups=2)",
    "conv_same_strided": "nn.Conv2d(3, 4, 3, padding='same', stride=2)",
    "max_pool_padding": "F.max_pool2d(x4, 2, padding=2)",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", ERRORS)
def test_errors_match(torch, name):
    src = ERRORS[name]
    inputs = {k: v for k, v in INPUTS.items() if k in src}
    ours, theirs = error_of(gradviz, src, inputs), error_of(torch, src, inputs)
    assert theirs is not None
    assert ours == theirs


# --- modules: reprs, state_dict keys, same weights -> same outputs and gradients -------------
MODELS = {
    "mlp": "nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3), nn.LogSoftmax(dim=1))",
    "norms": "nn.Sequential(nn.Flatten(), nn.Linear(6, 5), nn.BatchNorm1d(5), nn.GELU(), nn.LayerNorm(5, eps=1e-6))",
    "embedding": "nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Unflatten(1, (2, 8)))",
    "lists": "nn.ModuleDict({'enc': nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.Tanh()]), 'act': nn.Softmax(dim=-1)})",
    "repeated_blocks": "nn.ModuleList([nn.Sequential(nn.Linear(2, 2), nn.ReLU()) for _ in range(2)] + [nn.Identity()])",
    "no_affine": "nn.Sequential(nn.LayerNorm([2, 3], elementwise_affine=False), nn.BatchNorm1d(2, affine=False, momentum=None), nn.Linear(3, 1, bias=False))",
    "cnn": "nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 3, stride=2, padding=1, bias=False), nn.LeakyReLU(0.2), nn.AvgPool2d(2), nn.Flatten())",
    "cnn1d": "nn.Sequential(nn.Conv1d(2, 4, 3, padding='same', dilation=2, groups=2), nn.MaxPool1d(3), nn.AvgPool1d(2, stride=1), nn.SiLU(), nn.ELU(alpha=0.5), nn.Softplus(beta=2))",
    "odd_options": "nn.Sequential(nn.Embedding(5, 2, max_norm=1.0), nn.Softmax(), nn.ReLU(inplace=True), nn.Sigmoid(), nn.BatchNorm1d(2, track_running_stats=False))",
}


@pytest.mark.torch
@pytest.mark.parametrize("name", MODELS)
def test_model_repr_and_state_dict_keys(torch, name):
    ours = eval(MODELS[name], {"nn": gradviz.nn})
    theirs = eval(MODELS[name], {"nn": torch.nn})
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert tuple(a.shape) == tuple(b.shape), k
        assert str(a.dtype).replace("gradviz", "torch") == str(b.dtype), k


def copy_weights(src_module, dst_module, lib):
    """Copy PyTorch's initial parameters and buffers into the gradviz module."""
    state = {k: lib.tensor(v.detach().numpy().copy()) for k, v in src_module.state_dict().items()}
    dst_module.load_state_dict(state)


TRAINING = {
    "mlp": ("nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))", (5, 6)),
    "norms": ("nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.GELU(), nn.LayerNorm(5), nn.Linear(5, 3))", (7, 6)),
    "norms_3d": ("nn.Sequential(nn.BatchNorm1d(4, momentum=None), nn.Flatten(), nn.Linear(12, 3))", (5, 4, 3)),
    "embedding": ("nn.Sequential(nn.Embedding(9, 4, padding_idx=2), nn.Flatten(), nn.Linear(12, 3))", None),
    "cnn": ("nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), "
            "nn.Conv2d(4, 3, 2), nn.Flatten(), nn.Linear(12, 3))", (5, 2, 6, 6)),
}


@pytest.mark.torch
@pytest.mark.parametrize("name", TRAINING)
def test_same_weights_same_training(torch, name):
    """Three SGD steps in train mode, then eval: outputs, gradients, running statistics."""
    src, shape = TRAINING[name]
    r = np.random.default_rng(11)
    data = (r.integers(0, 9, size=(5, 3)) if shape is None else r.standard_normal(shape).astype(np.float32))
    labels = r.integers(0, 3, size=len(data))
    runs = []
    for lib in (torch, gradviz):
        torch.manual_seed(0)
        model = eval(src, {"nn": lib.nn})
        if lib is gradviz:
            copy_weights(runs[0]["init"], model, gradviz)
        else:
            init = eval(src, {"nn": torch.nn})
            init.load_state_dict(model.state_dict())
        opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        x, y = lib.tensor(data), lib.tensor(labels)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with lib.no_grad():
            pred = model(x).numpy().copy()
        grads = [p.grad.numpy().copy() for p in model.parameters()]
        state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        run = dict(losses=losses, pred=pred, grads=grads, state=state)
        if lib is torch:
            run["init"] = init
        runs.append(run)
    theirs, ours = runs
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-5)
    np.testing.assert_allclose(ours["pred"], theirs["pred"], rtol=1e-4, atol=1e-5)
    for a, b in zip(ours["grads"], theirs["grads"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert list(ours["state"]) == list(theirs["state"])
    for k in theirs["state"]:
        np.testing.assert_allclose(ours["state"][k], theirs["state"][k], rtol=1e-4, atol=1e-6, err_msg=k)


# --- Module bookkeeping ------------------------------------------------------------------------
class _Net:
    SRC = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = nn.Parameter(torch.ones(2))
        self.register_buffer('count', torch.zeros(1))
        self.register_buffer('cache', torch.zeros(2), persistent=False)
        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
        self.shared = self.blocks[0]
    def forward(self, x):
        h = self.fc(x) * self.scale
        for b in self.blocks:
            h = b(h)
        return h
"""

    @staticmethod
    def build(lib):
        ns = {"nn": lib.nn, "torch": lib}
        exec(_Net.SRC, ns)
        return ns["Net"]()


@pytest.mark.torch
def test_module_registration_and_iteration(torch):
    ours, theirs = _Net.build(gradviz), _Net.build(torch)
    for fn in (lambda m: list(m.state_dict()),
               lambda m: [n for n, _ in m.named_parameters()],
               lambda m: [n for n, _ in m.named_parameters(remove_duplicate=False)],
               lambda m: [n for n, _ in m.named_parameters(recurse=False)],
               lambda m: [n for n, _ in m.named_buffers()],
               lambda m: [n for n, _ in m.named_modules()],
               lambda m: [n for n, _ in m.named_modules(remove_duplicate=False)],
               lambda m: [n for n, _ in m.named_children()],
               lambda m: len(list(m.parameters())),
               lambda m: repr(m)):
        assert fn(ours) == fn(theirs)
    # Replacing and deleting keep the registries in step, as in PyTorch.
    for m in (ours, theirs):
        m.fc.bias = None
        del m.scale
        m.extra = type(m.fc)(1, 1)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.torch
def test_train_eval_and_apply(torch):
    seen = {}
    for lib in (gradviz, torch):
        m = _Net.build(lib)
        assert m.training and m.blocks[1].training
        assert m.eval() is m
        flags = [sub.training for sub in m.modules()]
        m.train()
        names = []
        m.apply(lambda mod: names.append(type(mod).__name__))
        seen[lib.__name__] = (flags, names, [sub.training for sub in m.modules()])
    assert seen["gradviz"] == seen["torch"]


@pytest.mark.torch
def test_load_state_dict_round_trip_and_strict_errors(torch):
    for lib in (gradviz, torch):
        a, b = _Net.build(lib), _Net.build(lib)
        result = b.load_state_dict(a.state_dict())
        assert repr(result) == "<All keys matched successfully>"
        for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
            np.testing.assert_array_equal(v.numpy(), w.numpy(), err_msg=k)
    cases = [
        "sd = m.state_dict(); del sd['fc.bias']; sd['zzz'] = torch.ones(1); m.load_state_dict(sd)",
        "sd = m.state_dict(); sd['fc.weight'] = torch.ones(4, 3); m.load_state_dict(sd)",
        "sd = m.state_dict(); sd['fc.weight'] = torch.ones(4, 3); del sd['count']; m.load_state_dict(sd, strict=False)",
        "sd = m.state_dict(); sd['scale'] = 3.0; m.load_state_dict(sd)",
    ]
    for src in cases:
        msgs = []
        for lib in (gradviz, torch):
            ns = {"torch": lib, "m": _Net.build(lib)}
            with pytest.raises(Exception) as info:
                exec(src, ns)
            msgs.append((type(info.value).__name__, str(info.value).replace("gradviz", "torch")))
        assert msgs[0] == msgs[1], src
    # strict=False reports what it skipped; the rest is loaded.
    reports = []
    for lib in (gradviz, torch):
        m = _Net.build(lib)
        sd = _Net.build(lib).state_dict()
        del sd["fc.bias"]
        sd["unused"] = lib.ones(1)
        r = m.load_state_dict(sd, strict=False)
        np.testing.assert_array_equal(m.fc.weight.detach().numpy(), sd["fc.weight"].numpy())
        reports.append((list(r.missing_keys), list(r.unexpected_keys), repr(r)))
    assert reports[0] == reports[1]


def test_load_state_dict_changes_nothing_when_it_raises():
    m = gradviz.nn.Linear(3, 2)
    before = m.weight.detach().numpy().copy()
    sd = {"weight": gradviz.ones(2, 3), "bias": gradviz.ones(5)}
    with pytest.raises(RuntimeError):
        m.load_state_dict(sd)
    np.testing.assert_array_equal(m.weight.detach().numpy(), before)


@pytest.mark.torch
def test_containers_behave_like_pytorch(torch):
    outs = []
    for lib in (gradviz, torch):
        nn = lib.nn
        ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        ml.append(nn.Sigmoid())
        ml.insert(1, nn.Identity())
        ml += [nn.GELU()]
        del ml[0]
        md = nn.ModuleDict({"a": nn.ReLU()})
        md["b"] = nn.Linear(1, 1)
        md.update([("c", nn.Tanh())])
        popped = md.pop("a")
        seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        seq.append(nn.Sigmoid())
        outs.append((repr(ml), len(ml), repr(ml[1:]), repr(md), list(md.keys()), "b" in md,
                     type(popped).__name__, repr(seq[1:]), repr(seq[-1]), len(seq),
                     list(seq.state_dict())))
    assert outs[0] == outs[1]


@pytest.mark.torch
def test_zero_grad_requires_grad_and_clip_grad_norm(torch):
    res = []
    for lib in (gradviz, torch):
        torch.manual_seed(1)
        tm = torch.nn.Linear(4, 3)
        m = lib.nn.Linear(4, 3)
        m.load_state_dict({k: lib.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        x = lib.tensor(np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4))
        (m(x) ** 2).sum().backward()
        total = lib.nn.utils.clip_grad_norm_(m.parameters(), 0.5)
        clipped = [p.grad.numpy().copy() for p in m.parameters()]
        (m(x) ** 2).sum().backward()
        lib.nn.utils.clip_grad_value_(m.parameters(), 0.1)
        valued = [p.grad.numpy().copy() for p in m.parameters()]
        inf_norm = lib.nn.utils.clip_grad_norm_(m.parameters(), 0.01, norm_type="inf")
        m.zero_grad(set_to_none=False)
        zeros = [p.grad.numpy().copy() for p in m.parameters()]
        m.zero_grad()
        none = [p.grad for p in m.parameters()]
        m.requires_grad_(False)
        rg = [p.requires_grad for p in m.parameters()]
        res.append((float(total), clipped, valued, float(inf_norm), zeros, none, rg))
    ours, theirs = res
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    assert ours[3] == pytest.approx(theirs[3], rel=1e-6)
    for a, b in zip(ours[1] + ours[2] + ours[4], theirs[1] + theirs[2] + theirs[4]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert ours[5] == theirs[5] == [None, None]
    assert ours[6] == theirs[6] == [False, False]


def test_init_functions_fill_with_the_right_distributions():
    init = gradviz.nn.init
    w = gradviz.empty(400, 300)
    init.zeros_(w)
    assert (w.numpy() == 0).all()
    init.ones_(w)
    assert (w.numpy() == 1).all()
    init.constant_(w, 0.25)
    assert (w.numpy() == 0.25).all()
    init.normal_(w, 1.0, 0.5)
    assert abs(w.numpy().mean() - 1.0) < 0.01 and abs(w.numpy().std() - 0.5) < 0.01
    init.xavier_uniform_(w)
    bound = np.sqrt(6 / (400 + 300))
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    init.kaiming_uniform_(w, a=np.sqrt(5))
    bound = 1 / np.sqrt(300)  # PyTorch's Linear default: gain sqrt(2/(1+5)) * sqrt(3/fan_in)
    assert np.abs(w.numpy()).max() <= bound * (1 + 1e-6) and np.abs(w.numpy()).max() > 0.99 * bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - np.sqrt(2 / 400)) < 0.002
    init.xavier_normal_(w, gain=2.0)
    assert abs(w.numpy().std() - 2 * np.sqrt(2 / 700)) < 0.003
    init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert np.abs(w.numpy()).max() <= 0.5
    init.eye_(w)
    np.testing.assert_array_equal(w.numpy(), np.eye(400, 300, dtype=np.float32))
    # In place on a parameter that requires grad, recorded nowhere.
    p = gradviz.nn.Parameter(gradviz.ones(3, 3))
    init.uniform_(p, -1, 1)
    assert p.grad_fn is None and p.requires_grad


@pytest.mark.torch
def test_init_gain_and_fan(torch):
    for args in (("linear",), ("tanh",), ("relu",), ("leaky_relu", 0.2), ("selu",)):
        assert gradviz.nn.init.calculate_gain(*args) == pytest.approx(torch.nn.init.calculate_gain(*args))
    assert (error_of(gradviz, "nn.init.xavier_uniform_(torch.ones(3))")
            == error_of(torch, "nn.init.xavier_uniform_(torch.ones(3))"))


@pytest.mark.torch
def test_batchnorm_running_stats_and_eval(torch):
    """Running mean/var/count after training batches (momentum 0.1 and cumulative), then eval
    normalises with them."""
    r = np.random.default_rng(5)
    batches = [r.standard_normal((6, 3)).astype(np.float32) * 2 + 1 for _ in range(4)]
    for momentum in (0.1, None):
        results = []
        for lib in (gradviz, torch):
            bn = lib.nn.BatchNorm1d(3, momentum=momentum)
            for b in batches:
                bn(lib.tensor(b))
            bn.eval()
            x = lib.tensor(batches[0], requires_grad=True)
            out = bn(x)
            out.sum().backward()
            results.append([bn.running_mean.numpy().copy(), bn.running_var.numpy().copy(),
                            int(bn.num_batches_tracked), out.detach().numpy().copy(),
                            x.grad.numpy().copy()])
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("src", [
    "out = F.cross_entropy(F.layer_norm(F.gelu(x), (5,), w5, b5), labels, label_smoothing=0.1)",
    "out = F.smooth_l1_loss(F.pad(x, (1, 0))[:, :5], x.tril()) + F.huber_loss(x, x.triu(), delta=0.5)",
    "out = F.embedding(idx, table).split(1, dim=-1)[2].sum() + F.l1_loss(x.chunk(5, 1)[0], x[:, 1:2])",
    "out = (F.one_hot(labels, 5).float() * x).sum()",
])
def test_replay_runs_the_new_ops_again(src):
    """gradviz.replay with new input values equals computing afresh with them."""
    first = dict(INPUTS)
    second = {k: (v * 0.5 + 0.25 if v.dtype.kind == "f" else v) for k, v in INPUTS.items()}
    used = [k for k in INPUTS if re.search(rf"\b{k}\b", src)]
    ns1 = {"F": gradviz.nn.functional, **{k: gradviz.tensor(first[k].copy(), requires_grad=first[k].dtype.kind == "f") for k in used}}
    exec(src, ns1)
    new = {ns1[k]: second[k] for k in used if first[k].dtype.kind == "f"}
    replayed = gradviz.replay(ns1["out"], new).root
    ns2 = {"F": gradviz.nn.functional, **{k: gradviz.tensor(second[k].copy(), requires_grad=second[k].dtype.kind == "f") for k in used}}
    exec(src, ns2)
    np.testing.assert_allclose(replayed.detach().numpy(), ns2["out"].detach().numpy(), rtol=1e-12)
    assert not np.allclose(replayed.detach().numpy(), ns1["out"].detach().numpy())


def test_save_and_load_round_trip(tmp_path):
    """state_dicts, optimizer state and whole models survive save/load; weights-only loading
    refuses arbitrary classes."""
    model = gradviz.nn.Sequential(gradviz.nn.Linear(3, 2), gradviz.nn.BatchNorm1d(2))
    opt = gradviz.optim.Adam(model.parameters(), lr=0.1)
    x = gradviz.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    model(x).sum().backward()
    opt.step()
    gradviz.save(model.state_dict(), tmp_path / "model.pth")
    gradviz.save(opt.state_dict(), tmp_path / "opt.pth")
    fresh = gradviz.nn.Sequential(gradviz.nn.Linear(3, 2), gradviz.nn.BatchNorm1d(2))
    assert repr(fresh.load_state_dict(gradviz.load(tmp_path / "model.pth", weights_only=True))) \
        == "<All keys matched successfully>"
    for (k, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    opt2 = gradviz.optim.Adam(fresh.parameters(), lr=0.1)
    opt2.load_state_dict(gradviz.load(tmp_path / "opt.pth"))
    np.testing.assert_array_equal(opt2.state_dict()["state"][0]["exp_avg"].numpy(),
                                  opt.state_dict()["state"][0]["exp_avg"].numpy())
    gradviz.save(model, tmp_path / "whole.pth")
    with pytest.raises(Exception, match="Weights only load failed"):
        gradviz.load(tmp_path / "whole.pth")
    whole = gradviz.load(tmp_path / "whole.pth", weights_only=False)
    assert repr(whole) == repr(model)
    assert isinstance(whole[0].weight, gradviz.nn.Parameter)
    assert [n for n, _ in whole.named_parameters()] == [n for n, _ in model.named_parameters()]
    np.testing.assert_array_equal(whole(x).detach().numpy(), model(x).detach().numpy())


@pytest.mark.torch
def test_forward_hooks_see_and_replace_like_pytorch(torch):
    results = []
    for lib in (gradviz, torch):
        lib_np = {"tensor": lib.tensor}
        torch.manual_seed(0)
        tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        m.load_state_dict({k: lib_np["tensor"](v.detach().numpy()) for k, v in tm.state_dict().items()})
        seen = []
        h1 = m[1].register_forward_hook(lambda mod, args, out: seen.append((type(mod).__name__, out.detach().numpy().copy())))
        h2 = m[2].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h3 = m[2].register_forward_hook(lambda mod, args, out: out + 1)
        x = lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
        y1 = m(x).detach().numpy().copy()
        h1.remove()
        h2.remove()
        h3.remove()
        y2 = m(x).detach().numpy().copy()
        results.append((seen, y1, y2))
    (s1, a1, b1), (s2, a2, b2) = results
    assert [n for n, _ in s1] == [n for n, _ in s2] == ["ReLU"]
    np.testing.assert_allclose(s1[0][1], s2[0][1], rtol=1e-6)
    np.testing.assert_allclose(a1, a2, rtol=1e-6)
    np.testing.assert_allclose(b1, b2, rtol=1e-6)
    assert not np.allclose(a1, b1)


@pytest.mark.torch
def test_module_to_dtype_and_device(torch):
    src = ("m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))\n"
           "same = m.to(torch.device('cpu')) is m\n"
           "m.to(torch.float64)\nd64 = (m[0].weight.dtype, m[1].running_mean.dtype, m[1].num_batches_tracked.dtype)\n"
           "m.half()\nd16 = m[0].bias.dtype\nm.float()\nd32 = m[1].weight.dtype\n"
           "kind = type(m[0].weight).__name__\n")
    seen = []
    for lib in (gradviz, torch):
        ns = {"torch": lib, "nn": lib.nn}
        exec(src, ns)
        seen.append(str((ns["same"], ns["d64"], ns["d16"], ns["d32"], ns["kind"])).replace("gradviz", "torch"))
    assert seen[0] == seen[1]
    for src in ("nn.Linear(2, 2).cuda()", "nn.Linear(2, 2).to('cuda')"):
        assert error_of(gradviz, src) == error_of(torch, src) is not None


def test_stepper_and_graph_export_handle_the_new_nodes():
    """The explorer's path: the graph of a CNN + LSTM model exports, and stepping backward
    event by event leaves the same gradients as backward()."""
    def build():
        gradviz.manual_seed(4)
        nn, F = gradviz.nn, gradviz.nn.functional
        conv = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.LeakyReLU(0.1),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 4), nn.LayerNorm(4), nn.GELU())
        lstm = nn.LSTM(4, 3)
        x = gradviz.randn(3, 1, 4, 4)
        feats = conv(x)
        out, _ = lstm(feats.unsqueeze(1))
        loss = F.cross_entropy(out[:, 0], gradviz.tensor([0, 2, 1]), label_smoothing=0.1) \
            + F.huber_loss(F.pad(feats, (1, 0))[:, 1:], feats.detach() * 0.5)
        return loss, list(conv.parameters()) + list(lstm.parameters())

    loss, params = build()
    G = gradviz.to_networkx(loss)
    names = {d["label"] for _, d in G.nodes(data=True) if d.get("kind") == "function"}
    assert {"ConvolutionBackward0", "NativeBatchNormBackward0", "MaxPool2DWithIndicesBackward0",
            "NativeLayerNormBackward0", "GeluBackward0", "UnsafeSplitBackward0", "MaskedFillBackward0",
            "HuberLossBackward0", "ConstantPadNdBackward0", "LeakyReluBackward0"} <= names
    stepper = gradviz.Stepper(loss)
    stepper.run()
    stepped = [p.grad.numpy().copy() for p in params]
    twin_loss, twin_params = build()
    twin_loss.backward()
    for a, p in zip(stepped, twin_params):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-6, atol=1e-7)
