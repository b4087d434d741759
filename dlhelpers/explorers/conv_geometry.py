"""The stride-and-padding explorer (notebook 07): which input pixels feed one output pixel.

The idea of CNN Explainer's hyperparameter view, on the learner's own image
and kernel. Pure part: :func:`taps` (the input positions one output pixel
reads) and :func:`~dlhelpers.scratch.conv.conv2d_output_size`. View:
:class:`GeometryView`, the padded input with the taps marked beside the
output grid. Builder: :func:`build_conv_geometry_explorer`.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.conv import conv2d, conv2d_output_size
from dlhelpers.validate import check_finite_array

__all__ = [
    "ConvGeometrySettings",
    "GeometryView",
    "build_conv_geometry_explorer",
    "output_size_formula",
    "taps",
]


def taps(row: int, col: int, kernel_size: int, stride: int, dilation: int) -> np.ndarray:
    """Positions in the *padded* input that output pixel ``(row, col)`` reads.

    Returns
    -------
    ndarray of shape (kernel_size**2, 2), int
        ``(row, column)`` pairs: ``(row*stride + i*dilation, col*stride + j*dilation)``.
    """
    offsets = np.arange(kernel_size) * dilation  # (k,)
    rows, cols = np.meshgrid(row * stride + offsets, col * stride + offsets, indexing="ij")
    return np.stack([rows.ravel(), cols.ravel()], axis=1)  # (k*k, 2)


def output_size_formula(
    size: int, kernel_size: int, stride: int, padding: int, dilation: int
) -> str:
    """The output-size formula with the numbers filled in, e.g. ``⌊(14 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 14``."""
    out = conv2d_output_size(size, kernel_size, stride, padding, dilation)
    return f"⌊({size} + 2·{padding} − {dilation}·({kernel_size} − 1) − 1) / {stride}⌋ + 1 = {out}"


class GeometryView:
    """Padded input (padding shaded) with the taps of one output pixel, and the output grid."""

    def __init__(self, fig: Figure):
        self.ax_in, self.ax_out = fig.subplots(1, 2)
        grey = matplotlib.colormaps["gray"].with_extremes(bad="#cfe0ee")  # padding cells are NaN
        self.input = self.ax_in.imshow(np.zeros((2, 2)), cmap=grey, vmin=0, vmax=1)
        (self.marks,) = self.ax_in.plot([], [], "s", ms=6, mfc="none", mec="C3", mew=1.8)
        self.output = self.ax_out.imshow(np.zeros((2, 2)), cmap="gray")
        (self.chosen,) = self.ax_out.plot([], [], "s", ms=9, mfc="none", mec="C3", mew=2)
        for ax in (self.ax_in, self.ax_out):
            ax.set_xticks([])
            ax.set_yticks([])

    @staticmethod
    def _grid(ax, shape) -> None:
        for line in list(ax.lines[1:]):
            line.remove()
        h, w = shape
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
        for r in range(h + 1):
            ax.plot([-0.5, w - 0.5], [r - 0.5, r - 0.5], color="0.75", lw=0.4)
        for c in range(w + 1):
            ax.plot([c - 0.5, c - 0.5], [-0.5, h - 0.5], color="0.75", lw=0.4)

    def update(self, image, kernel, stride, padding, dilation, row, col) -> tuple[int, int]:
        """Draw one configuration; return the output's (height, width)."""
        k = kernel.shape[0]
        padded = np.pad(image, padding, constant_values=np.nan)  # (H+2p, W+2p)
        out = conv2d(
            image[None, None], kernel[None, None], stride=stride, padding=padding, dilation=dilation
        )[0, 0]  # (Ho, Wo)
        self.input.set_data(padded)
        self.input.set_extent((-0.5, padded.shape[1] - 0.5, padded.shape[0] - 0.5, -0.5))
        self._grid(self.ax_in, padded.shape)
        where = taps(row, col, k, stride, dilation)
        self.marks.set_data(where[:, 1], where[:, 0])
        self.output.set_data(out)
        self.output.set_extent((-0.5, out.shape[1] - 0.5, out.shape[0] - 0.5, -0.5))
        low, high = float(out.min()), float(out.max())
        self.output.set_clim(low, high if high > low else low + 1e-12)
        self._grid(self.ax_out, out.shape)
        self.chosen.set_data([col], [row])
        self.ax_in.set_title(
            f"input {image.shape[0]}x{image.shape[1]}, padding {padding}", fontsize=10
        )
        self.ax_out.set_title(f"output {out.shape[0]}x{out.shape[1]}", fontsize=10)
        return out.shape


@dataclass(frozen=True)
class ConvGeometrySettings(Settings):
    """Stride, padding, dilation, the kernel size (without a kernel) and one output pixel."""

    stride: int = setting(1, "stride", low=1, high=3, integer=True)
    padding: int = setting(0, "padding", low=0, high=3, integer=True)
    dilation: int = setting(1, "dilation", low=1, high=3, integer=True)
    kernel_size: int = setting(3, "kernel size", low=1, high=5, integer=True)
    row: int = setting(0, "output row", low=0, integer=True)
    col: int = setting(0, "output column", low=0, integer=True)


def _check_inputs(image, kernel) -> tuple[np.ndarray, np.ndarray | None]:
    image = check_finite_array("image", image)
    if image.ndim != 2 or min(image.shape) < 2:
        raise ValueError(f"image must be a grey image of shape (H, W), got shape {image.shape}")
    if kernel is None:
        return image, None
    kernel = check_finite_array("kernel", kernel)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"kernel must be square, of shape (k, k), got shape {kernel.shape}")
    return image, kernel


