"""The browser explorer (Panel + Bokeh). Importing this imports Panel; the core never does.

``Explorer(root, names=None, gradient=None, retain_graph=False)`` is the component;
``gradviz.explore(root)`` builds one with the caller's variable names. See ``explorer``.
"""
from .explorer import Explorer, NoPass  # noqa: F401

__all__ = ["Explorer", "NoPass"]
