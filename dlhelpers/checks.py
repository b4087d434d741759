"""Exercise checks: *correct*, *not yet* (with a hint) or *not attempted*.

A notebook exercise is a stub the learner fills in, followed by a check cell::

    check("sigmoid-derivative", my_sigmoid_grad)

The check never prints the expected answer: a wrong answer gets a hint that
points at the idea, not at the number. Exercises are registered by topic in
the modules of :mod:`dlhelpers.exercises`; see CONTRIBUTING.md to add one.

A stub is anything that is ``None`` or ``...``, or a function that returns
``None``/``...`` or raises ``NotImplementedError``; it reports *not attempted*,
so a stored notebook with its stubs in place still runs top to bottom.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "Exercise",
    "Feedback",
    "NotAttempted",
    "Wrong",
    "array_of_shape",
    "call_answer",
    "check",
    "compare_arrays",
    "exercise",
    "function_matches",
    "is_stub",
    "number_close",
]

# How a notebook's check cell starts: ``check("key", answer)``; group 1 is the key.
CHECK_CELL = re.compile(r'^check\("([a-z0-9-]+)"', re.MULTILINE)

Status = Literal["correct", "not yet", "not attempted"]
_ICON = {"correct": "✅", "not yet": "❌", "not attempted": "✏️"}


class Wrong(Exception):
    """Raised by a judge: the answer is not right; the message is the hint."""


class NotAttempted(Exception):
    """Raised by a judge: the answer is still the stub."""


@dataclass(frozen=True)
class Feedback:
    """The result of :func:`check`; truthy only when the answer is correct."""

    key: str
    status: Status
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __str__(self) -> str:
        return f"{_ICON[self.status]} [{self.key}] {self.status}: {self.message}"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


@dataclass(frozen=True)
class Exercise:
    """One exercise: its key, what it asks, and a judge.

    ``judge(answer)`` returns the praise to show when the answer is right and
    raises :class:`Wrong` (with a hint) or :class:`NotAttempted` otherwise.
    """

    key: str
    prompt: str
    judge: Callable[[Any], str]


_REGISTRY: dict[str, Exercise] = {}


def exercise(key: str, prompt: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Decorator that registers a judge under ``key``."""

    def register(judge: Callable[[Any], str]) -> Callable[[Any], str]:
        if key in _REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        _REGISTRY[key] = Exercise(key, prompt, judge)
        return judge

    return register


def _load_all() -> dict[str, Exercise]:
    import dlhelpers.exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return _REGISTRY


def is_stub(answer: Any) -> bool:
    """True for the placeholders a notebook starts an exercise with."""
    return answer is None or answer is Ellipsis


def check(key: str, answer: Any, *given: Any) -> Feedback:
    """Judge ``answer`` to exercise ``key``; never reveals the expected answer.

    ``given`` is what the notebook has that the answer depends on (its data, for
    instance), passed on to the judge: ``check("key", answer, y_train)``.
    """
    exercises = _load_all()
    if key not in exercises:
        known = ", ".join(sorted(exercises))
        raise KeyError(f"no exercise called {key!r}; known exercises: {known}")
    if is_stub(answer):
        return Feedback(
            key, "not attempted", "replace the `...` with your answer, then run this cell again."
        )
    try:
        praise = exercises[key].judge(answer, *given)
    except NotAttempted as stub:
        return Feedback(key, "not attempted", str(stub) or "fill in the exercise first.")
    except Wrong as hint:
        return Feedback(key, "not yet", str(hint))
    except NotImplementedError:
        return Feedback(key, "not attempted", "your function still raises NotImplementedError.")
    except Exception as err:  # the learner's code crashed: say how, keep going
        return Feedback(key, "not yet", f"your answer raised {type(err).__name__}: {err}")
    return Feedback(key, "correct", praise)


# --- building blocks for judges -------------------------------------------------


def float_array(got: Any) -> np.ndarray:
    """``got`` as a float array; TypeError or ValueError if it is not numbers.

    Unlike ``np.asarray(got, dtype=float)``, text is refused, not parsed:
    ``"12"`` and ``["1", "2"]`` are not numbers, whatever they spell.
    """
    if isinstance(got, str | bytes | dict):
        raise TypeError(f"{a_type(got)} is not an array of numbers")
    if _holds_text(got):
        raise TypeError("an array holding text is not an array of numbers")
    return np.asarray(got, dtype=float)


def compare_arrays(
    got: Any, want: np.ndarray, *, what: str, rtol: float = 1e-6, atol: float = 1e-9
) -> None:
    """Raise :class:`Wrong` unless ``got`` has ``want``'s shape and values.

    The message names the first input position that differs and the learner's
    value there, never the expected one.
    """
    if is_stub(got):
        raise NotAttempted("it returns `...` or None: fill in the body.")
    try:
        arr = float_array(got)
    except (TypeError, ValueError):
        if _holds_text(got):
            raise Wrong(
                f"{what} holds a str; expected an array of numbers of shape {want.shape}."
            ) from None
        raise Wrong(f"{what} is {a_type(got)}; expected an array of shape {want.shape}.") from None
    got = arr
    if got.shape != want.shape:
        raise Wrong(f"{what} has shape {got.shape}, expected shape {want.shape}.")
    if not np.all(np.isfinite(got)):
        raise Wrong(f"{what} contains inf or nan; look for an overflow.")
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise Wrong(f"{what} is off at position {index} (you gave {got[index]:.6g}).")


def _holds_text(got: Any) -> bool:
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


def call_answer(fn: Any, *args: Any) -> Any:
    """Call the learner's function ``fn(*args)`` and return what it gives.

    Raises :class:`Wrong` if ``fn`` is not a function and :class:`NotAttempted`
    if it returns a stub (``...`` or None): the start of every judge of a
    function-writing exercise.
    """
    if not callable(fn):
        raise Wrong(f"expected a function, got {type(fn).__name__}.")
    refuse_module(fn)  # a torch module is callable too
    got = fn(*args)
    if is_stub(got):
        raise NotAttempted("your function returns `...` or None: fill in the body.")
    return got


def function_matches(
    fn: Any,
    reference: Callable,
    inputs: Iterable,
    *,
    hint: str,
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Raise :class:`Wrong` (ending with ``hint``) unless ``fn`` agrees with ``reference``."""
    for x in inputs:
        x = np.asarray(x, dtype=float)
        got = call_answer(fn, x.copy())
        try:
            compare_arrays(
                got,
                np.asarray(reference(x), dtype=float),
                what=f"the output for input {np.array2string(x, precision=3, threshold=6)}",
                rtol=rtol,
                atol=atol,
            )
        except Wrong as err:
            raise Wrong(f"{err} {hint}") from None


def number_close(
    got: Any, want: float, *, hint: str, rtol: float = 1e-6, atol: float = 0.0
) -> None:
    """Raise :class:`Wrong` (with ``hint``) unless ``got`` is a number close to ``want``."""
    if is_stub(got):
        raise NotAttempted("replace the `...` with a number.")
    value = as_number(got)
    if not np.isclose(value, want, rtol=rtol, atol=atol):
        raise Wrong(f"{value:g} is not it. {hint}")


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
