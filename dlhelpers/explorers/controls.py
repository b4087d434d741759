"""The controls the explorers use: sliders and menus that check what they are given.

Every builder makes its controls here, so that every explorer gets the same
checks: a value that is not a number, or not among a menu's choices, raises
``ValueError`` in one line naming the argument; a number outside a slider's
range is clamped with a warning; labels get the width they need and tracks
:data:`TRACK_PX` pixels, so that nothing is cut ("learning r...").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import ipywidgets as W

__all__ = ["TRACK_PX", "check_choice", "choice_slider", "dropdown", "number_box", "slider"]

#: Width of a slider's track in pixels: about 2.5 px per step for 80 steps.
TRACK_PX = 200


def _label_style(description: str, style: dict | None) -> tuple[dict, int]:
    """A description width that fits the label (ipywidgets cuts it at 80 px otherwise)."""
    label_px = max(40, round(7.2 * len(description)) + 12)
    style = {"description_width": f"{label_px}px", **(style or {})}
    width = style["description_width"]
    return style, int(width[:-2]) if width.endswith("px") else label_px


def _number(name: str, value: Any, *, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}={value!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}={value} is not a number; give a finite value")
    if integer and value != int(value):
        raise ValueError(f"{name}={value} is not a whole number")
    return value


def _clamped(name: str, value: float, lo: float, hi: float) -> tuple[float, str]:
    """``value`` moved into ``lo..hi``, and the warning that says so (empty if it was inside)."""
    if lo <= value <= hi:
        return value, ""
    clamped = min(max(value, lo), hi)
    notice = f"{name}={value:g} is outside {lo:g}..{hi:g}; starting at {clamped:g}"
    warnings.warn(notice, stacklevel=4)
    return clamped, notice


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
    name: str | None = None,
    log: bool = False,
    **kwargs: Any,
) -> W.FloatSlider | W.IntSlider | W.FloatLogSlider:
    """A slider as the explorers use it (``integer=True`` for whole numbers).

    ``continuous=False`` redraws only on release: use it where a redraw
    trains a model. ``log=True`` gives a ``FloatLogSlider`` whose ``low``,
    ``high`` and ``step`` are powers of ten. ``name`` (default: the
    description) is the builder's argument, named in messages. A value that
    is not a number raises ``ValueError``; one outside ``low..high`` is
    clamped with a warning, also kept in the slider's ``notice`` attribute
    (the explorer shows it in its status line). The label gets the width it
    needs and the track :data:`TRACK_PX` pixels (``width`` is a minimum).
    Other keyword arguments go to the ipywidgets class.
    """
    name = name or description.replace(" ", "_")
    value = _number(name, value, integer=integer)
    lo, hi = (10**low, 10**high) if log else (low, high)
    value, notice = _clamped(name, value, lo, hi)
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
        control = W.IntSlider(value=int(value), min=low, max=high, step=max(1, int(step)), **common)
    elif log:
        control = W.FloatLogSlider(
            value=value, base=10, min=low, max=high, step=step, readout_format=fmt, **common
        )
    else:
        control = W.FloatSlider(
            value=value, min=low, max=high, step=step, readout_format=fmt, **common
        )
    control.notice = notice
    return control


def _show(option: Any) -> str:
    return f"{option:g}" if isinstance(option, float) else str(option)


def check_choice(name: str, value: Any, options: Iterable) -> None:
    """Raise ``ValueError`` naming ``name`` and the choices unless ``value`` is one of ``options``."""
    options = list(options)
    try:
        found = value in options
    except TypeError:  # an unhashable value against dict keys
        found = False
    if not found:
        raise ValueError(
            f"{name}={value!r} is not one of the choices: {', '.join(map(_show, options))}"
        )


def dropdown(
    description: str,
    options,
    value,
    *,
    width: str = "220px",
    name: str | None = None,
    **kwargs: Any,
) -> W.Dropdown:
    """A drop-down menu as the explorers use it.

    A ``value`` not among ``options`` raises ``ValueError`` naming ``name``
    (default: the description) and the choices.
    """
    options = list(options)
    check_choice(name or description.replace(" ", "_"), value, options)
    style, label_px = _label_style(description, kwargs.pop("style", None))
    total = max(int(str(width).removesuffix("px")), label_px + 150)
    return W.Dropdown(
        options=options,
        value=value,
        description=description,
        layout=W.Layout(width=f"{total}px"),
        style=style,
        **kwargs,
    )


def choice_slider(
    description: str,
    options,
    value,
    *,
    name: str | None = None,
    continuous: bool = False,
    **kwargs: Any,
) -> W.SelectionSlider:
    """A slider over a fixed list of choices (a menu of learning rates).

    A ``value`` not among ``options`` raises ``ValueError`` naming ``name``
    (default: the description) and the choices.
    """
    options = list(options)
    check_choice(name or description.replace(" ", "_"), value, options)
    style, label_px = _label_style(description, kwargs.pop("style", None))
    return W.SelectionSlider(
        options=options,
        value=value,
        description=description,
        continuous_update=continuous,
        layout=W.Layout(width=f"{label_px + TRACK_PX + 60}px"),
        style=style,
        **kwargs,
    )


def number_box(
    value: float, *, name: str, low: float = -100.0, high: float = 100.0, width: str = "64px"
) -> W.BoundedFloatText:
    """A small box to type a number in (a kernel entry), bounded to ``low..high``.

    A value that is not a finite number raises ``ValueError`` naming ``name``;
    one outside the bounds is clamped with a warning, like :func:`slider`.
    The box redraws when the learner presses Enter or leaves it, not at
    every keystroke (``-`` alone is not a number yet).
    """
    value, notice = _clamped(name, _number(name, value, integer=False), low, high)
    control = W.BoundedFloatText(
        value=value,
        min=low,
        max=high,
        step=0.1,
        continuous_update=False,
        layout=W.Layout(width=width),
    )
    control.notice = notice
    return control
