"""Named example graphs, ready to explore: ``build("seed")`` -> ``Example(root, names, kwargs,
description, code)``.

Each example *is* its code: the text shown to the user is executed as written (with
``import gradviz as torch``), and the root, the variable names and the backward arguments are
taken from what it defined. So the code on screen can never drift from the graph drawn next
to it. Only gradviz's core is used here: this module must not import Panel.

    ex = gradviz.examples.build("seed")
    gradviz.explore(ex.root, names=ex.names, **ex.kwargs)
"""
from __future__ import annotations

import textwrap
from typing import Callable, NamedTuple

import numpy as np

from .nn.modules import Module
from .tensor import Tensor

__all__ = ["Example", "EXAMPLES", "TITLES", "build", "names_in", "run_code",
           "seed", "eye", "mlp", "broadcast", "nan", "custom", "torch_layer"]


class Example(NamedTuple):
    """What an example gives: a tuple, so ``root, names, kwargs, description, code = ...``."""

    root: Tensor
    names: dict          # {"w": w, ...}: labels for the explorer
    kwargs: dict         # extra arguments for gradviz.explore / Explorer (gradient, retain_graph)
    description: str     # one or two plain sentences
    code: str            # the Python shown to the user; it is exactly what was run


def names_in(namespace: dict) -> dict:
    """Every tensor a piece of code defined, by its variable name, plus the parameters of any
    module (``fc1.weight``), so the explorer labels what the user wrote."""
    names: dict = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        if isinstance(value, Tensor):
            names.setdefault(name, value)
        elif isinstance(value, Module):
            for pname, p in value.named_parameters(prefix=name):
                names.setdefault(pname, p)
    return names


def run_code(code: str) -> dict:
    """Execute example code in a fresh namespace and return that namespace.

    The code imports gradviz itself (``import gradviz as torch``), exactly as shown."""
    namespace: dict = {"__name__": "gradviz_example"}
    # The "nan" example computes log(0) on purpose; numpy's warnings about it would only be
    # noise in a server log (PyTorch is silent there too).
    with np.errstate(divide="ignore", invalid="ignore"):
        exec(compile(code, "<gradviz example>", "exec"), namespace)  # noqa: S102 - our own code
    return namespace


def _example(code: str, root: str, description: str, backward: str = "") -> Example:
    """Run ``code``; ``root`` names the tensor to explore; ``backward`` is the argument list of
    the ``root.backward(...)`` call the explorer steps through (evaluated in the code's
    namespace), e.g. ``"torch.ones_like(out), retain_graph=True"``."""
    code = textwrap.dedent(code).strip() + "\n"
    namespace = run_code(code)
    kwargs = eval(f"(lambda gradient=None, retain_graph=False: "  # noqa: S307 - our own text
                  f"dict(gradient=gradient, retain_graph=retain_graph))({backward})", namespace)
    kwargs = {k: v for k, v in kwargs.items() if v is not None and v is not False}
    shown = code + f"\n# the explorer steps through:\n{root}.backward({backward})\n"
    return Example(namespace[root], names_in(namespace), kwargs, description, shown)


# --- the examples --------------------------------------------------------------------------
def seed() -> Example:
    """The seed tutorial's graph, with ``w`` and ``b`` exactly as the notebook printed them."""
    return _example(
        """
        import gradviz as torch
        import gradviz.nn.functional as F

        x = torch.ones(5)   # input
        y = torch.zeros(3)  # expected output
        w = torch.tensor([[-0.5307, -0.7968, -0.2264],
                          [ 0.1109, -0.1617,  0.1858],
                          [-0.8023, -0.0873, -0.1678],
                          [ 0.7206, -1.1387, -0.4571],
                          [ 1.4859,  1.2503,  0.4301]], requires_grad=True)
        b = torch.tensor([-1.1817, -0.3948, -0.1673], requires_grad=True)
        z = torch.matmul(x, w) + b
        loss = F.binary_cross_entropy_with_logits(z, y)
        """,
        root="loss",
        description="The autograd tutorial's one-layer network: z = x·w + b and a binary "
                    "cross-entropy loss. Backward fills w.grad and b.grad; x and y are "
                    "constants and get no gradient.")


def eye() -> Example:
    """The tutorial's Jacobian-vector product: a non-scalar output needs ``gradient=``."""
    return _example(
        """
        import gradviz as torch

        inp = torch.eye(4, 5, requires_grad=True)
        out = (inp + 1).pow(2).t()
        """,
        root="out",
        backward="torch.ones_like(out), retain_graph=True",
        description="out is a 5×4 matrix, not a number, so backward needs a starting "
                    "gradient (ones): it computes a vector-Jacobian product. retain_graph=True "
                    "keeps the graph, so 'Backward again' adds to inp.grad (4→8 on the "
                    "diagonal) until you zero it.")


def mlp() -> Example:
    """A small classifier: 2 features -> 4 hidden (ReLU) -> 3 classes, batch of 4."""
    return _example(
        """
        import gradviz as torch
        import gradviz.nn as nn
        import gradviz.nn.functional as F

        torch.manual_seed(0)
        X = torch.randn(4, 2)                 # a batch of 4 points, 2 features each
        target = torch.tensor([0, 2, 1, 2])   # their classes
        fc1 = nn.Linear(2, 4)
        fc2 = nn.Linear(4, 3)
        hidden = F.relu(fc1(X))
        logits = fc2(hidden)
        loss = F.cross_entropy(logits, target)
        """,
        root="loss",
        description="A two-layer perceptron classifying 4 points into 3 classes. Gradients "
                    "flow back through the softmax cross-entropy, the second layer, the ReLU "
                    "(zero where a unit was off) and the first layer.")


