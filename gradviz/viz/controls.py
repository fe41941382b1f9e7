"""The backward toolbar: Reset, Back, Step, Run, Play/Pause (with a speed), Backward again,
Zero grads, the ``retain_graph`` and colour-mode toggles, the counter and the sentence.

The controls hold no backward state of their own: each button calls the explorer's action
and the explorer writes the counter, the sentence and the message back. Play is a periodic
callback per session (``pn.state.add_periodic_callback``), stopped at the end of the pass.
"""
from __future__ import annotations

from html import escape

import panel as pn
import param

from . import style

BUTTON_LABELS = ("Reset", "Back", "Step", "Run", "Play", "Backward again", "Zero grads")


def counter_text(position: int, total: int) -> str:
    return f"step {position} of {total}"


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
            b = pn.widgets.Button(label=label, color=kind, width=width, margin=(5, 3))
            b.on_click(self._clicked(label))
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
        self.counter = style.html('<span class="gv-counter">step 0 of 0</span>', margin=(12, 10),
                                    css_classes=["gv-counter-pane"])
        self.sentence = style.html("", sizing_mode="stretch_width", margin=(0, 10),
                                     css_classes=["gv-sentence-pane"])
        self.message = style.html("", sizing_mode="stretch_width", margin=(0, 10), visible=False,
                                    css_classes=["gv-message-pane"])
        self._callback = None
        b = self.buttons
        self._layout = pn.Column(
            pn.FlexBox(b["Reset"], b["Back"], b["Step"], b["Run"], b["Play"], self.speed,
                       self.counter, b["Backward again"], b["Zero grads"], self.retain_graph,
                       self.colour_mode, align_items="center", gap="2px",
                       sizing_mode="stretch_width"),
            self.sentence, self.message, sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout

    # --- text ------------------------------------------------------------------------------
    def set_counter(self, position: int, total: int) -> None:
        self.counter.object = f'<span class="gv-counter">{counter_text(position, total)}</span>'

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
        if self.playing:
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

    def _tick(self) -> None:
        if not self._actions["Step"]():  # False at the end of the pass: stop playing
            self.stop()

    def _speed_changed(self, event) -> None:
        self.interval_ms = int(max(50, min(5000, 1000 / max(event.new, 0.2))))
        if self._callback is not None:
            self._callback.period = self.interval_ms