def _out_shape(shape, k: int, s: int, p: int, d: int) -> tuple[int, int]:
    return tuple(max(0, (n + 2 * p - d * (k - 1) - 1) // s + 1) for n in shape)


def build_conv_geometry_explorer(
    image: ArrayLike,
    kernel: ArrayLike | None = None,
    settings: ConvGeometrySettings | None = None,
    **overrides,
) -> Explorer:
    """Stride, padding and dilation sliders; see the output size and one output pixel's inputs.

    Parameters
    ----------
    image : array_like of shape (H, W)
        A small grey image (about 8 to 20 pixels a side reads best).
    kernel : array_like of shape (k, k), optional
        The learner's kernel (for example the filter explorer's); without one,
        a ``kernel size`` slider picks a k x k average.
    settings : ConvGeometrySettings, optional
        Or by name: ``stride``, ``padding``, ``dilation``, ``kernel_size``,
        ``row`` and ``col`` (where the sliders start).

    Returns
    -------
    Explorer
        Controls ``"stride"``, ``"padding"``, ``"dilation"``, ``"row"``,
        ``"col"`` (the output pixel) and, without a kernel, ``"kernel_size"``.
    """
    image, fixed = _check_inputs(image, kernel)
    s = ConvGeometrySettings.resolve(settings, overrides)
    if fixed is not None:
        s = s.replace(kernel_size=fixed.shape[0])
    h0, w0 = _out_shape(image.shape, s.kernel_size, s.stride, s.padding, s.dilation)
    s = s.within(row={"high": max(h0 - 1, 0)}, col={"high": max(w0 - 1, 0)})
    names = [
        "stride",
        "padding",
        "dilation",
        *(["kernel_size"] if fixed is None else []),
        "row",
        "col",
    ]
    controls = controls_from(s, names)
    fig = Figure(figsize=(7.0, 3.3), layout="constrained")
    view = GeometryView(fig)
    draw = _drawer(view, image, fixed, s.kernel_size)

    def resize(_value) -> None:
        v = {name: c.value for name, c in controls.items()}
        k = v.get("kernel_size", s.kernel_size)
        h, w = _out_shape(image.shape, k, v["stride"], v["padding"], v["dilation"])
        controls["row"].max, controls["col"].max = max(h - 1, 0), max(w - 1, 0)

    hooks = dict.fromkeys(["stride", "padding", "dilation", "kernel_size"], resize)
    return Explorer(
        "ConvGeometryExplorer", controls, fig, draw, view=view, on_change=hooks, notices=s.notices
    )


def _drawer(view: GeometryView, image: np.ndarray, fixed: np.ndarray | None, k0: int):
    """The explorer's ``draw``: the learner's kernel, or a k x k average without one."""
    size = min(image.shape)

    def draw(stride, padding, dilation, row, col, kernel_size=k0) -> str:
        k = fixed if fixed is not None else np.full((kernel_size, kernel_size), 1 / kernel_size**2)
        reach = dilation * (k.shape[0] - 1) + 1
        if reach > size + 2 * padding:
            return (
                f"<b>no output</b>: the kernel spans {reach} pixels, more than the "
                f"{size + 2 * padding} of the padded input"
            )
        _, w = view.update(image, k, stride, padding, dilation, row, col)
        formula = output_size_formula(image.shape[0], k.shape[0], stride, padding, dilation)
        return f"output height {formula} · width {w} · pixel ({row}, {col}) reads {k.size} inputs"

    return draw
