"""Layers in plain NumPy, mirroring ``torch.nn`` (notebooks 02, 04 and 05).

Each layer has a ``forward`` that remembers what its ``backward`` needs and a
``backward(grad_output) -> grad_input`` that *accumulates* (``+=``) into its
parameters' ``.grad``, just as ``loss.backward()`` does in torch. Names and
layouts match torch (``Linear.weight`` is ``(out_features, in_features)``,
a ``Sequential``'s parameters are called ``0.weight``, ``0.bias``, ...), so
``tests/test_layers.py`` copies weights to and from ``torch.nn`` one-to-one
and compares outputs and gradients in float64.

::

    model = Sequential(Linear(784, 64), ReLU(), Linear(64, 10))
    logits = model(X)                      # (N, 10)
    loss = loss_fn(logits, y)              # loss_fn = CrossEntropyLoss()
    model.zero_grad()
    model.backward(loss_fn.backward())     # fills every p.grad
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import relu_grad, sigmoid, tanh
from dlhelpers.scratch.module import Module, Parameter, _cached, _check_grad_shape

__all__ = ["ACTIVATION_LAYERS", "Dropout", "Flatten", "Linear", "ReLU", "Sigmoid", "Tanh"]


class Linear(Module):
    """``y = x W^T + b``. Twin of ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator
        (seeded by :func:`dlhelpers.env.set_seed`).
    dtype : numpy dtype, default float64

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
    bias : Parameter of shape (out_features,), or None
        Both start uniform in ``(-1/sqrt(in_features), 1/sqrt(in_features))``,
        which is what torch's ``kaiming_uniform_(a=sqrt(5))`` works out to.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        self.in_features, self.out_features = int(in_features), int(out_features)
        sampler = np.random if rng is None else rng
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(
            sampler.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
        )
        self.bias = (
            Parameter(sampler.uniform(-bound, bound, out_features).astype(dtype)) if bias else None
        )
        self._x: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """``x W^T + b``, remembering ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like of shape (N, *, in_features)

        Returns
        -------
        ndarray of shape (N, *, out_features)
        """
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expected input "
                f"with last dimension {self.in_features}, got shape {x.shape}"
            )
        self._x = x
        y = x @ self.weight.data.T  # (..., out)
        return y + self.bias.data if self.bias is not None else y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Accumulate ``weight.grad`` and ``bias.grad``; return ``dL/dx``.

        Parameters
        ----------
        grad_output : array_like of shape (N, *, out_features)
            ``dL/dy`` for the last :meth:`forward`.

        Returns
        -------
        ndarray of shape (N, *, in_features)
        """
        x = _cached(self, "_x")
        g = _check_grad_shape(self, grad_output, x.shape[:-1] + (self.out_features,))
        g2 = g.reshape(-1, self.out_features)  # (N, out), leading dims flattened
        self.weight.accumulate(g2.T @ x.reshape(-1, self.in_features))  # (out, in)
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))  # (out,)
        return g @ self.weight.data  # (..., in)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """``max(0, x)`` elementwise. Twin of ``torch.nn.ReLU``.

    Shapes, as torch documents them: input ``x`` of shape (N, *), output of the
    same shape; ``backward`` maps ``grad_output`` of that shape to ``dL/dx``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, *) -> ndarray of x's shape."""
        self._x = np.asarray(x)
        return np.maximum(self._x, 0)

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of shape (N, *) -> ``dL/dx``, of its shape."""
        x = _cached(self, "_x")
        return _check_grad_shape(self, grad_output, x.shape) * relu_grad(x)


class Sigmoid(Module):
    """Logistic sigmoid elementwise. Twin of ``torch.nn.Sigmoid``.

    Shapes, as torch documents them: input ``x`` of shape (N, *), output of the
    same shape; ``backward`` maps ``grad_output`` of that shape to ``dL/dx``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, *) -> ndarray of x's shape."""
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of shape (N, *) -> ``dL/dx``, of its shape."""
        y = _cached(self, "_y")
        return _check_grad_shape(self, grad_output, y.shape) * y * (1 - y)


class Tanh(Module):
    """Hyperbolic tangent elementwise. Twin of ``torch.nn.Tanh``.

    Shapes, as torch documents them: input ``x`` of shape (N, *), output of the
    same shape; ``backward`` maps ``grad_output`` of that shape to ``dL/dx``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, *) -> ndarray of x's shape."""
        self._y = tanh(x)
        return self._y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of shape (N, *) -> ``dL/dx``, of its shape."""
        y = _cached(self, "_y")
        return _check_grad_shape(self, grad_output, y.shape) * (1 - y * y)


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one. Twin of ``torch.nn.Flatten``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Merge the dimensions ``start_dim..end_dim``.

        Parameters
        ----------
        x : array_like of shape (N, *)
            At least ``max(start_dim, end_dim) + 1`` dimensions.

        Returns
        -------
        ndarray
            (N, C, H, W) becomes (N, C*H*W) with the defaults.
        """
        x = np.asarray(x)
        if not all(-x.ndim <= d < x.ndim for d in (self.start_dim, self.end_dim)):
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) needs an input "
                f"with dimensions {self.start_dim} and {self.end_dim}, got shape {x.shape}"
            )
        self._shape = x.shape
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1 :])

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Undo the flattening: ``dL/dx`` from ``dL/dy``.

        Parameters
        ----------
        grad_output : array_like of the output's shape

        Returns
        -------
        ndarray of the last input's shape
        """
        return np.asarray(grad_output).reshape(_cached(self, "_shape"))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero each entry with probability ``p`` while training, scale the rest by ``1/(1-p)``.

    Twin of ``torch.nn.Dropout`` (identity in ``eval()`` mode). The random
    mask comes from ``rng`` (default: NumPy's global generator), so it will
    not match torch's mask, only its statistics.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
        self.p, self._rng = p, rng

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Drop and rescale entries while training; pass ``x`` through in eval mode.

        Parameters
        ----------
        x : array_like of shape (N, *)

        Returns
        -------
        ndarray of x's shape
        """
        x = np.asarray(x)
        if not self.training or self.p == 0:
            self._mask = np.ones_like(x)
            return x
        sampler = np.random if self._rng is None else self._rng
        keep = sampler.random(x.shape) >= self.p
        self._mask = keep / (1 - self.p) if self.p < 1 else np.zeros_like(x)
        return x * self._mask

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """``dL/dx``: the same mask and scale as the last :meth:`forward`.

        Parameters
        ----------
        grad_output : array_like of shape (N, *)

        Returns
        -------
        ndarray of grad_output's shape
        """
        mask = _cached(self, "_mask")
        return _check_grad_shape(self, grad_output, mask.shape) * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


#: activation name -> layer class of :mod:`dlhelpers.scratch.layers`.
ACTIVATION_LAYERS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
