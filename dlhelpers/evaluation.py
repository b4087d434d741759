"""How good is a classifier, and where does it go wrong: confusion matrix, mistakes, digit grids.

Taught in notebook 05 (the primer's network on MNIST) and reused by the
later image notebooks. Computing (:func:`confusion_matrix`,
:func:`misclassified`) is separate from drawing (:func:`plot_confusion_matrix`,
:func:`plot_digits`); the plot helpers take ``ax=None``/``fig=None`` to make
their own figure, return their artists, and never call ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

__all__ = [
    "accuracy",
    "build_prediction_explorer",
    "confusion_matrix",
    "misclassified",
    "plot_confusion_matrix",
    "plot_digits",
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


def plot_confusion_matrix(
    cm: np.ndarray,
    *,
    ax: Axes | None = None,
    normalize: bool = False,
    labels: Sequence[str] | None = None,
    cmap: str = "Blues",
):
    """Draw a confusion matrix with its counts (or row fractions) written in the cells.

    Parameters
    ----------
    cm : ndarray of shape (n_classes, n_classes)
        From :func:`confusion_matrix`.
    ax : Axes, optional
        Default: a new figure.
    normalize : bool
        Show each row as fractions of its class (the diagonal is then the
        per-class accuracy, the recall).

    Returns
    -------
    image : AxesImage
    texts : ndarray of shape (n_classes, n_classes) of Text
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.6), layout="constrained")
    cm = np.asarray(cm)
    values = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    n = len(cm)
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=1 if normalize else max(values.max(), 1))
    labels = [str(i) for i in range(n)] if labels is None else list(labels)
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = values.max() / 2 if values.size else 0
    texts = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            text = f"{values[i, j]:.2f}" if normalize else f"{values[i, j]:d}"
            texts[i, j] = ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if values[i, j] > threshold else "black",
            )
    return image, texts


def plot_digits(
    images, labels=None, predictions=None, *, ncols: int = 8, axes=None, size: float = 0.9
):
    """A grid of small images, titled with their label (and prediction, red when wrong).

    Parameters
    ----------
    images : ndarray of shape (n, H, W) or (n, H*W) with H == W
    labels, predictions : int ndarray of shape (n,), optional
        Titles read ``"7"`` with labels only, ``"7→1"`` (true→predicted) with both.
    ncols : int
        Images per row.
    axes : sequence of Axes, optional
        At least ``n`` axes to draw on; default a new figure of ``size``
        inches per image.

    Returns
    -------
    list of AxesImage
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    n = len(images)
    if axes is None:
        nrows = max(1, -(-n // ncols))
        fig, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(ncols * size, nrows * (size + 0.15)),
            layout="constrained",
            squeeze=False,
        )
        axes = grid.ravel()
        for ax in axes[n:]:
            ax.set_visible(False)
    artists = []
    for i in range(n):
        ax = axes[i]
        artists.append(ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=images.max() or 1))
        ax.set_xticks([])
        ax.set_yticks([])
        if labels is not None and predictions is not None:
            wrong = labels[i] != predictions[i]
            ax.set_title(
                f"{labels[i]}→{predictions[i]}", fontsize=8, color="crimson" if wrong else "black"
            )
        elif labels is not None:
            ax.set_title(f"{labels[i]}", fontsize=8)
    return artists


def build_prediction_explorer(images, labels, proba, *, show: str = "mistakes", index: int = 0):
    """Browse test images with the network's probabilities for each class.

    A slider picks the image (among all of them or among the mistakes); the
    right panel shows the 10 predicted probabilities, the true class in
    green and a wrong prediction in red. Returns a
    :class:`dlhelpers.widgets.Explorer` (display it to use it).

    Parameters
    ----------
    images : ndarray of shape (n, 28, 28)
    labels : int ndarray of shape (n,)
    proba : ndarray of shape (n, n_classes)
        From :func:`dlhelpers.training.predict_proba`.
    show : {"mistakes", "all"}
    """
    import ipywidgets as W
    from matplotlib.figure import Figure

    from dlhelpers.widgets import Explorer

    images, labels, proba = np.asarray(images), np.asarray(labels), np.asarray(proba)
    pred = proba.argmax(axis=1)
    subsets = {"mistakes": misclassified(labels, pred, proba), "all": np.arange(len(labels))}
    fig = Figure(figsize=(6, 2.4), layout="constrained")
    ax_img, ax_bar = fig.subplots(1, 2, width_ratios=[1, 2])
    shown = ax_img.imshow(images[0], cmap="gray_r", vmin=0, vmax=images.max() or 1)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    n_classes = proba.shape[1]
    bars = ax_bar.bar(range(n_classes), proba[0], color="0.6")
    ax_bar.set_xticks(range(n_classes))
    ax_bar.set_ylim(0, 1)
    ax_bar.set_xlabel("class")
    ax_bar.set_ylabel("probability")
    ax_bar.grid(axis="y", alpha=0.3)

    def draw(show: str, index: int) -> str:
        chosen = subsets[show]
        if chosen.size == 0:
            return "no mistakes to show"
        i = int(chosen[min(index, chosen.size - 1)])
        shown.set_data(images[i])
        for k, bar in enumerate(bars):
            bar.set_height(proba[i, k])
            bar.set_color("seagreen" if k == labels[i] else "crimson" if k == pred[i] else "0.6")
        ax_img.set_title(f"test image {i}", fontsize=9)
        verdict = "right" if pred[i] == labels[i] else "wrong"
        return (
            f"true <b>{labels[i]}</b>, predicted <b>{pred[i]}</b> with "
            f"{proba[i, pred[i]]:.0%} confidence ({verdict}); "
            f"{subsets['mistakes'].size} mistakes in {len(labels)} images"
        )

    slider = W.IntSlider(
        value=index,
        min=0,
        max=max(len(labels) - 1, 0),
        description="image",
        continuous_update=True,
        layout=W.Layout(width="320px"),
    )

    def limit(change=None) -> None:
        slider.max = max(subsets[toggle.value].size - 1, 0)

    toggle = W.ToggleButtons(options=["mistakes", "all"], value=show, description="show")
    limit()
    toggle.observe(limit, names="value")
    return Explorer("PredictionExplorer", {"show": toggle, "index": slider}, fig, draw)
