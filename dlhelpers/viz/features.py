"""What a convolutional network computes, drawn: its filters and its feature maps (notebooks 07 and 12)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_feature_maps", "plot_filters"]


def _grid(n: int, ncols: int, fig: Figure | None, size: float, title: str | None):
    if n < 1:
        raise ValueError("nothing to draw: got 0 images")
    if ncols < 1:
        raise ValueError(f"ncols must be at least 1, got {ncols}")
    nrows = -(-n // ncols)
    if fig is None:
        fig = plt.figure(
            figsize=(ncols * size, nrows * size + (0.3 if title else 0)), layout="constrained"
        )
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig, axes


def plot_filters(
    weight,
    *,
    ncols: int = 8,
    fig: Figure | None = None,
    size: float = 0.7,
    title: str | None = None,
):
    """One small picture per filter of a conv layer, blue negative, red positive.

    Parameters
    ----------
    weight : array_like of shape (out_channels, in_channels, kH, kW)
        A ``Conv2d.weight`` (NumPy or torch). With several input channels,
        each filter is shown averaged over them.
    ncols : int
    fig : matplotlib Figure, optional
    size : float
        Inches per filter.
    title : str, optional

    Returns
    -------
    list of AxesImage
    """
    w = np.asarray(weight.detach().cpu() if hasattr(weight, "detach") else weight, dtype=float)
    if w.ndim != 4:
        raise ValueError(f"weight must have shape (out, in, kH, kW), got shape {w.shape}")
    w = w.mean(axis=1)  # (out, kH, kW)
    fig, axes = _grid(len(w), ncols, fig, size, title)
    return [
        ax.imshow(k, cmap="RdBu_r", vmin=-np.abs(k).max(), vmax=np.abs(k).max())
        for ax, k in zip(axes, w, strict=False)
    ]


def plot_feature_maps(
    maps, *, ncols: int = 8, fig: Figure | None = None, size: float = 0.8, title: str | None = None
):
    """The channels of one image's activations, each scaled to its own range.

    Parameters
    ----------
    maps : array_like of shape (channels, H, W) or (1, channels, H, W)
    ncols : int
    fig : matplotlib Figure, optional
    size : float
        Inches per map.
    title : str, optional

    Returns
    -------
    list of AxesImage
    """
    m = np.asarray(maps.detach().cpu() if hasattr(maps, "detach") else maps, dtype=float)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (channels, H, W), got shape {m.shape}")
    fig, axes = _grid(len(m), ncols, fig, size, title)
    return [ax.imshow(c, cmap="magma") for ax, c in zip(axes, m, strict=False)]
