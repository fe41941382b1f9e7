"""The explorer as a notebook output: live through the kernel, and still stepping without one.

Displayed in Jupyter, an explorer is a Panel output whose buttons call Python through the
kernel. Saved with its outputs and exported to HTML (``jupyter nbconvert --to html``), or
opened again after its kernel stopped, nothing answers those calls. So when the output is made,
:func:`mimebundle` also records the passes a reader can step through, as the saved pages of
``gradviz.viz.static_page`` do, and attaches the same player to the output's buttons, behind a
guard: while a kernel is connected to the output the player does nothing and Python runs the
explorer; where none is, the player replays the recorded states and the inputs that need
Python are shown disabled with a one-line reason.

The recording is made on the displayed explorer itself, inside the document the output is
serialised from (its patches must name that document's models), while Panel's pushes to the
notebook are held back; the explorer ends where it was, at step 0. It happens for an explorer at
step 0 whose graph has at most ``PLAYER_NODES`` nodes (``offline="auto"``, the default), for any
graph with ``offline=True``, never with ``offline=False``: recording takes about as long as
stepping every state once (about a second for the tutorial's graph).

The output stays what Panel makes (``text/html`` with the embedded document, and Panel's
``application/vnd.holoviews_exec.v0+json``), so nbconvert's default HTML template shows it: the
template writes the ``text/html`` and runs its scripts, and ``gradviz.explore`` put Panel's code
inline into the notebook (``gradviz.viz.offline.notebook_extension``), which the template writes
out from its ``application/javascript`` output.
"""
from __future__ import annotations

import warnings

__all__ = ["mimebundle", "attach_offline_player", "no_kernel_script", "PLAYER_NODES", "OFFLINE_NOTE", "KERNEL_JS"]

# Graphs up to this many nodes carry their recorded passes by default (the recording costs
# about as much as stepping through every state once when the cell is displayed).
PLAYER_NODES = 300

OFFLINE_NOTE = ("No kernel is running this output: Reset, Back, Step, Run, Play, Backward again "
                "and Zero grads replay the passes recorded when the cell ran; editing inputs, "
                "retain_graph and colours need the kernel (run the notebook).")

# Whether a kernel is connected to the output whose document is ``doc``. Panel's CommManager
# (one per notebook output) finds a kernel comm for the output when the output is rendered by
# a live notebook (JupyterLab, Notebook 7, classic Notebook, Colab); in a notebook exported to
# HTML it finds none. A comm that reports itself disposed counts as none (Panel's JupyterLab
# comm does not report it: a notebook reopened with a new kernel still counts as connected).
KERNEL_JS = """
const gvKernelConnected = (doc) => {
  for (const model of doc.roots()) {
    if (String(model.type).endsWith("CommManager")) {
      const comm = model._client_comm;
      return comm != null && !comm.isDisposed;
    }
  }
  return false;
};
"""

_GUARD_JS = KERNEL_JS + """
// While a kernel runs this explorer, Python answers the buttons: the recording stays out of
// the way.
if (gvKernelConnected((cb_obj.origin != null ? cb_obj.origin : cb_obj).document)) return;
"""

# Run by the output's HTML once its document is on the page (a notebook output's document never
# fires Bokeh's "document ready": its CommManager root has no view that could become idle).
_NO_KERNEL_JS = """<script type="application/javascript">
(function () {
  const ids = %(ids)s;
  const text = %(text)s;
  const started = Date.now();
""" + KERNEL_JS + """
  const look = () => {
    const docs = (window.Bokeh && window.Bokeh.documents) || [];
    const doc = docs.find((d) => d.get_model_by_id(ids.note) != null);
    if (doc == null) {
      if (Date.now() - started < 120000) setTimeout(look, 200);
      return;
    }
    if (gvKernelConnected(doc)) return;
    // No kernel: say so, and show disabled what needs Python.
    for (const id of ids.needs_python) doc.get_model_by_id(id).disabled = true;
    const note = doc.get_model_by_id(ids.note);
    note.text = '<div class="gv-note">' + text + '</div>';
    note.visible = true;
  };
  look();
})();
</script>"""


