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
from matplotlib.figure import Figure

from dlhelpers.viz.live import figure_png

__all__ = ["Explorer", "dropdown", "slider"]


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
