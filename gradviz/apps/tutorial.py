"""The seed notebook (PyTorch's autograd tutorial) as a guided walk-through.

One section per notebook cell: the code, a plain-English explanation, what the code prints
(computed live by gradviz) and the graph it builds, in an explorer you can step through.
Sections are built the first time they are shown, per session.

    panel serve apps/tutorial.py        # or: gradviz serve tutorial
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import panel as pn
import param

from ..creation import ones_like
from ..examples import names_in
from . import graphs, notebook as nb, page


@dataclass(frozen=True)
class Section:
    key: str            # stable id, also the ?section= value in the URL
    cell: nb.Cell       # the notebook cell this section is about
    title: str
    nav: str            # short name in the navigator
    explanation: str    # Markdown
    setup: tuple = ()   # cells to run silently before ``cell`` (the notebook's earlier state)
    graph: Callable[[], pn.viewable.Viewable] | None = None  # builds the section's figure


# --- the figures -------------------------------------------------------------------------
def _seed_explorer():
    """The graph of ``loss`` from In [8], fresh and not yet backpropagated."""
    namespace, _ = nb.run(nb.FORWARD)
    return graphs.explorer(namespace["loss"], names_in(namespace), height=graphs.TUTORIAL_HEIGHT)


def _cut_figure(cut_cell: nb.Cell, cut_name: str, recorded_note: str, cut_note: str):
    """Two cards side by side, ``z`` as In [8] recorded it and the tensor ``cut_cell`` leaves
    behind (``z`` under no_grad, or ``z_det``), which has no graph; below, the graph that the
    recorded ``z`` has and the cut one lacks. (The explorer gets the full width: its graph is
    scaled to fit, so a half-width explorer would have unreadable labels.)"""
    with_graph, _ = nb.run(nb.FORWARD)
    cut, _ = nb.run(nb.FORWARD, cut_cell)
    z = with_graph["z"]
    names = {k: v for k, v in names_in(with_graph).items() if k not in ("loss", "y")}
    cards = pn.Row(graphs.tensor_card(z, "z", recorded_note),
                   graphs.tensor_card(cut[cut_name], cut_name, cut_note),
                   sizing_mode="stretch_width")
    return pn.Column(cards, page.label("The graph behind the recorded z"),
                     graphs.explorer(z, names, gradient=ones_like(z),
                                     height=graphs.TUTORIAL_HEIGHT),
                     sizing_mode="stretch_width")


def _no_grad_figure():
    return _cut_figure(
        nb.NO_GRAD, "z",
        "Recorded: z knows it came from an addition, and backward can reach w and b.",
        "Computed inside torch.no_grad(): the same numbers, but no grad_fn and no edges back "
        "to w and b. Nothing to step through.")


def _detach_figure():
    return _cut_figure(
        nb.DETACH, "z_det",
        "Recorded: z is part of the graph.",
        "z.detach() shares z's values but is cut off: a new leaf that does not require grad, "
        "so gradients stop here.")


def _jacobian_explorer():
    namespace, _ = nb.run(nb.JACOBIAN_FORWARD)
    out = namespace["out"]
    return graphs.explorer(out, names_in(namespace),
                           gradient=ones_like(out), retain_graph=True,
                           height=graphs.TUTORIAL_HEIGHT)


def _edits_note(figure) -> pn.viewable.Viewable:
    """Under the code and its output: once an input is edited in the section's explorer, say
    that they are the notebook's own numbers while the graph shows the edited ones (and go
    away when Back undoes the edit)."""
    from ..viz.explorer import Explorer

    try:
        view = Explorer.find(figure)
    except LookupError:
        return pn.Spacer(height=0)
    alert = page.note("", visible=False, margin=(0, 10), css_classes=["gv-edited-note"])

    def show(*_):
        alert.object = (f"You edited the inputs in the explorer ({view.edited}): the graph shows "
                        "your values, the code and its output above are the notebook's. Back in "
                        "the explorer undoes an edit." if view.edited else "")
        alert.visible = bool(view.edited)

    view.param.watch(show, "edited")
    return alert


# --- the sections --------------------------------------------------------------------------
SECTIONS = (
    Section("forward", nb.FORWARD, "Forward: the graph is recorded", "Forward", """
