"""Argument checks, in one place: every public function of the package checks its settings here.

Each check names the argument and says what it wants, in one line, like
scikit-learn's ``check_scalar``; each accepts NumPy scalars (``np.float32(1e-3)``,
``np.int64(32)``) and 0-d arrays or tensors, and returns a plain Python value.
NaN and infinity never pass a number check; a bool is never a number; a complex
number is never a real one.

A value of the wrong kind raises :class:`ArgumentTypeError`, which is both a
``TypeError`` (Python's convention) and a ``ValueError`` (what most of the
course's callers catch); a value of the right kind outside its range raises
``ValueError``.

This module imports only the standard library and NumPy, so every folder of
the package, ``scratch/`` included, may use it.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "ArgumentTypeError",
    "check_choice",
    "check_finite_array",
    "check_int",
    "check_number",
    "check_positive_int",
    "check_probability",
    "check_real_array",
    "check_seed",
    "show_value",
]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong kind (text for a number, a float for a count)."""


def show_value(value: Any) -> str:
    """A short, readable form of ``value`` for a message (``0.001``, ``'relu'``, ``nan``)."""
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _scalar(name: str, value: Any, what: str) -> Any:
    """``value`` unwrapped from a NumPy scalar, a 0-d array or a 0-d tensor."""
    if isinstance(value, bool | np.bool_):
        raise ArgumentTypeError(f"{name}={value!r} is a bool; give {what}")
    if isinstance(value, numbers.Number):
        return value.item() if isinstance(value, np.generic) else value
    item = getattr(value, "item", None)
    shape = getattr(value, "shape", None)
    if callable(item) and shape is not None and len(shape) == 0:
        return _scalar(name, item(), what)
    raise ArgumentTypeError(f"{name}={show_value(value)} is not {what}")


def _in_range(name: str, value: float, low, high, low_open: bool, high_open: bool) -> None:
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not (too_low or too_high):
        return
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        want = f"in {left}{show_value(low)}, {show_value(high)}{right}"
    elif low is not None:
        want = f"{'above' if low_open else 'at least'} {show_value(low)}"
    else:
        want = f"{'below' if high_open else 'at most'} {show_value(high)}"
    raise ValueError(f"{name}={show_value(value)} must be {want}")


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float within ``[low, high]`` (ends open on request).

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : int, float, NumPy scalar, 0-d array or tensor
    low, high : float, optional
        Bounds; ``None`` leaves that side open-ended.
    low_open, high_open : bool, default False
        Exclude the bound itself (``low=0, low_open=True``: strictly positive).

    Raises
    ------
    ArgumentTypeError
        Not a real number (text, a bool, a complex number, an array of many).
    ValueError
        NaN, infinite, or out of range.
    """
    value = _scalar(name, value, "a number")
    if not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name}={show_value(value)} is not a real number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}={value} is not a number; give a finite value")
    _in_range(name, value, low, high, low_open, high_open)
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int within ``[low, high]``; a float that is a whole number (``32.0``) passes.

    Raises
    ------
    ArgumentTypeError
        Not a number, or a number with a fraction (``2.5``).
    ValueError
        NaN, infinite, or out of range.
    """
    value = _scalar(name, value, "a whole number")
    if isinstance(value, numbers.Integral):
        value = operator.index(value)
    elif isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise ValueError(f"{name}={value} is not a number; give a whole number")
        if value != int(value):
            raise ArgumentTypeError(f"{name}={show_value(value)} is not a whole number")
        value = int(value)
    else:
        raise ArgumentTypeError(f"{name}={show_value(value)} is not a whole number")
    _in_range(name, value, low, high, False, False)
    return value


def check_positive_int(name: str, value: Any) -> int:
    """``value`` as an int of at least 1 (a count, a size, a number of steps)."""
    return check_int(name, value, low=1)


def check_probability(name: str, value: Any, *, open_ends: bool = False) -> float:
    """``value`` as a float in ``[0, 1]`` (``(0, 1)`` with ``open_ends=True``)."""
    return check_number(name, value, low=0.0, high=1.0, low_open=open_ends, high_open=open_ends)


def check_seed(name: str, value: Any) -> int | None:
    """``value`` as a seed: ``None`` (fresh randomness) or an int in ``[0, 2**32 - 1]``."""
    if value is None:
        return None
    return check_int(name, value, low=0, high=2**32 - 1)


def check_choice(name: str, value: Any, options: Iterable) -> Any:
    """``value`` if it is one of ``options``, else a ValueError naming the argument and the choices.

    A NumPy scalar matches its plain equal (``np.float64(0.1)`` matches
    ``0.1``) and the option itself is returned.
    """
    options = list(options)
    for option in options:
        if isinstance(value, str) != isinstance(option, str):
            continue
        if isinstance(value, bool | np.bool_) != isinstance(option, bool):
            continue
        try:
            if bool(option == value):
                return option
        except (TypeError, ValueError):  # an array against a scalar
            continue
    raise ValueError(
        f"{name}={show_value(value)} is not one of the choices: "
        f"{', '.join(show_value(o) if not isinstance(o, str) else o for o in options)}"
    )


def check_real_array(name: str, x: Any) -> np.ndarray:
    """``x`` as an ndarray of booleans, integers or floats, its dtype kept.

    Raises
    ------
    ArgumentTypeError
        Text, objects or complex numbers (torch has no real twin for them).
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        kind = {"c": "complex numbers", "U": "text", "S": "text", "O": "objects"}
        raise ArgumentTypeError(
            f"{name} holds {kind.get(arr.dtype.kind, arr.dtype)}; give real numbers"
        )
    return arr


def check_finite_array(name: str, x: Any, *, allow_empty: bool = False) -> np.ndarray:
    """``x`` as a float ndarray with no NaN or infinity (and at least one element, by default).

    Raises
    ------
    ArgumentTypeError
        Text, objects or complex numbers that are not real numbers.
    ValueError
        NaN or infinite entries (counted, with the first one's index), or empty.
    """
    arr = check_real_array(name, x)
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: give at least one value")
    arr = arr.astype(np.float64) if arr.dtype.kind in "biu" else arr
    bad = ~np.isfinite(arr)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} holds {int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} "
            f"infinite values (first at index {first if len(first) != 1 else first[0]})"
        )
    return arr
