"""Recurrent layers in plain NumPy with backpropagation through time: RNN, LSTM, GRU.

Twins of ``torch.nn.RNN``, ``torch.nn.LSTM`` and ``torch.nn.GRU`` with one
layer and one direction, for notebook 08 ("08_recurrent_networks.ipynb").
Parameter names, shapes and gate order are torch's (``weight_ih_l0`` is
(G*H, C) with G = 1, 4, 3 gates), so ``layer.load_state_dict(torch_rnn.state_dict())``
copies weights across and ``tests/test_recurrent.py`` compares outputs and
gradients in float64. The per-step math lives in :mod:`dlhelpers.scratch.gates`,
the time loop in :mod:`dlhelpers.scratch.bptt`.

::

    rnn = RNN(8, 16, batch_first=True)
    out, h_n = rnn(x)                  # x (B, T, 8) -> out (B, T, 16), h_n (1, B, 16)
    dx = rnn.backward(g_out, g_h_n)    # fills every p.grad; rnn.grad_hx is dL/dh_0
    rnn.grad_hidden_states             # (T + 1, B, 16): dL/dh_t for t = 0..T
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

import dlhelpers.scratch.gates as gates
from dlhelpers.scratch.bptt import RecurrentBase
from dlhelpers.scratch.module import _check_grad_shape

__all__ = ["GRU", "LSTM", "RNN", "grad_norms_through_time"]


class RNN(RecurrentBase):
    """An Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``. Twin of ``torch.nn.RNN``.

    Parameters
    ----------
    input_size, hidden_size : int
    nonlinearity : {"tanh", "relu"}, default "tanh"
    bias : bool, default True
    batch_first : bool, default False
        Input and output are (B, T, C) instead of (T, B, C); ``h_0`` and ``h_n``
        are (1, B, H) either way, as in torch.
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator.
    dtype : numpy dtype, default float64

    Attributes are those of the shared base: ``weight_ih_l0`` (H, C),
    ``weight_hh_l0`` (H, H), ``bias_ih_l0``, ``bias_hh_l0`` (H,),
    ``hidden_states``, ``grad_hidden_states`` (T + 1, B, H) and ``grad_hx``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        if nonlinearity not in gates.NONLINEARITIES:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, batch_first, rng=rng, dtype=dtype)

    def _step(self, xw, hw, h, c):
        return gates.rnn_step(xw, hw, h, c, nonlinearity=self.nonlinearity)

    def _step_backward(self, dh, dc, cache):
        return gates.rnn_step_backward(dh, dc, cache)

    def forward(self, input: ArrayLike, hx: ArrayLike | None = None):
        """Run the sequence, remembering every hidden state.

        Parameters
        ----------
        input : array_like of shape (T, B, C), (B, T, C) if ``batch_first``, or (T, C)
        hx : array_like of shape (1, B, H) ((1, H) unbatched), optional
            ``h_0``; zeros by default.

        Returns
        -------
        output : ndarray of shape (T, B, H) ((B, T, H) if ``batch_first``, (T, H) unbatched)
            ``h_1 .. h_T``.
        h_n : ndarray of shape (1, B, H) ((1, H) unbatched)
        """
        output, h_n, _ = self._run(input, hx)
        return output, h_n

    def backward(
        self, grad_output: ArrayLike | None, grad_h_n: ArrayLike | None = None
    ) -> np.ndarray:
        """Backpropagation through time: accumulate every ``p.grad``, return ``dL/dinput``.

        Parameters
        ----------
        grad_output : array_like of output's shape, or None (zeros)
        grad_h_n : array_like of h_n's shape, optional

        Returns
        -------
        ndarray of the input's shape
            ``dL/dh_0`` is kept in ``.grad_hx``, every ``dL/dh_t`` in ``.grad_hidden_states``.
        """
        return self._bptt(grad_output, grad_h_n)

    def extra_repr(self) -> str:
        extra = "" if self.nonlinearity == "tanh" else ", nonlinearity='relu'"
        return super().extra_repr() + extra


