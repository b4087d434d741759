"""Exercises of notebook 03 · loss and gradient descent."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    number_close,
)

__all__ = []

# Every answer here is real-valued (a gradient, a learning rate, a loss, new weights):
# compared with a tolerance, never exactly.


@exercise(
    "descent-max-lr",
    "Gradient descent on f(w) = 3 w^2: the learning rate above which it diverges.",
    hint="Write one step as w <- (1 - lr * a) * w, with a the curvature f''(w) of this f. "
    "The step shrinks w only while |1 - lr * a| < 1.",
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
    hint="Two lines, in this order: first the new velocity (the old one scaled by the "
    "momentum, plus the gradient), then the weights move against the *new* velocity, "
    "scaled by the learning rate.",
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


def _torch_cross_entropy(logits: np.ndarray, target: np.ndarray) -> float:
    import torch
    import torch.nn.functional as F

    return F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target)).item()


def _cross_entropy_slips(logits, target) -> list[tuple[float, str]]:
    rows = np.arange(len(target))
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    col = logits - logits.max(axis=0, keepdims=True)
    logp_cols = col - np.log(np.exp(col).sum(axis=0, keepdims=True))
    return [
        (-logp[rows, target].sum(), "that is the sum over the examples; the loss is their mean."),
        (logp[rows, target].mean(), "the sign: the loss is *minus* the log-probability."),
        (
            np.exp(logp[rows, target]).mean(),
            "that is the probability of the right class; the loss is minus its log.",
        ),
        (
            -logits[rows, target].mean(),
            "the logits are not log-probabilities yet: subtract "
            "log(sum_j exp(z_j)) of the row (that is what the softmax does).",
        ),
        (
            -logp_cols[rows, target].mean(),
            "the softmax runs over each row (the C classes of "
            "one example, axis=1), not down the columns.",
        ),
    ]


# (N, C, offset): the last case has logits near 1000, where exp overflows
_CE_CASES = [(4, 3, 0.0), (1, 5, 0.0), (6, 2, 0.0), (3, 4, 1000.0)]


@exercise(
    "descent-cross-entropy",
    "Write my_cross_entropy(logits, target): the mean cross-entropy, as F.cross_entropy.",
    hint="For each row: the log-probability of the right class is z_y - log(sum_j exp(z_j)); "
    "the loss is minus that, averaged over the rows. logits[np.arange(N), target] picks "
    "each row's right entry. For large logits subtract the row's maximum before exp.",
    solution=r"""def my_cross_entropy(logits, target):
    z = logits - logits.max(axis=1, keepdims=True)  # same softmax, no overflow
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, C) log-probabilities
    return -log_p[np.arange(len(target)), target].mean()
""",
)
def _(fn):
    rng = np.random.default_rng(5)
    for n, c, offset in _CE_CASES:
        logits = rng.normal(scale=2.0, size=(n, c)) + offset
        target = rng.integers(0, c, size=n)
        where = f"for logits of shape {(n, c)}" + (" near 1000" if offset else "")
        with np.errstate(all="ignore"):
            got = call_answer(fn, logits.copy(), target.copy())
        try:
            value = as_number(got, what=f"your loss {where}")
        except Wrong as err:
            if offset and "finite" in str(err):
                raise Wrong(
                    f"your loss {where} is not finite: exp(1000) overflows. Subtract each "
                    "row's maximum from its logits first: the softmax does not change."
                ) from None
            raise
        want = _torch_cross_entropy(logits, target)
        if np.isclose(value, want, rtol=1e-6, atol=1e-9):
            continue
        for slip, message in _cross_entropy_slips(logits, target):
            if np.isclose(value, slip, rtol=1e-6) and not np.isclose(slip, want):
                raise Wrong(f"{where}: {message}")
        raise Wrong(
            f"{value:g} is not it {where}. Softmax over each row, minus the log of the right "
            "class's probability, then the mean over the rows."
        )
    return "the same loss as torch's F.cross_entropy, even for logits near 1000."


def _autograd_mse_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d mean((X w - y)^2) / dw by torch's autograd, float64."""
    import torch
    import torch.nn.functional as F

    t = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    F.mse_loss(torch.from_numpy(X) @ t, torch.from_numpy(y)).backward()
    return t.grad.numpy()


def _mse_gradient_slips(w, X, y) -> list[tuple[np.ndarray, str]]:
    r, n = X @ w - y, len(y)
    return [
        (X.T @ r / n, "the square's derivative brings a factor 2."),
        (2 * X.T @ r, "the loss is a mean over the N examples: divide by N."),
        (-2 * X.T @ r / n, "the sign: the residual is prediction minus target, X w - y."),
        (
            2 * r.mean() * np.ones_like(w),
            "each weight's gradient weighs the residuals by its "
            "own input column: that is X^T times the residuals.",
        ),
    ]


@exercise(
    "descent-mse-gradient",
    "Write mse_gradient(w, X, y): the gradient of mean((X w - y)^2) with respect to w.",
    hint="Chain rule: the loss is the mean of r_i^2 with r = X w - y. d(r_i^2)/dr_i = 2 r_i, "
    "and dr_i/dw_j = X[i, j]. Summing over i is a matrix product with X transposed; "
    "then divide by N.",
    solution=r"""def mse_gradient(w, X, y):
    residual = X @ w - y  # (N,): prediction minus target
    return 2 * X.T @ residual / len(y)  # (d,)
""",
)
def _(fn):
    rng = np.random.default_rng(6)
    for n, d in ((8, 2), (5, 3), (3, 4)):
        X, w, y = rng.normal(size=(n, d)), rng.normal(size=d), rng.normal(size=n)
        want = _autograd_mse_gradient(w, X, y)
        try:
            got = call_answer(fn, w.copy(), X.copy(), y.copy())
        except ValueError as err:
            if "matmul" in str(err) or "shapes" in str(err) or "align" in str(err):
                raise Wrong(
                    f"a product failed: X has shape (N, d) = {X.shape}, w {w.shape} and y "
                    f"{y.shape}. The gradient has one entry per weight: (d,)."
                ) from None
            raise
        arr = array_of_shape(got, want.shape)
        if arr is not None and not np.allclose(arr, want):
            for slip, message in _mse_gradient_slips(w, X, y):
                if np.allclose(arr, slip):
                    raise Wrong(f"for X of shape {X.shape}: {message}")
        compare_arrays(got, want, what=f"your gradient for X of shape {X.shape}")
    return "it matches torch's autograd: 2/N X^T (X w - y), the step every SGD update takes."
