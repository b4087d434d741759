"""Recurrent layers in plain NumPy with backpropagation through time: RNN, LSTM, GRU (notebook 08).

Twins of ``torch.nn.RNN``, ``torch.nn.LSTM`` and ``torch.nn.GRU`` with one
layer and one direction, for ``08_recurrent_networks.ipynb``. Three parts,
one idea (a cell unrolled over time):

* **the steps**: one time step of each cell, forward and backward, in torch's
  gate order and formulas (``torch.nn.RNNCell``, ``LSTMCell``, ``GRUCell``).
  Every step takes the two projections the layer computes for it,
  ``xw = x_t W_ih^T + b_ih`` and ``hw = h_{t-1} W_hh^T + b_hh`` (each of shape
  (B, G*H) with G gates), plus the previous state, and returns the new state
  and what its backward needs. Every backward turns ``dL/dh_t`` (and
  ``dL/dc_t``) into ``d_xw`` and ``d_hw``, plus any part of ``dL/dh_{t-1}``
  that does not go through ``hw`` (the GRU's ``z * h`` path) and
  ``dL/dc_{t-1}``; the layer turns ``d_hw`` into ``dL/dh_{t-1}``.
* **the time loop** (:class:`RecurrentBase`): owns torch's parameters and
  layouts, runs a subclass's step once per time step, and on the way back sums
  each step's weight gradients. The input projection ``x W_ih^T`` of every
  step is one matrix product before the loop and after it; only the
  recurrence ``h_{t-1} W_hh^T`` has to wait for the step before.
* **the layers** ``RNN``, ``LSTM``, ``GRU``, and :func:`grad_norms_through_time`.

Parameter names, shapes and gate order are torch's (``weight_ih_l0`` is
(G*H, C) with G = 1, 4, 3 gates), so ``layer.load_state_dict(torch_rnn.state_dict())``
copies weights across and the tests compare outputs and gradients in float64.
As in torch, an empty batch (B = 0) gives empty outputs and a sequence of no
steps (T = 0) is refused.

::

    rnn = RNN(8, 16, batch_first=True)
    out, h_n = rnn(x)                  # x (B, T, 8) -> out (B, T, 16), h_n (1, B, 16)
    dx = rnn.backward(g_out, g_h_n)    # fills every p.grad; rnn.grad_hx is dL/dh_0
    rnn.grad_hidden_states             # (T + 1, B, 16): dL/dh_t for t = 0..T
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import as_floating, sigmoid
from dlhelpers.scratch.layers import Module, Parameter
from dlhelpers.validate import check_choice, check_positive_int

__all__ = [
    "GRU",
    "LSTM",
    "NONLINEARITIES",
    "RNN",
    "RecurrentBase",
    "grad_norms_through_time",
    "gru_step",
    "gru_step_backward",
    "lstm_cell",
    "lstm_step",
    "lstm_step_backward",
    "rnn_step",
    "rnn_step_backward",
]


NONLINEARITIES = ("tanh", "relu")


def rnn_step(
    xw: np.ndarray,
    hw: np.ndarray,
    h: np.ndarray | None = None,
    c: None = None,
    *,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, None, tuple]:
    """``h_t = tanh(xw + hw)`` (or ReLU). One step of ``torch.nn.RNNCell``.

    Parameters
    ----------
    xw, hw : ndarray of shape (B, H)
        The input and hidden projections, biases included.
    h, c : ignored
        The previous state, unused here beyond ``hw`` (kept for one signature).
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    h_t : ndarray of shape (B, H)
    c_t : None
    cache : tuple, for :func:`rnn_step_backward`
    """
    a = xw + hw  # (B, H)
    h_new = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h_new, None, (h_new, nonlinearity)


def rnn_step_backward(
    dh: np.ndarray, dc: None, cache: tuple
) -> tuple[np.ndarray, np.ndarray, None, None]:
    """Backward of :func:`rnn_step`.

    Parameters
    ----------
    dh : ndarray of shape (B, H)
        ``dL/dh_t``, everything that reaches ``h_t``.
    dc : ignored
    cache : what :func:`rnn_step` returned

    Returns
    -------
    d_xw, d_hw : ndarray of shape (B, H)
        The same array: both projections enter by one sum.
    dh_direct, dc_prev : None
    """
    h_new, nonlinearity = cache
    da = dh * (1 - h_new**2) if nonlinearity == "tanh" else dh * (h_new > 0)  # (B, H)
    return da, da, None, None


def lstm_step(
    xw: np.ndarray, hw: np.ndarray, h: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One step of ``torch.nn.LSTMCell``, gates in torch's order i, f, g, o.

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)`` of ``xw + hw``;
    ``c_t = f * c + i * g``; ``h_t = o * tanh(c_t)``.

    Parameters
    ----------
    xw, hw : ndarray of shape (B, 4H)
    h : ndarray of shape (B, H)
        Unused beyond ``hw``.
    c : ndarray of shape (B, H)
        The previous cell state.

    Returns
    -------
    h_t, c_t : ndarray of shape (B, H)
    cache : tuple, for :func:`lstm_step_backward`
    """
    H = c.shape[-1]
    a = xw + hw  # (B, 4H)
    i, f, o = sigmoid(a[..., :H]), sigmoid(a[..., H : 2 * H]), sigmoid(a[..., 3 * H :])
    g = np.tanh(a[..., 2 * H : 3 * H])  # (B, H)
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    return o * tc, c_new, (i, f, g, o, c, tc)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray | None, cache: tuple
) -> tuple[np.ndarray, np.ndarray, None, np.ndarray]:
    """Backward of :func:`lstm_step`.

    Parameters
    ----------
    dh, dc : ndarray of shape (B, H)
        ``dL/dh_t`` and ``dL/dc_t`` from later steps (``dc`` may be None).
    cache : what :func:`lstm_step` returned

    Returns
    -------
    d_xw, d_hw : ndarray of shape (B, 4H)
        The same array, the gradient of the gates' pre-activations.
    dh_direct : None
    dc_prev : ndarray of shape (B, H)
        ``dL/dc_{t-1}``: through ``f`` only, the path that lets gradients last.
    """
    i, f, g, o, c_prev, tc = cache
    dc = dh * o * (1 - tc**2) + (0 if dc is None else dc)  # (B, H)
    da = np.concatenate(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            dh * tc * o * (1 - o),
        ],
        axis=-1,
    )  # (B, 4H)
    return da, da, None, dc * f


