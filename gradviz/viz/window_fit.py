"""The plot of a big graph takes the height the browser window gives it.

The server cannot know the window: it plans the plot's height from the graph's shape
(``graph_view.fitting_height``), which suits a small graph (the seed tutorial's flat graph sits
in a 360 px plot, not in a tall empty box) but leaves a big model's plot a few hundred pixels
tall with the bottom of the window empty. A graph too big to read whole gains from every pixel,
so its page measures itself: one ``CustomJS`` gives the plot column (and the side panel beside
it) the height from the column's top to the bottom of the window, less whatever the page shows
below the plot, never less than the planned height. It runs when the plot is laid out, when the
window is resized and when the page above or below the plot changes size. That page changes at
every Step (the sentence above the plot wraps to one line more or less), and resizing the plot
means laying out and painting it again: so such a change resizes the plot only when the page
would overflow the window (the plot shrinks to fit) or a gap of over twice ``SLACK_PX`` opened
below it (the plot grows to fit). While stepping, the plot settles at the height that leaves
room for the longest sentence met so far, a line or two short of the window at times. The
height is set on the elements' style: the browser lays the page out and the figure follows its
new size; it needs no Python and sends nothing to it, so a saved page behaves the same.

When the side panel has wrapped under the plot (a narrow window), the plot fills the window's
height and the side panel keeps its planned height below it (the page scrolls to it, as before).
Should the page still overflow the window (a template's padding the measure did not see), the
overflow is taken off and remembered, so that no scrollbar appears and the two do not fight.
"""
from __future__ import annotations

PLOT_COLUMN_CLASS = "gv-plot-column"  # the Panel column of legend + plot (graph_view.plot_and_side)
SLACK_PX = 48  # px: two lines of the step's sentence (a gap below the plot it may leave)

# Arguments: fig (the graph's figure), planned (px: the column's planned height), slack (px),
# cls (the plot column's CSS class), state ({}).
_FILL_JS = """
if (state.fill == null) {
  // The figure's view, and up from it the plot column, the row it shares with the side panel
  // and the page's root; looked up again only when the page rebuilt them.
  const views = () => {
    const known = state.views;
    if (known != null && known.fig.el.isConnected) return known;
    let fv = null;
    const stack = Object.values(Bokeh.index);
    while (stack.length && fv == null) {
      const v = stack.pop();
      if (v.model === fig) fv = v;
      else for (const c of (v.child_views || [])) stack.push(c);
    }
    let col = fv == null ? null : fv.parent;
    while (col != null && !(col.model.css_classes || []).includes(cls)) col = col.parent;
    if (col == null || col.parent == null) return null;
    const row = col.parent;
    let root = row;
    while (root.parent != null) root = root.parent;
    const side = (row.child_views || []).find(v => v !== col) ?? null;
    return state.views = {fig: fv, col, row, root, side};
  };
  // The height goes on the elements themselves (an inline style wins over the planned height
  // Bokeh's layout gives them): the browser lays the page out again and the figure follows its
  // new size, without a relayout of every Bokeh view (a model's height: ~100 ms, this ~40 ms),
  // and nothing is sent to the server.
  const set = (view, h) => {
    const px = h + 'px';
    if (view != null && view.el.style.height !== px) view.el.style.height = px;
  };
  state.cut = 0;
  // exact: fit to the window now (first layout, window resized). Otherwise the page around the
  // plot changed (the sentence above it wraps to another line at a Step): resize only when the
  // page would overflow or a gap of over twice `slack` px opened below, so that the plot does
  // not change size (a relayout and a second paint) at every Step.
  state.fill = (exact) => {
    const v = views();
    if (v == null) return;
    const {col, row, root, side} = v;
    const c = col.el.getBoundingClientRect();
    if (!(c.width > 0)) return;  // not shown (a hidden tab): measure when it is
    const s = side == null ? null : side.el.getBoundingClientRect();
    const wrapped = s != null && s.top >= c.bottom - 1;
    // What the page shows below the plot's row, inside and after its root.
    const r = root.el.getBoundingClientRect(), b = row.el.getBoundingClientRect();
    const margin = parseFloat(getComputedStyle(root.el).marginBottom) || 0;
    const below = wrapped ? 0 : Math.max(r.bottom - b.bottom, 0) + margin;
    const fit = Math.floor(window.innerHeight - (c.top + window.scrollY) - below - state.cut);
    const now = state.h ?? planned;
    let h = now;
    if (exact || now > fit || now < fit - 2 * slack) h = fit;
    h = Math.max(planned, h);
    const changed = h !== now || state.wrapped !== wrapped;
    state.h = h;
    state.wrapped = wrapped;
    set(col, h);
    set(side, wrapped ? planned : h);
    if (!changed && !exact) return;
    // After the page has laid itself out again: take off any overflow still left (a template's
    // padding the measure did not see), and remember it.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const over = document.documentElement.scrollHeight - window.innerHeight;
      if (!wrapped && over > 0 && state.h > planned && state.cut < window.innerHeight) {
        state.cut += over;
        state.fill(true);
      }
    }));
  };
  const later = (exact) => {
    state.exact = state.exact || exact;
    if (state.queued) return;
    state.queued = true;
    requestAnimationFrame(() => {
      const e = state.exact;
      state.queued = false;
      state.exact = false;
      state.fill(e);
    });
  };
  window.addEventListener('resize', () => later(true));
  const v = views();
  if (v != null && typeof ResizeObserver !== 'undefined') {
    new ResizeObserver(() => later(false)).observe(v.root.el);
  }
}
state.fill(false);
"""


def fill_window(fig, planned_px: int) -> None:
    """Make the plot column holding Bokeh figure ``fig`` (built by ``plot_and_side`` with
    height ``planned_px``) as tall as the browser window lets it, never less than
    ``planned_px``; see the module docstring."""
    from bokeh.models import CustomJS

    cb = CustomJS(args=dict(fig=fig, planned=int(planned_px), slack=SLACK_PX,
                            cls=PLOT_COLUMN_CLASS, state={}), code=_FILL_JS)
    fig.js_on_change("inner_width", cb)
    fig.js_on_change("inner_height", cb)


__all__ = ["fill_window", "PLOT_COLUMN_CLASS"]
