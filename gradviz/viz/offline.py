"""Saved pages that ask the internet for nothing: Panel's stylesheets inlined.

``save(..., resources=INLINE)`` inlines Bokeh's and Panel's JavaScript, but in Panel 1.9 the
components of a saved page still import some of Panel's own stylesheets from its CDN
(``https://cdn.holoviz.org/panel/<version>/dist/...``; holoviz/panel#6759): offline the page
loses part of its styling, and online it reports to a third party whenever it is opened.
Panel ships every one of those files in its package, so a saved page can carry them itself:
:func:`inline_panel_resources` rewrites each such URL into a ``data:`` URL of the local file.
"""
from __future__ import annotations

import base64
import mimetypes
import os
import re
from pathlib import Path

_CDN = re.compile(r"https://cdn\.holoviz\.org/panel/[^/\"'\s]+/dist/([^\"'\s?#)]+)"
                  r"(?:\?[^\"'\s#)]*)?")
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|https?:|/|#)([^'\")]+)\1\s*\)")


def _dist_dir() -> Path:
    import panel

    return Path(panel.__file__).parent / "dist"


def _data_url(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    data = path.read_bytes()
    if mime == "text/css":
        data = _inline_css_urls(data.decode("utf-8"), path.parent).encode("utf-8")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _inline_css_urls(css: str, folder: Path) -> str:
    """A stylesheet's relative ``url(...)`` references (fonts, images) as ``data:`` URLs, since
    relative to a ``data:`` stylesheet they would resolve nowhere."""
    def replace(match):
        target = (folder / match.group(2).split("?")[0].split("#")[0]).resolve()
        if target.is_file():
            return f"url({_data_url(target)})"
        return match.group(0)

    return _CSS_URL.sub(replace, css)


def inline_panel_resources(html: str) -> str:
    """``html`` with every URL of Panel's CDN that names a file Panel ships replaced by a
    ``data:`` URL of that file. URLs of files Panel does not ship are left alone."""
    dist = _dist_dir()
    cache: dict[str, str] = {}

    def replace(match):
        rel = match.group(1)
        if rel not in cache:
            path = dist / rel
            cache[rel] = _data_url(path) if path.is_file() else match.group(0)
        return cache[rel]

    return _CDN.sub(replace, html)


def inline_saved_file(filename) -> None:
    """Rewrite a saved HTML file in place with :func:`inline_panel_resources` (file names
    only; a file object was written by the caller and is left as it is)."""
    if not isinstance(filename, (str, os.PathLike)):
        return
    path = Path(filename)
    html = path.read_text(encoding="utf-8")
    inlined = inline_panel_resources(html)
    if inlined != html:
        path.write_text(inlined, encoding="utf-8")


def notebook_extension() -> bool:
    """In a Jupyter kernel, load Panel's code into the notebook once, inline (so a notebook
    opened offline, or saved and exported to HTML, carries it), unless the notebook loaded it
    already with ``pn.extension()``. Outside a kernel (a script, a server) does nothing.
    Returns whether it loaded it now."""
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return False
    import panel as pn

    if getattr(pn.extension, "_loaded", False):
        return False
    pn.extension(inline=True)
    return True
