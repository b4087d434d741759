"""The activation explorer (notebook 01): pick an activation, drag weight and bias, see where it saturates."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer, check_choice, dropdown, slider
from dlhelpers.scratch.activations import ACTIVATIONS
from dlhelpers.viz.activations import ActivationView

__all__ = ["build_activation_explorer"]


def build_activation_explorer(
    activation: str = "sigmoid", *, weight: float = 1.0, bias: float = 0.0
) -> Explorer:
    """Pick an activation, drag the weight and bias of ``f(w x + b)``; see f and its slope.

    The right panel marks where the neuron *saturates* (slope below 1 % of
    its peak), the flat regions where learning stalls.
    """
    check_choice("activation", activation, ACTIVATIONS)
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

    controls = {
        "activation": dropdown("activation", ACTIVATIONS, activation),
        "weight": slider("weight w", weight, -4.0, 4.0, name="weight"),
        "bias": slider("bias b", bias, -4.0, 4.0, name="bias"),
    }
    return Explorer("ActivationExplorer", controls, fig, draw)
