"""What a learner's answer is: its type named for a message, numbers and arrays read from it.

The building blocks that the judges of :mod:`dlhelpers.checks` stand on: the
exceptions a judge raises (:class:`Wrong`, :class:`NotAttempted`), what counts
as a stub, and conversions that refuse what is not a number (text, a bool,
NaN) with one clear line instead of parsing or crashing. NumPy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Wrong(Exception):
    """Raised by a judge: the answer is not right; the message is the hint."""


class NotAttempted(Exception):
    """Raised by a judge: the answer is still the stub."""


def is_stub(answer: Any) -> bool:
    """True for the placeholders a notebook starts an exercise with."""
    return answer is None or answer is Ellipsis


def float_array(got: Any) -> np.ndarray:
    """``got`` as a float array; TypeError or ValueError if it is not numbers.

    Unlike ``np.asarray(got, dtype=float)``, text is refused, not parsed:
    ``"12"`` and ``["1", "2"]`` are not numbers, whatever they spell.
    """
    if isinstance(got, str | bytes | dict):
        raise TypeError(f"{a_type(got)} is not an array of numbers")
    if holds_text(got):
        raise TypeError("an array holding text is not an array of numbers")
    return np.asarray(got, dtype=float)


def holds_text(got: Any) -> bool:
    """A list or array (not itself a str) with text in it, like ``["1", "2"]``."""
    if isinstance(got, str | bytes | dict):
        return False
    try:
        raw = np.asarray(got)
    except (TypeError, ValueError):
        return False
    return raw.dtype.kind in "US" or (
        raw.dtype.kind == "O" and any(isinstance(v, str | bytes) for v in raw.ravel())
    )


def array_of_shape(got: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    """``got`` as a float array if it has ``shape``, else None: for judges that look for a known mistake.

    A string, a dict, ragged lists or anything else that is not an array of
    that shape gives None (and :func:`compare_arrays` then says what is wrong).
    """
    try:
        arr = float_array(got)
    except (TypeError, ValueError):
        return None
    return arr if arr.shape == tuple(shape) else None


def a_name(name: str) -> str:
    """``name`` with its article, for messages: 'a Linear', 'an int', 'an LSTM', 'an RNN'."""
    # an acronym is read letter by letter: "an LSTM", "an RNN", but "a GRU"
    spelled = (name.isupper() and len(name) > 1) or name.startswith("nd")  # also "an ndarray"
    vowel_sound = "aefhilmnorsx" if spelled else "aeiou"
    return f"{'an' if name[:1].lower() in vowel_sound else 'a'} {name}"


def a_type(got: Any) -> str:
    """The type of ``got`` with its article: 'a str', 'an int', 'a Tensor'."""
    return a_name(type(got).__name__)


def refuse_module(fn: Any) -> None:
    """Raise :class:`Wrong` if ``fn`` is a torch module (callable, but not the function asked for)."""
    if hasattr(fn, "forward") and hasattr(fn, "parameters"):
        raise Wrong(f"expected a function (a `def`), got {a_type(fn)} module.")


def as_number(got: Any, *, what: str = "your answer") -> float:
    """``got`` as a finite float, or :class:`Wrong` naming its type (a str, a bool,
    a function...) or saying it is NaN/inf; NaN never passes a judge. A 0-d tensor
    (``torch.tensor(3.0)``, what ``.sum()`` gives) counts as its number."""
    if _is_scalar_tensor(got):
        return as_number(got.item(), what=what)
    if isinstance(got, (str, bytes, bool, np.bool_)) or not isinstance(
        got, (int, float, np.number, np.ndarray)
    ):
        raise Wrong(f"{what} is {a_type(got)}; expected a number.")
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise Wrong(f"{what} has shape {np.shape(got)}; expected a single number.") from None
    if not np.isfinite(value):
        raise Wrong(f"{what} is {value}; expected a finite number.")
    return value


def _is_scalar_tensor(got: Any) -> bool:
    """A torch tensor (or anything alike) holding one value, without importing torch."""
    return (
        not isinstance(got, np.ndarray | np.generic)
        and getattr(got, "ndim", None) == 0
        and callable(getattr(got, "item", None))
    )


def as_numbers(got: Any, n: int, *, example: str) -> tuple[float, ...]:
    """``got`` (a tuple, list or array of ``n`` numbers) as floats, or :class:`Wrong`."""
    what = f"a tuple of {n} numbers, like {example}"
    if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__len__"):
        raise Wrong(f"your answer is {a_type(got)}; expected {what}.")
    if len(got) != n:
        raise Wrong(f"your answer has {len(got)} items; expected {what}.")
    return tuple(as_number(v, what=f"item {i} of your answer") for i, v in enumerate(got))
