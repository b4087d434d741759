"""Classification metrics on NumPy arrays: accuracy, confusion matrix, the misclassified examples.

Taught in notebook 05; they take labels and predictions, so they work for
any model (torch or NumPy)."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix", "misclassified"]


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
