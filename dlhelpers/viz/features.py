"""What a convolutional network computes, drawn: its filters and its feature maps (notebooks 07 and 12)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.image import AxesImage

from dlhelpers.validate import check_positive_int
from dlhelpers.viz.figure import get_panels

__all__ = ["plot_feature_maps", "plot_filters"]


def _panels(ax, n: int, ncols: int, size: float, title: str | None) -> list[Axes]:
    """One bare square panel per image; the title over all of them."""
    rows = -(-n // check_positive_int("ncols", ncols))
    axes = get_panels(ax, n, ncols, panel=(size, size + (0.3 / rows if title else 0)))
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
    if title:
        axes[0].get_figure().suptitle(title, fontsize=10)
    return axes


def _array(x) -> np.ndarray:
    return np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=float)


def plot_filters(
    weight,
    *,
    ncols: int = 8,
    ax: Sequence[Axes] | None = None,
    size: float = 0.7,
    title: str | None = None,
) -> list[AxesImage]:
    """One small picture per filter of a conv layer, blue negative, red positive.

    Parameters
    ----------
    weight : array_like of shape (out_channels, in_channels, kH, kW)
        A ``Conv2d.weight`` (NumPy or torch). With several input channels,
        each filter is shown averaged over them.
    ncols : int
    ax : sequence of Axes, optional
        One per filter; by default a new figure of ``ncols`` columns.
    size : float
        Inches per filter.
    title : str, optional

    Returns
    -------
    list of AxesImage
    """
    w = _array(weight)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (out, in, kH, kW), got shape {w.shape}")
    w = w.mean(axis=1)  # (out, kH, kW)
    axes = _panels(ax, len(w), ncols, size, title)
    return [
        a.imshow(k, cmap="RdBu_r", vmin=-np.abs(k).max(), vmax=np.abs(k).max())
        for a, k in zip(axes, w, strict=True)
    ]


def plot_feature_maps(
    maps,
    *,
    ncols: int = 8,
    ax: Sequence[Axes] | None = None,
    size: float = 0.8,
    title: str | None = None,
) -> list[AxesImage]:
    """The channels of one image's activations, each scaled to its own range.

    Parameters
    ----------
    maps : array_like of shape (channels, H, W) or (1, channels, H, W)
    ncols : int
    ax : sequence of Axes, optional
        One per channel; by default a new figure of ``ncols`` columns.
    size : float
        Inches per map.
    title : str, optional

    Returns
    -------
    list of AxesImage
    """
    m = _array(maps)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (channels, H, W), got shape {m.shape}")
    axes = _panels(ax, len(m), ncols, size, title)
    return [a.imshow(c, cmap="magma") for a, c in zip(axes, m, strict=True)]
