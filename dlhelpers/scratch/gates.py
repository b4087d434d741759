"""One time step of an RNN, LSTM and GRU cell, forward and backward, in plain NumPy.

The cells of notebook 08 ("08_recurrent_networks.ipynb"), in torch's gate
order and formulas (``torch.nn.RNNCell``, ``LSTMCell``, ``GRUCell``). The
layers of :mod:`dlhelpers.scratch.recurrent` loop over time and call these.

Every step takes the two projections a layer computes for it,
``xw = x_t W_ih^T + b_ih`` and ``hw = h_{t-1} W_hh^T + b_hh`` (each of shape
(B, G*H) with G gates), plus the previous state, and returns the new state and
what its backward needs. Every backward turns ``dL/dh_t`` (and ``dL/dc_t``)
into ``d_xw`` and ``d_hw``, the gradients of the two projections, plus any
part of ``dL/dh_{t-1}`` that does not go through ``hw`` (the GRU's ``z * h``
path) and ``dL/dc_{t-1}``; the layer turns ``d_hw`` into ``dL/dh_{t-1}``.
"""

from __future__ import annotations

import numpy as np

from dlhelpers.scratch.activations import sigmoid

__all__ = [
    "NONLINEARITIES",
    "gru_step",
    "gru_step_backward",
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
