"""The backward toolbar: Reset, Back, Step, Run, Play/Pause (with a speed), Backward again,
Zero grads, the ``retain_graph`` and colour-mode toggles, the counter and the sentence.

The controls hold no backward state of their own: each button calls the explorer's action
and the explorer writes the counter, the sentence and the message back. Play is a periodic
callback per session (``pn.state.add_periodic_callback``), stopped at the end of the pass,
and for good by ``dispose()`` when the page's session ends.
"""
from __future__ import annotations

from html import escape

import panel as pn
import param
from panel.custom import JSComponent

from . import style
from .locking import locked

BUTTON_LABELS = ("Reset", "Back", "Step", "Run", "Play", "Backward again", "Zero grads")

#: Keyboard shortcuts: key (``KeyboardEvent.key``) -> button label.
SHORTCUTS = {"ArrowRight": "Step", "ArrowLeft": "Back", " ": "Play", "Home": "Reset",
             "End": "Run"}
SHORTCUT_NAMES = {"ArrowRight": "→", "ArrowLeft": "←", " ": "Space", "Home": "Home", "End": "End"}
BUTTON_HELP = {
    "Reset": "Undo every step of this pass (Home)",
    "Back": "Undo the last step (←)",
    "Step": "One backward event forward (→)",
    "Run": "Run the rest of the pass (End)",
    "Play": "Step on a timer; press again to pause (Space)",
    "Backward again": "Run another backward pass: leaf gradients add up",
    "Zero grads": "Set every leaf's .grad to zero, as .grad.zero_() does",
}


def shortcuts_help() -> str:
    """The keyboard shortcuts as one line, for the tooltip next to the buttons."""
    verbs = {"Step": "step", "Back": "back", "Play": "play / pause", "Reset": "reset",
             "Run": "run to the end"}
    return ("Keyboard: " + " · ".join(f"{SHORTCUT_NAMES[k]} {verbs[v]}" for k, v in SHORTCUTS.items())
            + ". Keys do nothing while you type in a field.")


def counter_text(position: int, total: int) -> str:
    return f"step {position} of {total}"


def button_states(position: int, total: int) -> dict:
    """Which stepping buttons can act now: ``{label: enabled}``. Back and Reset need a step
    to undo; Step, Run and Play need one still to do."""
    ahead, behind = position < total, position > 0
    return {"Reset": behind, "Back": behind, "Step": ahead, "Run": ahead, "Play": ahead}


class KeyboardShortcuts(JSComponent):
    """Listens to the page's keys and clicks the button of the matching label among the
    explorer's buttons, in the page: Python then answers as it answers a click, and a saved page
    or a notebook output with no kernel plays it from its recording, so the keys work wherever
    the buttons do. A disabled button ignores its key as it ignores a click; Space clicks Play,
    or Pause while playing. Keys typed into an input, a text area, a select or a slider are left
    alone, and so are keys with Ctrl, Alt or Cmd."""

    keys = param.Dict(default={}, doc="KeyboardEvent.key -> button label.")

    # Every saved page carries this code: no comments in it. ``button``: the nearest button
    # with one of the labels, searched from this component's own container outwards (through
    # the shadow roots Bokeh draws in), so the keys drive the explorer they belong to.
    # ``preventDefault``: no page scroll, and Space does not also click a focused button.
    _esm = """
    export function render({ model, el }) {
      const typing = (e) => {
        for (const t of e.composedPath()) {
          if (!(t instanceof Element)) continue;
          const tag = t.tagName;
          if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable ||
              t.getAttribute('role') === 'slider') return true;
        }
        return false;
      };
      const button = (labels) => {
        for (let node = el; node != null; node = node.parentNode || node.host) {
          const stack = [node];
          while (stack.length) {
            const n = stack.pop();
            if (n.tagName === 'BUTTON' && labels.includes(n.textContent.trim())) return n;
            if (n.shadowRoot) stack.push(n.shadowRoot);
            stack.push(...(n.children || []));
          }
        }
        return null;
      };
      const onkey = (e) => {
        if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || e.repeat && e.key === ' ') return;
        const label = model.keys[e.key];
        if (label === undefined || !el.isConnected || typing(e)) return;
        e.preventDefault();
        const b = button(label === 'Play' ? ['Play', 'Pause'] : [label]);
        if (b != null) b.click();
      };
      document.addEventListener('keydown', onkey);
      model.on('remove', () => document.removeEventListener('keydown', onkey));
    }
    """


COUNTER_WIDTH = 128  # px: "step 999 of 999" in the counter's font


