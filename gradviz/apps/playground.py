"""One explorer and a chooser of example graphs (``gradviz.examples``).

Choosing an example rebuilds the explorer for it (a fresh graph, per session) and shows the
example's description and the exact code that built it.

    panel serve apps/playground.py      # or: gradviz serve playground
"""
from __future__ import annotations

import panel as pn
import param

from .. import examples
from . import graphs, page


class PlaygroundApp(pn.viewable.Viewer):
    """The chooser, the example's description and code, and its explorer."""

    example = param.Selector(objects=list(examples.EXAMPLES), default="seed",
                             doc="Name of the example on show (see gradviz.examples.EXAMPLES).")

    def __init__(self, **params):
        super().__init__(**params)
        self.chooser = pn.widgets.Select(
            label="Example graph", value=self.example, sizing_mode="stretch_width",
            options={examples.TITLES[k]: k for k in examples.EXAMPLES})
        self.chooser.link(self, value="example", bidirectional=True)
        self.description = page.prose("")
        self.code = page.code_block("")
        self.graph = pn.Column(sizing_mode="stretch_width")
        self.explorer = None
        self._rebuild()

    @param.depends("example", watch=True)
    def _rebuild(self) -> None:
        ex = examples.build(self.example)
        self.explorer = graphs.explorer(ex.root, ex.names, **ex.kwargs)
        self.description.object = ex.description
        self.code.object = f"```python\n{ex.code.rstrip()}\n```"
        self.graph.objects = [self.explorer]

    def header(self) -> pn.Row:
        """The chooser and description beside the example's code."""
        return pn.Row(pn.Column(self.chooser, self.description, width=420),
                      pn.Column(page.label("Code"), self.code, sizing_mode="stretch_width"),
                      sizing_mode="stretch_width")

    def __panel__(self):
        return pn.Column(self.header(), self.graph, sizing_mode="stretch_width")


def create_app() -> pn.template.BootstrapTemplate:
    """A fresh playground page for one session.

    No sidebar: the explorer needs the width (its graph is scaled to fit)."""
    initial = page.query_value("example", list(examples.EXAMPLES))
    app = PlaygroundApp(**({"example": initial} if initial else {}))
    if pn.state.location is not None:  # ?example=mlp opens that example
        pn.state.location.sync(app, {"example": "example"})
    return page.template("Playground", main=[app.header(), app.graph])
