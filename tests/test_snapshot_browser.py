"""Snapshots in a real headless Chromium: determinism, sensitivity, browser reuse, cleanup.

Skipped without a browser, failed instead under GRADVIZ_REQUIRE_BROWSER=1 (CI).
"""
from __future__ import annotations

import urllib.parse

import pytest

import gradviz
from gradviz.testing import SnapshotSession, compare_images, require_browser
from gradviz.testing.serve import port_is_free

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 520, 380
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


def figure_for(colours):
    from bokeh.models import ColumnDataSource, LabelSet
    from bokeh.plotting import figure

    source = ColumnDataSource(dict(x=[1, 2, 3, 4], y=[1, 3, 2, 4], colour=list(colours),
                                   label=["x", "w", "z", "loss"]))
    fig = figure(width=480, height=320, x_range=(0, 5), y_range=(0, 5),
                 toolbar_location=None, output_backend="canvas")
    fig.line("x", "y", source=source, line_color="#888888", line_width=2)
    fig.scatter("x", "y", source=source, size=36, fill_color="colour", line_color="black")
    fig.add_layout(LabelSet(x="x", y="y", text="label", source=source, x_offset=22,
                            text_font_size="14px"))
    return fig, source


def view_factory(colours=COLOURS):
    """A small deterministic Panel+Bokeh view: coloured circles, edges and text."""
    def build():
        import panel as pn

        fig, _ = figure_for(colours)
        return pn.Column(pn.pane.Markdown("## gradviz snapshot test"), pn.pane.Bokeh(fig))
    return build


class _Stepper:
    def __init__(self, source):
        self.source, self.k = source, 0

    def step(self):
        colours = list(self.source.data["colour"])
        colours[self.k] = "#000000"
        self.source.data["colour"] = colours
        self.k += 1


def stepping_view():
    """A view with a `stepper`, like the explorer's: each step paints one more node black."""
    import panel as pn

    fig, source = figure_for(COLOURS)
    view = pn.Column(pn.pane.Markdown("## gradviz snapshot test"), pn.pane.Bokeh(fig))
    view.stepper = _Stepper(source)
    return view


@pytest.fixture(scope="module")
def browser():
    return require_browser()


@pytest.fixture(scope="module")
def fresh_snapshots(browser):
    """The same view, each time from a brand-new browser (and a new server)."""
    pngs = []
    for _ in range(3):
        with SnapshotSession(browser.path, width=WIDTH, height=HEIGHT) as session:
            pngs.append(session.snapshot(view_factory()))
            assert session.launches == 1
    return pngs


@pytest.fixture(scope="module")
def session(browser):
    with SnapshotSession(browser.path, width=WIDTH, height=HEIGHT) as session:
        yield session


def test_three_fresh_browsers_give_the_same_png(fresh_snapshots):
    first, *others = fresh_snapshots
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    from gradviz.testing import load_image
    assert load_image(first).shape == (HEIGHT, WIDTH, 4)
    for other in others:
        result = compare_images(other, first, tolerance=0, max_fraction=0)
        assert result.matches, result.summary()
    # Byte-identical on these machines; kept as information rather than a requirement.
    assert len(set(fresh_snapshots)) == 1


def test_the_picture_is_not_blank(fresh_snapshots):
    for colour in COLOURS:  # all four node colours are painted
        assert colour_pixels(fresh_snapshots[0], colour) > 100, colour


def test_one_node_recoloured_is_caught(session, fresh_snapshots):
    changed = list(COLOURS)
    changed[2] = "#9467bd"
    result = compare_images(session.snapshot(view_factory(changed)), fresh_snapshots[0])
    assert not result.matches
    assert result.differing > 300


def test_one_session_reuses_one_browser_and_stops_each_server(session, fresh_snapshots):
    ports, calls = [], []
    build = view_factory()

    def counting_factory():
        calls.append(1)
        return build()

    for _ in range(2):
        png = session.snapshot(counting_factory)
        assert compare_images(png, fresh_snapshots[0]).matches
        ports.append(urllib.parse.urlparse(session.last_url).port)
        assert port_is_free(ports[-1])
    assert session.launches == 1
    assert len(calls) == 2  # one document per snapshot: waiting for the server built none
    assert ports[0] != ports[1] or port_is_free(ports[0])


def colour_pixels(png, colour):
    import numpy as np

    from gradviz.testing import load_image
    img = load_image(png)[..., :3].astype(int)
    rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return int((np.abs(img - rgb).max(axis=-1) <= 2).sum())


def test_step_and_actions_run_on_the_server_before_capture(session, fresh_snapshots):
    stepped = session.snapshot(stepping_view, step=2)  # nodes 0 and 1 painted black
    assert colour_pixels(stepped, COLOURS[0]) == colour_pixels(stepped, COLOURS[1]) == 0
    for colour in COLOURS[2:]:
        assert colour_pixels(stepped, colour) == colour_pixels(fresh_snapshots[0], colour)
    assert colour_pixels(stepped, "#000000") > colour_pixels(fresh_snapshots[0], "#000000") + 400
    acted = session.snapshot(stepping_view, actions=lambda v: v.stepper.step(), step=1)
    assert compare_images(acted, stepped).matches


def test_step_without_a_stepper_is_a_clear_error(session):
    with pytest.raises(ValueError, match="stepper"):
        session.snapshot(view_factory(), step=1)


def test_an_error_while_building_the_view_surfaces_at_once(session):
    def broken():
        raise RuntimeError("boom in the factory")
    with pytest.raises(RuntimeError, match="boom in the factory"):
        session.snapshot(broken, timeout=20)
    assert port_is_free(urllib.parse.urlparse(session.last_url).port)


def test_a_tensor_is_snapshotted_through_its_explorer(session):
    w = gradviz.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * 3).sum()
    names = {"w": w, "loss": loss}
    direct = session.snapshot(loss, names=names)
    # The same picture as serving the explorer of that root ourselves.
    via_factory = session.snapshot(lambda: gradviz.explore(loss, names=names))
    assert compare_images(direct, via_factory).matches
    # Two steps into backward the picture changes (current step, edge gradient).
    assert not compare_images(session.snapshot(loss, names=names, step=2), direct).matches
