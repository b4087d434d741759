"""The activation explorer (notebook 01): pick an activation, drag weight and bias, see where it saturates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.activations import ACTIVATIONS
from dlhelpers.viz.activations import ActivationView

__all__ = ["ActivationSettings", "build_activation_explorer"]


@dataclass(frozen=True)
class ActivationSettings(Settings):
    """The activation explorer's settings: ``f(w x + b)``."""

    activation: str = setting("sigmoid", "activation", choices=tuple(ACTIVATIONS))
    weight: float = setting(1.0, "weight w", low=-4.0, high=4.0)
    bias: float = setting(0.0, "bias b", low=-4.0, high=4.0)


def build_activation_explorer(settings: ActivationSettings | None = None, **overrides) -> Explorer:
    """Pick an activation, drag the weight and bias of ``f(w x + b)``; see f and its slope.

    The right panel marks where the neuron *saturates* (slope below 1 % of
    its peak), the flat regions where learning stalls. Settings by name, see
    :class:`ActivationSettings`.
    """
    s = ActivationSettings.resolve(settings, overrides)
    fig = Figure(figsize=(7.5, 2.9), layout="constrained")
    ax_f, ax_sat = fig.subplots(1, 2, width_ratios=[3, 2])
    x = np.linspace(-6, 6, 481)
    view = ActivationView(ax_f, x)
    (sat_line,) = ax_sat.plot(x, np.zeros_like(x), color="C1", lw=1.8)
    ax_sat.set_title("|slope| and saturated regions", fontsize=10)
    ax_sat.set_xlabel("x")
    ax_sat.grid(alpha=0.3)

    def draw(activation: str, weight: float, bias: float) -> str:
        view.update(activation, weight=weight, bias=bias)
        slope = np.abs(view.grad_line.get_ydata())
        sat_line.set_ydata(slope)
        for patch in list(ax_sat.collections):
            patch.remove()
        peak = slope.max()
        flat = slope < 0.01 * peak if peak > 0 else np.ones_like(slope, dtype=bool)
        ax_sat.fill_between(
            x,
            0,
            1,
            where=flat,
            color="0.5",
            alpha=0.25,
            transform=ax_sat.get_xaxis_transform(),
            label="saturated",
        )
        ax_sat.set_ylim(0, max(peak * 1.15, 1e-3))
        share = flat.mean()
        return f"<b>{activation}</b>: the slope is nearly zero on {share:.0%} of this x range."

    return Explorer("ActivationExplorer", controls_from(s), fig, draw, notices=s.notices)
