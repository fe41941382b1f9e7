"""Recurrent layers: ``RNNCell``/``LSTMCell``/``GRUCell`` (recorded op by op exactly as
PyTorch's CPU cells are: Addmm, UnsafeSplit, Sigmoid, Tanh, Mul, Add) and ``RNN``/``LSTM``/
``GRU`` over whole sequences (layers, both directions, batch_first, dropout between layers).

PyTorch runs whole sequences in one fused kernel (MkldnnRnnLayerBackward0); gradviz runs the
cell at every time step, so the graph shows each step, with the same values and gradients."""
from __future__ import annotations

import math

import numpy as np

from ..ops.shape import cat, squeeze, stack, unsqueeze
from ..ops.split import unsafe_chunk
from ..random import default_generator
from ..tensor import Tensor
from . import functional as F
from .modules import Module, Parameter, _default_float


def _uniform(shape, bound, dtype):
    """U(−bound, bound), PyTorch's initialisation of every recurrent weight and bias."""
    return Parameter(((default_generator.uniform(shape, np.float64) * 2 - 1) * bound).astype(dtype))


def _zeros_like_hidden(x, n, hidden):
    return Tensor._make(np.zeros((n, hidden), dtype=x._array.dtype))


# --- the cells, as functions of tensors ------------------------------------------------------
# (The hidden-to-hidden product comes first in each sum, as in PyTorch's cells.)
def rnn_tanh_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    return F.tanh(F.linear(h, w_hh, b_hh) + F.linear(x, w_ih, b_ih))


def rnn_relu_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    return F.relu(F.linear(h, w_hh, b_hh) + F.linear(x, w_ih, b_ih))


def lstm_cell(x, hc, w_ih, w_hh, b_ih, b_hh):
    h, c = hc
    gates = F.linear(h, w_hh, b_hh) + F.linear(x, w_ih, b_ih)
    i, f, g, o = unsafe_chunk(gates, 4, 1)
    ingate, forgetgate, cellgate, outgate = F.sigmoid(i), F.sigmoid(f), F.tanh(g), F.sigmoid(o)
    cy = forgetgate * c + ingate * cellgate
    hy = outgate * F.tanh(cy)
    return hy, cy


def gru_cell(x, h, w_ih, w_hh, b_ih, b_hh):
    i_r, i_z, i_n = unsafe_chunk(F.linear(x, w_ih, b_ih), 3, 1)
    h_r, h_z, h_n = unsafe_chunk(F.linear(h, w_hh, b_hh), 3, 1)
    reset_gate = F.sigmoid(h_r + i_r)
    input_gate = F.sigmoid(h_z + i_z)
    new_gate = F.tanh(i_n + h_n * reset_gate)
    return (h - new_gate) * input_gate + new_gate


class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt = _default_float() if dtype is None else dtype.numpy
        stdv = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0
        g = self._gates * hidden_size
        self.weight_ih = _uniform((g, input_size), stdv, dt)
        self.weight_hh = _uniform((g, hidden_size), stdv, dt)
        if bias:
            self.bias_ih = _uniform((g,), stdv, dt)
            self.bias_hh = _uniform((g,), stdv, dt)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _batched(self, input, hx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        return input.dim() == 2


class RNNCell(_CellBase):
    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, device, dtype)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        batched = self._batched(input, hx)
        x = input if batched else unsqueeze(input, 0)
        h = _zeros_like_hidden(x, x.shape[0], self.hidden_size) if hx is None else \
            (hx if batched else unsqueeze(hx, 0))
        cell = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        out = cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else squeeze(out, 0)


