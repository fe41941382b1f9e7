"""gradviz.explore in a notebook loads Panel's code by itself, inline (no pn.extension() call,
nothing from a CDN), so the explorer shows in a notebook opened offline.

Not done here yet: driving JupyterLab itself in Chromium (clicking Step in an output)."""
from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat", reason='nbformat is not installed: pip install "gradviz[test]"')
nbclient = pytest.importorskip("nbclient", reason='nbclient is not installed: pip install "gradviz[test]"')

LOAD_MIME = "application/vnd.holoviews_load.v0+json"


def _run(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3").execute()
    return nb


def _mimes(cell) -> list:
    return [m for out in cell.outputs for m in out.get("data", {})]


def test_explore_loads_panel_inline_once_without_pn_extension():
    nb = _run(
        "import gradviz, gradviz.examples\n"
        "ex = gradviz.examples.build('seed')\n"
        "view = gradviz.explore(ex.root, names=ex.names)",
        "view2 = gradviz.explore(ex.root, names=ex.names)",
        "view")
    first, second, shown = nb.cells
    loads = [out["data"][LOAD_MIME] for out in first.outputs if LOAD_MIME in out.get("data", {})]
    assert loads, _mimes(first)
    assert not any(LOAD_MIME in out.get("data", {}) for out in second.outputs)  # once
    code = "".join(loads)
    assert "cdn.holoviz.org/panel" not in code and "cdn.bokeh.org" not in code
    assert len(code) > 500_000  # Bokeh's and Panel's code itself, not links to it
    assert any("bokeh" in m or "holoviews" in m for m in _mimes(shown)), _mimes(shown)


def test_a_notebook_that_loaded_panel_itself_is_not_loaded_twice():
    nb = _run("import panel as pn\npn.extension()",
              "import gradviz, gradviz.examples\n"
              "ex = gradviz.examples.build('seed')\n"
              "view = gradviz.explore(ex.root, names=ex.names)")
    assert not any(LOAD_MIME in out.get("data", {}) for out in nb.cells[1].outputs)
