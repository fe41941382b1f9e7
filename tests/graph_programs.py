"""Small graphs for the export, stepper and replay tests, built the same way twice (so one copy
can be checked against an independent ``backward()`` on the other)."""
from __future__ import annotations

import numpy as np

import gradviz as gv

SEED_W = [[-0.5307, -0.7968, -0.2264], [0.1109, -0.1617, 0.1858], [-0.8023, -0.0873, -0.1678],
          [0.7206, -1.1387, -0.4571], [1.4859, 1.2503, 0.4301]]
SEED_B = [-1.1817, -0.3948, -0.1673]


def seed_graph():
    """The tutorial's graph, with the w and b printed in the notebook."""
    x = gv.ones(5)
    y = gv.zeros(3)
    w = gv.tensor(SEED_W, requires_grad=True)
    b = gv.tensor(SEED_B, requires_grad=True)
    z = gv.matmul(x, w) + b
    loss = gv.nn.functional.binary_cross_entropy_with_logits(z, y)
    return dict(x=x, y=y, w=w, b=b, z=z, loss=loss)


def random_program(seed: int, n_ops: int = 12, lib=gv):
    """A random program over float64 leaves with broadcasting, shared subexpressions and leaves
    used several times. Returns (root, leaves). The same seed gives the same program and the
    same leaf values; ``lib`` is gradviz, or torch for an independent twin."""
    rng = np.random.default_rng(seed)
    F = lib.nn.functional
    leaves = [lib.tensor(rng.standard_normal(shape), requires_grad=True)
              for shape in [(3, 4), (4,), (3, 1), ()]]
    pool = list(leaves) + [lib.tensor(rng.standard_normal((3, 4)))]  # one constant
    unary = [lib.tanh, lib.sigmoid, lambda t: t * t, lambda t: t.exp().clamp(max=5.0),
             lambda t: lib.relu(t) + 0.1 * t, lib.sin, lambda t: lib.erf(t) * t.cos(),
             lambda t: lib.log1p(t.abs()) + t.norm(), lambda t: t.logsumexp(-1, keepdim=True),
             lambda t: t.cumsum(-1) * lib.rsqrt(t * t + 1.0), lambda t: t.var(-1, keepdim=True, correction=0),
             # nn.functional: activations, layer_norm over the last dim, elementwise losses.
             lambda t: F.gelu(t, approximate="tanh") + F.leaky_relu(t, 0.1) + F.gelu(t),
             lambda t: F.silu(t) * F.softplus(t, beta=2.0) + F.elu(t),
             lambda t: F.layer_norm(t, tuple(t.shape[-1:])) if t.dim() and t.shape[-1] > 1 else t * 2.0,
             lambda t: F.smooth_l1_loss(t, t.detach() * 0.5, reduction="none")
             + F.huber_loss(t, t.detach().tanh(), delta=0.5, reduction="none")]
    binary = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - 2.0 * b,
              lambda a, b: a / (b * b + 1.0)]
    for _ in range(n_ops):
        if rng.random() < 0.4:
            t = pool[rng.integers(len(pool))]
            pool.append(unary[rng.integers(len(unary))](t))
        else:
            a, b = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
            pool.append(binary[rng.integers(len(binary))](a, b))
    # Sum of the last few results, so every one of them reaches the root.
    root = pool[-1].sum()
    for t in pool[-4:-1]:
        root = root + t.mean()
    return root, leaves


def leaf_grads(leaves):
    return [None if t.grad is None else t.grad.numpy().copy() for t in leaves]
