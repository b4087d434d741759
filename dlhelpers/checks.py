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

from dlhelpers.answers import (  # re-exported: the judges import them from here
    NotAttempted,
    Wrong,
    a_name,
    a_type,
    array_of_shape,
    as_number,
    as_numbers,
    float_array,
    holds_text,
    is_stub,
    refuse_module,
)

__all__ = [
    "Exercise",
    "Feedback",
    "NotAttempted",
    "Wrong",
    "a_name",
    "a_type",
    "array_of_shape",
    "as_number",
    "as_numbers",
    "call_answer",
    "check",
    "compare_arrays",
    "exercise",
    "float_array",
    "function_matches",
    "is_stub",
    "number_close",
    "refuse_module",
]

# How a notebook's check cell starts: ``check("key", answer)``; group 1 is the key.
CHECK_CELL = re.compile(r'^check\("([a-z0-9-]+)"', re.MULTILINE)

Status = Literal["correct", "not yet", "not attempted"]
_ICON = {"correct": "✅", "not yet": "❌", "not attempted": "✏️"}


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
        if holds_text(got):
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
