"""One training step of a small MLP, gradviz vs PyTorch CPU, side by side in one process.

Issue 2: a 4-8-1 MLP on a batch of 2 and a 784-256-1 MLP on a batch of 64
(linear -> relu -> linear -> binary_cross_entropy_with_logits), forward + backward, both
libraries single-threaded. Targets: small <= 0.7x PyTorch's time, medium <= 1.1x.

    python benchmarks/bench_train_step.py            # print the table
    python benchmarks/bench_train_step.py --write    # and update benchmarks/RESULTS.md

Both models start from the same float32 weights, and the script first asserts that gradviz's
loss and gradients match PyTorch's, so it never times a wrong computation. Timing alternates
the two libraries (A/B, B/A, ...) over several rounds and reports the median time per step.

Single-threaded: ``torch.set_num_threads(1)``, and numpy's BLAS is pinned to one thread by
setting OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS before numpy loads (the
script re-executes itself with them when they are not set). threadpoolctl, if installed
(``pip install threadpoolctl``), is only used to report which BLAS kernel numpy runs.
"""
from __future__ import annotations

import os
import sys

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

if __name__ == "__main__" and any(os.environ.get(v) != "1" for v in _THREAD_VARS):
    # The BLAS reads these once, when numpy is first imported: start over with them set.
    env = dict(os.environ, **{v: "1" for v in _THREAD_VARS})
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import gradviz  # noqa: E402

SIZES = {  # name: (inputs, hidden, outputs, batch)
    "small 4-8-1, batch 2": (4, 8, 1, 2),
    "medium 784-256-1, batch 64": (784, 256, 1, 64),
}
TARGETS = {"small 4-8-1, batch 2": 0.7, "medium 784-256-1, batch 64": 1.1}
SECTION = "## Training step (issue 2)"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def make_case(lib, dims, seed=0):
    """Parameters, input and target of one MLP, from the same float32 numbers for any lib."""
    i, h, o, n = dims
    rng = np.random.default_rng(seed)
    bound1, bound2 = 1 / np.sqrt(i), 1 / np.sqrt(h)
    arrays = [
        rng.uniform(-bound1, bound1, (h, i)), rng.uniform(-bound1, bound1, (h,)),
        rng.uniform(-bound2, bound2, (o, h)), rng.uniform(-bound2, bound2, (o,)),
    ]
    params = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    x = lib.tensor(rng.standard_normal((n, i)).astype(np.float32))
    y = lib.tensor((rng.random((n, o)) > 0.5).astype(np.float32))
    return params, x, y


def forward(lib, params, x, y):
    F = lib.nn.functional
    w1, b1, w2, b2 = params
    h = F.relu(F.linear(x, w1, b1))
    return F.binary_cross_entropy_with_logits(F.linear(h, w2, b2), y)


def fwd_bwd_fn(lib, params, x, y):
    """forward + backward, with the gradients set to None first (zero_grad's default)."""
    def step():
        for p in params:
            p.grad = None
        forward(lib, params, x, y).backward()
    return step


def train_step_fn(lib, params, x, y):
    """A whole SGD step: zero_grad, forward, backward, step."""
    opt = lib.optim.SGD(params, lr=1e-3)

    def step():
        opt.zero_grad()
        forward(lib, params, x, y).backward()
        opt.step()
    return step


def check_parity(torch, dims):
    """gradviz and PyTorch agree on the loss and every gradient (float32, same weights)."""
    gp, gx, gy = make_case(gradviz, dims)
    tp, tx, ty = make_case(torch, dims)
    gl, tl = forward(gradviz, gp, gx, gy), forward(torch, tp, tx, ty)
    gl.backward()
    tl.backward()
    assert gl.dtype == gradviz.float32 and tl.dtype == torch.float32
    assert gl.grad_fn.name() == tl.grad_fn.name(), (gl.grad_fn.name(), tl.grad_fn.name())
    np.testing.assert_allclose(gl.item(), tl.item(), rtol=1e-5, atol=1e-6)
    for g, t in zip(gp, tp):
        assert g.grad.dtype == gradviz.float32
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-6)


def time_ab(fns: dict, rounds: int, target_s: float, clock=time.perf_counter) -> dict:
    """Median seconds per call of each function, timed in alternating order round by round.

    ``clock``: time.perf_counter (wall time) or time.process_time (CPU time of this process,
    which time spent waiting for a core on a shared, loaded machine does not inflate)."""
    for fn in fns.values():  # warm up (and size the inner loop on the slowest)
        for _ in range(20):
            fn()
    slowest = 0.0
    for fn in fns.values():
        t0 = clock()
        for _ in range(20):
            fn()
        slowest = max(slowest, (clock() - t0) / 20)
    inner = max(5, int(target_s / max(slowest, 1e-9)))
    per = {name: [] for name in fns}
    names = list(fns)
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn = fns[name]
            gc.collect()
            t0 = clock()
            for _ in range(inner):
                fn()
            per[name].append((clock() - t0) / inner)
    return {name: statistics.median(v) for name, v in per.items()}


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (pip install threadpoolctl to show the BLAS kernel)"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i.get('internal_api')} {i.get('version')}, kernel {i.get('architecture')}, "
                     f"{i.get('num_threads')} thread(s)" for i in infos) or "none found"


