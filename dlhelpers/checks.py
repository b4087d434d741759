"""Exercise checks: *correct*, *not yet* (with a hint) or *not attempted*.

A notebook exercise is a stub the learner fills in, followed by a check cell::

    check("sigmoid-derivative", my_sigmoid_grad)

The check never prints the expected answer: a wrong answer gets a hint that
points at the idea, not at the number. Exercises are registered by topic in
the modules of :mod:`dlhelpers.exercises`; see CONTRIBUTING.md to add one.

A stub is anything that is ``None`` or ``...``, or a function that returns
``None``/``...`` or raises ``NotImplementedError``; it reports *not attempted*,
so a stored notebook with its stubs in place still runs top to bottom.

Besides :func:`check` and its registry, this module holds what every judge
stands on, so that a judge can never call a wrong answer correct by reading it
carelessly: the exceptions a judge raises (:class:`Wrong`, :class:`NotAttempted`);
readers that turn an answer into a real number (:func:`as_number`), a count
(:func:`as_count`, compared exactly) or an array (:func:`float_array`), refusing
text, booleans, complex numbers, NaN and infinity with one line that names what
the answer is; and comparisons (:func:`number_close` for real quantities, with a
tolerance; :func:`count_equal` for counts, exact; :func:`compare_arrays`).
NumPy only: a torch tensor is read through its ``detach``/``numpy``/``item``.
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "CHECK_CELL",
    "Exercise",
    "Feedback",
    "Hint",
    "NotAttempted",
    "Wrong",
    "a_name",
    "a_type",
    "array_of_shape",
    "as_count",
    "as_number",
    "as_numbers",
    "call_answer",
    "check",
    "compare_arrays",
    "count_equal",
    "exercise",
    "float_array",
    "function_matches",
    "hint",
    "is_stub",
    "load_exercises",
    "not_numbers",
    "number_close",
    "refuse_module",
    "solution",
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
    """One exercise: its key, what it asks, a judge, a hint and a worked solution.

    ``judge(answer)`` returns the praise to show when the answer is right and
    raises :class:`Wrong` (with a hint) or :class:`NotAttempted` otherwise.
    ``hint`` points at the idea without giving the code; ``solution`` is the
    whole text of the exercise's stub cell, filled in as a learner who followed
    the notebook would write it (the tests judge it: it must be correct).
    """

    key: str
    prompt: str
    judge: Callable[[Any], str]
    hint: str = ""
    solution: str = ""


_REGISTRY: dict[str, Exercise] = {}

# Keys the learner has answered with something other than a stub in this kernel:
# a worked solution is shown only after a first attempt.
_ATTEMPTED: set[str] = set()


def exercise(
    key: str, prompt: str, *, hint: str = "", solution: str = ""
) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Decorator that registers a judge under ``key``, with its hint and worked solution."""

    def register(judge: Callable[[Any], str]) -> Callable[[Any], str]:
        if key in _REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        _REGISTRY[key] = Exercise(key, prompt, judge, hint.strip(), solution.strip() + "\n")
        return judge

    return register


def load_exercises() -> dict[str, Exercise]:
    """Every registered exercise by key, after importing each module of :mod:`dlhelpers.exercises`."""
    import dlhelpers.exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
    return dict(_REGISTRY)


def check(key: str, answer: Any, *given: Any) -> Feedback:
    """Judge ``answer`` to exercise ``key``; never reveals the expected answer.

    ``given`` is what the notebook has that the answer depends on (its data, for
    instance), passed on to the judge: ``check("key", answer, y_train)``.
    A stub (``None`` or ``...``) is answered here, so a judge never sees one.
    """
    found = _known(key)
    if _course_own(answer):
        _ATTEMPTED.add(key)
        return Feedback(
            key,
            "not yet",
            f"that is the course's own `{answer.__name__}` (from {answer.__module__}), the one the "
            "check compares yours with: write your own version.",
        )
    if is_stub(answer):
        return Feedback(
            key, "not attempted", "replace the `...` with your answer, then run this cell again."
        )
    try:
        praise = found.judge(answer, *given)
    except NotAttempted as stub:  # a function whose body is still the stub: not an attempt
        return Feedback(key, "not attempted", str(stub) or "fill in the exercise first.")
    except NotImplementedError:
        return Feedback(key, "not attempted", "your function still raises NotImplementedError.")
    except Wrong as hint:
        _ATTEMPTED.add(key)
        return Feedback(key, "not yet", str(hint))
    except Exception as err:  # the learner's code crashed: say how, keep going
        _ATTEMPTED.add(key)
        return Feedback(key, "not yet", f"your answer raised {type(err).__name__}: {err}")
    _ATTEMPTED.add(key)
    return Feedback(key, "correct", praise)


