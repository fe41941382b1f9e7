"""Screenshot regression testing for Panel views, gradviz's explorer among them.

::

    from gradviz.testing import snapshot, assert_matches_baseline

    png = snapshot(make_view, width=800, height=600)
    assert_matches_baseline(png, "tests/baselines/my_view.png")

In pytest, the ``gradviz_snapshot`` fixture (installed with gradviz) does both in one line and
adds ``--update-baselines``. Importing this package is cheap: Panel and Playwright are only
imported when a snapshot is taken.
"""
from __future__ import annotations

from .browser import (BROWSER_ENV, INSTALL_HINT, LAUNCH_ARGS, REQUIRE_ENV,  # noqa: F401
                      BrowserInfo, BrowserNotFound, browser_required, find_browser)
from .compare import (DEFAULT_MAX_FRACTION, DEFAULT_TOLERANCE, ImageComparison,  # noqa: F401
                      assert_matches_baseline, compare_images, compare_structure,
                      environment_difference, structure_path,
                      environment_path, failure_paths, load_image, read_environment,
                      write_environment)
# The submodules `snapshot` and `serve` share their names with their main functions: these
# imports bind the functions (neither module imports Panel or Playwright at import time).
from .serve import ServedApp, serve  # noqa: E402
from .snapshot import SnapshotSession, default_session, snapshot  # noqa: E402
from .tensors import assert_close  # noqa: E402,F401  (torch.testing.assert_close)

__all__ = [
    "snapshot", "SnapshotSession", "default_session", "serve", "ServedApp",
    "assert_matches_baseline", "compare_images", "ImageComparison", "load_image",
    "failure_paths", "find_browser", "BrowserInfo", "BrowserNotFound", "browser_required",
    "require_browser", "DEFAULT_TOLERANCE", "DEFAULT_MAX_FRACTION", "environment_path",
    "read_environment", "write_environment", "environment_difference", "compare_structure",
    "structure_path",
]


def require_browser() -> BrowserInfo:
    """The browser to use in a test, or skip the test when there is none.

    Under ``GRADVIZ_REQUIRE_BROWSER=1`` (set in CI) a missing browser or a missing
    ``playwright`` package fails the test instead, so CI can never pass by skipping.
    """
    import importlib.util

    import pytest

    try:
        if importlib.util.find_spec("playwright") is None:
            raise BrowserNotFound("the `playwright` Python package is not installed. "
                                  + INSTALL_HINT)
        return find_browser()
    except BrowserNotFound as exc:
        if browser_required():
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1 makes this a failure, not a skip)",
                        pytrace=False)
        pytest.skip(str(exc))