def lstm_cell(
    x: ArrayLike,
    h: ArrayLike,
    c: ArrayLike,
    weight_ih: ArrayLike,
    weight_hh: ArrayLike,
    bias_ih: ArrayLike | None = None,
    bias_hh: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step from the input and the weights, as ``torch.nn.LSTMCell`` computes it.

    ``a = x W_ih^T + b_ih + h W_hh^T + b_hh`` holds the four gates side by side,
    in torch's order i, f, g, o; then :func:`lstm_step`. Notebook 08 has the
    learner write this function; this is the package's version of it.

    Parameters
    ----------
    x : array_like of shape (B, C)
    h, c : array_like of shape (B, H)
        The previous hidden and cell states.
    weight_ih : array_like of shape (4H, C)
    weight_hh : array_like of shape (4H, H)
    bias_ih, bias_hh : array_like of shape (4H,), optional

    Returns
    -------
    h_t, c_t : ndarray of shape (B, H)
    """
    x, h, c = as_floating(x), as_floating(h), as_floating(c)
    w_ih, w_hh = as_floating(weight_ih), as_floating(weight_hh)
    B, H = h.shape if h.ndim == 2 else (-1, -1)
    C = x.shape[-1] if x.ndim == 2 else -1
    if (
        x.ndim != 2
        or h.shape != (B, H)
        or c.shape != (B, H)
        or x.shape[0] != B
        or w_ih.shape != (4 * H, C)
        or w_hh.shape != (4 * H, H)
    ):
        raise ValueError(
            "lstm_cell expected x (B, C), h and c (B, H), weight_ih (4H, C) and weight_hh "
            f"(4H, H); got x {x.shape}, h {h.shape}, c {c.shape}, weight_ih {w_ih.shape}, "
            f"weight_hh {w_hh.shape}"
        )
    xw, hw = x @ w_ih.T, h @ w_hh.T  # (B, 4H) each
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        if b is not None and np.shape(b) != (4 * H,):
            raise ValueError(f"lstm_cell expected {name} of shape ({4 * H},), got {np.shape(b)}")
    xw = xw if bias_ih is None else xw + as_floating(bias_ih)
    hw = hw if bias_hh is None else hw + as_floating(bias_hh)
    h_new, c_new, _ = lstm_step(xw, hw, h, c)
    return h_new, c_new


def gru_step(
    xw: np.ndarray, hw: np.ndarray, h: np.ndarray, c: None = None
) -> tuple[np.ndarray, None, tuple]:
    """One step of ``torch.nn.GRUCell``, gates in torch's order r, z, n.

    ``r = sigmoid(xw_r + hw_r)``, ``z = sigmoid(xw_z + hw_z)``,
    ``n = tanh(xw_n + r * hw_n)`` (torch puts ``r`` *after* ``W_hn h + b_hn``),
    ``h_t = (1 - z) * n + z * h``.

    Parameters
    ----------
    xw, hw : ndarray of shape (B, 3H)
    h : ndarray of shape (B, H)
        The previous hidden state.
    c : ignored

    Returns
    -------
    h_t : ndarray of shape (B, H)
    c_t : None
    cache : tuple, for :func:`gru_step_backward`
    """
    H = h.shape[-1]
    r = sigmoid(xw[..., :H] + hw[..., :H])  # (B, H)
    z = sigmoid(xw[..., H : 2 * H] + hw[..., H : 2 * H])
    hn = hw[..., 2 * H :]
    n = np.tanh(xw[..., 2 * H :] + r * hn)
    return (1 - z) * n + z * h, None, (r, z, n, hn, h)


def gru_step_backward(
    dh: np.ndarray, dc: None, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, None]:
    """Backward of :func:`gru_step`.

    Parameters
    ----------
    dh : ndarray of shape (B, H)
        ``dL/dh_t``.
    dc : ignored
    cache : what :func:`gru_step` returned

    Returns
    -------
    d_xw, d_hw : ndarray of shape (B, 3H)
        They differ in the n block: ``hw_n`` enters multiplied by ``r``.
    dh_direct : ndarray of shape (B, H)
        ``z * dh``, the part of ``dL/dh_{t-1}`` that skips the weights.
    dc_prev : None
    """
    r, z, n, hn, h = cache
    dn = dh * (1 - z) * (1 - n**2)  # (B, H), pre-activation of n
    dz = dh * (h - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    d_xw = np.concatenate([dr, dz, dn], axis=-1)  # (B, 3H)
    d_hw = np.concatenate([dr, dz, dn * r], axis=-1)
    return d_xw, d_hw, dh * z, None


class RecurrentBase(Module):
    """The time loop shared by ``RNN``, ``LSTM`` and ``GRU``; subclasses give ``_step``.

    Attributes
    ----------
    weight_ih_l0 : Parameter of shape (G*H, input_size)
    weight_hh_l0 : Parameter of shape (G*H, hidden_size)
    bias_ih_l0, bias_hh_l0 : Parameter of shape (G*H,), absent when ``bias=False``
        All start uniform in ``(-1/sqrt(H), 1/sqrt(H))``, as in torch.
    hidden_states : ndarray of shape (T + 1, B, H)
        ``h_0 .. h_T`` of the last :meth:`forward`, time first whatever ``batch_first``.
    grad_hidden_states : ndarray of shape (T + 1, B, H)
        ``dL/dh_t`` of the last :meth:`backward`, everything that reaches ``h_t``.
    grad_hx : ndarray of h_0's shape (a tuple ``(dh_0, dc_0)`` for the LSTM)
        ``dL/dhx`` of the last :meth:`backward`.
    """

    _gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        batch_first: bool = False,
        *,
        rng: np.random.Generator | None,
        dtype,
    ):
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        sampler = np.random if rng is None else rng
        k, G = 1 / math.sqrt(hidden_size), self._gates * self.hidden_size
        shapes = {"weight_ih_l0": (G, input_size), "weight_hh_l0": (G, hidden_size)}
        if bias:
            shapes |= {"bias_ih_l0": (G,), "bias_hh_l0": (G,)}
        for name, shape in shapes.items():  # torch's order
            setattr(self, name, Parameter(sampler.uniform(-k, k, shape).astype(dtype)))
        self.hidden_states = self.grad_hidden_states = self.grad_hx = None

    def _step(self, xw, hw, h, c):
        raise NotImplementedError

    def _step_backward(self, dh, dc, cache):
        raise NotImplementedError

    # --- layouts: torch's (T, B, C), (B, T, C) and unbatched (T, C) ----------------

    def _input(self, x: ArrayLike) -> np.ndarray:
        x = as_floating(x)
        layout = "(B, T, C)" if self.batch_first else "(T, B, C)"
        time = 1 if self.batch_first and x.ndim == 3 else 0
        # torch refuses a sequence of no steps but runs an empty batch
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size or x.shape[time] == 0:
            raise ValueError(
                f"{self!r} expected input of shape {layout} or (T, C) with C = "
                f"{self.input_size} and T >= 1, got shape {x.shape}"
            )
        self._batched = x.ndim == 3
        if not self._batched:
            return x[:, None]  # (T, 1, C)
        return x.transpose(1, 0, 2) if self.batch_first else x  # (T, B, C)

    def _state_shape(self, B: int) -> tuple[int, ...]:
        return (1, B, self.hidden_size) if self._batched else (1, self.hidden_size)

    def _state(self, value, name: str, B: int, what: str = "") -> np.ndarray:
        if value is None:
            return np.zeros((B, self.hidden_size), self.weight_hh_l0.data.dtype)
        value = np.asarray(value)
        if value.shape != self._state_shape(B):
            raise ValueError(
                f"{self!r} expected {what}{name} of shape {self._state_shape(B)}, got shape {value.shape}"
            )
        return value.reshape(B, self.hidden_size)

    def _layout(self, y: np.ndarray) -> np.ndarray:
        """(T, B, X) time-major back to the layout of the input."""
        if not self._batched:
            return y[:, 0]
        return y.transpose(1, 0, 2) if self.batch_first else y

    # --- the loop over time ---------------------------------------------------------

    def _run(self, input: ArrayLike, h0, c0=None, stateful=False):
        x = self._input(input)  # (T, B, C)
        T, B, _ = x.shape
        h = self._state(h0, "h_0", B, "hx[0] = " if stateful else "")
        c = self._state(c0, "c_0", B, "hx[1] = ") if stateful else None
        w_hh = self.weight_hh_l0.data
        xw = x @ self.weight_ih_l0.data.T  # (T, B, G*H), all steps at once
        if self.bias:
            xw = xw + self.bias_ih_l0.data
        hs = np.empty((T + 1, B, self.hidden_size), np.result_type(xw, h))  # (T+1, B, H)
        hs[0], cs, caches = h, [c], []
        for t in range(T):
            hw = hs[t] @ w_hh.T  # (B, G*H)
            if self.bias:
                hw = hw + self.bias_hh_l0.data
            hs[t + 1], c, cache = self._step(xw[t], hw, hs[t], c)
            cs.append(c)
            caches.append(cache)
        self._x, self._caches, self.hidden_states = x, caches, hs
        self.cell_states = np.stack(cs) if stateful else None  # (T+1, B, H) for the LSTM
        shape = self._state_shape(B)
        return self._layout(hs[1:]), hs[-1].reshape(shape), None if c is None else c.reshape(shape)

    def _bptt(self, grad_output, grad_h_n, grad_c_n=None):
        x = self.saved("_x")
        T, B, _ = x.shape
        if grad_output is None:
            g = np.zeros((T, B, self.hidden_size))
        else:
            want = self._layout(np.empty((T, B, self.hidden_size))).shape
            g = self.check_grad_output(grad_output, want)
            g = g[:, None] if not self._batched else g.transpose(1, 0, 2) if self.batch_first else g
        dh = self._state(grad_h_n, "grad_h_n", B)  # dL/dh_T from outside the sequence
        dc = None if self.cell_states is None else self._state(grad_c_n, "grad_c_n", B)
        w_hh, hs = self.weight_hh_l0.data, self.hidden_states
        d_xw = np.empty(x.shape[:2] + (w_hh.shape[0],), np.result_type(g, w_hh))  # (T, B, G*H)
        grad_h = np.empty_like(hs)  # (T+1, B, H)
        dw_hh, db_hh = np.zeros_like(w_hh), np.zeros(w_hh.shape[0])
        for t in reversed(range(T)):
            dh = dh + g[t]  # the output at t, plus everything later steps sent back
            grad_h[t + 1] = dh
            d_xw[t], d_hw, dh_direct, dc = self._step_backward(dh, dc, self._caches[t])
            dw_hh += d_hw.T @ hs[t]  # (G*H, H)
            db_hh += d_hw.sum(axis=0)
            dh = d_hw @ w_hh + (0 if dh_direct is None else dh_direct)  # (B, H)
        grad_h[0] = dh
        self.grad_hidden_states = grad_h
        flat = d_xw.reshape(T * B, d_xw.shape[-1])  # (T*B, G*H); no -1, B may be 0
        self.weight_ih_l0.accumulate(flat.T @ x.reshape(T * B, x.shape[-1]))  # (G*H, C)
        self.weight_hh_l0.accumulate(dw_hh)
        if self.bias:
            self.bias_ih_l0.accumulate(flat.sum(axis=0))
            self.bias_hh_l0.accumulate(db_hh)
        shape = self._state_shape(B)
        dc0 = None if dc is None else dc.reshape(shape)
        self.grad_hx = dh.reshape(shape) if dc is None else (dh.reshape(shape), dc0)
        return self._layout(d_xw @ self.weight_ih_l0.data)  # (T, B, C) in the input's layout

    def extra_repr(self) -> str:
        extra = "" if self.bias else ", bias=False"
        return f"{self.input_size}, {self.hidden_size}{extra}" + (
            ", batch_first=True" if self.batch_first else ""
        )


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
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, NONLINEARITIES)
        super().__init__(input_size, hidden_size, bias, batch_first, rng=rng, dtype=dtype)

    def _step(self, xw, hw, h, c):
        return rnn_step(xw, hw, h, c, nonlinearity=self.nonlinearity)

    def _step_backward(self, dh, dc, cache):
        return rnn_step_backward(dh, dc, cache)

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
    and the step is :func:`gru_step`.
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
        return gru_step(xw, hw, h, c)

    def _step_backward(self, dh, dc, cache):
        return gru_step_backward(dh, dc, cache)


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
        return lstm_step(xw, hw, h, c)

    def _step_backward(self, dh, dc, cache):
        return lstm_step_backward(dh, dc, cache)

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
    g[last] = 1.0 if grad_last is None else layer.check_grad_output(grad_last, g[last].shape)
    try:
        layer.backward(g)
    finally:
        for p, grad in zip(layer.parameters(), saved, strict=True):
            p.grad = grad
    T = layer.grad_hidden_states.shape[0] - 1
    return np.linalg.norm(layer.grad_hidden_states[1:].reshape(T, -1), axis=1)
