"""An explorer's settings: one frozen dataclass gives the defaults, the controls and the checks.

Every explorer declares its settings once, as a subclass of :class:`Settings`
whose fields are made with :func:`setting`::

    @dataclass(frozen=True)
    class LineSettings(Settings):
        w: float = setting(0.0, "w", low=-4, high=4)
        b: float = setting(0.0, "b", low=-4, high=4)

    def build_line_explorer(x, y, settings=None, **overrides):
        s = LineSettings.resolve(settings, overrides)
        ...
        return Explorer("LineExplorer", controls_from(s), fig, draw, notices=s.notices)

A field's metadata says which control shows it (a slider from ``low`` to
``high``, a menu of ``choices``, a number box) and how it is checked. The
rule is the same for every explorer:

- a value of the wrong kind (text for a number, a bool, ``None``, a
  fraction for a whole number), NaN or infinity, or a menu value that is
  not offered raises ``ValueError`` in one line that names the setting
  (and lists the choices), through :mod:`dlhelpers.validate`;
- a number outside its range is *clamped*, with a warning whose text the
  explorer also shows in its status line (``weight=9 is outside -4..4;
  starting at 4``);
- NumPy scalars are accepted and stored as plain Python values.

Ranges and menus that depend on the data (the number of images, the
layers of a model) are given with :meth:`Settings.within`; change a
checked settings object with :meth:`Settings.replace`, which keeps them
(``dataclasses.replace`` makes a fresh one without them). A field made
with ``label=None`` has no control: it is fixed when the explorer is built
(a seed, the steps per tick) and checked all the same.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import ipywidgets as W

from dlhelpers.explorers.controls import choice_slider, dropdown, number_box, slider, toggle
from dlhelpers.validate import check_choice, check_int, check_number, show_value

__all__ = ["FROM_DATA", "Settings", "Spec", "controls_from", "setting"]

S = TypeVar("S", bound="Settings")
STYLES = ("slider", "dropdown", "choice_slider", "toggle", "box")
#: ``choices=FROM_DATA``: a menu whose choices the builder gives with :meth:`Settings.within`.
FROM_DATA: tuple = ()


@dataclass(frozen=True)
class Spec:
    """How one setting is shown and checked (the ``spec`` entry of a field's metadata).

    ``label`` is the control's text (``None``: no control). A menu has
    ``choices``; a number has ``low``/``high`` (either may be ``None``: no
    bound), ``integer`` for whole numbers, and for a slider ``step``, ``fmt``
    and ``log`` (then ``low`` and ``high`` are powers of ten). ``style`` picks
    the control: ``"slider"`` or ``"box"`` for a number, ``"dropdown"``,
    ``"choice_slider"`` or ``"toggle"`` for a menu. ``continuous=False``
    redraws only on release (where a redraw trains a model). ``optional``
    lets ``None`` through (the builder fills it in), and ``convert`` replaces
    the number and menu checks for a value that is neither (``convert(name,
    value)`` returns the value or raises ``ValueError``).
    """

    label: str | None = None
    low: float | None = None
    high: float | None = None
    step: float = 0.1
    integer: bool = False
    fmt: str = ".1f"
    log: bool = False
    choices: tuple | None = None
    style: str | None = None
    continuous: bool = True
    optional: bool = False
    convert: Callable[[str, Any], Any] | None = None

    def bounds(self) -> tuple[float | None, float | None]:
        """The range of values (for a log slider, ``10**low`` to ``10**high``)."""
        if self.log:
            return 10.0**self.low, 10.0**self.high
        return self.low, self.high

    def check(self, name: str, value: Any) -> tuple[Any, str]:
        """``value`` checked (and clamped into range), and the notice that says so (or "")."""
        if value is None and self.optional:
            return None, ""
        if self.convert is not None:
            return self.convert(name, value), ""
        if self.choices == FROM_DATA:  # the builder gives them with Settings.within
            return value, ""
        if self.choices is not None:
            return check_choice(name, value, self.choices), ""
        value = check_int(name, value) if self.integer else check_number(name, value)
        low, high = self.bounds()
        clamped = min(value, high) if high is not None else value
        clamped = max(clamped, low) if low is not None else clamped
        if clamped == value:
            return value, ""
        clamped = int(clamped) if self.integer else clamped
        reach = "..".join("" if end is None else show_value(end) for end in (low, high))
        notice = f"{name}={show_value(value)} is outside {reach}; starting at {show_value(clamped)}"
        warnings.warn(notice, stacklevel=6)
        return clamped, notice


def setting(default: Any, label: str | None = None, **spec: Any) -> Any:
    """A settings field: its ``default``, and how it is shown and checked (see :class:`Spec`).

    ``setting(0.5, "noise", low=0, high=0.5, step=0.05, fmt=".2f")`` is a
    slider; ``setting("tanh", "activation", choices=("relu", "tanh"))`` a
    menu; ``setting(0, low=0, integer=True)`` a whole number without a
    control.
    """
    if "choices" in spec:
        spec["choices"] = tuple(spec["choices"])
    made = Spec(label, **spec)
    if made.style is not None and made.style not in STYLES:
        raise ValueError(f"style={made.style!r} is not one of the choices: {', '.join(STYLES)}")
    return field(default=default, metadata={"spec": made})


class Settings:
    """The base of every explorer's settings: a frozen dataclass checked when it is made.

    Subclass it with ``@dataclass(frozen=True)`` and fields made by
    :func:`setting`. Making one checks every field (see the module's rule);
    out-of-range numbers are clamped and the notices kept in ``notices``.

    Attributes
    ----------
    notices : tuple of str
        One line per clamped value, for the explorer's status line.
    limits : dict of str to Spec
        The data-dependent ranges and menus given to :meth:`within`.
    """

    notices: tuple[str, ...]
    limits: dict[str, Spec]

    def __post_init__(self) -> None:
        self._check({}, ())

    def _check(self, limits: dict[str, Spec], notices: tuple[str, ...]) -> None:
        found = list(notices)
        for f in fields(self):
            spec = limits.get(f.name) or f.metadata["spec"]
            value, notice = spec.check(f.name, getattr(self, f.name))
            object.__setattr__(self, f.name, value)
            if notice:
                found.append(notice)
        object.__setattr__(self, "notices", tuple(dict.fromkeys(found)))
        object.__setattr__(self, "limits", dict(limits))

    @classmethod
    def spec(cls, name: str) -> Spec:
        """The :class:`Spec` of field ``name``."""
        return {f.name: f.metadata["spec"] for f in fields(cls)}[name]

    @classmethod
    def resolve(cls: type[S], settings: S | None, overrides: dict[str, Any]) -> S:
        """``settings`` (default: the defaults) with ``overrides`` applied, all checked.

        What every ``build_x(settings=None, **overrides)`` calls first. An
        override that is not a field raises ``TypeError`` listing the fields.
        """
        names = [f.name for f in fields(cls)]
        if settings is None:
            settings = cls()
        elif not isinstance(settings, cls):
            raise TypeError(
                f"settings must be a {cls.__name__}, not {show_value(settings)}; "
                f"give settings by name ({', '.join(f'{n}=...' for n in names[:2])})"
            )
        unknown = [key for key in overrides if key not in names]
        if unknown:
            raise TypeError(
                f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"the settings are: {', '.join(names)}"
            )
        return dataclasses.replace(settings, **overrides) if overrides else settings

    def within(self: S, **limits: dict[str, Any]) -> S:
        """A copy checked against ranges or menus that depend on the data.

        ``s.within(index={"high": n - 1}, image={"choices": names})``: each
        keyword names a field and the :class:`Spec` entries that replace its
        own. Out-of-range values are clamped (with a notice), as always.
        """
        specs = {
            name: dataclasses.replace(self.spec(name), **change) for name, change in limits.items()
        }
        for name, spec in specs.items():
            if spec.choices is not None:
                specs[name] = dataclasses.replace(spec, choices=tuple(spec.choices))
        copy = dataclasses.replace(self)
        copy._check({**self.limits, **specs}, self.notices)
        return copy

    def replace(self: S, **changes: Any) -> S:
        """A copy with ``changes``, checked, keeping the ranges of :meth:`within` and the notices."""
        copy = dataclasses.replace(self, **changes)
        copy._check(self.limits, (*self.notices, *copy.notices))
        return copy

    def values(self) -> dict[str, Any]:
        """Field name -> value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _control(name: str, spec: Spec, value: Any) -> W.Widget:
    """The widget that ``spec`` asks for, showing ``value`` (already checked)."""
    if spec.choices is not None:
        make = {"choice_slider": choice_slider, "toggle": toggle}.get(spec.style, dropdown)
        kw = {"continuous": spec.continuous} if make is choice_slider else {}
        return make(spec.label, spec.choices, value, **kw)
    if spec.style == "box":
        return number_box(value, low=spec.low, high=spec.high)
    return slider(
        spec.label,
        value,
        spec.low,
        spec.high,
        spec.step,
        integer=spec.integer,
        fmt=spec.fmt,
        log=spec.log,
        continuous=spec.continuous,
    )


def controls_from(settings: Settings, names: Sequence[str] | None = None) -> dict[str, W.Widget]:
    """One control per field that has a label (or per field of ``names``), in field order.

    The keys are the field names, so ``draw(**values)`` gets the settings by
    name and ``explorer.controls["lr"]`` is the ``lr`` setting's slider.
    """
    chosen = [f.name for f in fields(settings)] if names is None else list(names)
    out = {}
    for name in chosen:
        spec = settings.limits.get(name) or settings.spec(name)
        if spec.label is not None:
            out[name] = _control(name, spec, getattr(settings, name))
    return out