class GRU(RNN):
    """A gated recurrent unit layer, gates r, z, n in torch's order. Twin of ``torch.nn.GRU``.

    Arguments, attributes, :meth:`forward` and :meth:`backward` as for
    :class:`RNN` (no ``nonlinearity``); the weights are (3H, C) and (3H, H),
    and the step is :func:`dlhelpers.scratch.gates.gru_step`.
    """

    _gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        batch_first: bool = False,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        super().__init__(input_size, hidden_size, "tanh", bias, batch_first, rng=rng, dtype=dtype)

    def _step(self, xw, hw, h, c):
        return gates.gru_step(xw, hw, h, c)

    def _step_backward(self, dh, dc, cache):
        return gates.gru_step_backward(dh, dc, cache)


class LSTM(RecurrentBase):
    """A long short-term memory layer, gates i, f, g, o in torch's order. Twin of ``torch.nn.LSTM``.

    Arguments and attributes as for :class:`RNN` (no ``nonlinearity``); the
    weights are (4H, C) and (4H, H); ``cell_states`` (T + 1, B, H) holds
    ``c_0 .. c_T`` and ``grad_hx`` is the pair ``(dL/dh_0, dL/dc_0)``.
    """

    _gates = 4

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        batch_first: bool = False,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        super().__init__(input_size, hidden_size, bias, batch_first, rng=rng, dtype=dtype)

    def _step(self, xw, hw, h, c):
        return gates.lstm_step(xw, hw, h, c)

    def _step_backward(self, dh, dc, cache):
        return gates.lstm_step_backward(dh, dc, cache)

    def forward(self, input: ArrayLike, hx: tuple[ArrayLike, ArrayLike] | None = None):
        """Run the sequence, remembering every hidden and cell state.

        Parameters
        ----------
        input : array_like of shape (T, B, C), (B, T, C) if ``batch_first``, or (T, C)
        hx : pair (h_0, c_0) of array_like of shape (1, B, H) ((1, H) unbatched), optional

        Returns
        -------
        output : ndarray of shape (T, B, H) ((B, T, H) if ``batch_first``, (T, H) unbatched)
        (h_n, c_n) : pair of ndarray of shape (1, B, H) ((1, H) unbatched)
        """
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(
                f"{self!r} expected hx = (h_0, c_0), a pair of arrays, got {type(hx).__name__}"
            )
        output, h_n, c_n = self._run(input, *(hx or (None, None)), stateful=True)
        return output, (h_n, c_n)

    def backward(
        self,
        grad_output: ArrayLike | None,
        grad_h_n: ArrayLike | None = None,
        grad_c_n: ArrayLike | None = None,
    ) -> np.ndarray:
        """Backpropagation through time, as :meth:`RNN.backward`, with ``dL/dc_n`` too.

        Parameters
        ----------
        grad_output : array_like of output's shape, or None (zeros)
        grad_h_n, grad_c_n : array_like of shape (1, B, H) ((1, H) unbatched), optional

        Returns
        -------
        ndarray of the input's shape
        """
        return self._bptt(grad_output, grad_h_n, grad_c_n)


def grad_norms_through_time(
    layer: RecurrentBase, input: ArrayLike, hx=None, grad_last: ArrayLike | None = None
) -> np.ndarray:
    """How big ``dL/dh_t`` is at every step, for a loss on the last output only.

    Runs ``layer`` forward and backward with ``dL/d output`` zero except at the
    last step; the parameters' ``.grad`` are left as they were. Notebook 08
    plots this to show gradients vanishing (or exploding) back in time.

    Parameters
    ----------
    layer : RNN, LSTM or GRU
    input : array_like of the layer's input shape, T steps
    hx : optional, as the layer's ``forward`` takes it
    grad_last : array_like of the last output's shape, (B, H) or (H,), optional
        ``dL/d output[T-1]``; ones by default (the loss is its sum).

    Returns
    -------
    ndarray of shape (T,)
        ``norms[t] = ||dL/dh_{t+1}||`` over the batch and hidden units:
        ``norms[-1]`` is ``||grad_last||``, and earlier entries shrink or grow.
    """
    saved = [p.grad for p in layer.parameters()]
    output = layer(input, hx)[0]
    g = np.zeros_like(output)
    last = (slice(None), -1) if layer._batched and layer.batch_first else (-1,)
    g[last] = 1.0 if grad_last is None else _check_grad_shape(layer, grad_last, g[last].shape)
    try:
        layer.backward(g)
    finally:
        for p, grad in zip(layer.parameters(), saved, strict=True):
            p.grad = grad
    T = layer.grad_hidden_states.shape[0] - 1
    return np.linalg.norm(layer.grad_hidden_states[1:].reshape(T, -1), axis=1)
