"""Exercises of notebook 03 · loss and gradient descent."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    as_number,
    as_numbers,
    call_answer,
    compare_arrays,
    exercise,
    number_close,
)

__all__ = []

# Every answer here is real-valued (a gradient, a learning rate, a loss, new weights):
# compared with a tolerance, never exactly.

_LOGITS = np.array([2.0, 1.0, -1.0])
_TARGET = 1


@exercise(
    "descent-gradient",
    "The gradient (df/dx, df/dy) of f(x, y) = x^2 + 3xy + 2y^2 at the point (1, -2).",
    solution=r"""gradient_at_point = (2 * 1 + 3 * -2, 3 * 1 + 4 * -2)  # (df/dx, df/dy)
""",
)
def _(answer):
    if isinstance(answer, np.ndarray) and answer.size == 2:
        answer = answer.reshape(-1)  # a row or a column of two numbers is fine too
    got = as_numbers(answer, 2, example="(df/dx, df/dy)")
    x, y = 1.0, -2.0
    want = np.array([2 * x + 3 * y, 3 * x + 4 * y])
    hints = [
        "df/dx is off: treat y as a constant; the term 3xy gives 3y.",
        "df/dy is off: treat x as a constant; 3xy gives 3x and 2y^2 gives 4y.",
    ]
    for i in range(2):
        if not np.isclose(got[i], want[i]):
            raise Wrong(hints[i])
    return "right: the gradient points uphill, so descent walks along its negative."


@exercise(
    "descent-max-lr",
    "Gradient descent on f(w) = 3 w^2: the learning rate above which it diverges.",
    solution=r"""largest_lr = 2 / 6  # a number: 2 / f'' with f'' = 6
""",
)
def _(answer):
    curvature = 6.0  # f''(w)
    value = as_number(answer)
    if np.isclose(value, 1 / curvature, rtol=0.02):
        raise Wrong(
            "that rate lands on the minimum in one step, the fastest one; larger "
            "rates overshoot but can still shrink. Where do they stop shrinking?"
        )
    number_close(
        value,
        2 / curvature,
        rtol=0.02,
        hint="one step maps w to w - lr·f'(w) = (1 - lr·f'')·w with f'' the curvature; "
        "it diverges once |1 - lr·f''| > 1.",
    )
    return "right: lr < 2/f''. The steepest direction of a surface sets the limit for all."


_ORDINALS = ("first", "second", "third", "fourth")
_RTOL, _ATOL = 1e-6, 1e-9  # as compare_arrays


def _two_things(out) -> tuple:
    """``(new_w, new_v)`` from a tuple, a list or an array whose first axis has length 2."""
    ask = "return two things: the new weights and the new velocity, `return new_w, new_v`."
    if (
        isinstance(out, str | bytes | dict | set)
        or not hasattr(out, "__len__")
        or getattr(out, "ndim", 1) == 0
    ):
        raise Wrong(f"your function returns {a_type(out)}; {ask}")
    if len(out) != 2:
        raise Wrong(f"your function returns {a_type(out)} of length {len(out)}; {ask}")
    return out[0], out[1]


def _as_array(got, want: np.ndarray, what: str) -> np.ndarray:
    """``got`` as a finite float array of ``want``'s shape, else :class:`Wrong` saying why."""
    arr = array_of_shape(got, want.shape)
    if arr is None or not np.all(np.isfinite(arr)):
        compare_arrays(got, want, what=what)  # raises: names the type, the text, the shape or nan
    return arr


def _velocity_slips(w, v, g, lr, momentum):
    return [
        (g, "it ignores the old velocity: keep momentum * v and add the gradient."),
        (momentum * v, "the gradient is missing: add it to momentum * v."),
        (momentum * v - g, "add the gradient to momentum * v (do not subtract it)."),
        (v + g, "scale the old velocity by the momentum before adding the gradient."),
        (momentum * v + lr * g, "torch's velocity holds no learning rate."),
    ]