def _course_own(answer: Any) -> bool:
    """True for a function or class of the ``dlhelpers`` package itself, handed in as an answer."""
    is_code = inspect.isfunction(answer) or inspect.isclass(answer) or inspect.isbuiltin(answer)
    return is_code and str(getattr(answer, "__module__", "")).startswith("dlhelpers.")


def _known(key: str) -> Exercise:
    exercises = load_exercises()
    if key not in exercises:
        raise KeyError(
            f"no exercise called {key!r}; known exercises: {', '.join(sorted(exercises))}"
        )
    return exercises[key]


@dataclass(frozen=True)
class Solution:
    """A worked solution, shown as code; what :func:`solution` returns once it may be shown."""

    key: str
    code: str

    def __str__(self) -> str:
        return f"💡 [{self.key}] one way to write it (compare it with yours, then run it):\n\n{self.code}"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))

    def _repr_markdown_(self) -> str:
        return f"💡 **[{self.key}]** one way to write it (compare it with yours):\n\n```python\n{self.code}```"


@dataclass(frozen=True)
class Hint:
    """What :func:`hint` returns: shown as one line; falsy, so it never reads as a pass."""

    key: str
    text: str

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"💡 [{self.key}] hint: {self.text}"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))


def hint(key: str) -> Hint:
    """A hint for exercise ``key``: the idea to use, never the code.

    A wrong answer's check already says what is wrong with it; this hint is for
    a learner who does not know where to start.
    """
    found = _known(key)
    return Hint(key, found.hint or "re-read the section above the exercise.")


def solution(key: str) -> Feedback | Solution:
    """The worked solution of exercise ``key``, once the learner has tried it.

    Before a first attempt (a :func:`check` of something other than the stub,
    in this kernel) it says so and shows nothing; a stored notebook never calls it.
    """
    found = _known(key)
    if key not in _ATTEMPTED:
        return Feedback(
            key,
            "not attempted",
            "try it first: write your answer and run its check cell; "
            f'then `solution("{key}")` shows a worked solution (and `hint("{key}")` helps before that).',
        )
    if not found.solution.strip():
        raise LookupError(f"exercise {key!r} has no worked solution")
    return Solution(key, found.solution)


# --- what an answer is ------------------------------------------------------------


class Wrong(Exception):
    """Raised by a judge: the answer is not right; the message is the hint."""


class NotAttempted(Exception):
    """Raised by a judge: the answer (or what the learner's function returned) is still a stub."""


def is_stub(answer: Any) -> bool:
    """True for the placeholders a notebook starts an exercise with: ``None`` and ``...``."""
    return answer is None or answer is Ellipsis


def a_name(name: str) -> str:
    """``name`` with its article, for messages: 'a Linear', 'an int', 'an LSTM', 'an RNN'."""
    # an acronym is read letter by letter: "an LSTM", "an RNN", but "a GRU"
    # an acronym is read letter by letter, also at the start of a name ("an LSTMCell")
    spelled = name[:2].isupper() or name.startswith("nd")  # also "an ndarray"
    vowel_sound = "aefhilmnorsx" if spelled else "aeiou"
    return f"{'an' if name[:1].lower() in vowel_sound else 'a'} {name}"


def a_type(got: Any) -> str:
    """The type of ``got`` with its article: 'a str', 'an int', 'a Tensor'."""
    return a_name(type(got).__name__)


