"""backward() makes no event objects unless something watches the pass; the Stepper, the
profiler and anomaly detection still see every event, and the gradients are the same either way
(checked against a hand computation)."""
import numpy as np
import pytest

import gradviz
from gradviz.autograd import engine


@pytest.fixture
def count_events(monkeypatch):
    """Count the events the engine constructs (its event classes swapped for counting ones)."""
    made = {"n": 0}
    for name in ("SeedEvent", "CallEvent", "AccumulateEvent", "DoneEvent"):
        base = getattr(engine, name)

        def init(self, *args, _base=base, **kwargs):
            made["n"] += 1
            _base.__init__(self, *args, **kwargs)

        monkeypatch.setattr(engine, name, type(name, (base,), {"__slots__": (), "__init__": init}))
    return made


def _program():
    # y = sum(relu(w * x)); dy/dw = x where w*x > 0, else 0
    w = gradviz.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x = gradviz.tensor([2.0, 5.0, -1.0])
    return w, gradviz.relu(w * x).sum()


EXPECTED = np.array([2.0, 0.0, 0.0])


def test_backward_makes_no_events(count_events):
    w, y = _program()
    y.backward()
    assert count_events["n"] == 0
    np.testing.assert_array_equal(w.grad.numpy(), EXPECTED)


def test_autograd_grad_makes_no_events(count_events):
    w, y = _program()
    (g,) = gradviz.autograd.grad(y, w)
    assert count_events["n"] == 0
    np.testing.assert_array_equal(g.numpy(), EXPECTED)


def test_stepper_still_gets_every_event(count_events):
    w, y = _program()
    stepper = gradviz.autograd.stepper.Stepper(y)
    stepper.run()
    # seed, SumBackward0, ReluBackward0, MulBackward0, AccumulateGrad, done
    assert [e.kind for e in stepper.events] == ["seed", "call", "call", "call", "accumulate", "done"]
    assert count_events["n"] == 6
    np.testing.assert_array_equal(w.grad.numpy(), EXPECTED)


def test_anomaly_detection_still_sees_the_events(count_events):
    w, y = _program()
    with pytest.warns(UserWarning, match="Anomaly Detection"):
        with gradviz.autograd.detect_anomaly():
            y.backward()
    assert count_events["n"] == 6
    np.testing.assert_array_equal(w.grad.numpy(), EXPECTED)
