"""How good is a classifier, and where does it go wrong: confusion matrix, mistakes, digit grids.

Taught in notebook 05 (the primer's network on MNIST) and reused by the
later image notebooks. Computing (:func:`confusion_matrix`,
:func:`misclassified`) is separate from drawing (:func:`plot_confusion_matrix`,
:func:`plot_digits`); the plot helpers take ``ax=`` (an Axes, or a sequence of
Axes for a grid; None makes their own figure), return their artists, and never call ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.image import AxesImage

from dlhelpers.viz.figure import get_axes, get_panels

__all__ = ["plot_confusion_matrix", "plot_digits"]


def _counts(cm) -> np.ndarray:
    """``cm`` as a square matrix of whole, non-negative counts, or a ValueError saying why."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        raise ValueError(f"cm must be a square (n_classes, n_classes) matrix, got shape {cm.shape}")
    if cm.dtype.kind not in "iu":
        whole = cm.dtype.kind == "f" and np.all(np.isfinite(cm)) and np.all(cm == np.round(cm))
        if not whole:
            raise ValueError("cm must hold counts (whole numbers, no NaN); got " + str(cm.dtype))
        cm = cm.astype(np.int64)
    if (cm < 0).any():
        raise ValueError("cm must hold counts of at least 0")
    return cm


def plot_confusion_matrix(
    cm: np.ndarray,
    *,
    ax: Axes | None = None,
    normalize: bool = False,
    labels: Sequence[str] | None = None,
    cmap: str = "Blues",
) -> tuple[AxesImage, np.ndarray]:
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
    cm = _counts(cm)
    ax = get_axes(ax, figsize=(4.2, 3.6))
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
    images,
    labels=None,
    predictions=None,
    *,
    ncols: int = 8,
    ax: Sequence[Axes] | None = None,
    size: float = 0.9,
) -> list[AxesImage]:
    """A grid of small images, titled with their label (and prediction, red when wrong).

    Parameters
    ----------
    images : ndarray of shape (n, H, W) or (n, H*W) with H == W
    labels, predictions : int ndarray of shape (n,), optional
        Titles read ``"7"`` with labels only, ``"7→1"`` (true→predicted) with both.
    ncols : int
        Images per row of a new figure.
    ax : sequence of Axes, optional
        At least ``n`` axes to draw on (``fig.subplots(1, n)``, a subfigure's
        row); default a new figure of ``size`` inches per image.

    Returns
    -------
    list of AxesImage
    """
    images = np.asarray(images)
    if images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        images = images.reshape(len(images), side, side)
    axes = get_panels(ax, len(images), ncols, panel=(size, size + 0.15))
    artists = []
    for i, a in enumerate(axes):
        artists.append(a.imshow(images[i], cmap="gray_r", vmin=0, vmax=images.max() or 1))
        a.set_xticks([])
        a.set_yticks([])
        if labels is not None and predictions is not None:
            wrong = labels[i] != predictions[i]
            a.set_title(
                f"{labels[i]}→{predictions[i]}", fontsize=8, color="crimson" if wrong else "black"
            )
        elif labels is not None:
            a.set_title(f"{labels[i]}", fontsize=8)
    return artists
