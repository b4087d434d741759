"""The prediction explorer (notebook 05): step through a model's test digits, its mistakes first, with its probabilities."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.train.metrics import misclassified

__all__ = ["build_prediction_explorer"]


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

    from dlhelpers.explorers.base import Explorer, check_choice, slider

    check_choice("show", show, ("mistakes", "all"))
    images, labels, proba = np.asarray(images), np.asarray(labels), np.asarray(proba)
    if proba.ndim != 2 or not len(images) == len(labels) == len(proba):
        raise ValueError(
            f"images, labels and proba must have one row per image; got shapes "
            f"{images.shape}, {labels.shape} and {proba.shape}"
        )
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

    picker = slider("image", index, 0, max(len(labels) - 1, 0), 1, integer=True, name="index")

    def limit(change=None) -> None:
        picker.max = max(subsets[toggle.value].size - 1, 0)

    toggle = W.ToggleButtons(options=["mistakes", "all"], value=show, description="show")
    limit()
    toggle.observe(limit, names="value")
    return Explorer("PredictionExplorer", {"show": toggle, "index": picker}, fig, draw)
