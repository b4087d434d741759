"""Interactive explorers, built to be tested without a browser.

Each explorer has three layers (see STYLE.md): a pure function that computes
(:mod:`dlhelpers.scratch`), a view that draws and updates in place
(:mod:`dlhelpers.plots`), and a ``build_*`` function here that wires
controls to the view and *returns* an :class:`Explorer` without displaying
it. The picture is an ``ipywidgets.Image`` holding a PNG, so there is no
``Output`` widget to capture (which nbval cannot compare) and the stored
notebook shows the last picture even where widgets do not run.

In a test::

    ex = build_activation_explorer()
    before = ex.image.value
    ex.controls["weight"].value = 3.0
    assert ex.image.value != before
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from dlhelpers.live import figure_png
from dlhelpers.plots import ActivationView, DecisionView, neuron_probability
from dlhelpers.scratch.activations import ACTIVATIONS

__all__ = [
    "Explorer",
    "build_activation_explorer",
    "build_line_explorer",
    "build_neuron_explorer",
    "dropdown",
    "slider",
]


class Explorer:
    """Controls wired to a figure. Display it (last line of a cell) to use it.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        Set ``controls[name].value`` to move a control from code.
    figure : matplotlib.figure.Figure
    image : ipywidgets.Image
        The rendered figure; its ``value`` (PNG bytes) changes on every redraw.
    widget : ipywidgets.VBox
        Controls above the image; what is displayed.
    """

    def __init__(
        self,
        name: str,
        controls: dict[str, W.Widget],
        figure: Figure,
        draw: Callable[..., Any],
        *,
        dpi: int = 80,
        extra: list[W.Widget] | None = None,
    ):
        self.name, self.controls, self.figure, self._draw, self.dpi = (
            name,
            controls,
            figure,
            draw,
            dpi,
        )
        self.status = W.HTML()
        # align_self: a flex column would otherwise stretch (and blur) the PNG to full width.
        self.image = W.Image(
            format="png", layout=W.Layout(max_width="100%", align_self="flex-start")
        )
        row = W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap"))
        self.widget = W.VBox([row, *(extra or []), self.image, self.status])
        self.redraws = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")
        self.refresh()

    @property
    def values(self) -> dict[str, Any]:
        return {key: control.value for key, control in self.controls.items()}

    def _on_change(self, _change) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Redraw with the current control values and update the image."""
        message = self._draw(**self.values)
        self.status.value = message or ""
        self.image.value = figure_png(self.figure, dpi=self.dpi)
        self.redraws += 1

    def summary(self) -> str:
        settings = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.values.items()
        )
        return f"{self.name}({settings})"

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The widget view for JupyterLab, the PNG for GitHub/nbviewer, and a
        # short stable text (not the widget's huge repr) for nbval to compare.
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/plain"] = self.summary()
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


def slider(
    description: str,
    value: float,
    low: float,
    high: float,
    step: float = 0.1,
    *,
    integer: bool = False,
    fmt: str = ".1f",
    continuous: bool = True,
    width: str = "260px",
    **kwargs: Any,
) -> W.FloatSlider | W.IntSlider:
    """A slider as the explorers use it (``integer=True`` for whole numbers).

    ``continuous=False`` redraws only on release: use it where a redraw
    trains a model. Other keyword arguments go to the ipywidgets class.
    """
    if integer:
        return W.IntSlider(
            value=value,
            min=low,
            max=high,
            step=max(1, int(step)),
            description=description,
            continuous_update=continuous,
            layout=W.Layout(width=width),
            **kwargs,
        )
    return W.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=continuous,
        readout_format=fmt,
        layout=W.Layout(width=width),
        **kwargs,
    )


def dropdown(
    description: str, options, value, *, width: str = "220px", **kwargs: Any
) -> W.Dropdown:
    """A drop-down menu as the explorers use it."""
    return W.Dropdown(
        options=list(options),
        value=value,
        description=description,
        layout=W.Layout(width=width),
        **kwargs,
    )


