"""One explorer and a chooser of example graphs (``gradviz.examples``).

Choosing an example rebuilds the explorer for it (a fresh graph, per session) and shows the
example's description and the exact code that built it.

    panel serve apps/playground.py      # or: gradviz serve playground
"""
from __future__ import annotations

import re

import numpy as np
import panel as pn
import param

from .. import examples
from ..viz.editors import literal_of
from . import graphs, page


def edited_inputs(example, explorer) -> dict:
    """``{name: array}`` of the explorer's inputs whose value differs from the example's."""
    out = {}
    for nid, editor in getattr(explorer, "editors", {}).items():
        original = example.names.get(editor.name_label)
        current = explorer.G.graph["objects"].get(nid)
        if original is None or current is None:
            continue
        a, b = np.asarray(original.detach().numpy()), np.asarray(current._array)
        if a.shape != b.shape or not np.array_equal(a, b):
            out[editor.name_label] = b
    return out


def code_with_inputs(code: str, values: dict) -> str:
    """``code`` with each ``name = torch.tensor(<literal>, ...)`` given the value in ``values``;
    a name not assigned that way (drawn at random, a module's parameter) is listed in a
    comment before the backward call."""
    rest = []
    for name, value in values.items():
        m = re.search(rf"^([ \t]*){re.escape(name)}\s*=\s*torch\.tensor\(", code, flags=re.M)
        end = _first_argument_end(code, m.end()) if m else None
        if end is None:
            rest.append(f"# edited in the explorer: {name} = {' '.join(literal_of(value).split())}")
            continue
        column = m.end() - (code.rfind("\n", 0, m.end()) + 1)
        literal = literal_of(value).replace("\n", "\n" + " " * column)
        code = code[:m.end()] + literal + code[end:]
    if rest:
        marker = code.find("# the explorer steps through:")
        at = marker if marker >= 0 else len(code)
        code = code[:at] + "\n".join(rest) + "\n" + code[at:]
    return code


def _first_argument_end(code: str, start: int):
    """Where the first argument of a call starting at ``start`` ends (at its ``,`` or ``)``)."""
    depth = 0
    for i in range(start, len(code)):
        c = code[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return i
            depth -= 1
        elif c == "," and depth == 0:
            return i
    return None


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
        try:
            ex = examples.build(self.example)
        except ImportError as e:  # the PyTorch example without torch installed: say how to get it
            self._example, self.explorer = None, None
            self.description.object = str(e)
            self.code.object = ""
            self.graph.objects = []
            return
        self._example = ex
        self.explorer = graphs.explorer(ex.root, ex.names, **ex.kwargs)
        self.description.object = ex.description
        self._shown_code = None
        self._update_code()
        # Every action, an input edit (or Back over one) included, rewrites the sentence.
        self.explorer.param.watch(self._update_code, "sentence")
        self.graph.objects = [self.explorer]

    def _update_code(self, *_) -> None:
        """Show the example's code with the values its inputs hold now in the explorer, so
        that the code beside the graph is still the code that builds it."""
        if self._example is None:
            return
        code = code_with_inputs(self._example.code, edited_inputs(self._example, self.explorer))
        if code != self._shown_code:
            self._shown_code = code
            self.code.object = f"```python\n{code.rstrip()}\n```"

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