def _weight_slips(w, v, g, lr, momentum):
    new_v = momentum * v + g
    return [
        (w + lr * new_v, "did you add lr * velocity instead of subtracting it?"),
        (w - new_v, "the learning rate is missing: the step is lr * velocity."),
        (w - lr * g, "it steps along the raw gradient: use the *new* velocity."),
        (w - lr * v, "it steps along the old velocity: update it first."),
    ]


@exercise(
    "descent-sgd-step",
    "Write sgd_step(w, v, grad, lr, momentum) -> (new_w, new_v), torch.optim.SGD's update.",
    solution=r"""def sgd_step(w, v, grad, lr, momentum):
    new_v = momentum * v + grad
    new_w = w - lr * new_v
    return new_w, new_v
""",
)
def _(fn):
    rng = np.random.default_rng(3)
    cases = [(0.0, 0.0), (0.1, 0.0), (0.05, 0.9), (0.3, 0.5)]
    runs = []  # (where, inputs, [(got, want) for the velocity, then the weights])
    for lr, momentum in cases:
        w, v, g = rng.normal(size=(3, 4))
        new_v, new_w = momentum * v + g, w - lr * (momentum * v + g)
        got_w, got_v = _two_things(call_answer(fn, w.copy(), v.copy(), g.copy(), lr, momentum))
        where = f"(lr={lr}, momentum={momentum})"
        got_v = _as_array(got_v, new_v, f"the new velocity {where}")
        got_w = _as_array(got_w, new_w, f"the new weights {where}")
        runs.append((where, (w, v, g, lr, momentum), [(got_v, new_v), (got_w, new_w)]))
    # The first case and quantity that is off is reported, with the hint of the slip that
    # explains *every* case: a slip can coincide with the right update in one case (lr = 0
    # or momentum = 0) or with another slip, but not across all four.
    for where, _inputs, pairs in runs:
        for k, (got, want) in enumerate(pairs):
            if np.allclose(got, want, rtol=_RTOL, atol=_ATOL):
                continue
            what, nudge, slips = (
                (
                    "the new velocity",
                    "it mixes the old velocity, scaled by the momentum, with the gradient.",
                    _velocity_slips,
                ),
                (
                    "the new weights",
                    "step against the *new* velocity, scaled by the learning rate.",
                    _weight_slips,
                ),
            )[k]
            for i, (_, hint) in enumerate(slips(*runs[0][1])):
                if all(np.allclose(r[2][k][0], slips(*r[1])[i][0]) for r in runs):
                    raise Wrong(f"{what} {where}: {hint}")
            j = int(np.argwhere(~np.isclose(got, want, rtol=_RTOL, atol=_ATOL))[0][0])
            side = "too large" if got[j] > want[j] else "too small"
            raise Wrong(f"the {_ORDINALS[j]} coordinate of {what} {where} is {side}: {nudge}")
    return "right: that is the whole of torch.optim.SGD with momentum (no dampening)."


@exercise(
    "descent-cross-entropy",
    "Cross-entropy of the logits (2.0, 1.0, -1.0) when the true class is 1 (natural log).",
    solution=r"""z = np.array([2.0, 1.0, -1.0])
ce_by_hand = -np.log(np.exp(z[1]) / np.exp(z).sum())  # a number
""",
)
def _(answer):
    logp = _LOGITS - np.log(np.exp(_LOGITS).sum())
    value = as_number(answer)
    if value < 0:
        raise Wrong("a cross-entropy is never negative: it is minus the log of a probability.")
    if np.isclose(value, np.exp(logp[_TARGET]), rtol=5e-3):
        raise Wrong("that is the probability of the true class; the loss is minus its log.")
    if np.isclose(value, -logp[0], rtol=5e-3):
        raise Wrong(
            "that is the loss for class 0; classes count from 0, so class 1 is the second logit."
        )
    number_close(
        value,
        -logp[_TARGET],
        rtol=2e-3,
        hint="softmax first: p_k = exp(z_k) / sum_j exp(z_j); then the loss is -log p_1.",
    )
    return "right: about 26 % on the true class costs a loss of 1.35."