def build_activation_explorer(
    activation: str = "sigmoid", *, weight: float = 1.0, bias: float = 0.0
) -> Explorer:
    """Pick an activation, drag the weight and bias of ``f(w x + b)``; see f and its slope.

    The right panel marks where the neuron *saturates* (slope below 1 % of
    its peak), the flat regions where learning stalls.
    """
    fig = Figure(figsize=(7.5, 2.9), layout="constrained")
    ax_f, ax_sat = fig.subplots(1, 2, width_ratios=[3, 2])
    x = np.linspace(-6, 6, 481)
    view = ActivationView(ax_f, x)
    (sat_line,) = ax_sat.plot(x, np.zeros_like(x), color="C1", lw=1.8)
    ax_sat.set_title("|slope| and saturated regions", fontsize=10)
    ax_sat.set_xlabel("x")
    ax_sat.grid(alpha=0.3)

    def draw(activation: str, weight: float, bias: float) -> str:
        view.update(activation, weight=weight, bias=bias)
        slope = np.abs(view.grad_line.get_ydata())
        sat_line.set_ydata(slope)
        for patch in list(ax_sat.collections):
            patch.remove()
        peak = slope.max()
        flat = slope < 0.01 * peak if peak > 0 else np.ones_like(slope, dtype=bool)
        ax_sat.fill_between(
            x,
            0,
            1,
            where=flat,
            color="0.5",
            alpha=0.25,
            transform=ax_sat.get_xaxis_transform(),
            label="saturated",
        )
        ax_sat.set_ylim(0, max(peak * 1.15, 1e-3))
        share = flat.mean()
        return f"<b>{activation}</b>: the slope is nearly zero on {share:.0%} of this x range."

    controls = {
        "activation": dropdown("activation", ACTIVATIONS, activation),
        "weight": slider("weight w", weight, -4.0, 4.0),
        "bias": slider("bias b", bias, -4.0, 4.0),
    }
    return Explorer("ActivationExplorer", controls, fig, draw)


def build_neuron_explorer(
    X: np.ndarray, y: np.ndarray, *, w1: float = 1.0, w2: float = -1.0, b: float = 0.0
) -> Explorer:
    """Drag ``w1``, ``w2`` and ``b`` of a 2-input sigmoid neuron over a labelled point cloud.

    Shows the neuron's probability map, its boundary ``w1 x1 + w2 x2 + b = 0``,
    which points it gets wrong, and the accuracy.
    """
    fig = Figure(figsize=(4.6, 3.9), layout="constrained")
    view = DecisionView(fig.subplots(), X, y, n=90)

    def draw(w1: float, w2: float, b: float) -> str:
        view.update_model(
            lambda P: neuron_probability(P, (w1, w2), b),
            title=f"sigmoid({w1:.1f}·x1 {w2:+.1f}·x2 {b:+.1f})",
        )
        return f"accuracy <b>{view.accuracy:.0%}</b> on {len(view.y)} points"

    controls = {
        "w1": slider("w1", w1, -5, 5),
        "w2": slider("w2", w2, -5, 5),
        "b": slider("b", b, -5, 5),
    }
    explorer = Explorer("NeuronExplorer", controls, fig, draw)
    explorer.view = view
    return explorer


def build_line_explorer(
    x: np.ndarray, y: np.ndarray, *, w: float = 0.0, b: float = 0.0
) -> Explorer:
    """Drag ``w`` and ``b`` of the line ``w x + b`` to fit points; see the squared errors.

    The warm-up of notebook 00: "learning" is turning knobs to make a loss
    small. The vertical segments are the errors; the title gives their mean
    square.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
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

    controls = {"w": slider("w", w, -4, 4), "b": slider("b", b, -4, 4)}
    return Explorer("LineExplorer", controls, fig, draw)
