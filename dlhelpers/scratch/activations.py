"""Activation functions and their derivatives in plain NumPy.

Reference implementations for notebook 01; each mirrors a ``torch`` function
(named in its docstring) and is checked against it, in float64, by
``tests/test_activations.py``. They accept anything array-like, keep a float
input's dtype (integers become float64) and never warn, even at ±1e4.

Elementwise activations come with ``*_grad(x)``, the derivative f'(x).
Softmax mixes its inputs, so it comes with ``softmax_backward``, the
vector-Jacobian product that backpropagation needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = [
    "gelu",
    "gelu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "log_softmax",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_backward",
    "tanh",
    "tanh_grad",
]


def _float(x) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def relu(x):
    """ReLU, ``max(0, x)``. Twin of ``torch.relu``."""
    x = _float(x)
    return np.maximum(x, 0).astype(x.dtype)


def relu_grad(x):
    """Derivative of ReLU: 1 where ``x > 0``, else 0 (torch's choice at 0)."""
    x = _float(x)
    return (x > 0).astype(x.dtype)


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``. Twin of ``torch.sigmoid``.

    ``exp`` only ever sees non-positive numbers, so nothing overflows:
    ``sigmoid(-1000)`` is exactly 0.0 and ``sigmoid(1000)`` exactly 1.0.
    """
    x = _float(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def sigmoid_grad(x):
    """Derivative of the sigmoid, ``s(x) * (1 - s(x))``; at most 0.25."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent. Twin of ``torch.tanh``."""
    return np.tanh(_float(x))


def tanh_grad(x):
    """Derivative of tanh, ``1 - tanh(x)**2``; at most 1."""
    t = tanh(x)
    return 1 - t * t


def leaky_relu(x, negative_slope: float = 0.01):
    """Leaky ReLU. Twin of ``torch.nn.functional.leaky_relu``."""
    x = _float(x)
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype)


def leaky_relu_grad(x, negative_slope: float = 0.01):
    """Derivative of leaky ReLU: 1 where ``x > 0``, else ``negative_slope``."""
    x = _float(x)
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x, approximate: str = "none"):
    """GELU, ``x * Phi(x)`` with Phi the standard normal CDF.

    Twin of ``torch.nn.functional.gelu`` (same ``approximate`` argument:
    ``"none"`` for the exact erf form, ``"tanh"`` for the GPT-2 approximation).
    """
    x = _float(x)
    if approximate == "none":
        phi = 0.5 * (1 + _erf(x / math.sqrt(2)))
    elif approximate == "tanh":
        phi = 0.5 * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return (x * phi).astype(x.dtype)


def gelu_grad(x, approximate: str = "none"):
    """Derivative of :func:`gelu` (same ``approximate`` argument)."""
    x = _float(x)
    if approximate == "none":
        cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        out = cdf + x * pdf
    elif approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x**3)
        t = np.tanh(inner)
        dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
        out = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return out.astype(x.dtype)


def softmax(x, dim: int = -1):
    """Softmax along ``dim``. Twin of ``torch.softmax(x, dim)``.

    Subtracting the maximum first changes nothing mathematically but keeps
    ``exp`` at or below 1, so logits near 1e4 are fine.
    """
    x = _float(x)
    z = x - np.max(x, axis=dim, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=dim, keepdims=True)


def log_softmax(x, dim: int = -1):
    """Log of the softmax, computed stably. Twin of ``torch.log_softmax``."""
    x = _float(x)
    z = x - np.max(x, axis=dim, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=dim, keepdims=True))


def softmax_backward(grad_output, y, dim: int = -1):
    """Backward pass of softmax: ``dL/dx`` from ``dL/dy`` and ``y = softmax(x)``.

    The Jacobian is ``diag(y) - y y^T``, so the vector-Jacobian product is
    ``y * (g - sum(g * y))`` along ``dim``; no Jacobian is ever built.
    """
    g = _float(grad_output)
    y = _float(y)
    return y * (g - np.sum(g * y, axis=dim, keepdims=True))


#: name -> (function, derivative) for the elementwise activations, in the
#: order notebook 01 introduces them.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "gelu": (gelu, gelu_grad),
}
