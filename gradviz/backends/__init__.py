"""``gradviz.backends``: the availability checks programs make before picking a device
(``torch.backends.mps.is_available()``); gradviz has only the CPU."""
from . import mps  # noqa: F401
