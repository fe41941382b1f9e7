"""``gradviz.optim``: the optimizers of ``torch.optim`` that teaching code uses, one module
each, updating parameters exactly as PyTorch's CPU code does."""
from . import lr_scheduler  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .sgd import SGD  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop"]
