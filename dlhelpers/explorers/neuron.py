"""The neuron explorer (notebook 01): a 2-input sigmoid neuron's weights and bias against its decision boundary."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer, slider
from dlhelpers.viz.decision import DecisionView, neuron_probability

__all__ = ["build_neuron_explorer"]


def build_neuron_explorer(
    X: np.ndarray, y: np.ndarray, *, w1: float = 1.0, w2: float = -1.0, b: float = 0.0
) -> Explorer:
    """Drag ``w1``, ``w2`` and ``b`` of a 2-input sigmoid neuron over a labelled point cloud.

    Shows the neuron's probability map, its boundary ``w1 x1 + w2 x2 + b = 0``,
    which points it gets wrong, and the accuracy.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (len(X),):
        raise ValueError(
            f"X must have shape (n_points, 2) and y shape (n_points,); got {X.shape} and {y.shape}"
        )
    fig = Figure(figsize=(4.6, 3.9), layout="constrained")
    view = DecisionView(fig.subplots(), X, y, n=90)

    def draw(w1: float, w2: float, b: float) -> str:
        view.update_model(
            lambda P: neuron_probability(P, (w1, w2), b),
            title=f"sigmoid({w1:.1f}·x1 {w2:+.1f}·x2 {b:+.1f})",
        )
        return f"accuracy <b>{view.accuracy:.0%}</b> on {len(view.y)} points"

    controls = {
        "w1": slider("w1", w1, -5, 5),
        "w2": slider("w2", w2, -5, 5),
        "b": slider("b", b, -5, 5),
    }
    return Explorer("NeuronExplorer", controls, fig, draw, view=view)
