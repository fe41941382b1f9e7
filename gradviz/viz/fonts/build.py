"""Make the fonts gradviz ships, from the Debian font packages, with fontTools.

    apt-get install fonts-liberation2 fonts-dejavu-core
    pip install "gradviz[dev]"            # fontTools with WOFF2 (brotli): a build tool only
    python gradviz/viz/fonts/build.py     # rewrites gradviz/viz/fonts/*.woff2 and faces.json

The output is committed: gradviz never runs this at run time, and its users need neither
fontTools nor these packages. Run it again only to change which characters are kept.

Three faces, each subset to the characters gradviz draws (Latin, digits, punctuation, Greek,
arrows, sub- and superscripts, the math operators of derivative rules) and without hinting
(the screenshots render with ``--font-render-hinting=none``):

- "gradviz Sans" is Liberation Sans 2 (SIL Open Font License 1.1), metric-compatible with
  Arial, the look gradviz was designed with;
- "gradviz Sans" also takes DejaVu Sans (Bitstream Vera licence) for the characters Liberation
  Sans lacks (``⁻ ₖ ∇ ⊗ ⋅`` ...), declared with a ``unicode-range`` so the browser takes them
  from here instead of from whatever the machine has;
- "gradviz Mono" is DejaVu Sans Mono.
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
    (0x00A0, 0x017F),  # Latin-1 Supplement (× · ± ² µ ...), Latin Extended-A
    (0x0300, 0x0308), (0x030A, 0x030A), (0x0327, 0x0327),  # combining accents (ŷ as y + ̂)
    (0x0391, 0x03A9), (0x03B1, 0x03C9), (0x03D1, 0x03D1), (0x03D5, 0x03D5), (0x03F5, 0x03F5),
    (0x1D2C, 0x1D6A),  # modifier letters (ᵀ ᵃ ᵢ ...)
    (0x2010, 0x2027), (0x2030, 0x2033), (0x2039, 0x203A), (0x2044, 0x2044),
    (0x2070, 0x209C),  # superscripts and subscripts (⁻¹ ₀ ₙ ...)
    (0x2190, 0x2199), (0x21D0, 0x21D5),  # arrows
    # mathematical operators: ∀ ∂ ∃ ∅ ∇ ∈ ∉ ∏ ∑ − ∓ ∗ ∘ √ ∝ ∞ ∧ ∨ ∩ ∪ ∫ ≈ ≠ ≡ ≤ ≥ ⊕ ⊖ ⊗ ⊘ ⊙ ⋅ ⋯
    (0x2200, 0x2200), (0x2202, 0x2203), (0x2205, 0x2205), (0x2207, 0x2209), (0x220F, 0x220F),
    (0x2211, 0x2213), (0x2217, 0x2218), (0x221A, 0x221A), (0x221D, 0x221E), (0x2227, 0x222B),
    (0x2248, 0x2248), (0x2260, 0x2261), (0x2264, 0x2265), (0x2295, 0x2299), (0x22C5, 0x22C5),
    (0x22EF, 0x22EF),
    (0x25A0, 0x25A1), (0x25B2, 0x25C1), (0x25CB, 0x25CB), (0x25CF, 0x25CF),  # ▲ ▶ ▾ ◀ ● ...
    (0x2713, 0x2714), (0x2717, 0x2718),  # check marks
    (0xFFFD, 0xFFFD),
]

# (output file, source file, CSS family, weight, what the face covers)
FACES = [
    ("gradviz-sans.woff2", "liberation2/LiberationSans-Regular.ttf", "gradviz Sans", 400, "main"),
    ("gradviz-sans-bold.woff2", "liberation2/LiberationSans-Bold.ttf", "gradviz Sans", 700, "main"),
    ("gradviz-sans-extra.woff2", "dejavu/DejaVuSans.ttf", "gradviz Sans", 400, "extra"),
    ("gradviz-sans-extra-bold.woff2", "dejavu/DejaVuSans-Bold.ttf", "gradviz Sans", 700, "extra"),
    ("gradviz-mono.woff2", "dejavu/DejaVuSansMono.ttf", "gradviz Mono", 400, "main"),
    ("gradviz-mono-bold.woff2", "dejavu/DejaVuSansMono-Bold.ttf", "gradviz Mono", 700, "main"),
]
MAIN_OF = {"gradviz-sans-extra.woff2": "liberation2/LiberationSans-Regular.ttf",
           "gradviz-sans-extra-bold.woff2": "liberation2/LiberationSans-Bold.ttf"}


def wanted() -> list[int]:
    return [c for lo, hi in RANGES for c in range(lo, hi + 1)]


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
    for name, source, family, weight, role in FACES:
        src = SOURCES / source
        if not src.exists():
            print(f"build: {src} is missing: apt-get install fonts-liberation2 "
                  "fonts-dejavu-core", file=sys.stderr)
            return 1
        have = _cmap(src)
        codepoints = [c for c in wanted() if c in have]
        if role == "extra":  # only what the main face of the family lacks
            main_cmap = _cmap(SOURCES / MAIN_OF[name])
            codepoints = [c for c in codepoints if c not in main_cmap]
        out = HERE / name
        subset(src, codepoints, out, family, weight, source)
        manifest.append({"file": name, "family": family, "weight": weight,
                         "source": source, "codepoints": codepoints if role == "extra" else None,
                         "sha256": hashlib.sha256(out.read_bytes()).hexdigest()})
        print(f"{name}: {len(codepoints)} characters, {out.stat().st_size} bytes")
    (HERE / "faces.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
