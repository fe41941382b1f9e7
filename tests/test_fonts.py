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
    """Every non-ASCII character in a string literal of gradviz's code and in its JavaScript:
    what its pages can show."""
    chars = set()
    for path in PACKAGE.rglob("*.py"):
        if "fonts" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                chars.update(c for c in node.value if ord(c) > 126 and c.isprintable()
                             and not c.isspace())
    for path in PACKAGE.rglob("*.js"):
        chars.update(c for c in path.read_text(encoding="utf-8") if ord(c) > 126
                     and c.isprintable() and not c.isspace())
    return chars


def _formatted_numbers() -> str:
    """What gradviz's number formatting writes for values of every kind (signs, exponents,
    NaN, infinities, integers, booleans, large and tiny magnitudes)."""
    import numpy as np

    from gradviz.viz.graph_view import format_array, summarize_array

    samples = [np.array(0.1503), np.array([-1.5e-12, 3.25e17, np.nan, np.inf, -np.inf]),
               np.arange(-7, 8).reshape(3, 5), np.array([True, False]),
               np.linspace(-1, 1, 40).reshape(4, 10), np.array([[1e-300, -0.0]]),
               np.full((20, 20), 7.0, dtype=np.float32), np.array(2**40, dtype=np.int64)]
    out = []
    for a in samples:
        out.append(format_array(a))
        out.append(summarize_array(a))
    out.append(repr(gradviz.tensor([[1.5, -2.0], [float("nan"), 3e-8]], requires_grad=True)))
    return "".join(out)


def _face_cmaps() -> dict:
    ttlib = pytest.importorskip("fontTools.ttLib", reason="fontTools (the [dev] extra) reads the "
                                                          "font files")
    pytest.importorskip("brotli", reason="brotli (the [dev] extra) decompresses WOFF2")
    return {(f["family"], f["weight"]): set(ttlib.TTFont(FONTS / f["file"]).getBestCmap())
            for f in json.loads((FONTS / "faces.json").read_text())}


def _drawn_by_page_faces(cmaps, family, weight) -> set:
    """The characters a gradviz page draws with bundled faces in ``family`` at ``weight``, read
    from the font files: the face itself (or the regular one, emboldened, where no face of
    that weight is declared on every page), then, for Sans, the Mono face its stack names
    next."""
    from gradviz.viz import fonts

    every_page = {(f["family"], f["weight"]) for f in fonts.faces(apps=False)}
    chain = ["gradviz Sans", "gradviz Mono"] if family == "gradviz Sans" else [family]
    assert fonts.SANS_STACK.startswith("'gradviz Sans','gradviz Mono'")
    out = set()
    for fam in chain:
        w = weight if (fam, weight) in every_page else 400
        out |= cmaps[(fam, w)]
    return out


@pytest.mark.parametrize("family, weight", [("gradviz Sans", 400), ("gradviz Sans", 700),
                                            ("gradviz Mono", 400)])
def test_the_faces_cover_every_character_gradviz_writes(family, weight):
    # A character missing from the faces would be drawn with whatever the machine has.
    cmaps = _face_cmaps()
    wanted = {ord(c) for c in _ui_characters()}
    assert len(wanted) > 20  # the scan found the ×, ·, ∂, →, Greek ... that gradviz uses
    wanted |= {ord(c) for c in _formatted_numbers() if not c.isspace()}
    missing = sorted(chr(c) for c in wanted - _drawn_by_page_faces(cmaps, family, weight))
    assert not missing, f"{family} {weight} lacks {''.join(missing)}: add them in build.py"


def test_what_faces_json_says_a_face_covers_is_what_its_file_has():
    # fonts.uncovered() answers from faces.json; the files decide what is drawn.
    from gradviz.viz import fonts

    cmaps = _face_cmaps()
    for face in fonts.faces(apps=True):
        listed = {c for lo, hi in face["covers"] for c in range(lo, hi + 1)}
        assert listed == cmaps[(face["family"], face["weight"])], face["file"]


def test_uncovered_names_characters_the_bundled_faces_lack():
    from gradviz.viz import fonts

    assert fonts.uncovered("loss · ∂L/∂w = 0.1503 × 2 → b.grad (é, σ, ∇)") == ""
    assert fonts.uncovered("вес w₁ ∮", fonts.MONO) == "вес∮"
    assert fonts.uncovered("вес", fonts.SANS, 700) == "вес"


def test_a_label_the_fonts_cannot_draw_is_warned_about_not_silently_swapped():
    from gradviz.viz import fonts
    from gradviz.viz.explorer import Explorer

    w = gradviz.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with pytest.warns(fonts.FontCoverageWarning, match="вес"):
        Explorer(loss, names={"вес": w, "loss": loss})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", fonts.FontCoverageWarning)
        Explorer(loss, names={"w": w, "loss": loss})  # Latin names: no warning


def test_the_page_css_declares_the_faces_it_draws_as_data_urls():
    from gradviz.viz import fonts

    faces = json.loads((FONTS / "faces.json").read_text())
    page = fonts.document_css()
    apps = fonts.document_css(apps=True)
    # The explorer draws Sans in both weights and Mono regular; Mono bold is the apps' (code).
    assert page.count("@font-face") == len(faces) - 1
    assert "font-family: 'gradviz Mono'; font-style: normal; font-weight: 700" not in page
    assert apps.count("@font-face") == len(faces)
    for css in (page, apps):
        assert css.count("url(data:font/woff2;base64,") == css.count("@font-face")
        assert "http" not in css
        assert "helvetica" not in css.lower()  # each face once: no alias for Bokeh's default
    assert fonts.SANS_STACK.startswith("'gradviz Sans'")
    assert fonts.MONO_STACK.startswith("'gradviz Mono'")


def test_text_bokeh_leaves_at_its_default_font_gets_the_bundled_one():
    from bokeh.plotting import figure

    from gradviz.viz import fonts
    from gradviz.viz.inspector import Heatmap

    fig = figure(title="t")
    fig.xaxis.visible = False
    assert fonts.use_bundled(fig) > 0
    assert fig.title.text_font == fonts.SANS_STACK
    assert fig.yaxis[0].major_label_text_font == fonts.SANS_STACK
    assert fig.xaxis[0].major_label_text_font == "helvetica"  # hidden: never drawn
    heat = Heatmap("value")
    assert heat.figure.title.text_font == fonts.SANS_STACK
    assert heat.colour_bar.major_label_text_font == fonts.SANS_STACK


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
