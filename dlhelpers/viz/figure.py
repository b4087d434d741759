"""The one rule of every plot helper: draw on ``ax`` when given, else make a small figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["get_axes"]


def get_axes(ax: Axes | None, figsize=(5, 3.2)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax
