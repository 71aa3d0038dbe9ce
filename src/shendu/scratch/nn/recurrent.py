"""Recurrent layers RNN, LSTM and GRU, built step by step from primitive ops.

Parameter names, shapes, gate order and return values follow torch, so state dicts load
both ways: weight_ih_l{k} (gates * hidden, in), weight_hh_l{k} (gates * hidden, hidden),
bias_ih_l{k}, bias_hh_l{k}, and the same with the suffix _reverse for the backward direction
of a bidirectional layer; gates are (r, z, n) for GRU and (i, f, g, o) for LSTM.
The input projection x W_ih^T + b_ih of a layer is one matmul over all time steps.
"""

from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..ops.activation import relu, sigmoid, tanh
from ..ops.matmul import linear
from ..ops.shape import cat, stack
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


class RNNBase(Module):
    """Shared machinery: parameters, input/state shapes, the loop over layers and time.

    Args:
        input_size, hidden_size: feature sizes of x and h.
        num_layers: stacked layers; layer k > 0 reads layer k-1's outputs.
        bias: whether to learn b_ih and b_hh.
        batch_first: x and output are (B, T, *) instead of (T, B, *). States stay (L * D, B, H).
        dropout: dropout on each layer's output except the last, in training.
        bidirectional: add a direction that reads the sequence backwards (Schuster & Paliwal,
            "Bidirectional Recurrent Neural Networks", 1997); D = 2 and each output step holds
            [forward, backward] (2H features). State index k * D + d is layer k, direction d.
    """

    num_gates = 1
    num_states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        super().__init__()
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout should be a number in range [0, 1]; got {dropout}")
        if num_layers < 1:
            raise ValueError(f"num_layers must be greater than or equal to 1; got {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, dropout
        self.bidirectional, self.num_directions = bidirectional, 2 if bidirectional else 1
        dtype, gates = dtype or np.float32, self.num_gates * hidden_size
        for k in range(num_layers):
            in_size = input_size if k == 0 else hidden_size * self.num_directions
            for suffix in self._suffixes():
                setattr(self, f"weight_ih_l{k}{suffix}", Parameter(np.empty((gates, in_size), dtype)))
                setattr(self, f"weight_hh_l{k}{suffix}", Parameter(np.empty((gates, hidden_size), dtype)))
                if bias:
                    setattr(self, f"bias_ih_l{k}{suffix}", Parameter(np.empty(gates, dtype)))
                    setattr(self, f"bias_hh_l{k}{suffix}", Parameter(np.empty(gates, dtype)))
        self.reset_parameters()

    def _suffixes(self) -> tuple:
        return ("", "_reverse") if self.bidirectional else ("",)

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _layer_params(self, k: int, suffix: str) -> tuple:
        get = self.__dict__.get
        return (get(f"weight_ih_l{k}{suffix}"), get(f"weight_hh_l{k}{suffix}"), get(f"bias_ih_l{k}{suffix}"),
                get(f"bias_hh_l{k}{suffix}"))

    def _step(self, x_proj: Tensor, state: tuple, w_hh, b_hh) -> tuple:
        """One time step: x_proj = x_t W_ih^T + b_ih (B, gates*H), state -> new state."""
        raise NotImplementedError

    def _initial_state(self, hx, batch: int, dtype) -> list:
        """State tuples per layer and direction from hx (num_states tensors (L * D, B, H)), zeros if None."""
        count = self.num_layers * self.num_directions
        expected = (count, batch, self.hidden_size)
        if hx is None:
            zero = Tensor(np.zeros(expected[1:], dtype))
            return [(zero,) * self.num_states for _ in range(count)]
        states = hx if isinstance(hx, tuple) else (hx,)
        for s in states:
            if tuple(s.shape) != expected:
                raise RuntimeError(f"Expected hidden size {expected}, got {list(s.shape)}")
        return [tuple(s[k] for s in states) for k in range(count)]

    def _run_direction(self, layer_input: Tensor, state: tuple, params: tuple, time_dim: int,
                       reverse: bool) -> tuple:
        """One layer in one direction: (outputs (T, B, H) or (B, T, H), final state)."""
        w_ih, w_hh, b_ih, b_hh = params
        x_proj = linear(layer_input, w_ih, b_ih)  # (T, B, gates*H) or (B, T, gates*H)
        steps = layer_input.shape[time_dim]
        outputs = [None] * steps
        for t in (reversed(range(steps)) if reverse else range(steps)):
            state = self._step(x_proj[t] if time_dim == 0 else x_proj[:, t], state, w_hh, b_hh)
            outputs[t] = state[0]
        return stack(outputs, time_dim), state

    def forward(self, input: Tensor, hx=None):
        """Run all layers over the sequence.

        Shapes: input (T, B, I) ((B, T, I) if batch_first) or unbatched (T, I); each state
        (L * D, B, H) or unbatched (L * D, H). Returns output (T, B, D * H) ((B, T, D * H) if
        batch_first) and the final state h_n (L * D, B, H), or (h_n, c_n) for LSTM.
        """
        if input.ndim not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )
        unbatched = input.ndim == 2
        if unbatched:  # (T, I) -> (T, 1, I); states (L, H) -> (L, 1, H)
            input = input.unsqueeze(1)
            if hx is not None:
                hx = tuple(s.unsqueeze(1) for s in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)
        time_dim = 1 if self.batch_first and not unbatched else 0
        states = self._initial_state(hx, input.shape[1 - time_dim], input.dtype)
        layer_input, finals, suffixes = input, [], self._suffixes()
        for k in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(suffixes):
                out, state = self._run_direction(layer_input, states[k * len(suffixes) + d],
                                                 self._layer_params(k, suffix), time_dim, reverse=d == 1)
                outputs.append(out)
                finals.append(state)
            layer_input = outputs[0] if len(outputs) == 1 else cat(outputs, -1)  # (.., H) -> (.., 2H)
            if self.dropout and self.training and k < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        output = layer_input.squeeze(1) if unbatched else layer_input
        final = tuple(stack([s[i] for s in finals], 0) for i in range(self.num_states))  # (L * D, B, H) each
        if unbatched:
            final = tuple(f.squeeze(1) for f in final)
        return output, (final if self.num_states > 1 else final[0])

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"batch_first={self.batch_first}, bidirectional={self.bidirectional}")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    Elman, "Finding Structure in Time", 1990.
    """

    def __init__(self, *args, nonlinearity: str = "tanh", **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(*args, **kwargs)
        self.nonlinearity = nonlinearity

    def _step(self, x_proj, state, w_hh, b_hh):
        pre = x_proj + linear(state[0], w_hh, b_hh)
        return (tanh(pre) if self.nonlinearity == "tanh" else relu(pre),)


class LSTM(RNNBase):
    """Long short-term memory; gates i, f, g, o in that order along the weight rows.

    Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997 (with the forget gate of
    Gers et al., 2000): c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t).
    forward returns (output, (h_n, c_n)).
    """

    num_gates = 4
    num_states = 2

    def _step(self, x_proj, state, w_hh, b_hh):
        h, c = state
        gates = x_proj + linear(h, w_hh, b_hh)  # (B, 4H)
        n = self.hidden_size
        i, f = sigmoid(gates[:, :n]), sigmoid(gates[:, n : 2 * n])
        g, o = tanh(gates[:, 2 * n : 3 * n]), sigmoid(gates[:, 3 * n :])
        c = f * c + i * g
        return o * tanh(c), c


class GRU(RNNBase):
    """Gated recurrent unit; gates r, z, n in that order along the weight rows.

    Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder", 2014, in torch's
    form: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.
    """

    num_gates = 3

    def _step(self, x_proj, state, w_hh, b_hh):
        h = state[0]
        h_proj = linear(h, w_hh, b_hh)  # (B, 3H)
        n = self.hidden_size
        r = sigmoid(x_proj[:, :n] + h_proj[:, :n])
        z = sigmoid(x_proj[:, n : 2 * n] + h_proj[:, n : 2 * n])
        candidate = tanh(x_proj[:, 2 * n :] + r * h_proj[:, 2 * n :])
        return (candidate + z * (h - candidate),)
