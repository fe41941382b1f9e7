"""The pytest plugin, tested from the outside: a tiny user project run with pytester."""
from __future__ import annotations

import pytest

import gradviz
from gradviz.testing import compare_images, read_environment, require_browser, write_environment

pytest_plugins = ["pytester"]

USER_TEST = '''
import panel as pn
from bokeh.plotting import figure

COLOUR = "{colour}"


def make_view():
    fig = figure(width=300, height=200, x_range=(0, 3), y_range=(0, 3),
                 toolbar_location=None)
    fig.scatter([1, 2], [1, 2], size=40, color=[COLOUR, "#ff7f0e"])
    return pn.pane.Bokeh(fig)


def test_view(gradviz_snapshot):
    gradviz_snapshot(make_view, width=320, height=220)
'''


NO_BROWSER_TEST = '''
def test_view(gradviz_snapshot):
    gradviz_snapshot(lambda: None)
'''


def preload_heavy_modules():
    # pytester's in-process runs drop modules first imported during a run; reimporting
    # tornado/panel in the next run while the previous run's threads linger breaks Panel's
    # threaded server. Importing them here keeps one copy for all runs.
    import bokeh.plotting  # noqa: F401
    import panel  # noqa: F401
    import playwright.sync_api  # noqa: F401


def write_user_project(pytester, colour="#1f77b4"):
    pytester.makepyfile(test_user=USER_TEST.format(colour=colour))
    return pytester.path / "baselines" / "test_view.png"


@pytest.mark.browser
def test_baseline_lifecycle(pytester, monkeypatch):
    browser = require_browser()
    monkeypatch.setenv("GRADVIZ_BROWSER", browser.path)
    preload_heavy_modules()
    # The plugin uses the process's shared session, so the in-process runs below share one
    # browser; start it here so that its start-up is not paid inside the first run.
    from gradviz.testing import default_session
    launches = default_session().start().launches
    baseline = write_user_project(pytester)
    actual = baseline.with_name("test_view.actual.png")
    diff = baseline.with_name("test_view.diff.png")

    # 1. No baseline yet: fail, say how to create one, keep the image for review.
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*baseline image*test_view.png does not exist*"
                                 "--update-baselines*"])
    assert not baseline.exists() and actual.exists()

    # 2. --update-baselines writes it, passes, and clears the review copy; the browser and
    # fonts that drew it are recorded beside it.
    result = pytester.runpytest("-p", "no:cacheprovider", "--update-baselines")
    result.assert_outcomes(passed=1)
    assert baseline.exists() and not actual.exists()
    assert compare_images(baseline, baseline).matches
    recorded = read_environment(baseline)
    browser_version = default_session()._run(lambda: default_session()._ensure_browser().version)
    assert recorded["browser"] == f"Chromium {browser_version}"
    assert recorded["fonts"].startswith("gradviz bundled fonts ")
    assert recorded["gradviz"] == gradviz.__version__

    # 3. A rerun compares against it and passes.
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not actual.exists() and not diff.exists()

    # 4. The view changes (one circle recoloured): fail, write actual + diff, name them.
    original = baseline.read_bytes()
    write_user_project(pytester, colour="#d62728")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*does not match baseline*pixels differ*",
                                 f"*actual image: {actual}*", f"*diff image:*{diff}*"])
    # Said once (not again as an exception raised "during handling" of the first one).
    # (Counted in the failure report: under CI=true pytest also repeats the whole message, untruncated,
    # in its short summary.)
    report = result.stdout.str().split("short test summary info")[0]
    assert report.count("actual image:") == 1
    assert "During handling" not in result.stdout.str()
    assert actual.exists() and diff.exists()
    assert baseline.read_bytes() == original
    assert not compare_images(actual, baseline).matches
    assert "environment differs" not in result.stdout.str()  # same machine, same browser

    # 5. The same failure against a baseline made elsewhere says so, in the same message.
    write_environment(baseline, dict(recorded, browser="Chromium 1.0"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*baseline made with browser Chromium 1.0; this run: browser "
                                 f"Chromium {browser_version}*"])
    # (Counted in the failure report: under CI=true pytest also repeats the whole message, untruncated,
    # in its short summary.)
    report = result.stdout.str().split("short test summary info")[0]
    assert report.count("actual image:") == 1
    # What was drawn is recorded beside the picture too, and the recoloured circle is named.
    result.stdout.fnmatch_lines(["*What was drawn differs too (test_view.structure.json)*"
                                 "fill_color*d62728*ff7f0e*"])

    # 6. A browser that rasterises the same drawing differently (simulated: another picture as
    # the PNG baseline): the pixels fail, saying the drawing matches; the structure passes.
    write_user_project(pytester)
    from PIL import Image, ImageOps
    Image.open(baseline).convert("RGB").save(baseline)
    ImageOps.invert(Image.open(baseline)).save(baseline)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*What was drawn matches test_view.structure.json*"])
    result = pytester.runpytest("-p", "no:cacheprovider", "--snapshot-structure-only")
    result.assert_outcomes(passed=1)
    write_user_project(pytester, colour="#d62728")
    result = pytester.runpytest("-p", "no:cacheprovider", "--snapshot-structure-only")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*what was drawn differs from*test_view.structure.json*"
                                 "fill_color*"])
    assert default_session().launches == launches  # nine runs, one browser


def test_without_a_browser_the_test_skips_with_install_instructions(pytester, monkeypatch):
    monkeypatch.setenv("GRADVIZ_BROWSER", str(pytester.path / "no-such-chromium"))
    monkeypatch.delenv("GRADVIZ_REQUIRE_BROWSER", raising=False)
    pytester.makepyfile(test_user=NO_BROWSER_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*SKIPPED*no-such-chromium*playwright install chromium*"])


def test_without_a_browser_ci_fails_instead_of_skipping(pytester, monkeypatch):
    monkeypatch.setenv("GRADVIZ_BROWSER", str(pytester.path / "no-such-chromium"))
    monkeypatch.setenv("GRADVIZ_REQUIRE_BROWSER", "1")
    pytester.makepyfile(test_user=NO_BROWSER_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*GRADVIZ_REQUIRE_BROWSER=1*"])


def test_plugin_is_registered_and_imports_nothing_heavy(pytester):
    pytester.makepyfile(test_light='''
        import sys

        def test_light(request):
            assert request.config.getoption("--update-baselines") is False
            heavy = [m for m in ("panel", "bokeh", "playwright") if m in sys.modules]
            assert heavy == []
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
