"""The one rule of every plot helper: draw on ``ax`` when given, else make a small figure.

A helper that draws one panel takes ``ax=`` an Axes; a helper that draws
several takes ``ax=`` a sequence (or array) of Axes, one per panel. Either
way ``ax=None`` makes the figure.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from dlhelpers.validate import check_positive_int

__all__ = ["get_axes", "get_panels"]


def get_axes(ax: Axes | None, figsize=(5, 3.2)) -> Axes:
    """``ax``, or the Axes of a new figure of ``figsize`` inches when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def get_panels(
    ax: Axes | Sequence[Axes] | None,
    n: int,
    ncols: int,
    *,
    panel: tuple[float, float] = (0.8, 0.8),
    width_ratios: Sequence[float] | None = None,
) -> list[Axes]:
    """``n`` Axes to draw ``n`` panels on: the caller's, or a new grid of ``ncols`` columns.

    Parameters
    ----------
    ax : sequence (or array) of at least ``n`` Axes, or None
        None makes a figure of ``ceil(n / ncols)`` rows, ``panel`` inches per
        panel, with the unused cells hidden.
    n, ncols : int
    panel : (width, height) in inches
    width_ratios : sequence of float, optional
        Column widths of a new one-row grid.

    Returns
    -------
    list of Axes, length ``n``
    """
    if n < 1:
        raise ValueError("nothing to draw: got 0 panels")
    if ax is None:
        ncols = check_positive_int("ncols", ncols)
        nrows = -(-n // ncols)
        fig = plt.figure(figsize=(ncols * panel[0], nrows * panel[1]), layout="constrained")
        grid = fig.subplots(nrows, ncols, squeeze=False, width_ratios=width_ratios).ravel()
        for extra in grid[n:]:
            extra.set_visible(False)
        return list(grid[:n])
    axes = list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) < n or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(f"ax must be a sequence of at least {n} Axes (one per panel), got {ax!r}")
    return axes[:n]
