"""How far public PyTorch teaching programs run with gradviz standing in for ``torch``.

Each program is run unchanged, in a fresh interpreter, twice: once on real PyTorch and once with
every ``import torch`` / ``import torch.X`` resolved to gradviz (the import hook of
``tests/programs/_harness.py``). The only things replaced are those a sandbox without network,
GPU or display cannot do; they are replaced by the runner, never by editing the program:

- ``matplotlib`` (and ``matplotlib.pyplot``) is a module whose every function does nothing;
- ``input()`` / a display are never needed by the programs listed.

The programs themselves are not part of gradviz: this script only names them by their path
inside public repositories, and you pass the checkouts on the command line::

    python benchmarks/run_public_programs.py \\
        --root pytorch-examples=/path/to/jcjohnson/pytorch-examples \\
        --root pytorch-tutorial=/path/to/yunjey/pytorch-tutorial \\
        --root tutorials=/path/to/pytorch/tutorials

A root that is not given is skipped. For each program it prints whether it ran to the end on
PyTorch and on gradviz, and the first error gradviz raised; then "N of M run to the end".
"""
from __future__ import annotations

import argparse
import concurrent.futures
import pathlib
import subprocess
import sys
import tempfile
import types

REPO = pathlib.Path(__file__).resolve().parents[1]

# (root name, path inside that checkout). The learner's first programs that need no download.
PROGRAMS = [
    # github.com/jcjohnson/pytorch-examples: "Learning PyTorch with Examples"
    ("pytorch-examples", "tensor/two_layer_net_tensor.py"),
    ("pytorch-examples", "autograd/two_layer_net_autograd.py"),
    ("pytorch-examples", "autograd/two_layer_net_custom_function.py"),
    ("pytorch-examples", "nn/two_layer_net_nn.py"),
    ("pytorch-examples", "nn/two_layer_net_optim.py"),
    ("pytorch-examples", "nn/two_layer_net_module.py"),
    ("pytorch-examples", "nn/dynamic_net.py"),
    # github.com/yunjey/pytorch-tutorial: the one basics program with no dataset download
    ("pytorch-tutorial", "tutorials/01-basics/linear_regression/main.py"),
    # github.com/pytorch/tutorials
    ("tutorials", "beginner_source/examples_autograd/polynomial_custom_function.py"),
    ("tutorials", "beginner_source/examples_nn/polynomial_nn.py"),
    ("tutorials", "beginner_source/examples_nn/polynomial_module.py"),
    ("tutorials", "beginner_source/examples_nn/dynamic_net.py"),
    ("tutorials", "beginner_source/blitz/autograd_tutorial.py"),
    ("tutorials", "beginner_source/blitz/neural_networks_tutorial.py"),
    ("tutorials", "beginner_source/basics/tensorqs_tutorial.py"),
    ("tutorials", "beginner_source/basics/autogradqs_tutorial.py"),
    ("tutorials", "beginner_source/basics/buildmodel_tutorial.py"),
    ("tutorials", "beginner_source/introyt/tensors_deeper_tutorial.py"),
    ("tutorials", "beginner_source/introyt/modelsyt_tutorial.py"),
]



def _install_stubs():
    """Modules a program may import that need a display: every attribute is a no-op."""

    class NoOp:
        def __call__(self, *args, **kwargs):
            return self

        def __getattr__(self, name):
            return self

        def __iter__(self):  # ``fig, ax = plt.subplots()``
            return iter((self, self))

    def module_getattr(attr, _noop=NoOp()):
        if attr.startswith("__"):  # e.g. __file__, which inspect looks up on every module
            raise AttributeError(attr)
        return _noop

    for name in ("matplotlib", "matplotlib.pyplot"):
        module = types.ModuleType(name)
        module.__getattr__ = module_getattr
        sys.modules[name] = module
    sys.modules["matplotlib"].pyplot = sys.modules["matplotlib.pyplot"]


def run_one(mode: str, program: str) -> None:
    """Child process: run ``program`` on ``mode`` ('torch' or 'gradviz')."""
    import runpy

    _install_stubs()
    sys.path.insert(0, str(REPO / "tests" / "programs"))
    if mode == "gradviz":
        import gradviz  # noqa: F401
        from _harness import _TorchIsGradviz

        sys.meta_path.insert(0, _TorchIsGradviz())
    else:
        import torch

        torch.set_num_threads(1)
    sys.argv = [program]
    runpy.run_path(program, run_name="__main__")
    torch_module = sys.modules.get("torch")
    if mode == "gradviz" and torch_module is not None and not torch_module.__name__.startswith("gradviz"):
        raise SystemExit("real PyTorch was imported during the gradviz run")


def first_error(stderr: str) -> str:
    """The exception line of a traceback (the last line that names an exception)."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if not line.startswith(" ") and ("Error" in line or "Exception" in line or ":" in line):
            return line.strip()[:200]
    return lines[-1][:200] if lines else "(no output)"


def run(mode: str, path: pathlib.Path, timeout: float) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as cwd:  # files a program writes land here
        try:
            proc = subprocess.run([sys.executable, __file__, "--one", mode, str(path)], cwd=cwd,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"timeout after {timeout:g} s"
    return proc.returncode == 0, "" if proc.returncode == 0 else first_error(proc.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", action="append", default=[], metavar="NAME=PATH",
                        help="a checkout: pytorch-examples, pytorch-tutorial or tutorials")
    parser.add_argument("--modes", default="torch,gradviz",
                        help="which sides to run, comma separated (default: torch,gradviz)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds one run may take (default 900)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="programs run at the same time (default 1)")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "PROGRAM"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        run_one(*args.one)
        return 0
    roots = dict(r.split("=", 1) for r in args.root)
    modes = args.modes.split(",")
    ran = dict.fromkeys(modes, 0)
    todo = []
    for root, rel in PROGRAMS:
        if root not in roots:
            continue
        path = pathlib.Path(roots[root]) / rel
        if not path.exists():
            print(f"{root}:{rel}: not in that checkout, skipped")
            continue
        todo.append((f"{root}:{rel}", path))

    def measure(item):
        label, path = item
        return label, [(mode, *run(mode, path, args.timeout)) for mode in modes]

    with concurrent.futures.ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        for label, outcomes in pool.map(measure, todo):  # printed in the list's order
            row = [label]
            for mode, ok, error in outcomes:
                ran[mode] += ok
                row.append(f"{mode}: {'ran to the end' if ok else 'FAILED: ' + error}")
            print(" | ".join(row), flush=True)
    count = len(todo)
    print()
    for mode in modes:
        print(f"{mode}: {ran[mode]} of {count} run to the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
