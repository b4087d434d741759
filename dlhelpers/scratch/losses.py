"""Loss functions in plain NumPy, mirroring ``torch.nn.functional`` and ``torch.nn``.

Functions (:func:`cross_entropy`, :func:`mse`) return the mean loss as a
Python float. The module forms (:class:`CrossEntropyLoss`, :class:`MSELoss`)
return the same float when called and remember what they need, so that
``loss_fn.backward()`` returns ``dL/d(prediction)``, the gradient that starts
backpropagation through a :class:`~dlhelpers.scratch.layers.Sequential`.
Checked against torch in float64 by ``tests/test_layers.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import log_softmax
from dlhelpers.scratch.layers import Module

__all__ = ["CrossEntropyLoss", "MSELoss", "cross_entropy", "mse"]


def _check_classification(logits: ArrayLike, target: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    logits = np.asarray(logits)
    if not np.issubdtype(logits.dtype, np.floating):
        logits = logits.astype(np.float64)
    target = np.asarray(target)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expected logits of shape (N, C), got shape {logits.shape}")
    if target.shape != logits.shape[:1]:
        raise ValueError(
            f"cross_entropy expected target of shape ({logits.shape[0]},) for "
            f"logits of shape {logits.shape}, got shape {target.shape}"
        )
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(
            f"cross_entropy expected integer class indices as target, got dtype {target.dtype}"
        )
    if target.size and (target.min() < 0 or target.max() >= logits.shape[1]):
        raise ValueError(
            f"cross_entropy: target class indices must be in [0, {logits.shape[1]}), "
            f"got values from {target.min()} to {target.max()}"
        )
    return logits, target


def cross_entropy(logits: ArrayLike, target: ArrayLike) -> float:
    """Mean cross-entropy of class indices under ``softmax(logits)``.

    Twin of ``torch.nn.functional.cross_entropy(logits, target)`` (also
    Keras' ``sparse_categorical_crossentropy`` from logits). Computed through
    :func:`~dlhelpers.scratch.activations.log_softmax`, so logits of 1e4 are fine.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
        Raw scores; no softmax applied.
    target : int ndarray of shape (N,)
        Class indices in ``[0, C)``.

    Returns
    -------
    float
        The mean over the N samples.
    """
    logits, target = _check_classification(logits, target)
    logp = log_softmax(logits, dim=1)  # (N, C)
    return float(-logp[np.arange(len(target)), target].mean())


def mse(pred: ArrayLike, target: ArrayLike) -> float:
    """Mean squared error. Twin of ``torch.nn.functional.mse_loss`` (``reduction="mean"``).

    ``pred`` and ``target`` must have the same shape (torch would broadcast
    with a warning, which hides bugs).

    Parameters
    ----------
    pred : array_like of shape (N, *)
    target : array_like of pred's shape

    Returns
    -------
    float
        The mean over all entries.
    """
    pred, target = np.asarray(pred), np.asarray(target)
    if pred.shape != target.shape:
        raise ValueError(
            f"mse expected pred and target of the same shape, got {pred.shape} and {target.shape}"
        )
    return float(np.mean((pred - target) ** 2))


class CrossEntropyLoss(Module):
    """``loss_fn(logits, target) -> float``; ``loss_fn.backward() -> dL/dlogits``.

    Twin of ``torch.nn.CrossEntropyLoss``. The gradient of the mean loss is
    ``(softmax(logits) - onehot(target)) / N``, of shape (N, C).
    """

    def forward(self, logits: ArrayLike, target: ArrayLike) -> float:
        """logits : (N, C), target : int (N,) -> the mean loss, as :func:`cross_entropy`."""
        logits, target = _check_classification(logits, target)
        logp = log_softmax(logits, dim=1)
        self._cache = (np.exp(logp), target)
        return float(-logp[np.arange(len(target)), target].mean())

    def backward(self, grad_output: float = 1.0) -> np.ndarray:
        """``dL/dlogits`` for the last call.

        Parameters
        ----------
        grad_output : float, default 1.0
            ``dL/d(loss)``; 1 when the loss is what is minimised.

        Returns
        -------
        ndarray of shape (N, C)
        """
        if getattr(self, "_cache", None) is None:
            raise RuntimeError("CrossEntropyLoss.backward called before forward")
        probs, target = self._cache
        grad = probs.copy()
        grad[np.arange(len(target)), target] -= 1
        return grad * (grad_output / len(target))


class MSELoss(Module):
    """``loss_fn(pred, target) -> float``; ``loss_fn.backward() -> dL/dpred``.

    Twin of ``torch.nn.MSELoss``. The gradient is ``2 (pred - target) / pred.size``.
    """

    def forward(self, pred: ArrayLike, target: ArrayLike) -> float:
        """pred, target : (N, *), the same shape -> the mean loss, as :func:`mse`."""
        value = mse(pred, target)
        self._cache = np.asarray(pred) - np.asarray(target)
        return value

    def backward(self, grad_output: float = 1.0) -> np.ndarray:
        """``dL/dpred`` for the last call.

        Parameters
        ----------
        grad_output : float, default 1.0
            ``dL/d(loss)``.

        Returns
        -------
        ndarray of pred's shape, (N, *)
        """
        if getattr(self, "_cache", None) is None:
            raise RuntimeError("MSELoss.backward called before forward")
        diff = self._cache
        return diff * (2 * grad_output / diff.size)
