"""The neuron explorer (notebook 01): a 2-input sigmoid neuron's weights and bias against its decision boundary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.validate import check_finite_array
from dlhelpers.viz.decision import DecisionView, neuron_probability

__all__ = ["NeuronSettings", "build_neuron_explorer"]


@dataclass(frozen=True)
class NeuronSettings(Settings):
    """The neuron explorer's settings: ``sigmoid(w1 x1 + w2 x2 + b)``."""

    w1: float = setting(1.0, "w1", low=-5.0, high=5.0)
    w2: float = setting(-1.0, "w2", low=-5.0, high=5.0)
    b: float = setting(0.0, "b", low=-5.0, high=5.0)


def build_neuron_explorer(
    X: np.ndarray, y: np.ndarray, settings: NeuronSettings | None = None, **overrides
) -> Explorer:
    """Drag ``w1``, ``w2`` and ``b`` of a 2-input sigmoid neuron over a labelled point cloud.

    Shows the neuron's probability map, its boundary ``w1 x1 + w2 x2 + b = 0``,
    which points it gets wrong, and the accuracy. ``X`` has shape
    ``(n_points, 2)`` and ``y`` shape ``(n_points,)``; settings by name, see
    :class:`NeuronSettings`.
    """
    s = NeuronSettings.resolve(settings, overrides)
    X, y = check_finite_array("X", X), np.asarray(y)
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

    return Explorer("NeuronExplorer", controls_from(s), fig, draw, view=view, notices=s.notices)
