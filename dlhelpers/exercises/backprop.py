"""Exercises of notebook 04: backpropagation."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    number_close,
)

__all__ = []

# Every answer here is a real-valued derivative: compared with a tolerance (number_close,
# np.isclose, compare_arrays), never exactly.


@exercise(
    "backprop-chain-rule",
    "L = (a*b + c) * f with a=3, b=-2, c=4, f=-1.5: find dL/db by the chain rule.",
    solution=r"""dL_db = -1.5 * 1 * 3  # dL/dd * dd/de * de/db = f * 1 * a
""",
)
def _chain_rule(answer):
    a, f = 3.0, -1.5  # b = -2 and c = 4 do not enter dL/db
    value = as_number(answer)  # a str, a bool, a complex or NaN is named before any hint
    if np.isclose(value, a):
        raise Wrong(
            "that is de/db alone; the gradient still has to pass through the final "
            "multiplication by f."
        )
    number_close(
        value,
        a * f,
        hint="Walk back from L: dL/dd = f, dd/de = 1 (a sum), de/db = a; "
        "multiply the local gradients along the path.",
    )
    return "dL/db = dL/dd · dd/de · de/db: one local gradient per node, multiplied."


@exercise(
    "backprop-two-paths",
    "y = x * (x + 1) at x = 2: find dy/dx.",
    solution=r"""dy_dx = (2 + 1) + 2 * 1  # left factor's path + path through (x + 1)
""",
)
def _two_paths(answer):
    x = 2.0
    value = as_number(answer)
    if np.isclose(value, x + 1) or np.isclose(value, x):
        raise Wrong(
            "that is one path only. x reaches y twice (as the left factor and inside "
            "x + 1); the chain rule adds the contributions of every path."
        )
    number_close(
        value,
        2 * x + 1,
        hint="Treat the two uses of x separately: d/dx of the left factor times "
        "(x + 1), plus x times d/dx of (x + 1). Then add.",
    )
    return "two paths, added: this is why Value's backward uses += (and why x*x gives 2x)."


def _one_number(got, what: str) -> float:
    """A number, a 0-d tensor or a 1-element array as a float; else :class:`Wrong` naming it."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(())  # np.array([x]) holds the right number too
    return as_number(got, what=what)


def _div_reference(a, b, out_grad):
    return out_grad / b, -a / b**2 * out_grad


@exercise(
    "backprop-div-backward",
    "Write div_backward(a, b, out_grad) -> (grad_a, grad_b) for out = a / b.",
    solution=r"""def div_backward(a, b, out_grad):
    # return (grad_a, grad_b)
    return out_grad / b, -a / b**2 * out_grad
""",
)
def _div_backward(fn):
    cases = [(6.0, 3.0, 1.0), (-1.5, 0.5, 2.0), (2.0, -4.0, -0.5), (0.0, 2.5, 3.0)]
    for a, b, g in cases:
        got = call_answer(fn, a, b, g)
        if (
            isinstance(got, str | bytes | dict | set)
            or not hasattr(got, "__len__")
            or getattr(got, "ndim", 1) == 0
        ):
            raise Wrong(
                f"your function returns {a_type(got)}; return two numbers: (grad_a, grad_b)."
            )
        if len(got) != 2:
            raise Wrong(
                f"your function returns {a_type(got)} of length {len(got)}; "
                "return two numbers: (grad_a, grad_b)."
            )
        want_a, want_b = _div_reference(a, b, g)
        where = f"for a={a:g}, b={b:g}, out_grad={g:g}"
        grad_a = _one_number(got[0], f"grad_a {where}")
        grad_b = _one_number(got[1], f"grad_b {where}")
        if not np.isclose(grad_a, want_a):
            raise Wrong(
                f"grad_a {where} is {grad_a:.4g}. The local derivative of a / b "
                "with respect to a is 1 / b; multiply it by out_grad."
            )
        if not np.isclose(grad_b, want_b):
            raise Wrong(
                f"grad_b {where} is {grad_b:.4g}. Write a / b as a · b^-1 and "
                "differentiate b^-1; do not forget out_grad."
            )
    return "both local derivatives, each times the gradient that arrived from above."


def _linear_reference(x, weight, grad_out):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


@exercise(
    "backprop-linear-backward",
    "Write linear_backward(x, weight, grad_out) -> (grad_x, grad_weight, grad_bias) "
    "for out = x @ weight.T + bias.",
    solution=r"""def linear_backward(x, weight, grad_out):
    # return (grad_x, grad_weight, grad_bias)
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)
""",
)
def _linear_backward(fn):
    rng = np.random.default_rng(4)
    for n, d_in, d_out in [(5, 3, 2), (1, 4, 4), (7, 2, 6)]:
        x = rng.normal(size=(n, d_in))
        weight = rng.normal(size=(d_out, d_in))
        grad_out = rng.normal(size=(n, d_out))
        try:
            got = call_answer(fn, x.copy(), weight.copy(), grad_out.copy())
        except ValueError as err:
            if "matmul" in str(err) or "shapes" in str(err) or "aligned" in str(err):
                raise Wrong(
                    f"a matrix product in your function failed: its shapes do not fit. Here x "
                    f"has shape (N, in) = {x.shape}, weight (out, in) = {weight.shape} and "
                    f"grad_out (N, out) = {grad_out.shape}. In A @ B the last axis of A must "
                    "match the first axis of B, and each gradient has the shape of what it "
                    "is the gradient of: write the shapes under each product you wrote."
                ) from None
            raise
        if not isinstance(got, tuple | list) or len(got) != 3:
            raise Wrong("return three arrays: (grad_x, grad_weight, grad_bias).")
        hints = (
            "grad_x must have x's shape (N, in). By the chain rule each input feeds "
            "every output through the weights: which product of grad_out (N, out) and "
            "weight (out, in) has shape (N, in)?",
            "grad_weight must have weight's shape (out, in); by the chain rule every row "
            "of the batch adds its share. Which product of grad_out (N, out) and x (N, in) sums over "
            "N and leaves (out, in)?",
            "the bias is added to every row of the batch; by the chain rule each row "
            "passes its gradient back to it. How do the rows' shares combine?",
        )
        names = ("grad_x", "grad_weight", "grad_bias")
        for got_k, want_k, name, hint in zip(
            got, _linear_reference(x, weight, grad_out), names, hints, strict=True
        ):
            try:
                compare_arrays(got_k, want_k, what=f"{name} (batch {n}, {d_in} -> {d_out})")
            except Wrong as err:
                raise Wrong(f"{err} Hint: {hint}") from None
    return (
        "shapes tell you the formulas: grad_x = grad_out @ W, grad_W = grad_out.T @ x, "
        "grad_b = grad_out.sum(0). This is Linear.backward in dlhelpers.scratch."
    )