def refuse_module(fn: Any) -> None:
    """Raise :class:`Wrong` if ``fn`` is a torch module (callable, but not the function asked for)."""
    if hasattr(fn, "forward") and hasattr(fn, "parameters"):
        raise Wrong(f"expected a function (a `def`), got {a_type(fn)} module.")


# --- reading numbers out of an answer ----------------------------------------------


def _from_tensor(got: Any) -> Any:
    """A torch tensor (``requires_grad`` or not) as a NumPy array; anything else unchanged.

    Duck-typed, so that this module never imports torch.
    """
    if isinstance(got, np.ndarray | np.generic):
        return got
    if callable(getattr(got, "detach", None)) and callable(getattr(got, "numpy", None)):
        return got.detach().cpu().resolve_conj().numpy()
    return got


def _scalar(got: Any) -> Any:
    """A 0-d array, a 0-d tensor or a NumPy scalar as its Python value; anything else unchanged."""
    got = _from_tensor(got)
    if isinstance(got, np.ndarray) and got.ndim == 0:
        got = got[()]
    return got.item() if isinstance(got, np.generic) else got


def as_number(got: Any, *, what: str = "your answer") -> float:
    """``got`` as a finite real float, or :class:`Wrong` saying what it is instead.

    An int, a float, a NumPy scalar, a 0-d array or a 0-d tensor (what ``.sum()``
    gives, ``requires_grad`` or not) counts as its number. Text, a bool, a complex
    number (even ``52650+0j``: its real part is not the answer), a function, an
    array of several numbers, NaN, infinity and an int too large for a float are
    named and refused: NaN never passes a judge.
    """
    value = _scalar(got)
    if isinstance(value, complex):
        raise Wrong(
            f"{what} is {a_type(got)} ({value}), a complex number; expected a real number "
            "(a float or an int)."
        )
    if isinstance(value, bool):
        raise Wrong(f"{what} is a bool ({value}); expected a number (True is not 1).")
    if isinstance(value, np.ndarray):
        raise Wrong(f"{what} has shape {value.shape}; expected a single number.")
    if not isinstance(value, numbers.Real):
        raise Wrong(f"{what} is {a_type(got)}; expected a number.")
    try:
        number = float(value)
    except OverflowError:
        raise Wrong(f"{what} is too large to be a number of this exercise.") from None
    if not math.isfinite(number):
        raise Wrong(f"{what} is {number}; expected a finite number (look for an overflow).")
    return number


def as_count(got: Any, *, what: str = "your answer") -> int:
    """``got`` as a whole number, or :class:`Wrong`: a count, a size or an index.

    What :func:`as_number` accepts, as long as it has no fractional part
    (``52650``, ``np.int64(52650)``, ``torch.tensor(52650)``, ``52650.0``); an int
    is kept exact however large, so a count is compared with ``==``, never a tolerance.
    """
    value = _scalar(got)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = as_number(got, what=what)
    if not number.is_integer():
        raise Wrong(
            f"{what} is {a_type(_scalar(got))} ({number:g}), not a whole number: a count has "
            "no fraction."
        )
    return int(number)


def as_numbers(
    got: Any, n: int, *, example: str, whole: bool = False
) -> tuple[float, ...] | tuple[int, ...]:
    """``got`` (a tuple, list, 1-D array or tensor of ``n`` numbers) read item by item, or :class:`Wrong`.

    Each item goes through :func:`as_count` when ``whole``, else :func:`as_number`.
    """
    what = f"a tuple of {n} {'whole ' if whole else ''}numbers, like {example}"
    got = _from_tensor(got)
    if (
        isinstance(got, str | bytes | dict | set)
        or not hasattr(got, "__len__")
        or np.ndim(got) == 0
    ):
        raise Wrong(f"your answer is {a_type(got)}; expected {what}.")
    if len(got) != n:
        raise Wrong(f"your answer has {len(got)} items; expected {what}.")
    read = as_count if whole else as_number
    return tuple(read(v, what=f"item {i} of your answer") for i, v in enumerate(got))