Every operation on a tensor that **requires grad** is written down as it happens. `w` and
`b` are the parameters we want gradients for (the *leaves*); `x` and `y` are plain inputs
(constants). `matmul` and `+` give `z`, and the loss compares `z` with the target `y`.

The picture below is that record: tensors as boxes, and between them the functions that
know how to send gradients backwards. Hover a node to see its value; click it to inspect it
in full.""",
            graph=_seed_explorer),
    Section("grad_fn", nb.GRAD_FN, "grad_fn: every result remembers how it was made", "grad_fn", """
Each computed tensor keeps a reference to the function that produced it, its `grad_fn`.
That object knows the operation's derivative, and points (through `next_functions`) to the
functions that made *its* inputs. `z` came from an addition, so its `grad_fn` is
`AddBackward0`; the loss's is `BinaryCrossEntropyWithLogitsBackward0`.

In the graph these are the function nodes. As in PyTorch, `matmul` of a vector by a matrix
runs as *unsqueeze → mm → squeeze*, but only `MmBackward0` and `SqueezeBackward4` are
recorded: `x` needs no gradient, so nothing has to flow back through its unsqueeze and no
node is made for it (the first entry of `MmBackward0`'s `next_functions` is `None`). In
`next_functions` the leaves `w` and `b` appear as `AccumulateGrad` nodes; the picture draws
the leaf tensors themselves. The address printed (`0x…`) is just where the object lives in
memory.""",
            setup=(nb.FORWARD,), graph=_seed_explorer),
    Section("backward", nb.BACKWARD, "Backward: gradients flow to the leaves", "Backward", """
`loss.backward()` walks the graph from the loss back to the leaves, applying the chain rule
at every function node, and stores ∂loss/∂w in `w.grad` and ∂loss/∂b in `b.grad`.

Press **Step** to watch it happen one event at a time (**Back** undoes a step), or **Run**
for the whole pass. All five rows of `w.grad` are equal: `x` is all ones, so every row of `w`
affects `z` in the same way, and `w.grad` is `x` times `b.grad`.""",
            setup=(nb.FORWARD,), graph=_seed_explorer),
    Section("no_grad", nb.NO_GRAD, "no_grad: compute without recording", "no_grad", """
Recording costs memory and time, and sometimes we only want answers: evaluating a trained
model, or updating weights by hand. Inside `with torch.no_grad():` nothing is recorded. The
result has the same values, but `requires_grad` is `False` and there is no `grad_fn`: the
graph is cut before it starts.

Below, left: `z` as it is normally built. Right: the same `z` computed under `no_grad`, a
lone tensor with nothing to step through. Under them, the graph that only the first one has.""",
            setup=(nb.FORWARD,), graph=_no_grad_figure),
    Section("detach", nb.DETACH, "detach(): cut a tensor out of the graph", "detach()", """
`z.detach()` gives a tensor with the same data as `z` that is not connected to the graph.
Gradients cannot flow through it, so anything computed from `z_det` will not change `w` or
`b`. It is how you freeze part of a network, or take a value out of the graph (to log or
plot it) without keeping the graph alive.""",
            setup=(nb.FORWARD,), graph=_detach_figure),
    Section("jacobian", nb.JACOBIAN, "Non-scalar outputs, accumulation and zero_()", "Jacobian, accumulation, zero_()", """
When the output is a tensor rather than a single number, `backward` needs a starting
gradient `v` of the same shape, and computes the vector–Jacobian product vᵀ·J. Here
`out = (inp + 1)²` transposed, whose derivative is `2·(inp + 1)`: **4** on the diagonal of
`eye(4, 5)` and **2** elsewhere.

`retain_graph=True` keeps the graph alive, and a second `backward` **adds** to `inp.grad`
(8 and 4): gradients accumulate. `inp.grad.zero_()` resets them, and the third call gives 4
and 2 again. Try it below: **Run**, then **Backward again**, then **Zero grads**.""",
            graph=_jacobian_explorer),
)

SECTION_KEYS = tuple(s.key for s in SECTIONS)


def _nav_label(i: int, s: Section) -> str:
    return f"{i + 1}. {s.nav}"


def _cell_label(i: int, s: Section) -> str:
    """Which notebook cell a section shows: its place in the notebook, and the prompt the
    notebook printed (In [8] comes first there: that cell was run again last)."""
    return f"Code  ·  cell {i + 1} of {len(SECTIONS)} in the notebook, shown there as {s.cell.prompt}"


class TutorialApp(pn.viewable.Viewer):
    """The walk-through: a navigator of sections and the current section's content."""

    section = param.Selector(objects=list(SECTION_KEYS), default=SECTION_KEYS[0],
                             doc="Key of the section on show.")

    def __init__(self, **params):
        super().__init__(**params)
        self._built: dict[str, pn.viewable.Viewable] = {}
        self.navigator = pn.widgets.RadioButtonGroup(
            options={_nav_label(i, s): s.key for i, s in enumerate(SECTIONS)},
            value=self.section, color="primary", variant="outline",
            sizing_mode="stretch_width")
        self.navigator.link(self, value="section", bidirectional=True)
        self._previous = pn.widgets.Button(label="← Previous", color="light", width=140)
        self._next = pn.widgets.Button(label="Next →", color="primary", width=140)
        self._previous.on_click(lambda _: self._move(-1))
        self._next.on_click(lambda _: self._move(+1))
        self.content = pn.Column(sizing_mode="stretch_width")
        self._show()

    def _move(self, delta: int) -> None:
        i = SECTION_KEYS.index(self.section) + delta
        if 0 <= i < len(SECTION_KEYS):
            self.section = SECTION_KEYS[i]

    @param.depends("section", watch=True)
    def _show(self) -> None:
        if self.section not in self._built:
            self._built[self.section] = self._build(SECTIONS[SECTION_KEYS.index(self.section)])
        i = SECTION_KEYS.index(self.section)
        self._previous.disabled = i == 0
        self._next.disabled = i == len(SECTIONS) - 1
        self.content.objects = [self._built[self.section],
                                pn.Row(self._previous, pn.HSpacer(), self._next,
                                       sizing_mode="stretch_width", margin=(20, 10))]

    def _build(self, s: Section) -> pn.Column:
        i = SECTIONS.index(s)
        _, printed = nb.run(*s.setup, s.cell)
        # The graph right under the explanation, so that it is on screen when the section
        # opens (1400 x 1000); the code and its output follow, side by side where there is
        # room (notebook lines are up to ~80 characters: they scroll rather than wrap).
        parts = [page.prose(f"## {s.title}", margin=(0, 10)),
                 page.prose(s.explanation.strip(), styles={"max-width": "900px"},
                            margin=(0, 10))]
        figure = s.graph() if s.graph is not None else None
        if figure is not None:
            parts += [page.label("Graph"), figure]
        code = pn.Column(page.label(_cell_label(i, s)), page.code_block(s.cell.code),
                         styles={"flex": "1 1 560px", "min-width": "0"}, sizing_mode="stretch_width")
        output = pn.Column(page.label("Output  ·  computed live by gradviz"),
                           page.output_block(printed or "(nothing printed)"),
                           styles={"flex": "1 1 420px", "min-width": "0"}, sizing_mode="stretch_width")
        parts.append(pn.FlexBox(code, output, flex_wrap="wrap", sizing_mode="stretch_width"))
        if figure is not None:
            parts.append(_edits_note(figure))
        return pn.Column(*parts, sizing_mode="stretch_width", css_classes=[f"gv-section-{s.key}"])

    def __panel__(self):
        return pn.Column(self.navigator, self.content, sizing_mode="stretch_width")


INTRO = """
PyTorch's autograd tutorial, run on **gradviz**, a numpy autograd engine that speaks PyTorch:
one step per notebook cell, in the notebook's order, each with the graph it builds (step
through it backwards), its code and what it prints.
"""


def create_app() -> pn.template.BootstrapTemplate:
    """A fresh tutorial page for one session.

    No sidebar: the explorer needs the width (its graph is scaled to fit), so the sections
    are a row of steps above the content instead."""
    initial = page.query_value("section", SECTION_KEYS)
    app = TutorialApp(**({"section": initial} if initial else {}))
    if pn.state.location is not None:  # ?section=jacobian opens that section
        pn.state.location.sync(app, {"section": "section"})
    return page.template("The autograd tutorial, step by step",
                         main=[page.prose(INTRO, margin=(0, 10)),
                               app.navigator, app.content])
