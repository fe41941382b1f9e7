"""The ops, one module per family. Each op computes its result with numpy and records a
backward node named as PyTorch names it (``AddBackward0``, ``MmBackward0``, ...)."""
from . import activation, elementwise, linalg, loss, reduction, shape  # noqa: F401
