// gradviz static player: plays the states recorded by gradviz/viz/static_page.py.
// Runs as the body of one Bokeh CustomJS shared by the toolbar's buttons and the graph's node
// selections (a tap). Arguments: data (the gzipped, base64 state tree), inspect (the gzipped
// inspector views, inflated at the first tap), speed (the steps/s slider), message (the message
// pane), counter (the counter pane) and counter_html (its markup before and after the text),
// tensors / functions (the node sources), body / heatmaps / tabs (the inspector's text, its
// [pane, source, title] heatmaps and the side tabs), btn_<Label> (each button), player_key
// (unique to the page's explorer).
// A node of the tree: p parent, k kind ("start", "event", "zero", "pass"), c counter (as read
// with no redo future), f / b the document patches into it from its parent / back to its
// parent, i / j the inspector views that change with them ([node, view, ...]), s / z / a the
// children Step, Zero grads and Backward again lead to; the first node has "at", every node's
// inspector view at the start.
// Like the timeline, the player keeps a redo future: the states Back left, which Step takes
// again and Zero grads / Backward again drop. The counter says "pass p ·" once the timeline,
// future included, holds more than one pass, as the live explorer's does.
const doc = btn_Step.document;
const key = "__gradviz_player_" + player_key;
const buttons = {Reset: btn_Reset, Back: btn_Back, Step: btn_Step, Run: btn_Run, Play: btn_Play,
                 "Backward again": btn_Backward_again, "Zero grads": btn_Zero_grads};
let label = null;
if (cb_obj === tensors.selected) label = "tap tensor";
else if (cb_obj === functions.selected) label = "tap function";
else {
  // A js_on_event callback gets the event as cb_obj; the button is its origin.
  const clicked = cb_obj.origin != null ? cb_obj.origin : cb_obj;
  for (const [name, model] of Object.entries(buttons)) {
    if (model === clicked) label = name;
  }
}
if (label === null) return;

