"""What recording scopes costs on the hot path: a forward+backward of the small MLP of
bench_train_step (functional ops, no modules) and the same through nn modules, timed in two
source trees side by side (this one, and one given with --other, e.g. a checkout without
scopes), alternating, best of many rounds (the minimum is what load cannot inflate).

    python benchmarks/bench_scope_overhead.py --other /tmp/without_scopes [--rounds 30]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time, timeit
import numpy as np
import gradviz as torch
from gradviz import nn
F = torch.nn.functional
rng = np.random.default_rng(0)
x = torch.tensor(rng.standard_normal((2, 4)).astype(np.float32))
y = torch.tensor(rng.integers(0, 2, (2, 1)).astype(np.float32))
w1 = torch.tensor(rng.standard_normal((8, 4)).astype(np.float32), requires_grad=True)
b1 = torch.zeros(8, requires_grad=True)
w2 = torch.tensor(rng.standard_normal((1, 8)).astype(np.float32), requires_grad=True)
b2 = torch.zeros(1, requires_grad=True)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
def functional():
    for p in (w1, b1, w2, b2):
        p.grad = None
    F.binary_cross_entropy_with_logits(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y).backward()
def modules():
    model.zero_grad()
    F.binary_cross_entropy_with_logits(model(x), y).backward()
out = {}
for name, fn in (("functional", functional), ("modules", modules)):
    fn()
    out[name] = min(timeit.repeat(fn, number=200, repeat=int(sys.argv[1]))) / 200 * 1e6
print(json.dumps(out))
"""


def run(tree: Path, repeat: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-c", CHILD, str(repeat)], env=env, cwd=str(tree),
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", required=True, help="a source tree to compare with")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    trees = {"this tree": HERE, "other": Path(args.other)}
    best = {k: {} for k in trees}
    for _ in range(args.rounds):
        for k, t in trees.items():
            for name, us in run(t, args.repeat).items():
                best[k][name] = min(best[k].get(name, float("inf")), us)
    for name in best["this tree"]:
        a, b = best["this tree"][name], best["other"][name]
        print(f"{name:10s} this tree {a:7.1f} us/step   other {b:7.1f} us/step   ratio {a / b:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