class Controls(pn.viewable.Viewer):
    """``actions``: a mapping from button label to a callable taking no arguments."""

    playing = param.Boolean(default=False, doc="Whether Play is stepping on a timer.")
    interval_ms = param.Integer(default=500, bounds=(50, 5000), doc="Play: milliseconds per step.")

    def __init__(self, actions: dict, retain_graph: bool = False, **params):
        super().__init__(**params)
        self._actions = actions
        self.buttons = {}
        for label in BUTTON_LABELS:
            kind = "primary" if label == "Step" else "default"
            # Narrow enough that the whole toolbar fits one row of a 1200 px window.
            width = {"Backward again": 124, "Zero grads": 92}.get(label, 58)
            b = pn.widgets.Button(label=label, color=kind, width=width, margin=(5, 3),
                                  description=BUTTON_HELP[label])
            b.on_click(locked(self._clicked(label)))
            self.buttons[label] = b
        self.buttons["Backward again"].color = "warning"
        self.speed = pn.widgets.FloatSlider(label="steps / s", start=0.5, end=10, step=0.5,
                                            value=round(1000 / self.interval_ms, 1), width=104,
                                            margin=(0, 8))
        self.speed.param.watch(self._speed_changed, "value")
        self.retain_graph = pn.widgets.Checkbox(label="retain_graph", value=bool(retain_graph),
                                                margin=(12, 8), css_classes=["gv-retain-graph"])
        self.colour_mode = pn.widgets.RadioButtonGroup(options=["role colours", "gradient colours"],
                                                       value="role colours", margin=(8, 4),
                                                       color="default")
        # A fixed width: the buttons after the counter must not move when it reaches two digits.
        self.counter = style.html('<span class="gv-counter">step 0 of 0</span>', margin=(12, 10),
                                    width=COUNTER_WIDTH, css_classes=["gv-counter-pane"])
        self.keys_help = pn.widgets.TooltipIcon(value=shortcuts_help(), margin=(10, 4),
                                                css_classes=["gv-keys-help"])
        self.keyboard = KeyboardShortcuts(keys=dict(SHORTCUTS), width=0, height=0, margin=0)
        self.sentence = style.html("", sizing_mode="stretch_width", margin=(0, 10),
                                     css_classes=["gv-sentence-pane"])
        self.message = style.html("", sizing_mode="stretch_width", margin=(0, 10), visible=False,
                                    css_classes=["gv-message-pane"])
        self._callback = None
        self._disposed = False
        b = self.buttons
        self._layout = pn.Column(
            pn.FlexBox(b["Reset"], b["Back"], b["Step"], b["Run"], b["Play"], self.speed,
                       self.counter, b["Backward again"], b["Zero grads"], self.retain_graph,
                       self.colour_mode, self.keys_help, self.keyboard, align_items="center",
                       gap="2px", sizing_mode="stretch_width"),
            self.sentence, self.message, sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout

    # --- text ------------------------------------------------------------------------------
    def set_counter(self, position: int, total: int, text: str | None = None) -> None:
        """Show where the pass is (``text``, or "step k of n") and enable only the buttons
        that can act there: Back and Reset at step 0, Step, Run and Play at the end, look
        and are disabled."""
        text = counter_text(position, total) if text is None else text
        self.counter.object = f'<span class="gv-counter">{escape(text)}</span>'
        for label, enabled in button_states(position, total).items():
            if label == "Play" and self.playing:
                continue  # Pause stays clickable; Play stops by itself at the end
            self.buttons[label].disabled = not enabled

    def set_sentence(self, text: str) -> None:
        self.sentence.object = f'<div class="gv-sentence">{escape(text)}</div>' if text else ""

    def show_message(self, text: str, kind: str = "error") -> None:
        if not text:
            self.message.object, self.message.visible = "", False
            return
        self.message.object = f'<div class="gv-{kind}">{escape(text)}</div>'
        self.message.visible = True

    # --- buttons ---------------------------------------------------------------------------
    def _clicked(self, label):
        def handler(event=None):
            if self._disposed:  # a click that was on its way when the page closed
                return
            if label == "Play":
                self.toggle_play()
                return
            if label != "Step" and self.playing:
                self.stop()
            self._actions[label]()
        return handler

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        if self.playing or self._disposed:
            return
        self.playing = True
        self.buttons["Play"].label = "Pause"
        self._callback = pn.state.add_periodic_callback(self._tick, period=self.interval_ms)

    def stop(self) -> None:
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
        self.playing = False
        self.buttons["Play"].label = "Play"
        self.buttons["Play"].disabled = self.buttons["Step"].disabled

    def dispose(self) -> None:
        """Stop Play's timer for good and ignore any click still on its way: the page is gone
        (its session was destroyed). The widgets are left alone, since their page no longer
        exists. Safe to call more than once."""
        self._disposed = True
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
        self.playing = False

    @property
    def disposed(self) -> bool:
        """True once ``dispose()`` ran."""
        return self._disposed

    def _tick(self) -> None:
        if self._disposed:
            return
        if not self._actions["Step"]():  # False at the end of the pass: stop playing
            self.stop()

    def _speed_changed(self, event) -> None:
        self.interval_ms = int(max(50, min(5000, 1000 / max(event.new, 0.2))))
        if self._callback is not None:
            self._callback.period = self.interval_ms
