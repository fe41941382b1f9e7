"""gradviz's own screenshot baselines: the tutorial and the playground at the start, mid-way
through backward, after Run, after Backward again and after Zero grads.

Rendered by the same machinery users get (the ``gradviz_snapshot`` fixture of gradviz's pytest
plugin). A baseline changes only on purpose: ``python -m pytest tests/ui/test_visual_baselines.py
--update-baselines``, then look at the new PNGs in ``tests/ui/baselines/``.

The views are driven on the server before capture (``actions``), the way a person's clicks
drive them, through the explorer's own methods that the buttons call.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WIDTH = 1200
HEIGHTS = {"tutorial": 1400, "playground": 1000}


def _drive(explorer, state: str) -> None:
    if state == "start":
        return
    if state == "mid":
        for _ in range(explorer.stepper.total // 2):
            explorer.step()
        return
    explorer.run()
    if state in ("again", "zero"):
        explorer.backward_again()
    if state == "zero":
        explorer.zero_grads()


def tutorial_view(section: str, state: str):
    def build():
        import panel as pn

        from gradviz.apps.tutorial import TutorialApp
        from gradviz.viz.explorer import Explorer

        app = TutorialApp(section=section)
        _drive(Explorer.find(app.content), state)
        return pn.Column(app.navigator, app.content, width=WIDTH - 20)
    return build


def playground_view(example: str, state: str):
    def build():
        import panel as pn

        from gradviz.apps.playground import PlaygroundApp

        app = PlaygroundApp(example=example)
        _drive(app.explorer, state)
        return pn.Column(app.header(), app.graph, width=WIDTH - 20)
    return build


STATES = ["start", "mid", "run", "again", "zero"]

# Stricter than the default (0.1 %): "after Run" and "after Backward again" differ only in a few
# numbers (4 -> 8 in inp.grad), about 0.08 % of the pixels. The same view renders byte-identical
# from fresh browsers here, so 0.01 % still leaves room for antialiasing noise.
MAX_FRACTION = 1e-4


@pytest.mark.parametrize("state", STATES)
def test_tutorial_backward_section(gradviz_snapshot, state):
    # In [3] of the notebook: the seed graph. "again" shows PyTorch's error (retain_graph off).
    gradviz_snapshot(tutorial_view("backward", state), f"tutorial-backward-{state}",
                     width=WIDTH, height=HEIGHTS["tutorial"], max_fraction=MAX_FRACTION)


@pytest.mark.parametrize("state", STATES)
def test_playground_eye_example(gradviz_snapshot, state):
    # The eye(4, 5) example: retain_graph on, so "again" accumulates (8/4) and "zero" resets.
    gradviz_snapshot(playground_view("eye", state), f"playground-eye-{state}",
                     width=WIDTH, height=HEIGHTS["playground"], max_fraction=MAX_FRACTION)


def test_the_baselines_tell_each_moment_apart():
    """Each baseline differs from the one before it by more than the comparison allows, so a
    button that did nothing (Backward again not accumulating, Zero grads not zeroing) fails."""
    from pathlib import Path

    from gradviz.testing import compare_images

    folder = Path(__file__).parent / "baselines"
    for view in ("tutorial-backward", "playground-eye"):
        pngs = [(folder / f"{view}-{s}.png").read_bytes() for s in STATES]
        for before, after, name in zip(pngs, pngs[1:], STATES[1:]):
            assert not compare_images(after, before, max_fraction=MAX_FRACTION).matches, (view, name)