def machine_info(torch) -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores; {platform.system()} {platform.release()}",
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread), gradviz {getattr(gradviz, '__version__', '?')}",
        f"numpy BLAS: {blas_info()}",
        "env: " + ", ".join(f"{v}={os.environ.get(v)}" for v in _THREAD_VARS)
        + "".join(f", {v}={os.environ[v]}" for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                  if v in os.environ),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9, help="A/B rounds (median over them)")
    ap.add_argument("--round-time", type=float, default=0.2, help="seconds per library per round")
    ap.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    ap.add_argument("--note", action="append", default=[], help="a line to add under the table")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: time.perf_counter; cpu: time.process_time (for a loaded machine)")
    args = ap.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    import torch

    torch.set_num_threads(1)
    rows = []
    for label, dims in SIZES.items():
        check_parity(torch, dims)
        for what, make in (("forward+backward", fwd_bwd_fn), ("+ zero_grad + SGD step", train_step_fn)):
            gv_case, t_case = make_case(gradviz, dims), make_case(torch, dims)
            fns = {"gradviz": make(gradviz, *gv_case), "torch": make(torch, *t_case)}
            med = time_ab(fns, args.rounds, args.round_time, clock)
            ratio = med["gradviz"] / med["torch"]
            target = TARGETS[label] if what == "forward+backward" else None
            rows.append((label, what, med["gradviz"], med["torch"], ratio, target))

    header = "| model | timed | gradviz (µs/step) | PyTorch (µs/step) | ratio | target | met |"
    lines = [header, "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for label, what, g, t, ratio, target in rows:
        met = "" if target is None else ("yes" if ratio <= target else "no")
        tgt = "" if target is None else f"≤ {target}x"
        lines.append(f"| {label} | {what} | {g * 1e6:.1f} | {t * 1e6:.1f} | {ratio:.2f}x | {tgt} | {met} |")
    info = machine_info(torch)
    print("\n".join(lines))
    print()
    print("\n".join(info))

    if args.write:
        write_results(lines, info, args)
    return 0


def write_results(table: list[str], info: list[str], args) -> None:
    """Replace (or append) only this benchmark's section of RESULTS.md."""
    cmd = "python benchmarks/bench_train_step.py --write"
    if (args.rounds, args.round_time) != (9, 0.2):
        cmd += f" --rounds {args.rounds} --round-time {args.round_time}"
    if args.clock != "wall":
        cmd += f" --clock {args.clock}"
    body = [
        SECTION, "",
        "One training step of an MLP (linear → relu → linear → binary_cross_entropy_with_logits, "
        "float32), gradviz vs PyTorch CPU in one process, both single-threaded. Median "
        f"{'CPU' if args.clock == 'cpu' else 'wall'} time per "
        f"step over {args.rounds} alternating A/B rounds; the script first asserts that the loss "
        "and all gradients match PyTorch's. \"forward+backward\" sets the grads to None, runs "
        "the forward pass and `loss.backward()`; the second row adds `optim.SGD` "
        "(`zero_grad()` + `step()`). Ratio = gradviz / PyTorch (lower is better).", "",
        *table, "",
        *[f"- {line}" for line in info],
        f"- command (from the repository root): `{cmd}` (it re-executes itself with "
        "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1; "
        "`pip install threadpoolctl` to have it name the BLAS kernel)",
        *[f"- {note}" for note in args.note],
        "",
        "What stands in the way of the targets:",
        "",
        "- medium: the two large sgemm calls (64×784 @ 784×256 forward, its weight gradient "
        "backward) are ~2/3 of PyTorch's step, and numpy's OpenBLAS is slower at them than "
        "PyTorch's kernels (CPU time, alone: forward ~245 µs as (W @ Xᵀ)ᵀ, which gradviz now "
        "uses, ~300 µs as X @ Wᵀ, vs ~215 µs for torch.addmm; weight gradient ~200 vs ~180 µs). "
        "That ~50 µs of ~650 puts the floor near 1.1x with everything else equal; relu's "
        "backward (was np.where, ~80 µs) and the 1-column G@Bᵀ (~27 µs) are no longer in the way.",
        "- small: per step gradviz spends ~150-190 µs of CPU against PyTorch's ~110: forward "
        "~60 µs vs ~30-40 (6 ops at ~1-2 µs of Python each in record/Tensor/Node/replayable, "
        "plus ~0.5-2 µs per numpy call on a tiny array), backward ~90 µs (kernels ~20, broadcast "
        "reduction ~10, the rest the engine: plan's heap ~7, Tensor.backward/prepare_roots, the "
        "node loop (backward() makes no event objects since issue 10), accumulation, releasing "
        "saved tensors), and ~20 µs of gen-0 "
        "garbage collection triggered by the Python objects a step allocates (gc disabled: "
        "175 → 155 µs). 0.7x needs ~80 µs per step in total, under half of today's, which "
        "trimming Python per op cannot reach; it would take fewer Python objects and calls per "
        "op than record/Node/Tensor/event make today.",
        "",
    ]
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new_section = "\n".join(body) + "\n"
    if pattern.search(text):
        text = pattern.sub(lambda m: new_section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + new_section
    RESULTS.write_text(text)
    print(f"\nupdated {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
