"""The time loop of the recurrent layers: forward over T steps, backpropagation through time.

Shared by :class:`~dlhelpers.scratch.recurrent.RNN`, ``LSTM`` and ``GRU`` (notebook 08,
"08_recurrent_networks.ipynb"): it owns torch's parameters and layouts, runs a
subclass's ``_step`` (from :mod:`dlhelpers.scratch.gates`) once per time step,
and on the way back sums each step's weight gradients. The input projection
``x W_ih^T`` of every step is one matrix product before the loop and after it;
only the recurrence ``h_{t-1} W_hh^T`` has to wait for the step before.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.module import Module, Parameter, _cached, _check_grad_shape

__all__ = ["RecurrentBase"]


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
        for name, n in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, not {n!r}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
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
        x = np.asarray(x)
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
        layout = "(B, T, C)" if self.batch_first else "(T, B, C)"
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size or 0 in x.shape:
            raise ValueError(
                f"{self!r} expected input of shape {layout} or (T, C) with C = "
                f"{self.input_size} and T, B >= 1, got shape {x.shape}"
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
        x = _cached(self, "_x")
        T, B, _ = x.shape
        if grad_output is None:
            g = np.zeros((T, B, self.hidden_size))
        else:
            want = self._layout(np.empty((T, B, self.hidden_size))).shape
            g = _check_grad_shape(self, grad_output, want)
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
        flat = d_xw.reshape(T * B, -1)  # (T*B, G*H)
        self.weight_ih_l0.accumulate(flat.T @ x.reshape(T * B, -1))  # (G*H, C)
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
