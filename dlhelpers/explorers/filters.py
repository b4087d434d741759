"""The filter explorer (notebook 07): type a 3x3 kernel, see the feature map it makes.

Pure part: :func:`feature_map` (the NumPy :func:`~dlhelpers.scratch.conv.conv2d`
with padding 1, so the map has the image's size). View: :class:`FilterView`,
three panels updated in place (image, kernel with its numbers, feature map).
Builder: :func:`build_filter_explorer`, nine number boxes in a 3x3 grid, a
preset menu and, given several images, an image menu.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer, check_choice, dropdown
from dlhelpers.explorers.controls import number_box
from dlhelpers.scratch.conv import conv2d

__all__ = ["KERNELS", "FilterView", "build_filter_explorer", "feature_map"]

#: Classic 3x3 kernels, as cross-correlation weights (what ``conv2d`` uses).
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float),
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
}
CUSTOM = "custom"
_NAMES = [f"k{i}{j}" for i in range(3) for j in range(3)]


def _as_kernel(kernel: ArrayLike | str) -> np.ndarray:
    if isinstance(kernel, str):
        check_choice("kernel", kernel, KERNELS)
        return KERNELS[kernel].copy()
    k = np.asarray(kernel, dtype=float)
    if k.shape != (3, 3):
        raise ValueError(f"kernel must be 3x3, got shape {k.shape}")
    if not np.isfinite(k).all():
        raise ValueError("kernel holds a value that is not a finite number")
    return k


def _as_image(image: ArrayLike, name: str = "image") -> np.ndarray:
    image = np.asarray(image, dtype=float)
    if image.ndim != 2 or min(image.shape) < 3:
        raise ValueError(
            f"{name} must be a grey image of shape (H, W), at least 3x3; got {image.shape}"
        )
    if not np.isfinite(image).all():
        raise ValueError(f"{name} holds a value that is not a finite number")
    return image


def feature_map(image: ArrayLike, kernel: ArrayLike) -> np.ndarray:
    """One filter over one grey image: cross-correlation with zero padding 1.

    Parameters
    ----------
    image : array_like of shape (H, W)
    kernel : array_like of shape (3, 3)

    Returns
    -------
    ndarray of shape (H, W)
    """
    image, kernel = _as_image(image), _as_kernel(kernel)
    return conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]  # (H, W)


class FilterView:
    """Image, kernel and feature map side by side; :meth:`update` changes them in place."""

    def __init__(self, fig: Figure, image: np.ndarray, kernel: np.ndarray):
        self.axes = fig.subplots(1, 3, width_ratios=[4, 1.6, 4])
        ax_in, ax_k, ax_out = self.axes
        self.input = ax_in.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax_in.set_title("input", fontsize=10)
        self.kernel = ax_k.imshow(kernel, cmap="RdBu_r", vmin=-1, vmax=1)
        self.numbers = [
            ax_k.text(j, i, "", ha="center", va="center", fontsize=8)
            for i in range(3)
            for j in range(3)
        ]
        ax_k.set_title("kernel", fontsize=10)
        self.output = ax_out.imshow(np.zeros_like(image), cmap="gray")
        ax_out.set_title("feature map", fontsize=10)
        for ax in self.axes:
            ax.set_xticks([])
            ax.set_yticks([])

    def update(self, image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        """Show ``image``, ``kernel`` and their feature map; return the map."""
        out = feature_map(image, kernel)
        self.input.set_data(image)
        reach = max(float(np.abs(kernel).max()), 1e-12)
        self.kernel.set_data(kernel)
        self.kernel.set_clim(-reach, reach)
        for text, value in zip(self.numbers, kernel.ravel(), strict=True):
            text.set_text(f"{value:.2g}")
            text.set_color("white" if abs(value) > 0.6 * reach else "black")
        self.output.set_data(out)
        # the zero padding makes extreme values along the border; scaling the grey
        # levels to them would leave the rest of the map flat grey
        low, high = (float(v) for v in np.percentile(out, [1, 99]))
        self.output.set_clim(low, high if high > low else low + 1e-12)
        return out


def build_filter_explorer(
    images: Mapping[str, ArrayLike] | ArrayLike,
    kernel: ArrayLike | str = "sobel x",
    *,
    image: str | None = None,
) -> Explorer:
    """Nine number boxes hold a 3x3 kernel; the feature map follows what you type.

    Parameters
    ----------
    images : dict of str to array_like of shape (H, W), or one such array
        Grey images with values in [0, 1]; several give an image menu.
    kernel : array_like of shape (3, 3), or the name of a preset in :data:`KERNELS`
    image : str, optional
        Which of ``images`` to start with (default: the first).

    Returns
    -------
    Explorer
        ``controls`` holds ``"preset"``, ``"k00"`` .. ``"k22"`` (row, column)
        and, for several images, ``"image"``; ``view.output.get_array()``
        is the feature map on show.
    """
    if not isinstance(images, Mapping):
        images = {"image": images}
    if not images:
        raise ValueError("images is empty: give at least one grey image")
    pictures = {str(name): _as_image(pic, f"image {name!r}") for name, pic in images.items()}
    start_image = next(iter(pictures)) if image is None else image
    check_choice("image", start_image, pictures)
    start = _as_kernel(kernel)
    preset = next((n for n, k in KERNELS.items() if np.array_equal(k, start)), CUSTOM)

    fig = Figure(figsize=(7.2, 2.8), layout="constrained")
    view = FilterView(fig, pictures[start_image], start)
    boxes = {n: number_box(float(v), name=n) for n, v in zip(_NAMES, start.ravel(), strict=True)}
    controls: dict[str, W.Widget] = {
        "preset": dropdown("preset", [*KERNELS, CUSTOM], preset, name="kernel"),
        **boxes,
    }
    if len(pictures) > 1:
        controls["image"] = dropdown("image", list(pictures), start_image)

    def draw(preset: str, image: str = start_image, **entries: float) -> str:
        k = np.array([entries[n] for n in _NAMES]).reshape(3, 3)
        out = view.update(pictures[image], k)
        return (
            f"<b>{preset}</b> kernel, entries sum to {k.sum():.3g} · "
            f"feature map from {out.min():.2f} to {out.max():.2f}"
        )

    syncing = []  # non-empty while a preset fills the boxes

    def on_preset(name: str) -> None:
        if name in KERNELS:
            syncing.append(name)
            try:
                for n, v in zip(_NAMES, KERNELS[name].ravel(), strict=True):
                    boxes[n].value = float(v)
            finally:
                syncing.pop()

    def on_entry(_value: float) -> None:
        if syncing:
            return
        current = np.array([boxes[n].value for n in _NAMES]).reshape(3, 3)
        name = controls["preset"].value
        if name != CUSTOM and not np.allclose(current, KERNELS[name]):
            controls["preset"].value = CUSTOM

    grid = W.GridBox(
        list(boxes.values()),
        layout=W.Layout(grid_template_columns="repeat(3, 68px)", grid_gap="2px"),
    )
    menus = W.VBox([controls["preset"], *([controls["image"]] if "image" in controls else [])])
    box = W.HBox([menus, W.VBox([W.HTML("<b>kernel</b> (Enter to apply)"), grid])])
    hooks = {"preset": on_preset, **{n: on_entry for n in _NAMES}}
    return Explorer(
        "FilterExplorer", controls, fig, draw, view=view, on_change=hooks, controls_box=box
    )
