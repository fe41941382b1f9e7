"""``gradviz.utils``: ``data`` (datasets and the DataLoader), as ``torch.utils``."""
from . import data  # noqa: F401
