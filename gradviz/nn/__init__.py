"""``gradviz.nn``: modules, ``functional``, ``init`` and ``utils``, as ``torch.nn``."""
# functional first (it loads the ops before gradviz.tensor needs them), then modules: the
# other files build on Module, and modules re-exports them at its end.
from . import functional  # noqa: F401,I001
from .modules import Identity, Linear, Module, Parameter  # noqa: F401
from . import init, utils  # noqa: F401
from .activation import (ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU,  # noqa: F401
                         Softmax, Softplus, Tanh)
from .containers import ModuleDict, ModuleList, Sequential  # noqa: F401
from .conv import AvgPool1d, AvgPool2d, Conv1d, Conv2d, MaxPool1d, MaxPool2d  # noqa: F401
from .layers import (BatchNorm1d, BatchNorm2d, Dropout, Embedding, Flatten,  # noqa: F401
                     LayerNorm, Unflatten)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss,  # noqa: F401
                   MSELoss, NLLLoss, SmoothL1Loss)
