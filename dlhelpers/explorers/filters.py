"""The filter explorer (notebook 07): type a 3x3 kernel, see the feature map it makes.

Pure part: :func:`feature_map` (the NumPy :func:`~dlhelpers.scratch.conv.conv2d`
with padding 1, so the map has the image's size). View: :class:`FilterView`,
three panels updated in place (image, kernel with its numbers, feature map).
Builder: :func:`build_filter_explorer`, nine number boxes in a 3x3 grid, a
preset menu and, given several images, an image menu.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import FROM_DATA, Settings, controls_from, setting
from dlhelpers.scratch.conv import conv2d
from dlhelpers.validate import check_choice, check_finite_array

__all__ = ["KERNELS", "FilterSettings", "FilterView", "build_filter_explorer", "feature_map"]

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
    k = check_finite_array("kernel", kernel)
    if k.shape != (3, 3):
        raise ValueError(f"kernel must be 3x3, got shape {k.shape}")
    return k


def _as_image(image: ArrayLike, name: str = "image") -> np.ndarray:
    image = check_finite_array(name, image)
    if image.ndim != 2 or min(image.shape) < 3:
        raise ValueError(
            f"{name} must be a grey image of shape (H, W), at least 3x3; got {image.shape}"
        )
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


def _entry() -> float | None:
    # None: the preset's entry.
    return setting(None, "", low=-100.0, high=100.0, style="box", optional=True)


@dataclass(frozen=True)
class FilterSettings(Settings):
    """A preset, the nine kernel entries (row, column; None: the preset's) and the image shown."""

    preset: str = setting("sobel x", "preset", choices=(*KERNELS, CUSTOM))
    k00: float | None = _entry()
    k01: float | None = _entry()
    k02: float | None = _entry()
    k10: float | None = _entry()
    k11: float | None = _entry()
    k12: float | None = _entry()
    k20: float | None = _entry()
    k21: float | None = _entry()
    k22: float | None = _entry()
    image: str | None = setting(None, "image", choices=FROM_DATA, optional=True)

    def with_kernel(self, kernel: ArrayLike | str | None) -> FilterSettings:
        """Entries from ``kernel`` (or, where None, the preset's), the preset that matches them."""
        if kernel is not None:
            given = _as_kernel(kernel)
        else:
            base = KERNELS.get(self.preset, KERNELS["identity"]).ravel()
            entries = [getattr(self, n) for n in _NAMES]
            given = np.array([b if e is None else e for e, b in zip(entries, base, strict=True)])
        preset = next(
            (n for n, k in KERNELS.items() if np.allclose(k, given.reshape(3, 3))), CUSTOM
        )
        entries = dict(zip(_NAMES, (float(v) for v in given.ravel()), strict=True))
        return self.replace(preset=preset, **entries)


def _kernel_grid(controls: dict, boxes: dict) -> W.Widget:
    grid = W.GridBox(
        list(boxes.values()),
        layout=W.Layout(grid_template_columns="repeat(3, 68px)", grid_gap="2px"),
    )
    menus = W.VBox([controls["preset"], *([controls["image"]] if "image" in controls else [])])
    return W.HBox([menus, W.VBox([W.HTML("<b>kernel</b> (Enter to apply)"), grid])])


def _preset_hooks(controls: dict, boxes: dict) -> dict:
    """A preset fills the boxes; typing an entry that leaves the preset says "custom"."""
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

    return {"preset": on_preset, **{n: on_entry for n in _NAMES}}


def build_filter_explorer(
    images: Mapping[str, ArrayLike] | ArrayLike,
    kernel: ArrayLike | str | None = None,
    settings: FilterSettings | None = None,
    **overrides,
) -> Explorer:
    """Nine number boxes hold a 3x3 kernel; the feature map follows what you type.

    Parameters
    ----------
    images : dict of str to array_like of shape (H, W), or one such array
        Grey images with values in [0, 1]; several give an image menu.
    kernel : array_like of shape (3, 3), or the name of a preset in :data:`KERNELS`, optional
        Where the boxes start (default: the ``preset`` setting's kernel).
    settings : FilterSettings, optional
        Or by name: ``preset``, the entries ``k00`` .. ``k22`` and ``image``
        (which of ``images`` to start with; default the first).

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
    s = FilterSettings.resolve(settings, overrides).with_kernel(kernel)
    if s.image is None:
        s = s.replace(image=next(iter(pictures)))
    s = s.within(image={"choices": tuple(pictures)})
    several = len(pictures) > 1
    controls = controls_from(s, ["preset", *_NAMES, *(["image"] if several else [])])
    boxes = {n: controls[n] for n in _NAMES}
    fig = Figure(figsize=(7.2, 2.8), layout="constrained")
    start = np.array([getattr(s, n) for n in _NAMES]).reshape(3, 3)
    view = FilterView(fig, pictures[s.image], start)

    def draw(preset: str, image: str = s.image, **entries: float) -> str:
        k = np.array([entries[n] for n in _NAMES]).reshape(3, 3)
        out = view.update(pictures[image], k)
        return (
            f"<b>{preset}</b> kernel, entries sum to {k.sum():.3g} · "
            f"feature map from {out.min():.2f} to {out.max():.2f}"
        )

    return Explorer(
        "FilterExplorer",
        controls,
        fig,
        draw,
        view=view,
        on_change=_preset_hooks(controls, boxes),
        controls_box=_kernel_grid(controls, boxes),
        notices=s.notices,
    )
