"""Pictures of networks: the layer diagram and the activations of a batch (notebook 02).

Both follow the package's plot-helper rules: ``ax=None`` makes a figure
(``ax=`` is an Axes, or a sequence of Axes for several panels), the artists are returned, nothing is shown or saved, and the
values to draw are computed by the caller (a forward pass).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.image import AxesImage

from dlhelpers.validate import check_positive_int
from dlhelpers.viz.figure import get_axes, get_panels

__all__ = ["layer_names", "plot_layer_outputs", "plot_network"]

_POSITIVE, _NEGATIVE = (0.84, 0.19, 0.15, 0.7), (0.13, 0.4, 0.67, 0.7)  # red, blue


def layer_names(n_layers: int) -> list[str]:
    """``["input", "hidden 1", ..., "output"]`` for ``n_layers`` layers of units."""
    if n_layers < 2:
        raise ValueError(f"a network has at least an input and an output layer, got {n_layers}")
    return ["input", *(f"hidden {i}" for i in range(1, n_layers - 1)), "output"]


def plot_network(
    layer_sizes: Sequence[int],
    *,
    weights: Sequence[np.ndarray] | None = None,
    values: Sequence[np.ndarray] | None = None,
    ax: Axes | None = None,
    max_units: int = 10,
) -> dict:
    """Draw a fully connected network: one column of units per layer, every pair joined.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first, e.g. ``(784, 64, 32, 10)``. Layers wider
        than ``max_units`` show their first ``max_units - 1`` units, a gap, and the last.
    weights : sequence of ndarray of shape (n_out, n_in), optional
        One matrix per connection (torch's ``Linear.weight`` layout): an edge's
        colour is the weight's sign (red +, blue -), its width its size.
    values : sequence of ndarray of shape (n_units,), optional
        One activation vector per layer (a forward pass for one input): fills the units.
    ax : matplotlib Axes, optional

    Returns
    -------
    dict
        ``"edges"`` (LineCollection per connection), ``"units"`` (PathCollection
        per layer) and ``"ax"``.
    """
    sizes = [check_positive_int(f"layer_sizes[{i}]", s) for i, s in enumerate(layer_sizes)]
    _check_network(sizes, weights, values)
    ax = get_axes(ax, figsize=(1.6 * len(sizes) + 1, 3.2))
    shown = [_shown_units(n, max_units) for n in sizes]
    ypos = [_positions(len(s), gap=len(s) < n) for s, n in zip(shown, sizes, strict=True)]
    edges = [
        _draw_edges(ax, k, shown, ypos, None if weights is None else np.asarray(weights[k]))
        for k in range(len(sizes) - 1)
    ]
    names = layer_names(len(sizes))
    units = [
        _draw_units(ax, k, names[k], n, shown[k], ypos[k], None if values is None else values[k])
        for k, n in enumerate(sizes)
    ]
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-0.75, 0.52)
    ax.set_axis_off()
    return {"edges": edges, "units": units, "ax": ax}


def _check_network(sizes: list[int], weights, values) -> None:
    """A ValueError unless ``weights`` and ``values`` fit ``sizes`` (torch's layouts)."""
    if len(sizes) < 2:
        raise ValueError(f"a network has at least an input and an output layer, got {sizes}")
    if weights is not None:
        want = [(b, a) for a, b in zip(sizes[:-1], sizes[1:], strict=False)]
        got = [tuple(np.shape(w)) for w in weights]
        if got != want:
            raise ValueError(
                f"weights for layers {tuple(sizes)} must have shapes {want}, got {got}"
            )
    if values is not None and [np.size(v) for v in values] != sizes:
        raise ValueError(f"values must have sizes {sizes}, got {[np.size(v) for v in values]}")


def _draw_edges(ax: Axes, k: int, shown, ypos, w: np.ndarray | None) -> LineCollection:
    """The connections from layer ``k`` to ``k + 1``: grey, or coloured and sized by ``w``."""
    segs, colors, widths = [], [], []
    scale = 1.0 if w is None else max(float(np.abs(w).max()), 1e-12)
    for j, ya in zip(shown[k + 1], ypos[k + 1], strict=True):
        for i, yb in zip(shown[k], ypos[k], strict=True):
            segs.append([(k, yb), (k + 1, ya)])
            if w is None:
                colors.append((0.5, 0.5, 0.5, 0.35))
                widths.append(0.6)
            else:
                colors.append(_POSITIVE if w[j, i] > 0 else _NEGATIVE)
                widths.append(0.2 + 2.3 * abs(w[j, i]) / scale)
    lines = LineCollection(segs, colors=colors, linewidths=widths, zorder=1)
    ax.add_collection(lines)
    return lines


def _draw_units(ax: Axes, k: int, name: str, size: int, idx, ys, values) -> PathCollection:
    """Layer ``k``'s column of units, filled by ``values`` when given, with its name below."""
    face = "white" if values is None else plt.get_cmap("viridis")(_normalise(np.ravel(values)[idx]))
    units = ax.scatter(
        np.full(len(ys), k), ys, s=170, c=face, edgecolors="0.2", linewidths=1.0, zorder=3
    )
    if len(idx) < size:
        ax.text(k, (ys[-2] + ys[-1]) / 2, "⋮", ha="center", va="center", fontsize=12, zorder=4)
    label = f"{name}\n{size} unit{'s' if size > 1 else ''}"
    ax.text(k, -0.53, label, ha="center", va="top", fontsize=9)
    return units


def _shown_units(n: int, max_units: int) -> np.ndarray:
    if n <= max_units:
        return np.arange(n)
    return np.append(np.arange(max_units - 1), n - 1)


def _positions(n: int, *, gap: bool = False) -> np.ndarray:
    if n == 1:
        return np.zeros(1)
    if gap:  # leave an empty slot before the last unit, for the dots
        slots = np.linspace(0.45, -0.45, n + 1)
        return np.append(slots[:-2], slots[-1])
    return np.linspace(0.45, -0.45, n)


def _normalise(v: np.ndarray) -> np.ndarray:
    low, high = float(v.min()), float(v.max())
    return np.full_like(v, 0.5, dtype=float) if high - low < 1e-12 else (v - low) / (high - low)


def plot_layer_outputs(
    outputs: Sequence[np.ndarray], names: Sequence[str], *, ax: Sequence[Axes] | None = None
) -> list[AxesImage]:
    """Show a batch's activations layer by layer: one image per layer, rows = examples.

    Parameters
    ----------
    outputs : sequence of ndarray of shape (N, n_units)
        What each layer outputs for the same batch of N examples (input first).
    names : sequence of str
        One title per panel; the shape is added below it.
    ax : sequence of Axes, optional
        One per layer; by default a new 8-inch-wide row whose panel widths
        follow the number of units (capped so the input does not crowd out
        the rest).

    Returns
    -------
    list of AxesImage
        One per layer.
    """
    if len(outputs) != len(names) or not outputs:
        raise ValueError(
            f"got {len(outputs)} outputs and {len(names)} names; give one name per output"
        )
    shapes = [np.shape(o) for o in outputs]
    if any(len(s) != 2 or s[0] != shapes[0][0] for s in shapes):
        raise ValueError(f"outputs must be (N, units) arrays with the same N, got shapes {shapes}")
    widths = [min(max(s[1], 24), 100) for s in shapes]
    n = len(outputs)
    axes = get_panels(ax, n, n, panel=(8 / n, 2.6), width_ratios=widths)
    images = []
    for a, out, name in zip(axes, outputs, names, strict=True):
        images.append(a.imshow(out, aspect="auto", cmap="viridis", interpolation="nearest"))
        a.set_title(f"{name}\n{out.shape}", fontsize=9)
        a.set_xlabel("unit", fontsize=8)
        a.set_yticks([])
        a.tick_params(labelsize=7)
    axes[0].set_ylabel(f"{shapes[0][0]} examples", fontsize=8)
    return images
