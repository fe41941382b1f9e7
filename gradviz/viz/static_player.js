// gradviz static player: plays the states recorded by gradviz/viz/static_page.py.
// Runs as the body of one Bokeh CustomJS shared by the toolbar's buttons. Arguments: data (the
// gzipped, base64 state tree), speed (the steps/s slider), message (the message pane),
// btn_<Label> (each button), player_key (unique to the page's explorer). A node of the tree:
// p parent, k kind ("start", "event", "zero", "pass"),
// f / b the document patches into it from its parent / back to its parent, s / z / a the
// children Step, Zero grads and Backward again lead to.
// A js_on_event callback gets the event as cb_obj; the button is its origin.
const clicked = cb_obj.origin != null ? cb_obj.origin : cb_obj;
const doc = clicked.document;
const key = "__gradviz_player_" + player_key;
const buttons = {Reset: btn_Reset, Back: btn_Back, Step: btn_Step, Run: btn_Run, Play: btn_Play,
                 "Backward again": btn_Backward_again, "Zero grads": btn_Zero_grads};
let label = null;
for (const [name, model] of Object.entries(buttons)) {
  if (model === clicked) label = name;
}
if (label === null) return;

if (window[key] === undefined) {
  const inflate = async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  };
  const state = {cur: 0, redo: {}, timer: null, queue: null, nodes: null};
  const node = (i) => state.nodes[i];
  const columns = (ev) => {  // a gvColumns event: the rows of a source that changed
    const source = doc.get_model_by_id(ev.id);
    const data = {};
    for (const [col, values] of Object.entries(source.data)) {
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
  const apply = (events) => {
    let run = [];
    const flush = () => {
      if (run.length) doc.apply_json_patch({events: run}, new Map());
      run = [];
    };
    for (const ev of events) {
      if (ev.kind === "gvColumns") { flush(); columns(ev); } else run.push(ev);
    }
    flush();
  };
  const next = (i) => (state.redo[i] !== undefined ? state.redo[i] : node(i).s);
  const go = (i) => {  // to a child of the current node
    apply(node(i).f);
    state.cur = i;
  };
  const step = () => {
    const i = next(state.cur);
    if (i === undefined) return false;
    go(i);
    return true;
  };
  const back = () => {
    const here = node(state.cur);
    if (here.p === null) return false;
    apply(here.b);
    state.redo[here.p] = state.cur;
    state.cur = here.p;
    return true;
  };
  const passStart = (i) => node(i).k === "start" || node(i).k === "pass";
  const nextIsEvent = (i) => { const n = next(i); return n !== undefined && node(n).k === "event"; };
  const run = () => { while (nextIsEvent(state.cur)) step(); };
  const reset = () => { while (!passStart(state.cur)) back(); };
  const endOf = (i) => { while (nextIsEvent(i)) i = next(i); return i; };
  const say = (text) => {
    message.text = text ? '<div class="gv-note">' + text + "</div>" : "";
    message.visible = Boolean(text);
  };
  const action = (kind, text) => {  // Zero grads, Backward again: after the whole pass
    const target = node(endOf(state.cur))[kind];
    if (target === undefined) { say(text); return; }
    run();
    // A different future from here: what Back had left to redo is dropped, as in the timeline.
    delete state.redo[state.cur];
    go(target);
    if (kind === "a") run();
  };
  const sync = () => {
    const i = state.cur;
    const can = {Back: node(i).p !== null, Reset: !passStart(i), Step: next(i) !== undefined,
                 Run: nextIsEvent(i), Play: next(i) !== undefined || state.timer !== null,
                 "Zero grads": node(endOf(i)).z !== undefined,
                 "Backward again": node(endOf(i)).a !== undefined};
    for (const [name, enabled] of Object.entries(can)) {
      if (buttons[name].disabled !== !enabled) buttons[name].disabled = !enabled;
    }
  };
  const stop = () => {
    if (state.timer !== null) clearInterval(state.timer);
    state.timer = null;
    buttons.Play.label = "Play";
  };
  const act = (name) => {
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
      else if (next(state.cur) !== undefined) {
        buttons.Play.label = "Pause";
        const ms = Math.max(50, Math.min(5000, 1000 / Math.max(speed.value, 0.2)));
        state.timer = setInterval(() => {
          state.queue = state.queue.then(() => { if (!step()) stop(); sync(); });
        }, ms);
      }
    }
    sync();
  };
  state.queue = inflate(data).then((nodes) => { state.nodes = nodes; });
  state.act = (name) => {
    state.queue = state.queue.then(() => act(name)).catch((e) => console.error(e));
  };
  window[key] = state;
}
window[key].act(label);