class LSTMCell(_CellBase):
    _gates = 4

    def forward(self, input, hx=None):
        batched = self._batched(input, hx)
        x = input if batched else unsqueeze(input, 0)
        if hx is None:
            z = _zeros_like_hidden(x, x.shape[0], self.hidden_size)
            hx = (z, z)
        elif not batched:
            hx = (unsqueeze(hx[0], 0), unsqueeze(hx[1], 0))
        h, c = lstm_cell(x, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (squeeze(h, 0), squeeze(c, 0))


class GRUCell(_CellBase):
    _gates = 3

    def forward(self, input, hx=None):
        batched = self._batched(input, hx)
        x = input if batched else unsqueeze(input, 0)
        h = _zeros_like_hidden(x, x.shape[0], self.hidden_size) if hx is None else \
            (hx if batched else unsqueeze(hx, 0))
        out = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else squeeze(out, 0)


# --- whole sequences -----------------------------------------------------------------------------
class _RNNBase(Module):
    _gates = 1
    _lstm = False

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if proj_size:
            raise NotImplementedError("proj_size is not supported by gradviz")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if dropout > 0 and num_layers == 1:
            import warnings

            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning, stacklevel=3)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dt = _default_float() if dtype is None else dtype.numpy
        stdv = 1.0 / math.sqrt(hidden_size)
        directions = 2 if bidirectional else 1
        g = self._gates * hidden_size
        for layer in range(num_layers):
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                in_size = input_size if layer == 0 else hidden_size * directions
                setattr(self, "weight_ih" + suffix, _uniform((g, in_size), stdv, dt))
                setattr(self, "weight_hh" + suffix, _uniform((g, hidden_size), stdv, dt))
                if bias:
                    setattr(self, "bias_ih" + suffix, _uniform((g,), stdv, dt))
                    setattr(self, "bias_hh" + suffix, _uniform((g,), stdv, dt))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    def _cell(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, input, hx=None):
        if input.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D instead")
        batched = input.dim() == 3
        x = input if batched else unsqueeze(input, 1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        steps, n = x.shape[0], x.shape[1]
        if x.shape[2] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[2]}")
        directions = 2 if self.bidirectional else 1
        states = self._initial_states(hx, batched, n, directions, x)
        cell = self._cell()
        last_h, last_c = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                weights = self._weights(layer, direction)
                state = states[layer * directions + direction]
                order = range(steps) if direction == 0 else range(steps - 1, -1, -1)
                seq = [None] * steps
                for t in order:
                    state = cell(layer_input[t], state, *weights)
                    seq[t] = state[0] if self._lstm else state
                outputs.append(stack(seq, 0))
                if self._lstm:
                    last_h.append(state[0])
                    last_c.append(state[1])
                else:
                    last_h.append(state)
            layer_input = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        h_n = stack(last_h, 0)
        c_n = stack(last_c, 0) if self._lstm else None
        if not batched:
            output = squeeze(output, 1)
            h_n = squeeze(h_n, 1)
            c_n = squeeze(c_n, 1) if c_n is not None else None
        return (output, (h_n, c_n)) if self._lstm else (output, h_n)

    def _initial_states(self, hx, batched, n, directions, x):
        count = self.num_layers * directions
        zeros = lambda: _zeros_like_hidden(x, n, self.hidden_size)  # noqa: E731
        if hx is None:
            return [(zeros(), zeros()) if self._lstm else zeros() for _ in range(count)]
        if self._lstm:
            h0, c0 = hx
            if not batched:
                h0, c0 = unsqueeze(h0, 1), unsqueeze(c0, 1)
            expected = (count, n, self.hidden_size)
            for name, t in (("hidden[0]", h0), ("hidden[1]", c0)):
                if tuple(t.shape) != expected:
                    raise RuntimeError(f"Expected {name} size ({', '.join(map(str, expected))}), "
                                       f"got [{', '.join(map(str, t.shape))}]")
            return [(h0[i], c0[i]) for i in range(count)]
        h0 = hx if batched else unsqueeze(hx, 1)
        expected = (count, n, self.hidden_size)
        if tuple(h0.shape) != expected:
            raise RuntimeError(f"Expected hidden size ({', '.join(map(str, expected))}), got "
                               f"[{', '.join(map(str, h0.shape))}]")
        return [h0[i] for i in range(count)]


class RNN(_RNNBase):
    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs):
        if len(args) > 3 and isinstance(args[3], str):
            nonlinearity, args = args[3], args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self_nonlinearity = nonlinearity
        super().__init__(*args, **kwargs)
        self.nonlinearity = self_nonlinearity

    def _cell(self):
        return rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell


class LSTM(_RNNBase):
    _gates = 4
    _lstm = True

    def _cell(self):
        return lstm_cell


class GRU(_RNNBase):
    _gates = 3

    def _cell(self):
        return gru_cell
