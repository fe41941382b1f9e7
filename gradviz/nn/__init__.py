"""``gradviz.nn``: modules and ``functional``."""
from . import functional  # noqa: F401
from .modules import (BCEWithLogitsLoss, CrossEntropyLoss, Linear, Module, MSELoss,  # noqa: F401
                      Parameter, ReLU, Sequential, Sigmoid, Tanh)