def not_numbers(got: Any) -> str | None:
    """Why ``got`` is not an array of real numbers ('is a str', 'holds complex numbers'...), or None.

    Text is never parsed (``"12"``, ``["1", "2"]``), booleans are not numbers
    (``True`` is not ``1``), and a complex array is refused even when every
    imaginary part is zero.
    """
    got = _from_tensor(got)
    if isinstance(got, str | bytes | dict | set) or callable(got):
        return f"is {a_type(got)}"
    try:
        raw = np.asarray(got)
    except (TypeError, ValueError, RuntimeError):
        return "has rows of different lengths or is not an array"
    items = raw.ravel() if raw.dtype.kind == "O" else ()
    if raw.dtype.kind in "US" or any(isinstance(v, str | bytes) for v in items):
        return "holds a str"
    if raw.dtype.kind == "c" or any(isinstance(v, complex) for v in items):
        return "holds complex numbers"
    if raw.dtype.kind == "b" or any(isinstance(v, bool | np.bool_) for v in items):
        return "holds booleans (True/False), not numbers"
    return None


def float_array(got: Any) -> np.ndarray:
    """``got`` as a float array; TypeError (why, from :func:`not_numbers`) or ValueError if it is not numbers.

    Unlike ``np.asarray(got, dtype=float)``, text is refused, not parsed, a complex
    array is refused, not cut to its real part, and a tensor that requires grad is read.
    """
    reason = not_numbers(got)
    if reason is not None:
        raise TypeError(f"your answer {reason}: not an array of numbers")
    return np.asarray(_from_tensor(got), dtype=float)


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


# --- comparing an answer with what is expected ------------------------------------


def compare_arrays(
    got: Any, want: np.ndarray, *, what: str, rtol: float = 1e-6, atol: float = 1e-9
) -> None:
    """Raise :class:`Wrong` unless ``got`` has ``want``'s shape and values (real-valued, with a tolerance).

    The message names the first input position that differs and the learner's
    value there, never the expected one. A list, a tuple, an array of any
    float dtype or a tensor holding the right values passes.
    """
    if is_stub(got):  # one item of a returned tuple, e.g. (grad_x, None, None)
        raise NotAttempted("it returns `...` or None: fill in the body.")
    reason = not_numbers(got)
    if reason is not None:
        raise Wrong(f"{what} {reason}; expected an array of numbers of shape {want.shape}.")
    try:
        arr = float_array(got)
    except (TypeError, ValueError):
        raise Wrong(f"{what} is {a_type(got)}; expected an array of shape {want.shape}.") from None
    if arr.shape != want.shape:
        raise Wrong(f"{what} has shape {arr.shape}, expected shape {want.shape}.")
    if not np.all(np.isfinite(arr)):
        raise Wrong(f"{what} contains inf or nan; look for an overflow.")
    bad = ~np.isclose(arr, want, rtol=rtol, atol=atol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise Wrong(f"{what} is off at position {index} (you gave {arr[index]:.6g}).")


def call_answer(fn: Any, *args: Any) -> Any:
    """Call the learner's function ``fn(*args)`` and return what it gives.

    Raises :class:`Wrong` if ``fn`` is not a function and :class:`NotAttempted`
    if it returns a stub (``...`` or None): the start of every judge of a
    function-writing exercise. A judge calls it on several inputs that vary
    every parameter, so a function that ignores one of them cannot pass.
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
    """Raise :class:`Wrong` (ending with ``hint``) unless ``fn`` agrees with ``reference`` on every input."""
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
    """Raise :class:`Wrong` (with ``hint``) unless ``got`` is a real number close to ``want``.

    For real-valued quantities (a derivative, a loss, a learning rate); a count
    is compared exactly with :func:`count_equal` instead.
    """
    value = as_number(got)
    if not np.isclose(value, want, rtol=rtol, atol=atol):
        raise Wrong(f"{value:g} is not it. {hint}")


def count_equal(got: Any, want: int, *, hint: str) -> None:
    """Raise :class:`Wrong` (with ``hint``) unless ``got`` is exactly the whole number ``want``.

    For counts (parameters, FLOPs, bytes, pixels): off by one is wrong, however
    large the count.
    """
    value = as_count(got)
    if value != want:
        raise Wrong(f"{value} is not it. {hint}")
