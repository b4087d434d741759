"""Exercises of notebook 03 · loss and gradient descent."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    call_answer,
    compare_arrays,
    exercise,
    is_stub,
    number_close,
)

__all__ = []

_LOGITS = np.array([2.0, 1.0, -1.0])
_TARGET = 1


@exercise(
    "descent-gradient",
    "The gradient (df/dx, df/dy) of f(x, y) = x^2 + 3xy + 2y^2 at the point (1, -2).",
)
def _(answer):
    if is_stub(answer):
        raise NotAttempted("replace the `...` with a pair of numbers.")
    try:
        got = np.asarray(answer, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise Wrong("expected two numbers, (df/dx, df/dy).") from None
    if got.shape != (2,):
        raise Wrong(f"expected two numbers, (df/dx, df/dy); you gave {got.size}.")
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
    "descent-max-lr", "Gradient descent on f(w) = 3 w^2: the learning rate above which it diverges."
)
def _(answer):
    curvature = 6.0  # f''(w)
    if not is_stub(answer):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            value = None
        if value is not None and np.isclose(value, 1 / curvature, rtol=0.02):
            raise Wrong(
                "that rate lands on the minimum in one step, the fastest one; larger "
                "rates overshoot but can still shrink. Where do they stop shrinking?"
            )
    number_close(
        answer,
        2 / curvature,
        rtol=0.02,
        hint="one step maps w to w - lr·f'(w) = (1 - lr·f'')·w with f'' the curvature; "
        "it diverges once |1 - lr·f''| > 1.",
    )
    return "right: lr < 2/f''. The steepest direction of a surface sets the limit for all."


_ORDINALS = ("first", "second", "third", "fourth")


def _diagnose(got, want, candidates, what, where, nudge):
    """A targeted hint for a wrong array: the first mistake in ``candidates`` it matches,
    else which coordinate is off and in which direction (never the expected value)."""
    got = np.asarray(got, dtype=float)
    for wrong, hint in candidates:
        if np.allclose(got, wrong) and not np.allclose(wrong, want):
            return f"{what} {where}: {hint}"
    i = int(np.argwhere(~np.isclose(got, want))[0][0])
    side = "too large" if got[i] > want[i] else "too small"
    return f"the {_ORDINALS[i]} coordinate of {what} {where} is {side}: {nudge}"


@exercise(
    "descent-sgd-step",
    "Write sgd_step(w, v, grad, lr, momentum) -> (new_w, new_v), torch.optim.SGD's update.",
)
def _(fn):
    rng = np.random.default_rng(3)
    cases = [(0.0, 0.0), (0.1, 0.0), (0.05, 0.9), (0.3, 0.5)]
    for lr, momentum in cases:
        w, v, g = rng.normal(size=(3, 4))
        out = call_answer(fn, w.copy(), v.copy(), g.copy(), lr, momentum)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise Wrong(
                "return two things: the new weights and the new velocity, `return new_w, new_v`."
            )
        new_v = momentum * v + g
        where = f"(lr={lr}, momentum={momentum})"
        for got, want, what, nudge, candidates in (
            (
                out[1],
                new_v,
                "the new velocity",
                "it mixes the old velocity, scaled by the momentum, with the gradient.",
                [
                    (g, "it ignores the old velocity: keep momentum * v and add the gradient."),
                    (momentum * v, "the gradient is missing: add it to momentum * v."),
                    (momentum * v - g, "add the gradient to momentum * v (do not subtract it)."),
                    (v + g, "scale the old velocity by the momentum before adding the gradient."),
                    (momentum * v + lr * g, "torch's velocity holds no learning rate."),
                ],
            ),
            (
                out[0],
                w - lr * new_v,
                "the new weights",
                "step against the *new* velocity, scaled by the learning rate.",
                [
                    (w + lr * new_v, "did you add lr * velocity instead of subtracting it?"),
                    (w - new_v, "the learning rate is missing: the step is lr * velocity."),
                    (w - lr * g, "it steps along the raw gradient: use the *new* velocity."),
                    (w - lr * v, "it steps along the old velocity: update it first."),
                ],
            ),
        ):
            try:
                compare_arrays(got, want, what=f"{what} {where}")
            except Wrong:
                got = np.asarray(got, dtype=float)
                if got.shape != want.shape or not np.all(np.isfinite(got)):
                    raise
                raise Wrong(_diagnose(got, want, candidates, what, where, nudge)) from None
    return "right: that is the whole of torch.optim.SGD with momentum (no dampening)."


@exercise(
    "descent-cross-entropy",
    "Cross-entropy of the logits (2.0, 1.0, -1.0) when the true class is 1 (natural log).",
)
def _(answer):
    logp = _LOGITS - np.log(np.exp(_LOGITS).sum())
    if not is_stub(answer):
        try:
            value = float(answer)
        except (TypeError, ValueError):
            value = None
        if value is not None and value < 0:
            raise Wrong("a cross-entropy is never negative: it is minus the log of a probability.")
        if value is not None and np.isclose(value, np.exp(logp[_TARGET]), rtol=5e-3):
            raise Wrong("that is the probability of the true class; the loss is minus its log.")
        if value is not None and np.isclose(value, -logp[0], rtol=5e-3):
            raise Wrong(
                "that is the loss for class 0; classes count from 0, so class 1 is the "
                "second logit."
            )
    number_close(
        answer,
        -logp[_TARGET],
        rtol=2e-3,
        hint="softmax first: p_k = exp(z_k) / sum_j exp(z_j); then the loss is -log p_1.",
    )
    return "right: about 26 % on the true class costs a loss of 1.35."
