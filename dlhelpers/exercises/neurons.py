"""Exercises of notebook 01: neurons and activations.

The functions the learner writes are checked against torch in float64: the neuron
against ``torch.nn.Linear(n, 1)`` with the same weights followed by torch's activation,
the activations against ``torch.nn.functional``, the derivative against autograd.
"""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    array_of_shape,
    as_numbers,
    call_answer,
    compare_arrays,
    exercise,
    function_matches,
)
from dlhelpers.data.toy import make_blobs
from dlhelpers.scratch.activations import relu, sigmoid, tanh
from dlhelpers.viz.decision import neuron_probability

__all__ = ["SEPARABLE_BLOBS"]

_INPUTS = [
    np.array([-3.0, -0.5, 0.0, 0.5, 3.0]),
    np.linspace(-8, 8, 33),
    np.array([[1.5, -2.0], [0.0, 40.0]]),
]

#: The data set of the "separate the blobs" exercise (also drawn in the notebook).
SEPARABLE_BLOBS = {"n_samples": 120, "noise": 0.55, "seed": 3}


def _torch_neuron(X: np.ndarray, w: np.ndarray, b: float, name: str) -> np.ndarray:
    """``torch.nn.Linear(n, 1)`` holding ``w`` and ``b``, then torch's ``name``: shape (N,), float64."""
    import torch

    layer = torch.nn.Linear(len(w), 1).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w).unsqueeze(0))  # (1, n): torch's (out, in)
        layer.bias.fill_(b)
        out = getattr(torch, name)(layer(torch.from_numpy(X)))  # (N, 1)
    return out.squeeze(1).numpy()


# (activation given to the learner, torch's name, N, n_inputs, b): every argument varies
_NEURON_CASES = [
    (sigmoid, "sigmoid", 5, 3, 0.4),
    (tanh, "tanh", 4, 2, -0.7),
    (relu, "relu", 6, 3, 0.3),
]


def _neuron_slips(X, w, b, activation) -> list[tuple[np.ndarray, str]]:
    z = X @ w + b
    return [
        (z, "that is the weighted sum z; the neuron's output is the activation of z."),
        (activation(X @ w), "the bias is missing: add b to the weighted sum."),
        (activation(X @ w) + b, "add the bias *before* the activation: f(x·w + b)."),
        (
            sigmoid(z),
            "use the activation you are given (the `activation` argument), not always the sigmoid.",
        ),
    ]


@exercise(
    "neuron-output",
    "Write my_neuron(X, w, b, activation): the outputs f(X w + b) of one neuron for a batch X.",
    hint="One row of X is one example. The weighted sum of every row at once is one matrix "
    "product with w; add the bias, then call the activation you were given on the result.",
    solution=r"""def my_neuron(X, w, b, activation):
    z = X @ w + b  # (N, n) @ (n,) -> (N,): one weighted sum per example
    return activation(z)
""",
)
def _neuron_output(fn):
    rng = np.random.default_rng(1)
    for activation, name, n, d, b in _NEURON_CASES:
        X, w = rng.normal(size=(n, d)), rng.normal(size=d)
        want = _torch_neuron(X, w, b, name)
        try:
            got = call_answer(fn, X.copy(), w.copy(), b, activation)
        except ValueError as err:
            if "matmul" in str(err) or "shapes" in str(err) or "align" in str(err):
                raise Wrong(
                    f"the product failed: X has shape (N, n_inputs) = {X.shape} and w has shape "
                    f"{w.shape}. Which order makes one weighted sum per row?"
                ) from None
            raise
        column = array_of_shape(got, (n, 1))
        if column is not None and np.allclose(column[:, 0], want):
            raise Wrong("right values, shape (N, 1): return one number per example, shape (N,).")
        arr = array_of_shape(got, (n,))
        if arr is not None and not np.allclose(arr, want):
            for slip, message in _neuron_slips(X, w, b, activation):
                if np.allclose(arr, slip) and not np.allclose(slip, want):
                    raise Wrong(message)
        compare_arrays(got, want, what=f"your output for the {name} neuron, X of shape {X.shape}")
    return "weighted sum, bias, activation: the same numbers as torch.nn.Linear(n, 1) + activation."


def _torch_leaky_relu(x: np.ndarray) -> np.ndarray:
    import torch
    import torch.nn.functional as F

    return F.leaky_relu(torch.from_numpy(x), negative_slope=0.1).numpy()


