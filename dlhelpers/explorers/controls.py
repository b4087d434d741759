"""The controls the explorers use: sliders, menus and number boxes laid out alike.

:func:`~dlhelpers.explorers.settings.controls_from` makes every explorer's
controls here from its settings, which have already been checked (see
:mod:`dlhelpers.explorers.settings`): these makers only lay out. Labels get
the width they need and tracks :data:`TRACK_PX` pixels, so that nothing is
cut ("learning r...").
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

__all__ = ["TRACK_PX", "choice_slider", "dropdown", "number_box", "slider", "toggle"]

#: Width of a slider's track in pixels: about 2.5 px per step for 80 steps.
TRACK_PX = 200


def _label_style(description: str, style: dict | None) -> tuple[dict, int]:
    """A description width that fits the label (ipywidgets cuts it at 80 px otherwise)."""
    label_px = max(40, round(7.2 * len(description)) + 12)
    style = {"description_width": f"{label_px}px", **(style or {})}
    width = style["description_width"]
    return style, int(width[:-2]) if width.endswith("px") else label_px


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
    log: bool = False,
    **kwargs: Any,
) -> W.FloatSlider | W.IntSlider | W.FloatLogSlider:
    """A slider as the explorers use it (``integer=True`` for whole numbers).

    ``continuous=False`` redraws only on release: use it where a redraw
    trains a model. ``log=True`` gives a ``FloatLogSlider`` whose ``low``,
    ``high`` and ``step`` are powers of ten. ``value`` must already be in
    range (the settings clamp it). The label gets the width it needs and the
    track :data:`TRACK_PX` pixels (``width`` is a minimum). Other keyword
    arguments go to the ipywidgets class.
    """
    style, label_px = _label_style(description, kwargs.pop("style", None))
    total = max(int(str(width).removesuffix("px")), label_px + TRACK_PX + 60)
    common = dict(
        description=description,
        continuous_update=continuous,
        layout=W.Layout(width=f"{total}px"),
        style=style,
        **kwargs,
    )
    if integer:
        return W.IntSlider(value=int(value), min=low, max=high, step=max(1, int(step)), **common)
    if log:
        return W.FloatLogSlider(
            value=value, base=10, min=low, max=high, step=step, readout_format=fmt, **common
        )
    return W.FloatSlider(value=value, min=low, max=high, step=step, readout_format=fmt, **common)


def dropdown(
    description: str, options, value, *, width: str = "220px", **kwargs: Any
) -> W.Dropdown:
    """A drop-down menu as the explorers use it; ``options`` may be ``(label, value)`` pairs."""
    style, label_px = _label_style(description, kwargs.pop("style", None))
    total = max(int(str(width).removesuffix("px")), label_px + 150)
    return W.Dropdown(
        options=list(options),
        value=value,
        description=description,
        layout=W.Layout(width=f"{total}px"),
        style=style,
        **kwargs,
    )


def choice_slider(
    description: str, options, value, *, continuous: bool = False, **kwargs: Any
) -> W.SelectionSlider:
    """A slider over a fixed list of choices (a menu of learning rates)."""
    style, label_px = _label_style(description, kwargs.pop("style", None))
    return W.SelectionSlider(
        options=list(options),
        value=value,
        description=description,
        continuous_update=continuous,
        layout=W.Layout(width=f"{label_px + TRACK_PX + 60}px"),
        style=style,
        **kwargs,
    )


def toggle(description: str, options, value, **kwargs: Any) -> W.ToggleButtons:
    """A row of buttons of which one is down (a menu of two or three words)."""
    style, _ = _label_style(description, kwargs.pop("style", None))
    return W.ToggleButtons(
        options=list(options), value=value, description=description, style=style, **kwargs
    )


def number_box(
    value: float, *, low: float = -100.0, high: float = 100.0, width: str = "64px"
) -> W.BoundedFloatText:
    """A small box to type a number in (a kernel entry), bounded to ``low..high``.

    The box redraws when the learner presses Enter or leaves it, not at
    every keystroke (``-`` alone is not a number yet).
    """
    return W.BoundedFloatText(
        value=value,
        min=low,
        max=high,
        step=0.1,
        continuous_update=False,
        layout=W.Layout(width=width),
    )
