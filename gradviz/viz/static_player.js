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
  // Many moves at once (Run, Reset, Backward again's pass): their patches are folded into one
  // change per source and property, so the page redraws once, not once per step (on a graph of
  // thousands of nodes each redraw takes tens of ms, and a pass has thousands of steps).
  const number = (v) => {  // a serialised cell: NaN and infinities come as {type: "number"}
    if (v !== null && typeof v === "object") {
      if (v.type === "number") return Number(v.value);
      throw new Error("not a plain cell");
    }
    return v;
  };
  const enterMany = (moves) => {
    const sources = new Map();  // id -> {source, rows: Map(col -> Map(row -> value))} or
    const props = new Map();    //        {source, data: {col: array}} once rows change count
    const views = [];
    const pending = (id) => {
      let p = sources.get(id);
      if (p === undefined) {
        p = {source: doc.get_model_by_id(id), rows: new Map(), data: null};
        sources.set(id, p);
      }
      return p;
    };
    const arrays = (p) => {  // the source's columns as arrays, pending rows applied
      if (p.data === null) {
        p.data = {};
        for (const [col, values] of Object.entries(p.source.data)) p.data[col] = Array.from(values);
        for (const [col, rows] of p.rows) {
          if (p.data[col] === undefined) p.data[col] = [];
          for (const [i, v] of rows) p.data[col][i] = v;
        }
        p.rows = null;
      }
      return p.data;
    };
    const set = (p, col, i, v) => {
      if (p.data !== null) {
        if (p.data[col] === undefined) p.data[col] = [];
        p.data[col][i] = v;
      } else {
        if (!p.rows.has(col)) p.rows.set(col, new Map());
        p.rows.get(col).set(i, v);
      }
    };
    const length = (p) => {
      if (p.data !== null) {
        const first = Object.values(p.data)[0];
        return first === undefined ? 0 : first.length;
      }
      const first = Object.values(p.source.data)[0];
      return first === undefined ? 0 : first.length;
    };
    for (const [events, changes] of moves) {
      for (const ev of events) {
        if (ev.kind === "gvColumns") {
          const p = pending(ev.id);
          const same = ev.drop.length === 0 && ev.n === length(p) && Object.keys(ev.cols).every(
            (col) => (p.data !== null ? p.data : p.source.data)[col] !== undefined);
          if (!same) {
            const data = arrays(p);
            for (const col of ev.drop) delete data[col];
            for (const col of Object.keys(ev.cols)) if (data[col] === undefined) data[col] = [];
            for (const col of Object.keys(data)) data[col].length = ev.n;
          }
          for (const [col, rows] of Object.entries(ev.cols)) {
            for (const [i, v] of rows) set(p, col, i, v === null ? NaN : v);
          }
        } else if (ev.kind === "gvSplice") {
          const data = arrays(pending(ev.id));
          for (const col of Object.keys(data)) {
            const rows = (ev.rows[col] || []).map((v) => (v === null ? NaN : v));
            data[col].splice(ev.at, ev.remove, ...rows);
          }
        } else if (ev.kind === "ColumnsPatched" && ev.attr === "data" &&
                   ev.patches.type === "map") {
          const p = pending(ev.model.id);
          for (const [col, rows] of ev.patches.entries) {
            for (const [i, v] of rows) set(p, col, i, number(v));
          }
        } else if (ev.kind === "ModelChanged") {
          props.set(ev.model.id + " " + ev.attr, ev);
        } else {
          throw new Error("cannot fold a " + ev.kind + " event");
        }
      }
      if (changes !== undefined) views.push(changes);
    }
    restore();
    for (const p of sources.values()) {
      if (p.data !== null) p.source.data = p.data;
      else if (p.rows.size) {
        const patches = {};
        for (const [col, rows] of p.rows) patches[col] = Array.from(rows.entries());
        p.source.patch(patches);
      }
    }
    if (props.size) doc.apply_json_patch({events: Array.from(props.values())}, new Map());
    for (const changes of views) {
      for (let k = 0; k < changes.length; k += 2) state.views[changes[k]] = changes[k + 1];
    }
    if (state.selected !== null) paint();
  };
  let batch = null;  // moves held while a multi-move action runs
  const together = (f) => {  // make f's moves as one change of the page
    batch = [];
    try {
      f();
    } finally {
      const moves = batch;
      batch = null;
      if (moves.length > 1) {
        try {
          enterMany(moves);
        } catch (e) {  // an event it cannot fold: one move after the other, as recorded
          console.warn("gradviz player: moves applied one by one (" + e.message + ")");
          for (const [events, changes] of moves) enter(events, changes);
        }
      } else if (moves.length === 1) enter(...moves[0]);
    }
  };
  const enter = (events, views) => {
    if (batch !== null) {
      batch.push([events, views]);
      return;
    }
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
    else if (name === "Reset") together(reset);
    else if (name === "Run") together(run);
    else if (name === "Zero grads") {
      together(() => action("z", "This saved page holds no further Zero grads from here; " +
                            "open the graph in Python (gradviz.explore) to go on."));
    } else if (name === "Backward again") {
      together(() => action("a", "This saved page holds no further passes; open the graph " +
                            "in Python (gradviz.explore) to run more."));
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
