"""The cost explorer (notebook 13): an MLP's parameters and FLOPs, layer by layer, as it grows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.flops import mlp_layer_costs

__all__ = ["CostSettings", "build_cost_explorer"]


@dataclass(frozen=True)
class CostSettings(Settings):
    """The cost explorer's settings: the MLP ``784 -> width x depth -> 10`` on a batch."""

    width: int = setting(
        64, "width", choices=(16, 32, 64, 128, 256, 512, 1024), style="choice_slider"
    )
    depth: int = setting(2, "hidden layers", low=1, high=8, step=1, integer=True, fmt="d")
    batch: int = setting(32, "batch", choices=(1, 8, 32, 128, 512), style="choice_slider")


def build_cost_explorer(settings: CostSettings | None = None, **overrides) -> Explorer:
    """Drag the width, the depth and the batch of an MLP on MNIST; see each layer's cost.

    Left: parameters per layer (memory: 4 bytes each in float32); right: forward
    FLOPs per layer for the batch (:func:`dlhelpers.train.flops.linear_flops`).
    Settings by name, see :class:`CostSettings`.
    """
    s = CostSettings.resolve(settings, overrides)
    fig = Figure(figsize=(8, 2.9), layout="constrained")
    ax_p, ax_f = fig.subplots(1, 2)
    for ax, title in ((ax_p, "parameters"), (ax_f, "forward FLOPs for the batch")):
        ax.set_title(title, fontsize=10)
        ax.set_yscale("log")
        ax.grid(alpha=0.3, axis="y")

    def draw(width: int, depth: int, batch: int) -> str:
        rows = mlp_layer_costs(784, width, depth, 10, batch)
        names = [r[0] for r in rows]
        for ax, k, color in ((ax_p, 1, "C0"), (ax_f, 2, "C1")):
            for artist in list(ax.patches):
                artist.remove()
            values = np.array([r[k] for r in rows], dtype=float)
            ax.bar(range(len(rows)), values, color=color)
            ax.set_xticks(range(len(rows)), names, rotation=45, ha="right", fontsize=7)
            ax.set_ylim(1, values.max() * 3)
        params, flops = sum(r[1] for r in rows), sum(r[2] for r in rows)
        hidden = sum(r[2] for r in rows[1:-1])
        return (
            f"{params:,} parameters ({4 * params / 1e6:.2f} MB in float32); "
            f"{flops:,} FLOPs per forward pass of {batch}; "
            f"hidden-to-hidden layers: {hidden / flops:.0%} of them."
        )

    return Explorer("CostExplorer", controls_from(s), fig, draw, notices=s.notices)