def _wants_player(view) -> bool:
    setting = getattr(view, "offline", "auto")
    if setting is False:
        return False
    t = view.timeline
    if t.position != 0 or t.entries:
        return False  # stepped already: the recording starts from a fresh view's step 0
    if setting is True:
        return True
    return view.G.number_of_nodes() <= PLAYER_NODES


def _model(viewable, root):
    return viewable._models[root.ref["id"]][0]


def attach_offline_player(view, doc, root) -> list:
    """Record ``view`` (rendered into the notebook output's ``doc`` under ``root``, at step 0)
    and attach the guarded player to its buttons. Returns the recorded tree (``static_page.record_states``). Panel's pushes to
    the notebook are held meanwhile; the view ends at step 0 and the document holds no
    pending change."""
    from bokeh.models import CustomJS
    from panel.io.notebook import block_comm

    from .static_page import attach_player

    # Without a kernel nothing answers a hover: the recorded output carries the text.
    view.graph_view.make_eager()
    if doc.callbacks.hold_value is None:
        doc.hold()  # the patches are read from the held events (Panel holds it next anyway)
    pushing = view.__dict__.get("_push_notebook")
    view._push_notebook = lambda *panes: None
    try:
        with block_comm():
            nodes = attach_player(view, doc, root)
    finally:
        if pushing is None:
            del view._push_notebook
        else:
            view._push_notebook = pushing
    buttons = [_model(b, root) for b in view.controls.buttons.values()]
    players = {id(cb): cb for m in buttons for cb in m.js_event_callbacks.get("button_click", [])
               if isinstance(cb, CustomJS) and "player_key" in cb.args}
    for cb in players.values():
        cb.code = _GUARD_JS + cb.code
    doc.callbacks._held_events = []
    return nodes


def no_kernel_script(view, root) -> str:
    """The ``<script>`` an output carries so that, shown where no kernel is connected, it
    says so and shows disabled what needs Python."""
    import json

    needs_python = [view.controls.retain_graph, view.controls.colour_mode]
    note = OFFLINE_NOTE
    if view.finding_shown:
        widgets, sentence = view.scope_controls.python_only()
        needs_python += widgets
        note += sentence
    ids = {"note": _model(view.note, root).id,
           "needs_python": [_model(w, root).id for w in needs_python]}
    text = " ".join(x for x in (view._root_note(), note) if x)
    # json.dumps: valid JavaScript literals; "</" escaped so no text can end the script.
    return _NO_KERNEL_JS % {"ids": json.dumps(ids), "text": json.dumps(text).replace("</", "<\\/")}


def mimebundle(view, include=None, exclude=None):
    """``view``'s notebook output: Panel's own, with the recorded player attached when
    :func:`_wants_player` says so (see the module docstring)."""
    layout = view._layout
    player = _wants_player(view)
    render = type(layout)._render_mimebundle
    scripts = []

    def render_output(model, doc, comm, location=None):
        if player:
            try:
                attach_offline_player(view, doc, model)
                scripts.append(no_kernel_script(view, model))
            except Exception as e:  # noqa: BLE001 - the live output must still show
                view.timeline.seek(0)  # (what the recording queued is dropped below)
                warnings.warn(f"gradviz could not record this explorer's passes into the "
                              f"notebook output (it steps only while the kernel runs): {e!r}",
                              stacklevel=2)
        bundle = render(layout, model, doc, comm, location)
        # Panel's render queues root changes as changes still to send: the output's location
        # (and, as the recording held the document, the layout removed and added again and
        # its comm manager). The output already shows them: it is the document serialised
        # just now. Sent with the first push after a click, they made the page take the
        # layout off its output, draw it again outside it, and send the same roots back.
        doc.callbacks._held_events = []
        return bundle

    layout._render_mimebundle = render_output
    try:
        out = layout._repr_mimebundle_(include, exclude)
    finally:
        del layout._render_mimebundle
    if scripts and isinstance(out, tuple) and "text/html" in out[0]:
        out[0]["text/html"] += scripts[0]
    return out