if (window[key] === undefined) {
  const inflate = async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  };
  const state = {cur: 0, future: [], timer: null, queue: null, nodes: null, views: null,
                 insp: null, selected: null, saved: null};
  const node = (i) => state.nodes[i];

  // --- the inspector: what a tap shows, over what the recorded patches wrote -------------
  const snapshot = () => {  // what the recording left in the inspector, before a tap's view
    if (state.saved !== null) return;
    state.saved = {body: body.text,
                   maps: heatmaps.map(([pane, source, title]) => [pane.visible, title.text,
                                                                  source.data])};
  };
  const restore = () => {
    if (state.saved === null) return;
    body.text = state.saved.body;
    heatmaps.forEach(([pane, source, title], k) => {
      const [visible, text, data] = state.saved.maps[k];
      title.text = text;
      source.data = data;
      pane.visible = visible;
    });
    state.saved = null;
  };
  const paint = () => {  // the selected node's inspector view in the current state
    const v = state.insp.views[state.views[state.selected]];
    snapshot();
    body.text = v[0];
    heatmaps.forEach(([pane, source, title], k) => {
      const m = v[1 + k];
      if (m < 0) {
        pane.visible = false;
        return;
      }
      const [text, cols] = state.insp.maps[m];
      const data = {};
      for (const [col, values] of Object.entries(cols)) {
        data[col] = values.map((x) => (x === null ? NaN : x));
      }
      title.text = text;
      source.data = data;
      pane.visible = true;
    });
  };
  const tap = async (kind) => {
    // As the live view: a tap on a node selects its row; a tap on empty canvas clears every
    // selection, and then the inspector goes back to its overview (the leaf gradients).
    const own = kind === "tensor" ? tensors : functions;
    const other = kind === "tensor" ? functions : tensors;
    const rows = own.selected.indices;
    if (rows.length === 0) {
      if (other.selected.indices.length === 0) {
        state.selected = null;
        restore();
      }
      return;
    }
    if (state.insp === null) {
      const insp = await inflate(inspect);
      insp.index = new Map(insp.ids.map((id, i) => [id, i]));
      state.insp = insp;
    }
    const i = state.insp.index.get(own.data.id[rows[0]]);
    if (i === undefined) return;
    state.selected = i;
    paint();
    tabs.active = 0;
  };

  // --- the recorded document patches --------------------------------------------------------
  const columns = (ev) => {  // a gvColumns event: the rows of a source that changed
    const source = doc.get_model_by_id(ev.id);
    const old = source.data;
    const same = ev.drop.length === 0 && Object.keys(ev.cols).every(
      (col) => old[col] !== undefined && old[col].length === ev.n);
    if (same) {  // the same rows: patch them in place (a step touches few)
      const patches = {};
      for (const [col, rows] of Object.entries(ev.cols)) {
        if (rows.length) patches[col] = rows.map(([i, v]) => [i, v === null ? NaN : v]);
      }
      if (Object.keys(patches).length) source.patch(patches);
      return;
    }
    const data = {};
    for (const [col, values] of Object.entries(old)) {
      if (!ev.drop.includes(col)) data[col] = Array.from(values);
    }
    for (const [col, rows] of Object.entries(ev.cols)) {
      const column = data[col] !== undefined ? data[col] : [];
      column.length = ev.n;
      for (const [i, v] of rows) column[i] = v === null ? NaN : v;
      data[col] = column;
    }
    for (const col of Object.keys(data)) data[col].length = ev.n;
    source.data = data;
  };
  const splice = (ev) => {  // a gvSplice event: rows added or removed in the middle
    const source = doc.get_model_by_id(ev.id);
    const data = {};
    for (const [col, values] of Object.entries(source.data)) {
      const column = Array.from(values);
      const rows = (ev.rows[col] || []).map((v) => (v === null ? NaN : v));
      column.splice(ev.at, ev.remove, ...rows);
      data[col] = column;
    }
    source.data = data;
  };
  const enter = (events, views) => {
    restore();  // the patches expect the inspector as the recording left it
    let run = [];
    const flush = () => {
      if (run.length) doc.apply_json_patch({events: run}, new Map());
      run = [];
    };
    for (const ev of events) {
      if (ev.kind === "gvColumns") { flush(); columns(ev); }
      else if (ev.kind === "gvSplice") { flush(); splice(ev); }
      else run.push(ev);
    }
    flush();
    if (views !== undefined) {
      for (let k = 0; k < views.length; k += 2) state.views[views[k]] = views[k + 1];
    }
    if (state.selected !== null) paint();
  };

  // --- moves, as the timeline makes them ------------------------------------------------------
  const next = () => (state.future.length ? state.future[state.future.length - 1]
                                          : node(state.cur).s);
  const go = (i) => {  // to a child of the current node
    enter(node(i).f, node(i).i);
    state.cur = i;
  };
  const step = () => {
    const i = next();
    if (i === undefined) return false;
    if (state.future.length) state.future.pop();
    go(i);
    return true;
  };
  const back = () => {
    const here = node(state.cur);
    if (here.p === null) return false;
    enter(here.b, here.j);
    state.future.push(state.cur);
    state.cur = here.p;
    return true;
  };
  const passStart = (i) => node(i).k === "start" || node(i).k === "pass";
  const nextIsEvent = () => { const n = next(); return n !== undefined && node(n).k === "event"; };
  const run = () => { while (nextIsEvent()) step(); };
  const reset = () => { while (!passStart(state.cur)) back(); };
  const endOfPass = () => {  // where Run would stop: through the future, then new events
    let i = state.cur;
    for (let k = state.future.length - 1; ; k--) {
      const n = k >= 0 ? state.future[k] : node(i).s;
      if (n === undefined || node(n).k !== "event") return i;
      i = n;
    }
  };
  const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  const say = (text) => {  // (an HTML pane's model holds its markup escaped, as Panel sends it)
    message.text = text ? escape('<div class="gv-note">' + escape(text) + "</div>") : "";
    message.visible = Boolean(text);
  };
  const action = (kind, text) => {  // Zero grads, Backward again: after the whole pass
    const target = node(endOfPass())[kind];
    if (target === undefined) { say(text); return; }
    run();
    state.future = [];  // a different future from here: what Back left is dropped
    go(target);
    if (kind === "a") run();
  };
  const counterText = () => {
    const c = node(state.cur).c;
    const m = /^pass (\d+) · (.*)$/.exec(c);
    const number = m ? Number(m[1]) : 1;
    let passes = number;
    for (const i of state.future) if (node(i).k === "pass") passes += 1;
    const text = m ? m[2] : c;
    return passes > 1 ? "pass " + number + " · " + text : text;
  };
  const sync = () => {
    const end = node(endOfPass());
    const can = {Back: node(state.cur).p !== null, Reset: !passStart(state.cur),
                 Step: next() !== undefined, Run: nextIsEvent(),
                 Play: next() !== undefined || state.timer !== null,
                 "Zero grads": end.z !== undefined, "Backward again": end.a !== undefined};
    for (const [name, enabled] of Object.entries(can)) {
      if (buttons[name].disabled !== !enabled) buttons[name].disabled = !enabled;
    }
    const html = counter_html[0] + escape(escape(counterText())) + counter_html[1];
    if (counter.text !== html) counter.text = html;
  };
  const stop = () => {
    if (state.timer !== null) clearInterval(state.timer);
    state.timer = null;
    buttons.Play.label = "Play";
  };
  const act = async (name) => {
    if (name === "tap tensor" || name === "tap function") {
      await tap(name.slice(4));
      return;
    }
    if (name !== "Play" && name !== "Step") stop();
    if (name !== "Play") say("");
    if (name === "Step") step();
    else if (name === "Back") back();
    else if (name === "Reset") reset();
    else if (name === "Run") run();
    else if (name === "Zero grads") {
      action("z", "This saved page holds no further Zero grads from here; open the graph in " +
             "Python (gradviz.explore) to go on.");
    } else if (name === "Backward again") {
      action("a", "This saved page holds no further passes; open the graph in Python " +
             "(gradviz.explore) to run more.");
    } else if (name === "Play") {
      if (state.timer !== null) stop();
      else if (next() !== undefined) {
        buttons.Play.label = "Pause";
        const ms = Math.max(50, Math.min(5000, 1000 / Math.max(speed.value, 0.2)));
        state.timer = setInterval(() => {
          state.queue = state.queue.then(() => { if (!step()) stop(); sync(); });
        }, ms);
      }
    }
    sync();
  };
  state.queue = inflate(data).then((nodes) => {
    state.nodes = nodes;
    state.views = Int32Array.from(nodes[0].at || []);
  });
  state.act = (name) => {
    state.queue = state.queue.then(() => act(name)).catch((e) => console.error(e));
  };
  window[key] = state;
}
window[key].act(label);
