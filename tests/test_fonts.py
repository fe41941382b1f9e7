"""gradviz's pages draw their text with the fonts gradviz ships, not the machine's.

The proof is a browser that knows a single font of the machine's, a serif (fontconfig pointed
at a directory holding only that): a gradviz view must come out pixel for pixel as in a
browser with all of the machine's fonts, while a control page that asks for ``sans-serif`` and
``monospace`` comes out different (so that browser really lacks the usual fonts, and the test
can fail). This holds whatever fonts the
machine has installed; ``.ci/run`` also installs packages that change what ``sans-serif`` and
Helvetica mean, and the screenshot baselines must still match there.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import gradviz

PACKAGE = Path(gradviz.__file__).parent
FONTS = PACKAGE / "viz" / "fonts"


# --- the files ---------------------------------------------------------------------------------
def test_every_face_is_shipped_with_its_licences():
    faces = json.loads((FONTS / "faces.json").read_text())
    assert {f["family"] for f in faces} == {"gradviz Sans", "gradviz Mono"}
    assert {(f["family"], f["weight"]) for f in faces} >= {
        ("gradviz Sans", 400), ("gradviz Sans", 700), ("gradviz Mono", 400), ("gradviz Mono", 700)}
    for face in faces:
        data = (FONTS / face["file"]).read_bytes()
        assert data[:4] == b"wOF2", face["file"]  # WOFF2 signature
    assert "SIL Open Font License" in (FONTS / "LICENSE-Liberation.txt").read_text()
    assert "Bitstream" in (FONTS / "LICENSE-DejaVu.txt").read_text()


def _ui_characters() -> set[str]:
    """Every non-ASCII character in a string literal of gradviz's code: what its pages can show."""
    chars = set()
    for path in PACKAGE.rglob("*.py"):
        if "fonts" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                chars.update(c for c in node.value if ord(c) > 126 and c.isprintable()
                             and not c.isspace())
    return chars


def test_the_faces_cover_every_character_gradviz_writes():
    # A character missing from the faces would be drawn with whatever the machine has.
    ttlib = pytest.importorskip("fontTools.ttLib", reason="fontTools (the [dev] extra) reads the "
                                                          "font files")
    pytest.importorskip("brotli", reason="brotli (the [dev] extra) decompresses WOFF2")
    covered: dict[str, set[int]] = {}
    for face in json.loads((FONTS / "faces.json").read_text()):
        cmap = set(ttlib.TTFont(FONTS / face["file"]).getBestCmap())
        covered.setdefault(face["family"], set()).update(cmap)
    wanted = {ord(c) for c in _ui_characters()}
    assert len(wanted) > 20  # the scan found the ×, ·, ∂, →, Greek ... that gradviz uses
    for family, cmap in covered.items():
        missing = sorted(chr(c) for c in wanted - cmap)
        assert not missing, f"{family} lacks {''.join(missing)}: add them in build.py"


def test_the_page_css_declares_every_face_as_a_data_url():
    from gradviz.viz import fonts

    css = fonts.document_css()
    faces = json.loads((FONTS / "faces.json").read_text())
    assert css.count("@font-face") == len(faces) + 2  # and Bokeh's default font, twice
    assert css.count("url(data:font/woff2;base64,") == css.count("@font-face")
    assert "http" not in css
    assert fonts.SANS_STACK.startswith("'gradviz Sans'")
    assert fonts.MONO_STACK.startswith("'gradviz Mono'")


# --- in a browser ------------------------------------------------------------------------------
CONTROL_HTML = """<div style="font: 24px sans-serif; padding: 20px">Backward · ∂L/∂w = 0.1503</div>
<div style="font: 24px monospace; padding: 20px">tensor([1., 2., 3.])</div>"""


def _control_view():
    import panel as pn

    return pn.pane.HTML(CONTROL_HTML, width=600, height=160)


def _seed_view():
    from gradviz import examples
    from gradviz.apps.graphs import explorer

    ex = examples.build("seed")
    return explorer(ex.root, ex.names, **ex.kwargs)


def _tutorial_view():
    from gradviz.apps import factory

    return factory("tutorial")()


def _odd_font() -> Path | None:
    """A font file unlike the ones gradviz bundles (a serif, preferably), to be the only font
    a browser has."""
    roots = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
    files = sorted(p for root in roots if root.is_dir() for p in root.rglob("*")
                   if p.suffix.lower() in (".ttf", ".otf"))
    serif = [p for p in files if "Serif" in p.name and "Sans" not in p.name]
    others = [p for p in files if not p.name.startswith(("LiberationSans", "DejaVuSans"))]
    return (serif or others or [None])[0]


@pytest.fixture(scope="module")
def fontless_session(tmp_path_factory):
    """A browser that knows one font only, a serif unlike gradviz's: fontconfig keeps the
    machine's rendering rules (hinting, antialiasing) but none of its fonts but that one."""
    from gradviz.testing import SnapshotSession, require_browser

    browser = require_browser()
    if not Path("/etc/fonts/conf.d").is_dir():
        pytest.skip("needs fontconfig (Linux) to give the browser other fonts")
    odd = _odd_font()
    if odd is None:
        pytest.skip("no font file found to be the browser's only font (apt-get install "
                    "fonts-dejavu-core)")
    root = tmp_path_factory.mktemp("fontless")
    (root / "fonts").mkdir()
    (root / "fonts" / odd.name).symlink_to(odd)
    conf = root / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/conf.d</include>
  <dir>{root / 'fonts'}</dir>
  <cachedir>{root / 'cache'}</cachedir>
</fontconfig>
""")
    session = SnapshotSession(browser.path, env={"FONTCONFIG_FILE": str(conf),
                                                 "FONTCONFIG_PATH": str(root)})
    yield session
    session.close()


@pytest.fixture(scope="module")
def usual_session():
    from gradviz.testing import SnapshotSession, require_browser

    session = SnapshotSession(require_browser().path)
    yield session
    session.close()


@pytest.mark.browser
def test_the_fontless_browser_really_lacks_the_usual_fonts(usual_session, fontless_session):
    from gradviz.testing import compare_images

    usual = usual_session.snapshot(_control_view, width=640, height=200)
    fontless = fontless_session.snapshot(_control_view, width=640, height=200)
    assert not compare_images(fontless, usual).matches


@pytest.mark.browser
@pytest.mark.parametrize("view, size", [(_seed_view, (1200, 800)), (_tutorial_view, (1200, 1000))],
                         ids=["seed-explorer", "tutorial-app"])
def test_gradviz_pages_draw_the_same_pixels_without_the_machines_fonts(
        usual_session, fontless_session, view, size, tmp_path_factory):
    from gradviz.testing import compare_images

    width, height = size
    kwargs = dict(width=width, height=height, step=4) if view is _seed_view else \
        dict(width=width, height=height)
    usual = usual_session.snapshot(view, **kwargs)
    fontless = fontless_session.snapshot(view, **kwargs)
    # Not one pixel off by more than antialiasing noise (the same browser renders the same
    # view byte-identically run to run, apart from a few levels on a few edge pixels).
    result = compare_images(fontless, usual, tolerance=16, max_fraction=0.0)
    if not result.matches:
        import numpy as np

        out = tmp_path_factory.mktemp("font-mismatch")
        (out / "usual.png").write_bytes(usual)
        (out / "fontless.png").write_bytes(fontless)
        ys, xs = np.nonzero(result.mask)
        pytest.fail(f"{result.summary()}, within x {xs.min()}..{xs.max()}, y {ys.min()}.."
                    f"{ys.max()}; both pictures are in {out}", pytrace=False)
