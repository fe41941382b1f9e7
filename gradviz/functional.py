"""``gradviz.functional``, standing for ``torch.functional``: the module where PyTorch defines
some of its top-level functions (``split``, ``norm``, ``meshgrid``, ``unique``, ...). Programs
import it (sometimes by mistake, as ``import torch.functional as F``); the functions gradviz has
are the same objects as ``gradviz.split`` etc."""
from __future__ import annotations

from .ops.rearrange import atleast_1d, atleast_2d, atleast_3d, meshgrid  # noqa: F401
from .ops.comparison import unique  # noqa: F401
from .ops.split import split  # noqa: F401
from .ops.statistics import norm  # noqa: F401
