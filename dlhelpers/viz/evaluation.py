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
from matplotlib.figure import Figure

__all__ = ["plot_confusion_matrix", "plot_digits"]


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
    images,
    labels=None,
    predictions=None,
    *,
    ncols: int = 8,
    fig: Figure | None = None,
    axes=None,
    size: float = 0.9,
):
    """A grid of small images, titled with their label (and prediction, red when wrong).

    Parameters
    ----------
    images : ndarray of shape (n, H, W) or (n, H*W) with H == W
    labels, predictions : int ndarray of shape (n,), optional
        Titles read ``"7"`` with labels only, ``"7→1"`` (true→predicted) with both.
    ncols : int
        Images per row.
    fig : matplotlib Figure, optional
        Draw the grid on this figure (as every multi-panel helper takes ``fig=``).
    axes : sequence of Axes, optional
        At least ``n`` axes to draw on instead; default a new figure of
        ``size`` inches per image.

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
        if fig is None:
            fig = plt.figure(figsize=(ncols * size, nrows * (size + 0.15)), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
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
