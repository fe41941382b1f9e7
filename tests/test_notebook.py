"""examples/tutorial.ipynb runs headlessly from top to bottom and prints the seed notebook's
numbers (expected values copied from shared/seed/README.md and the notebook's own In [6])."""
from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason='nbformat is not installed: pip install "gradviz[test]"')
nbclient = pytest.importorskip("nbclient", reason='nbclient is not installed: pip install "gradviz[test]"')

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tutorial.ipynb"

GRAD_ROW = "[0.1503, 0.0698, 0.1336]"
FIRST = """tensor([[4., 2., 2., 2., 2.],
        [2., 4., 2., 2., 2.],
        [2., 2., 4., 2., 2.],
        [2., 2., 2., 4., 2.]])"""
SECOND = """tensor([[8., 4., 4., 4., 4.],
        [4., 8., 4., 4., 4.],
        [4., 4., 8., 4., 4.],
        [4., 4., 4., 8., 4.]])"""


def test_notebook_is_valid_and_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, \
                "clear the notebook's outputs before committing it"


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def _outputs(notebook):
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]


def _printed(notebook) -> str:
    return "".join(out.get("text", "") for out in _outputs(notebook) if out.output_type == "stream"
                   and out.get("name") == "stdout")


def test_notebook_runs_without_errors(executed):
    errors = [out for out in _outputs(executed) if out.output_type == "error"]
    assert not errors, errors[0].get("evalue")


def test_notebook_prints_the_seed_numbers(executed):
    printed = _printed(executed)
    assert "loss:0.4487186372280121" in printed
    assert "z:tensor([-0.1973, -1.3290, -0.4027], grad_fn=<AddBackward0>)" in printed
    assert "Gradient function for z = <AddBackward0 object at 0x" in printed
    assert "Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0 object at 0x" in printed
    assert printed.count(GRAD_ROW) == 6  # five rows of w.grad, and b.grad
    assert "True\nFalse\n" in printed     # In [4]: requires_grad outside / inside no_grad
    assert "First call\n" + FIRST in printed
    assert "Second call\n" + SECOND in printed
    assert "Call after zeroing gradients\n" + FIRST in printed


def test_notebook_displays_two_explorers(executed):
    explore_cells = [c for c in executed.cells if c.cell_type == "code" and "explore(" in c.source]
    assert len(explore_cells) == 2
    for cell in explore_cells:
        kinds = {key for out in cell.outputs if out.output_type in ("display_data", "execute_result")
                 for key in out.get("data", {})}
        assert kinds & {"application/vnd.holoviews_exec.v0+json", "text/html"}, kinds
