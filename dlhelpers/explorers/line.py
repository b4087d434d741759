"""The line explorer (notebook 00's warm-up): fit a line by turning two knobs; see the squared errors."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.validate import check_finite_array

__all__ = ["LineSettings", "build_line_explorer"]


@dataclass(frozen=True)
class LineSettings(Settings):
    """The line explorer's settings: the line ``w x + b``."""

    w: float = setting(0.0, "w", low=-4.0, high=4.0)
    b: float = setting(0.0, "b", low=-4.0, high=4.0)


def build_line_explorer(
    x: np.ndarray, y: np.ndarray, settings: LineSettings | None = None, **overrides
) -> Explorer:
    """Drag ``w`` and ``b`` of the line ``w x + b`` to fit points; see the squared errors.

    The warm-up of notebook 00: "learning" is turning knobs to make a loss
    small. The vertical segments are the errors; the title gives their mean
    square. ``x`` and ``y`` have shape ``(n,)``; settings by name, see
    :class:`LineSettings`.
    """
    s = LineSettings.resolve(settings, overrides)
    x, y = check_finite_array("x", x), check_finite_array("y", y)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(
            f"x and y must be two 1-D arrays of the same length; got {x.shape} and {y.shape}"
        )
    fig = Figure(figsize=(4.6, 3.2), layout="constrained")
    ax = fig.subplots()
    ax.scatter(x, y, s=20, color="C0", zorder=3, label="data")
    grid = np.linspace(x.min() - 0.2, x.max() + 0.2, 2)
    (line,) = ax.plot(grid, 0 * grid, color="C1", lw=2, label="w·x + b")
    errors = ax.vlines(x, y, y, color="C3", lw=1, alpha=0.7, label="errors")
    ax.set_ylim(y.min() - 1.5, y.max() + 1.5)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)

    def draw(w: float, b: float) -> str:
        pred = w * x + b
        line.set_ydata(w * grid + b)
        errors.set_segments(
            [np.array([[xi, yi], [xi, pi]]) for xi, yi, pi in zip(x, y, pred, strict=True)]
        )
        mse = float(np.mean((pred - y) ** 2))
        ax.set_title(f"w = {w:.1f}, b = {b:.1f}: mean squared error {mse:.2f}", fontsize=10)
        return f"mean squared error <b>{mse:.2f}</b>"

    return Explorer("LineExplorer", controls_from(s), fig, draw, notices=s.notices)
