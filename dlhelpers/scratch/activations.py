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
from numpy.typing import ArrayLike

from dlhelpers.validate import check_real_array

__all__ = [
    "as_floating",
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


def as_floating(x: ArrayLike) -> np.ndarray:
    """``x`` as an ndarray of a floating dtype, the rule of the elementwise reference code.

    A float array keeps its dtype (float16, float32 or float64, as torch keeps
    it); integers and booleans become float64; text, objects and complex
    numbers are refused (torch has no real twin for them).

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of the same shape
    """
    x = check_real_array("the array", x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def relu(x: ArrayLike) -> np.ndarray:
    """ReLU, ``max(0, x)``. Twin of ``torch.relu``.

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of x's shape
        In x's float dtype (float64 for integer input).
    """
    x = as_floating(x)
    return np.maximum(x, 0).astype(x.dtype)


def relu_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of ReLU: 1 where ``x > 0``, else 0 (torch's choice at 0).

    What ``torch.relu``'s backward multiplies the incoming gradient by.

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of x's shape
    """
    x = as_floating(x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``. Twin of ``torch.sigmoid``.

    ``exp`` only ever sees non-positive numbers, so nothing overflows:
    ``sigmoid(-1000)`` is exactly 0.0 and ``sigmoid(1000)`` exactly 1.0.

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of x's shape, values in [0, 1]
    """
    x = as_floating(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def sigmoid_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, ``s(x) * (1 - s(x))``; at most 0.25.

    The local gradient of ``torch.sigmoid``.

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of x's shape, values in [0, 0.25]
    """
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent. Twin of ``torch.tanh``.

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of x's shape, values in [-1, 1]
    """
    return np.tanh(as_floating(x))


def tanh_grad(x: ArrayLike) -> np.ndarray:
    """Derivative of tanh, ``1 - tanh(x)**2``; at most 1.

    The local gradient of ``torch.tanh``.

    Parameters
    ----------
    x : array_like of any shape

    Returns
    -------
    ndarray of x's shape, values in [0, 1]
    """
    t = tanh(x)
    return 1 - t * t


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky ReLU, ``x`` if ``x > 0`` else ``negative_slope * x``.

    Twin of ``torch.nn.functional.leaky_relu``.

    Parameters
    ----------
    x : array_like of any shape
    negative_slope : float, default 0.01

    Returns
    -------
    ndarray of x's shape
    """
    x = as_floating(x)
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype)


def leaky_relu_grad(x: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU: 1 where ``x > 0``, else ``negative_slope``.

    The local gradient of ``torch.nn.functional.leaky_relu``; arguments and
    result as in :func:`leaky_relu`.
    """
    x = as_floating(x)
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x: ArrayLike, approximate: str = "none") -> np.ndarray:
    """GELU, ``x * Phi(x)`` with Phi the standard normal CDF.

    Twin of ``torch.nn.functional.gelu``.

    Parameters
    ----------
    x : array_like of any shape
    approximate : {"none", "tanh"}, default "none"
        ``"none"`` for the exact erf form, ``"tanh"`` for the GPT-2 approximation
        (torch's argument).

    Returns
    -------
    ndarray of x's shape
    """
    x = as_floating(x)
    if approximate == "none":
        phi = 0.5 * (1 + _erf(x / math.sqrt(2)))
    elif approximate == "tanh":
        phi = 0.5 * (1 + np.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
    else:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return (x * phi).astype(x.dtype)


def gelu_grad(x: ArrayLike, approximate: str = "none") -> np.ndarray:
    """Derivative of :func:`gelu`, the local gradient of ``torch.nn.functional.gelu``.

    Arguments and result as in :func:`gelu`.
    """
    x = as_floating(x)
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


def softmax(x: ArrayLike, dim: int = -1) -> np.ndarray:
    """Softmax along ``dim``. Twin of ``torch.softmax(x, dim)``.

    Subtracting the maximum first changes nothing mathematically but keeps
    ``exp`` at or below 1, so logits near 1e4 are fine.

    Parameters
    ----------
    x : array_like of shape (N, *, C)
        Logits; ``dim`` picks the axis that is normalised (C by default).
    dim : int, default -1

    Returns
    -------
    ndarray of x's shape
        Non-negative, summing to 1 along ``dim``.
    """
    x = as_floating(x)
    z = x - np.max(x, axis=dim, keepdims=True, initial=-np.inf)  # initial: C may be 0
    e = np.exp(z)
    return e / np.sum(e, axis=dim, keepdims=True)


def log_softmax(x: ArrayLike, dim: int = -1) -> np.ndarray:
    """Log of the softmax, computed stably. Twin of ``torch.log_softmax``.

    Arguments as in :func:`softmax`; returns an ndarray of x's shape, at most 0.
    """
    x = as_floating(x)
    z = x - np.max(x, axis=dim, keepdims=True, initial=-np.inf)  # initial: C may be 0
    return z - np.log(np.sum(np.exp(z), axis=dim, keepdims=True))


def softmax_backward(grad_output: ArrayLike, y: ArrayLike, dim: int = -1) -> np.ndarray:
    """Backward pass of softmax: ``dL/dx`` from ``dL/dy`` and ``y = softmax(x)``.

    What autograd does behind ``torch.softmax``. The Jacobian is
    ``diag(y) - y y^T``, so the vector-Jacobian product is
    ``y * (g - sum(g * y))`` along ``dim``; no Jacobian is ever built.

    Parameters
    ----------
    grad_output : array_like of shape (N, *, C)
        ``dL/dy``.
    y : array_like of grad_output's shape
        The output of :func:`softmax` (same ``dim``).
    dim : int, default -1

    Returns
    -------
    ndarray of y's shape
        ``dL/dx``.
    """
    g = as_floating(grad_output)
    y = as_floating(y)
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
