"""The plot of a big graph takes the height the browser window gives it.

The server cannot know the window: it plans the plot's height from the graph's shape
(``graph_view.fitting_height``), which suits a small graph (the seed tutorial's flat graph sits
in a 360 px plot, not in a tall empty box) but leaves a big model's plot a few hundred pixels
tall with the bottom of the window empty. A graph too big to read whole gains from every pixel,
so its page measures itself: one ``CustomJS`` gives the plot column (and the side panel beside
it) the height from the column's top to the bottom of the window, less whatever the page shows
below the plot, never less than the planned height. It runs when the plot is laid out, when the
window is resized and when the page above or below the plot changes size (a note appears). It
needs no Python, so a saved page behaves the same (a served page only reports the new heights
back to the server, as any layout change made in the page).

When the side panel has wrapped under the plot (a narrow window), the plot fills the window's
height and the side panel keeps its planned height below it (the page scrolls to it, as before).
Should the page still overflow the window (a template's padding the measure did not see), the
overflow is taken off and remembered, so that no scrollbar appears and the two do not fight.
"""
from __future__ import annotations

PLOT_COLUMN_CLASS = "gv-plot-column"  # the Panel column of legend + plot (graph_view.plot_and_side)

# Arguments: fig (the graph's figure), planned (px: the column's planned height), state ({}).
_FILL_JS = """
if (state.fill == null) {
  const find = () => {
    // The figure's view, and up from it the plot column, the row it shares with the side
    // panel, and the page's root (views of a model may be rebuilt: look them up each time).
    const stack = Object.values(Bokeh.index);
    while (stack.length) {
      const v = stack.pop();
      if (v.model === fig) return v;
      for (const c of (v.child_views || [])) stack.push(c);
    }
    return null;
  };
  const set = (view, h) => { if (view != null && view.model.height !== h) view.model.height = h; };
  state.cut = 0;
  state.fill = () => {
    const fv = find();
    let col = fv == null ? null : fv.parent;
    while (col != null && !(col.model.css_classes || []).includes(cls)) col = col.parent;
    if (col == null || col.parent == null) return;
    const row = col.parent;
    let root = row;
    while (root.parent != null) root = root.parent;
    const side = (row.child_views || []).find(v => v !== col);
    const c = col.el.getBoundingClientRect();
    if (!(c.width > 0)) return;  // not shown (a hidden tab): measure when it is
    const s = side == null ? null : side.el.getBoundingClientRect();
    const wrapped = s != null && s.top >= c.bottom - 1;
    // What the page shows below the plot's row, inside and after its root.
    const r = root.el.getBoundingClientRect(), b = row.el.getBoundingClientRect();
    const margin = parseFloat(getComputedStyle(root.el).marginBottom) || 0;
    const below = Math.max(r.bottom - (wrapped ? c.bottom : b.bottom), 0) + margin;
    const top = c.top + window.scrollY;
    const h = Math.max(planned, Math.floor(window.innerHeight - top - (wrapped ? 0 : below) - state.cut));
    set(col, h);
    if (!wrapped) set(side, h);
    else set(side, planned);
    // After the page has laid itself out again: take off any overflow still left.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const over = document.documentElement.scrollHeight - window.innerHeight;
      if (!wrapped && over > 0 && col.model.height > planned && state.cut < window.innerHeight) {
        state.cut += over;
        state.fill();
      }
    }));
  };
  let queued = false;
  const later = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; state.fill(); });
  };
  window.addEventListener('resize', later);
  const fv = find();
  if (fv != null && typeof ResizeObserver !== 'undefined') {
    let root = fv;
    while (root.parent != null) root = root.parent;
    new ResizeObserver(later).observe(root.el);
  }
}
state.fill();
"""


def fill_window(fig, planned_px: int) -> None:
    """Make the plot column holding Bokeh figure ``fig`` (built by ``plot_and_side`` with
    height ``planned_px``) as tall as the browser window lets it, never less than
    ``planned_px``; see the module docstring."""
    from bokeh.models import CustomJS

    cb = CustomJS(args=dict(fig=fig, planned=int(planned_px), cls=PLOT_COLUMN_CLASS, state={}),
                  code=_FILL_JS)
    fig.js_on_change("inner_width", cb)
    fig.js_on_change("inner_height", cb)


__all__ = ["fill_window", "PLOT_COLUMN_CLASS"]
