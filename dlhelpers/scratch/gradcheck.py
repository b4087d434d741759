"""Central differences and the check every analytic gradient is held to.

Twin of ``torch.autograd.gradcheck``: torch computes the analytic gradient by
autograd; here there is no autograd, so the caller passes it in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlhelpers.validate import check_number

__all__ = ["GradcheckError", "gradcheck", "numerical_gradient"]


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central differences (or is not finite)."""


def _as_float64(x, who: str) -> np.ndarray:
    # Only a float64 ndarray is perturbed in place (so a closure that reads it,
    # like a layer's parameter, sees the change); anything else would silently
    # check the wrong thing, so other arrays are refused and non-arrays copied.
    if isinstance(x, np.ndarray):
        if x.dtype != np.float64:
            raise TypeError(
                f"{who} needs a float64 array, got {x.dtype} of shape {x.shape}: central "
                f"differences with eps=1e-6 are lost in {x.dtype}; pass x.astype(np.float64)"
            )
        return x
    return np.asarray(x, dtype=np.float64)


def numerical_gradient(
    f: Callable[[np.ndarray], object],
    x,
    *,
    grad_output=None,
    eps: float = 1e-6,
    batched: bool = False,
) -> np.ndarray:
    """Central-difference gradient ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.

    Parameters
    ----------
    f : callable
        Called as ``f(x)``. Returns a scalar, or an array when ``grad_output``
        is given (then the gradient is that of ``sum(grad_output * f(x))``,
        what a layer's ``backward(grad_output)`` returns), or, with
        ``batched=True``, an array of shape ``x.shape[:-1]``.
    x : ndarray of shape (*)
        Where to differentiate. A float64 array is changed in place and
        restored, so ``f`` may also read it through a closure (a parameter);
        other arrays are refused with a TypeError.
    grad_output : ndarray of the shape of ``f(x)``, optional
        Upstream gradient for a vector-valued ``f``.
    eps : float
        Half the step.
    batched : bool
        ``f`` maps points ``x`` of shape ``(..., D)`` to values of shape
        ``(...)`` row by row (a surface over many points, an elementwise
        function with ``D = 1``): perturb coordinate ``i`` of every row at
        once, ``2 D`` calls instead of ``2 x.size``.

    Returns
    -------
    ndarray of the shape of ``x``, float64
    """
    x = _as_float64(x, "numerical_gradient")
    eps = check_number("eps", eps, low=0, low_open=True)
    if batched:
        return _batched_differences(f, x, eps)
    g = None if grad_output is None else np.asarray(grad_output, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + eps
            up = _weighted_sum(f(x), g)
            x[i] = old - eps
            down = _weighted_sum(f(x), g)
        finally:
            x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def _batched_differences(f: Callable, x: np.ndarray, eps: float) -> np.ndarray:
    """Central differences of a row-by-row ``f``: coordinate ``i`` of every row at once."""
    if x.ndim == 0:
        raise ValueError("batched=True needs points of shape (..., D), got a 0-d array")
    out = np.empty_like(x)
    for i in range(x.shape[-1]):
        e = np.zeros(x.shape[-1])
        e[i] = eps
        out[..., i] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return out


def _weighted_sum(value, g: np.ndarray | None) -> float:
    """``f(x)`` as the scalar whose gradient is wanted: itself, or ``sum(g * f(x))``."""
    y = np.asarray(value, dtype=np.float64)
    if g is None:
        if y.size != 1:
            raise ValueError(
                f"f returned shape {y.shape}; a vector-valued f needs grad_output= "
                "(or batched=True for a row-by-row function)"
            )
        return float(y.reshape(()))
    if y.shape != g.shape:
        raise ValueError(f"grad_output has shape {g.shape} but f(x) has shape {y.shape}")
    return float(np.sum(g * y))


def gradcheck(
    f: Callable[[np.ndarray], object],
    x,
    grad,
    *,
    grad_output=None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    batched: bool = False,
) -> bool:
    """Compare an analytic gradient with central differences; True or raise.

    Twin of ``torch.autograd.gradcheck`` (same ``eps``, ``atol``, ``rtol``
    defaults); the analytic gradient is passed in since NumPy has no autograd.

    Parameters
    ----------
    f, x, grad_output, eps, batched
        As in :func:`numerical_gradient`.
    grad : ndarray of the shape of ``x``
        The analytic gradient to check.
    atol, rtol : float
        Passes where ``|grad - numerical| <= atol + rtol * |numerical|``.

    Returns
    -------
    bool
        True (a failure raises instead).

    Raises
    ------
    GradcheckError
        Naming the worst element, its analytic and numerical values. A NaN
        or infinite value, on either side, never passes.
    ValueError
        ``grad`` does not have the shape of ``x``.
    """
    x = _as_float64(x, "gradcheck")
    atol = check_number("atol", atol, low=0)
    rtol = check_number("rtol", rtol, low=0)
    analytic = np.asarray(grad, dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"gradient has shape {analytic.shape} but the input has shape {x.shape}")
    numeric = numerical_gradient(f, x, grad_output=grad_output, eps=eps, batched=batched)
    finite = np.isfinite(analytic) & np.isfinite(numeric)
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    excess = np.where(finite, excess, np.inf)
    if x.size == 0 or not (excess > 0).any():
        return True
    worst = np.unravel_index(int(np.argmax(excess)), x.shape)
    bad = int((excess > 0).sum())
    raise GradcheckError(
        f"gradient differs at index {tuple(int(i) for i in worst)}: analytic "
        f"{float(analytic[worst])!r}, numerical {float(numeric[worst])!r} ({bad} of {x.size} elements "
        f"outside atol={atol}, rtol={rtol})"
    )
