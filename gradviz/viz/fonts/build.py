"""Make the fonts gradviz ships, from the Debian font packages, with fontTools.

    apt-get install fonts-liberation2 fonts-dejavu-core
    pip install "gradviz[dev]"            # fontTools with WOFF2 (brotli): a build tool only
    python gradviz/viz/fonts/build.py     # rewrites gradviz/viz/fonts/*.woff2 and faces.json

The output is committed: gradviz never runs this at run time, and its users need neither
fontTools nor these packages. Run it again only to change which characters are kept.

Two families, each subset to the characters gradviz's pages draw and without hinting (the
screenshots render with ``--font-render-hinting=none``):

- "gradviz Sans" is Liberation Sans 2 (SIL Open Font License 1.1), metric-compatible with
  Arial, the look gradviz was designed with;
- "gradviz Mono" is DejaVu Sans Mono (Bitstream Vera licence). It has every character kept,
  including the few maths signs Liberation Sans lacks (``⁻ ₖ ∇ ⊗ ⋅ ▶`` ...): the sans stack
  names "gradviz Mono" second, so the browser draws those from it rather than from whatever
  the machine has (a separate DejaVu Sans face for ten signs cost a page 11 kB).

Which characters (every saved page carries the faces, so each glyph costs bytes on every page):
English text, digits and ASCII punctuation; Latin-1 as a margin (accented names, ``× · ± ²
µ``; Mono, which draws no names, only the signs of Latin-1); the typographic punctuation,
Greek letters, super- and subscripts, arrows and maths operators that gradviz's own texts use
(derivative rules, the tutorial, sentences: tests/test_fonts.py scans every string gradviz
writes and fails on a character not kept here) and nothing more (each character kept costs
every page ~60 bytes per face). Not kept: other Greek letters, Latin Extended, Cyrillic, box
drawing, dingbats (nothing in gradviz draws them; a label that uses them is drawn in the
machine's font, and ``gradviz.viz.fonts.uncovered`` says which: ``Explorer`` warns about such
labels).

Which faces a page carries: the explorer draws Sans in both weights and Mono in regular only;
Mono bold (code keywords, the playground's value table) is declared by the apps' pages only.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SOURCES = Path("/usr/share/fonts/truetype")

# The characters kept, as inclusive code point ranges.
RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement (× · ± ² µ é ...): the margin for names and prose
    (0x011D, 0x011D),  # ĝ (normalisation rules)
    (0x0302, 0x0304), (0x0307, 0x0307),  # combining ̂ ̃ ̄ ̇ (ŷ, x̄ written as letter + accent)
    # Greek that gradviz writes: Π Σ Φ α β δ ε μ π σ φ
    (0x03A0, 0x03A0), (0x03A3, 0x03A3), (0x03A6, 0x03A6), (0x03B1, 0x03B2), (0x03B4, 0x03B5),
    (0x03BC, 0x03BC), (0x03C0, 0x03C0), (0x03C3, 0x03C3), (0x03C6, 0x03C6),
    (0x1D40, 0x1D40), (0x1D43, 0x1D43), (0x1D47, 0x1D47), (0x1D57, 0x1D57),
    (0x1D62, 0x1D62),  # ᵀ ᵃ ᵇ ᵗ ᵢ
    (0x2013, 0x2014), (0x2016, 0x2016), (0x2018, 0x2019), (0x201C, 0x201D), (0x2022, 0x2022),
    (0x2026, 0x2026),  # – — ‖ ‘ ’ “ ” • …
    (0x207B, 0x207B), (0x207F, 0x207F),  # ⁻ ⁿ (¹ ² ³ are Latin-1)
    (0x2080, 0x2082), (0x2096, 0x2096), (0x2099, 0x209A),  # ₀ ₁ ₂ ₖ ₙ ₚ
    (0x2190, 0x2190), (0x2192, 0x2192),  # ← →
    # maths: ∂ ∇ − √ ≤ ≥ ⊗ ⋅
    (0x2202, 0x2202), (0x2207, 0x2207), (0x2212, 0x2212), (0x221A, 0x221A), (0x2264, 0x2265),
    (0x2297, 0x2297), (0x22C5, 0x22C5),
    (0x25B6, 0x25B6), (0x25BE, 0x25BE), (0x25C0, 0x25C0),  # ▶ ▾ ◀ (search, scope frames)
    (0xFFFD, 0xFFFD),  # the replacement character
]

# (output file, source file, CSS family, weight, which pages declare it: "all" or "apps")
FACES = [
    ("gradviz-sans.woff2", "liberation2/LiberationSans-Regular.ttf", "gradviz Sans", 400, "all"),
    ("gradviz-sans-bold.woff2", "liberation2/LiberationSans-Bold.ttf", "gradviz Sans", 700, "all"),
    ("gradviz-mono.woff2", "dejavu/DejaVuSansMono.ttf", "gradviz Mono", 400, "all"),
    ("gradviz-mono-bold.woff2", "dejavu/DejaVuSansMono-Bold.ttf", "gradviz Mono", 700, "apps"),
]


# What the mono face leaves out of Latin-1: all but the signs numbers and formulas use (no-break
# space ° ± ² ³ µ · ¹ ½ × ÷). Mono draws numbers, arrays, derivative rules and code, which
# gradviz writes (the test scans them); names a user gives, where the margin matters, are drawn
# in Sans.
MONO_LEAVES_OUT = set(range(0x00A1, 0x0100)) - {0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B5, 0x00B7,
                                                 0x00B9, 0x00BD, 0x00D7, 0x00F7}


def wanted(family: str = "gradviz Sans") -> list[int]:
    out = [c for lo, hi in RANGES for c in range(lo, hi + 1)]
    if family == "gradviz Mono":
        out = [c for c in out if c not in MONO_LEAVES_OUT]
    return out


def _spans(codepoints) -> list:
    """Code points as ``[first, last]`` runs (what faces.json records a face covers)."""
    spans: list = []
    for c in sorted(codepoints):
        if spans and c == spans[-1][1] + 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return spans


def _cmap(path: Path) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(path).getBestCmap())


def subset(source: Path, codepoints: list[int], out: Path, family: str, weight: int,
           source_name: str) -> None:
    from fontTools import subset as ft_subset

    options = ft_subset.Options()
    options.flavor = "woff2"
    options.hinting = False          # rendered unhinted anyway
    options.desubroutinize = True
    options.layout_features = ["kern", "liga", "ccmp", "locl", "mark", "mkmk"]
    options.name_IDs = ["*"]         # keep the copyright and licence records
    options.name_languages = ["*"]
    font = ft_subset.load_font(str(source), options)
    sub = ft_subset.Subsetter(options)
    sub.populate(unicodes=codepoints)
    sub.subset(font)
    _rename(font, family, weight, source_name)
    ft_subset.save_font(font, str(out), options)


def _rename(font, family: str, weight: int, source: str) -> None:
    """Give the subset its own name. The fonts' licences ask it of modified versions (the
    OFL's Reserved Font Name "Liberation"; Bitstream Vera's "Bitstream"/"Vera"), and it keeps
    the face apart from any installed original. Copyright and licence records stay."""
    style = "Bold" if weight >= 700 else "Regular"
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 2, 3, 4, 6, 16, 17, 21, 22):
            names.removeNames(nameID=rec.nameID)
    for name_id, text in ((1, family), (2, style), (3, f"gradviz: {family} {style}"),
                          (4, f"{family} {style}" if style != "Regular" else family),
                          (6, f"{family.replace(' ', '')}-{style}"),
                          (10, f"A subset of {Path(source).stem} made for gradviz by "
                               "gradviz/viz/fonts/build.py")):
        names.setName(text, name_id, 3, 1, 0x409)
        names.setName(text, name_id, 1, 0, 0)


def main(argv=None) -> int:
    try:
        import brotli  # noqa: F401  (WOFF2 compression)
        import fontTools  # noqa: F401
    except ImportError as exc:
        print(f"build: needs fontTools with brotli: pip install \"gradviz[dev]\" ({exc})",
              file=sys.stderr)
        return 1
    manifest = []
    for name, source, family, weight, pages in FACES:
        src = SOURCES / source
        if not src.exists():
            print(f"build: {src} is missing: apt-get install fonts-liberation2 "
                  "fonts-dejavu-core", file=sys.stderr)
            return 1
        codepoints = [c for c in wanted(family) if c in _cmap(src)]
        out = HERE / name
        subset(src, codepoints, out, family, weight, source)
        manifest.append({"file": name, "family": family, "weight": weight, "pages": pages,
                         "source": source, "covers": _spans(codepoints),
                         "sha256": hashlib.sha256(out.read_bytes()).hexdigest()})
        print(f"{name}: {len(codepoints)} characters, {out.stat().st_size} bytes")
    for old in HERE.glob("*.woff2"):  # faces no longer made
        if old.name not in {f[0] for f in FACES}:
            old.unlink()
    (HERE / "faces.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
