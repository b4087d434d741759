"""Metrics: on NumPy labels (accuracy, confusion matrix, the misclassified examples), and per batch for ``fit``.

The NumPy ones (notebook 05) take labels and predictions, so they work for any
model (torch or NumPy). The batch metrics (:func:`class_hits`,
:func:`token_hits`, known to :func:`~dlhelpers.train.fit` by the names in
:data:`METRICS`) take a batch's logits and targets and return the number of
hits, a tensor, so the loop reads them back once per epoch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dlhelpers.validate import check_choice

__all__ = [
    "METRICS",
    "accuracy",
    "class_hits",
    "confusion_matrix",
    "metric_functions",
    "misclassified",
    "token_hits",
]


def accuracy(y_true, y_pred) -> float:
    """Fraction of predictions equal to the labels; both int arrays of shape (n,)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    return float((y_true == y_pred).mean()) if y_true.size else float("nan")


def confusion_matrix(y_true, y_pred, *, n_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    y_true, y_pred : int ndarray of shape (n,)
    n_classes : int, optional
        Default: one more than the largest label seen.

    Returns
    -------
    ndarray of shape (n_classes, n_classes), int64
        ``cm[i, j]`` counts the samples of class ``i`` predicted as ``j``: the
        diagonal holds the hits, each row sums to the class's size. (The same
        layout as ``sklearn.metrics.confusion_matrix``.)
    """
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has {y_pred.shape}")
    if n_classes is None:
        n_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def misclassified(y_true, y_pred, proba=None, *, limit: int | None = None) -> np.ndarray:
    """Indices of the wrong predictions, the most confident mistakes first if ``proba`` is given.

    Parameters
    ----------
    y_true, y_pred : int ndarray of shape (n,)
    proba : ndarray of shape (n, n_classes), optional
        Predicted probabilities; mistakes are then sorted by the probability
        given to the wrong answer, highest first (ties keep their order).
    limit : int, optional
        Return at most this many.

    Returns
    -------
    int ndarray of shape (n_wrong,)
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)
    if proba is not None:
        confidence = np.asarray(proba)[wrong, y_pred[wrong]]
        wrong = wrong[np.argsort(-confidence, kind="stable")]
    return wrong[:limit]


# --- batch metrics for fit and evaluate ---------------------------------------------------


def class_hits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The ``"accuracy"`` of :func:`~dlhelpers.train.fit`: how many of a batch's labels the argmax hits.

    Parameters
    ----------
    logits : Tensor of shape (B, n_classes)
    y : int Tensor of shape (B,)

    Returns
    -------
    0-d Tensor
        The count, left on the tensor side (the loop sums it and reads it once per epoch).

    Raises
    ------
    ValueError
        On logits it cannot read as one row of class scores per sample (sequence logits
        ``(B, T, V)``, one logit per sample, float targets): it names the metric to use.
    """
    if logits.ndim != 2 or y.ndim != 1 or logits.shape[1] < 2 or y.is_floating_point():
        hint = (
            "for sequences use metrics=('token_accuracy',)"
            if logits.ndim == 3
            else "pass metrics=() or a function (logits, y) -> hits"
        )
        raise ValueError(
            f"the 'accuracy' metric reads logits (B, n_classes) against integer labels (B,), "
            f"not logits {tuple(logits.shape)} against {y.dtype} targets {tuple(y.shape)}: {hint}"
        )
    return (logits.argmax(dim=1) == y).sum()


def token_hits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The ``"token_accuracy"`` of :func:`~dlhelpers.train.fit`: per sequence, the share of tokens right, summed.

    Parameters
    ----------
    logits : Tensor of shape (B, T, V)
    y : int Tensor of shape (B, T)

    Returns
    -------
    0-d Tensor
        The sum over the batch of each sequence's fraction of correct next tokens; ``fit``
        divides by the number of sequences, so the history holds the mean token accuracy.
    """
    if logits.ndim != 3 or logits.shape[:2] != y.shape:
        raise ValueError(
            f"the 'token_accuracy' metric reads logits (B, T, V) against targets (B, T), "
            f"not {tuple(logits.shape)} against {tuple(y.shape)}"
        )
    return (logits.argmax(dim=-1) == y).float().mean(dim=-1).sum()


#: The metrics :func:`~dlhelpers.train.fit` and :func:`~dlhelpers.train.evaluate` know by name.
METRICS: dict[str, Callable] = {"accuracy": class_hits, "token_accuracy": token_hits}


def metric_functions(metrics) -> dict[str, Callable]:
    """``{name: f(logits, y) -> hits}`` for ``metrics``: names of :data:`METRICS` or functions.

    A single name or function is one metric (not a sequence of characters); a
    function is keyed by its ``__name__``.

    Raises
    ------
    ValueError
        On a name :data:`METRICS` does not hold (the choices are named) or a
        value that is neither a name nor a function.
    """
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    fns: dict[str, Callable] = {}
    for metric in metrics or ():
        if callable(metric):
            fns[metric.__name__] = metric
        else:
            name = check_choice("metric", metric, METRICS)
            fns[name] = METRICS[name]
    return fns
