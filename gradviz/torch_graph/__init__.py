"""PyTorch's own graphs, seen through gradviz.

Importing this package imports torch; gradviz imports it only when a ``torch.Tensor`` arrives
(``gradviz.to_networkx(t)``, ``gradviz.Stepper(t)``, ``gradviz.explore(t)``), so that
``import gradviz`` never does.

- ``to_networkx(roots, names=None, model=None)``: the graph behind a torch tensor, in the schema of
  ``gradviz.graph`` (``G.graph["source"] == "torch"``);
- ``RecordedPass(roots, gradient=None, retain_graph=False)``: PyTorch's real backward pass, run
  once with hooks and stepped through event by event with the ``Stepper`` interface;
- ``trace(model)``: records which module was running when each autograd node was created (the
  function nodes' ``scope``);
- ``grad_array(t)`` / ``set_grad(t, array_or_None)``: a tensor's ``.grad`` as numpy and back.
"""
from __future__ import annotations

from .arrays import grad_array, set_grad, to_numpy
from .export import to_networkx
from .names import CallerNames, caller_names
from .record import RecordedPass
from .trace import trace

__all__ = ["to_networkx", "RecordedPass", "trace", "grad_array", "set_grad", "to_numpy",
           "caller_names", "CallerNames"]