@exercise(
    "leaky-relu",
    "Write leaky_relu(x) with a slope of 0.1 for negative inputs.",
    hint="Positive inputs pass through unchanged, negative ones are multiplied by 0.1. "
    "np.where(condition, a, b) picks from a or b element by element, on a whole array.",
    solution=r"""def my_leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
""",
)
def _leaky_relu(fn):
    function_matches(
        fn,
        _torch_leaky_relu,
        _INPUTS,
        hint="Positive inputs pass through unchanged; negative ones are multiplied by 0.1. "
        "np.where(condition, a, b) works on whole arrays.",
    )
    return "same as torch's F.leaky_relu(x, 0.1): a small slope for x < 0, so the unit never goes silent."


def _autograd_tanh_slope(x: np.ndarray) -> np.ndarray:
    """d tanh(x) / dx by torch's autograd, float64."""
    import torch

    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch.tanh(t).sum().backward()
    return t.grad.numpy()


def _tanh_slips(x: np.ndarray) -> list[tuple[np.ndarray, str]]:
    t = np.tanh(x)
    start = "start from tanh z = 2σ(2z) - 1 (section 2) and the sigmoid's slope in the table"
    return [
        (t, f"that is tanh itself; the exercise asks for its slope: {start}."),
        (
            1 - t,
            "close, but your slope nears 2 for very negative x, and tanh is never steeper than at "
            "x = 0 (slope 1). Redo the last substitution, σ(2z) = (1 + tanh z) / 2, term by term "
            "(section 2 gives the identity).",
        ),
        (t**2, f"your slope is 0 at x = 0, where tanh is steepest; {start}."),
        (1 - x**2, "write the result in terms of tanh(z), not z itself (section 2)."),
        (
            sigmoid(x) * (1 - sigmoid(x)),
            "that is the sigmoid's slope; tanh's peaks at 1, not 0.25. Differentiate "
            "tanh z = 2σ(2z) - 1 of section 2 instead.",
        ),
    ]


@exercise(
    "tanh-derivative",
    "Write the derivative of tanh using only np.tanh.",
    hint="Differentiate tanh z = 2σ(2z) - 1 (section 2) with the chain rule and the sigmoid's "
    "slope from the table (the inner 2z brings a factor 2). Then use the same identity the other "
    "way, σ(2z) = (1 + tanh z) / 2, to write the result with tanh only. Check yourself: the "
    "slope is 1 at x = 0 and close to 0 for large |x|.",
    solution=r"""def my_tanh_derivative(x):
    return 1 - np.tanh(x) ** 2
""",
)
def _tanh_derivative(fn):
    x = _INPUTS[1]
    got = array_of_shape(call_answer(fn, x.copy()), x.shape)
    if got is not None and not np.allclose(got, _autograd_tanh_slope(x)):
        for slip, message in _tanh_slips(x):
            if np.allclose(got, slip):
                raise Wrong(message)
    function_matches(
        fn,
        _autograd_tanh_slope,
        _INPUTS,
        hint="Differentiate tanh z = 2σ(2z) - 1 (section 2), then write the result with "
        "np.tanh only. Check yourself: the slope is 1 at x = 0 and close to 0 for large |x|.",
    )
    return "it matches torch's autograd: slope 1 at x = 0, vanishing for large |x|: tanh saturates."


@exercise(
    "separate-blobs",
    "Choose (w1, w2, b) so that the neuron classifies every blob point.",
    hint="The boundary is the line w1*x1 + w2*x2 + b = 0, and (w1, w2) points towards class 1. "
    "Move the sliders of the neuron explorer until no point has a black edge.",
    solution=r"""separating_neuron = (1.0, 1.0, 0.0)  # (w1, w2, b)
""",
)
def _separate_blobs(answer):
    w1, w2, b = as_numbers(answer, 3, example="(w1, w2, b)")
    if (w1, w2) == (0.0, 0.0):
        raise NotAttempted("with w1 = w2 = 0 the neuron ignores its inputs; move the weights.")
    X, y = make_blobs(**SEPARABLE_BLOBS)
    wrong = int(((neuron_probability(X, (w1, w2), b) > 0.5) != y).sum())
    if wrong:
        raise Wrong(
            f"{wrong} point(s) are still on the wrong side. The boundary is the line "
            "w1*x1 + w2*x2 + b = 0 and (w1, w2) points towards class 1: use the "
            "neuron explorer above to find a line, then copy its values."
        )
    return "every point is on its side of the line w1*x1 + w2*x2 + b = 0."
