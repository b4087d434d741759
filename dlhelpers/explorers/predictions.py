"""The prediction explorer (notebook 05): step through a model's test digits, its mistakes first, with its probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.metrics import misclassified

__all__ = ["PredictionSettings", "build_prediction_explorer"]


@dataclass(frozen=True)
class PredictionSettings(Settings):
    """Which images to browse, and which one; ``index`` runs over the images shown."""

    show: str = setting("mistakes", "show", choices=("mistakes", "all"), style="toggle")
    index: int = setting(0, "image", low=0, step=1, integer=True)


def _figure(images: np.ndarray, proba: np.ndarray):
    """The image (left) and the class probabilities as bars (right)."""
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
    return fig, ax_img, shown, bars


def build_prediction_explorer(
    images, labels, proba, settings: PredictionSettings | None = None, **overrides
) -> Explorer:
    """Browse test images with the network's probabilities for each class.

    A slider picks the image (among all of them or among the mistakes); the
    right panel shows the 10 predicted probabilities, the true class in
    green and a wrong prediction in red. Returns an :class:`Explorer`
    (display it to use it).

    Parameters
    ----------
    images : ndarray of shape (n, 28, 28)
    labels : int ndarray of shape (n,)
    proba : ndarray of shape (n, n_classes)
        From :func:`dlhelpers.train.evaluate.predict_proba`.
    settings : PredictionSettings, optional
        Or by name: ``show`` ("mistakes" or "all") and ``index``.
    """
    s = PredictionSettings.resolve(settings, overrides)
    images, labels, proba = np.asarray(images), np.asarray(labels), np.asarray(proba)
    if proba.ndim != 2 or not len(images) == len(labels) == len(proba):
        raise ValueError(
            f"images, labels and proba must have one row per image; got shapes "
            f"{images.shape}, {labels.shape} and {proba.shape}"
        )
    pred = proba.argmax(axis=1)
    subsets = {"mistakes": misclassified(labels, pred, proba), "all": np.arange(len(labels))}
    fig, ax_img, shown, bars = _figure(images, proba)

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

    s = s.within(index={"high": max(subsets[s.show].size - 1, 0)})
    controls = controls_from(s)

    def limit(show: str) -> None:
        controls["index"].max = max(subsets[show].size - 1, 0)

    return Explorer(
        "PredictionExplorer", controls, fig, draw, on_change={"show": limit}, notices=s.notices
    )
