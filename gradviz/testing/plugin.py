"""pytest plugin: screenshot tests of Panel views in two lines.

Installed with gradviz (entry point ``pytest11``), so it is active in every pytest run::

    def test_my_view(gradviz_snapshot):
        gradviz_snapshot(make_view)        # compares with baselines/test_my_view.png

``pytest --update-baselines`` (re)writes the baselines instead of comparing. A missing
baseline fails with instructions. Without a browser the test is skipped with a message on how
to install one, or fails when ``GRADVIZ_REQUIRE_BROWSER=1``.

This module imports neither Panel nor Playwright: they are imported when a fixture is used,
so pytest starts fast and works on machines without a browser.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

def pytest_addoption(parser):
    group = parser.getgroup("gradviz", "gradviz screenshot tests")
    group.addoption("--update-baselines", action="store_true", default=False,
                    help="gradviz_snapshot: write screenshots as the new baselines instead of "
                         "comparing against them.")
    group.addoption("--snapshot-structure-only", action="store_true", default=False,
                    help="gradviz_snapshot: compare only what was drawn (<name>.structure.json: "
                         "glyphs, positions, labels, colours), not the pixels; for a browser "
                         "other than the one the baselines were made with.")
    parser.addini("gradviz_snapshot_tolerance", default=None,
                  help="gradviz_snapshot: per-channel pixel tolerance, 0-255 (default 16).")
    parser.addini("gradviz_snapshot_max_fraction", default=None,
                  help="gradviz_snapshot: largest fraction of differing pixels that passes "
                       "(default 0.001).")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs headless Chromium (skipped without one "
                                       "unless GRADVIZ_REQUIRE_BROWSER=1)")


def _snapshot_session(config):
    """The process's shared session (one browser for the whole run, started by the first
    snapshot, closed when Python exits), so that in-process runs share it too."""
    from .snapshot import default_session

    return default_session()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or "snapshot"


class SnapshotFixture:
    """What ``gradviz_snapshot`` returns: call it with a view to snapshot and compare it.

    ``gradviz_snapshot(view, name_or_path=None, *, tolerance=None, max_fraction=None, **kw)``

    - ``view``: a function that builds a Panel view, a Panel viewable, or a gradviz Tensor;
    - ``name_or_path``: a baseline name (``"start"`` -> ``baselines/start.png`` next to the
      test file) or a path (relative to the test file's directory). By default the test's
      name; further unnamed calls in the same test get ``-2``, ``-3``, ... suffixes;
    - ``tolerance``, ``max_fraction``: comparison thresholds (see ``compare_images``);
    - ``**kw``: passed to ``gradviz.testing.snapshot`` (``width``, ``height``, ``step``,
      ``actions``, ``selector``, ...).

    Returns the PNG bytes. ``update_baselines`` says whether ``--update-baselines`` is on;
    ``session`` is the shared :class:`~gradviz.testing.SnapshotSession`.
    """

    def __init__(self, request):
        self._request = request
        self._count = 0
        self.update_baselines = bool(request.config.getoption("--update-baselines"))
        self.structure_only = bool(request.config.getoption("--snapshot-structure-only"))
        self.directory = Path(request.node.path).parent
        self._tolerance = self._ini_number("gradviz_snapshot_tolerance", int)
        self._max_fraction = self._ini_number("gradviz_snapshot_max_fraction", float)

    def _ini_number(self, name, kind):
        value = self._request.config.getini(name)
        return kind(value) if value not in (None, "", []) else None

    @property
    def session(self):
        return _snapshot_session(self._request.config)

    def baseline_path(self, name_or_path=None) -> Path:
        """The baseline file a call with ``name_or_path`` compares against."""
        if name_or_path is None:
            self._count += 1
            name = _safe_name(self._request.node.name)
            if self._count > 1:
                name = f"{name}-{self._count}"
            return self.directory / "baselines" / f"{name}.png"
        path = Path(name_or_path)
        if len(path.parts) == 1 and path.suffix.lower() != ".png":
            return self.directory / "baselines" / f"{_safe_name(str(name_or_path))}.png"
        return path if path.is_absolute() else self.directory / path

    def __call__(self, view, name_or_path=None, *, tolerance=None, max_fraction=None, **kw):
        import json

        from .compare import (DEFAULT_MAX_FRACTION, DEFAULT_TOLERANCE, assert_matches_baseline,
                              compare_structure, structure_path)
        from .snapshot import snapshot

        baseline = self.baseline_path(name_or_path)
        if tolerance is None:
            tolerance = self._tolerance if self._tolerance is not None else DEFAULT_TOLERANCE
        if max_fraction is None:
            max_fraction = (self._max_fraction if self._max_fraction is not None
                            else DEFAULT_MAX_FRACTION)
        session = self.session
        png = snapshot(view, session=session, **kw)
        structure = session.last_structure
        spath = structure_path(baseline)
        if self.update_baselines:
            assert_matches_baseline(png, baseline, update=True, environment=session.environment())
            if structure is not None:
                spath.write_text(json.dumps(structure, indent=0, sort_keys=True) + "\n")
            return png
        recorded = json.loads(spath.read_text()) if spath.exists() else None
        differences = (compare_structure(structure, recorded)
                       if recorded is not None and structure is not None else None)
        drawn = ("; ".join(differences) if differences else "")
        if self.structure_only:
            if differences is None:
                pytest.fail(f"no structure baseline {spath} to compare with; create it with "
                            "--update-baselines", pytrace=False)
            if differences:
                pytest.fail(f"what was drawn differs from {spath}: {drawn}", pytrace=False)
            return png
        try:
            assert_matches_baseline(png, baseline, tolerance=tolerance,
                                    max_fraction=max_fraction,
                                    environment=session.environment())
        except AssertionError as exc:
            message = str(exc)
        else:
            if differences:
                pytest.fail(f"the pixels match {baseline.name}, but what was drawn differs from "
                            f"{spath}: {drawn}", pytrace=False)
            return png
        if differences:
            message += f"\nWhat was drawn differs too ({spath.name}): {drawn}"
        elif differences is not None:
            message += (f"\nWhat was drawn matches {spath.name} (the same glyphs, positions, "
                        "labels and colours): the pixels differ in how they were rendered. "
                        "--snapshot-structure-only compares only that.")
        # Outside the except block: failing inside it would print the message twice (as the
        # exception and as the one raised "during handling" of it).
        pytest.fail(message, pytrace=False)


@pytest.fixture
def gradviz_snapshot(request):
    """Snapshot a view and compare it with its baseline PNG: ``gradviz_snapshot(view)``.

    See :class:`gradviz.testing.plugin.SnapshotFixture`. Skips without a browser (fails under
    ``GRADVIZ_REQUIRE_BROWSER=1``); ``pytest --update-baselines`` rewrites baselines.
    """
    from . import require_browser

    require_browser()
    return SnapshotFixture(request)


@pytest.fixture
def gradviz_snapshot_session(request):
    """The run's shared :class:`~gradviz.testing.SnapshotSession` (one browser for all tests),
    for tests that want PNG bytes without a baseline. Skips without a browser."""
    from . import require_browser

    require_browser()
    return _snapshot_session(request.config)