def broadcast() -> Example:
    """Broadcasting, and a tensor used twice (its gradients add up)."""
    return _example(
        """
        import gradviz as torch

        a = torch.tensor([[1.0], [2.0], [3.0]], requires_grad=True)    # shape (3, 1)
        b = torch.tensor([[0.1, 0.2, 0.3, 0.4]], requires_grad=True)   # shape (1, 4)
        s = a + b                   # broadcast to (3, 4)
        loss = (s * s + s).sum()    # s is used three times
        """,
        root="loss",
        description="a (3×1) plus b (1×4) broadcasts to a 3×4 matrix s. On the way back, "
                    "the gradient is summed over the broadcast axes so a.grad is 3×1 and "
                    "b.grad is 1×4; s is used three times, so its gradients add up "
                    "(2s + 1).")


def nan() -> Example:
    """A graph that produces NaN: 0 · log(0) in an entropy."""
    return _example(
        """
        import gradviz as torch

        p = torch.tensor([0.0, 0.25, 0.75], requires_grad=True)  # one probability is 0
        logp = torch.log(p)            # log(0) = -inf
        entropy = -(p * logp).sum()    # 0 * -inf = nan
        """,
        root="entropy",
        description="The entropy −Σ p·log p with a probability of exactly 0: log(0) is −inf "
                    "and 0·(−inf) is NaN, so the loss is NaN and NaN/inf gradients flow back "
                    "into p. Watch where they appear.")


def custom() -> Example:
    """A custom autograd Function (PyTorch's LegendrePolynomial3): its node runs the user's
    own backward."""
    return _example(
        """
        import gradviz as torch

        class LegendreP3(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return 0.5 * (5 * x ** 3 - 3 * x)

            @staticmethod
            def backward(ctx, grad_output):
                \"\"\"dP3/dx = 1.5 · (5x² − 1), times the incoming gradient\"\"\"
                x, = ctx.saved_tensors
                return grad_output * 1.5 * (5 * x ** 2 - 1)

        x = torch.tensor([-0.5, 0.25, 0.8])   # inputs
        y = torch.tensor([-0.48, 0.25, 0.72])  # targets
        a = torch.tensor(0.1, requires_grad=True)
        b = torch.tensor(-1.0, requires_grad=True)
        c = torch.tensor(0.2, requires_grad=True)
        d = torch.tensor(0.9, requires_grad=True)
        y_pred = a + b * LegendreP3.apply(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        """,
        root="loss",
        description="A custom autograd Function, as in PyTorch's 'Defining new autograd "
                    "functions': LegendreP3Backward runs the backward written by hand "
                    "(its rule is in the inspector) and sends the gradient on to c and d.")


TORCH_MISSING = ("This example runs real PyTorch, which is not installed here. Install it "
                 "with <code>pip install torch</code> (the CPU build: <code>pip install torch "
                 "--index-url https://download.pytorch.org/whl/cpu</code>) and reload the page.")


def torch_layer() -> Example:
    """A real PyTorch transformer layer: the pass stepped is PyTorch's own."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise ImportError(TORCH_MISSING)
    code = textwrap.dedent("""
        import torch
        import gradviz

        torch.manual_seed(0)
        layer = torch.nn.TransformerEncoderLayer(d_model=4, nhead=2, dim_feedforward=8,
                                                 dropout=0.0, batch_first=True)
        x = torch.randn(1, 3, 4)        # one sequence of 3 tokens, 4 features each
        with gradviz.trace(layer):      # remember which module made each node
            out = layer(x)
        loss = out.pow(2).mean()
    """).strip() + "\n"
    namespace = run_code(code)
    from .torch_graph import CallerNames  # torch is installed: importing it is fine now

    # Names as the caller's variables give them: the layer's parameters by their module paths.
    names = CallerNames({k: v for k, v in namespace.items() if k in ("layer", "x", "out", "loss")})
    shown = code + "\n# the explorer steps through PyTorch's own:\nloss.backward()\n"
    return Example(namespace["loss"], names, {}, (
        "A real PyTorch nn.TransformerEncoderLayer. The graph is PyTorch's own autograd graph "
        "(AddmmBackward0, NativeLayerNormBackward0, the attention kernel's backward), the "
        "parameters are named by their module paths, and each step shows what PyTorch's engine "
        "did, in its order, with the real .grad."), shown)


#: name -> function building the example (a fresh graph on every call).
EXAMPLES: dict[str, Callable[[], Example]] = {
    "seed": seed,
    "eye": eye,
    "mlp": mlp,
    "broadcast": broadcast,
    "nan": nan,
    "custom": custom,
    "torch": torch_layer,
}

#: name -> what a chooser shows.
TITLES = {
    "seed": "Seed tutorial: x·w + b, BCE loss",
    "eye": "eye(4, 5): Jacobian-vector product",
    "mlp": "MLP classifier (2 → 4 → 3)",
    "broadcast": "Broadcasting and a shared term",
    "nan": "NaN: 0 · log(0)",
    "custom": "Custom autograd Function: LegendreP3",
    "torch": "PyTorch: a real TransformerEncoderLayer",
}


def build(name: str) -> Example:
    """A fresh ``Example`` by name (see ``EXAMPLES``)."""
    try:
        return EXAMPLES[name]()
    except KeyError:
        raise KeyError(f"no example named {name!r}; choose one of {', '.join(EXAMPLES)}") from None
