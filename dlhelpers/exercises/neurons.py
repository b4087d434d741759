"""Exercises of notebook 01: neurons and activations."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    as_numbers,
    exercise,
    function_matches,
    number_close,
)
from dlhelpers.data.toy import make_blobs
from dlhelpers.scratch.activations import leaky_relu, sigmoid, tanh_grad
from dlhelpers.viz.decision import neuron_probability

__all__ = ["SEPARABLE_BLOBS"]

_INPUTS = [
    np.array([-3.0, -0.5, 0.0, 0.5, 3.0]),
    np.linspace(-8, 8, 33),
    np.array([[1.5, -2.0], [0.0, 40.0]]),
]

#: The data set of the "separate the blobs" exercise (also drawn in the notebook).
SEPARABLE_BLOBS = {"n_samples": 120, "noise": 0.55, "seed": 3}


@exercise(
    "neuron-output",
    "Compute sigmoid(w·x + b) for x=(1, 2), w=(0.5, -0.25), b=0.1.",
    solution=r"""x = np.array([1.0, 2.0])
w = np.array([0.5, -0.25])
b = 0.1
neuron_output = scratch.sigmoid(w @ x + b)
""",
)
def _neuron_output(answer):
    number_close(
        answer,
        sigmoid(0.5 * 1 - 0.25 * 2 + 0.1),
        rtol=1e-4,
        hint="First the weighted sum z = w1*x1 + w2*x2 + b, then the sigmoid of z.",
    )
    return "weighted sum, then activation: that is all a neuron does."


@exercise(
    "leaky-relu",
    "Write leaky_relu(x) with a slope of 0.1 for negative inputs.",
    solution=r"""def my_leaky_relu(x):
    return np.where(x > 0, x, 0.1 * x)
""",
)
def _leaky_relu(fn):
    function_matches(
        fn,
        lambda x: leaky_relu(x, 0.1),
        _INPUTS,
        hint="Positive inputs pass through unchanged; negative ones are multiplied by 0.1. "
        "np.where(condition, a, b) works on whole arrays.",
    )
    return "leaky ReLU keeps a small slope for x < 0, so a neuron never goes fully silent."


@exercise(
    "tanh-derivative",
    "Write the derivative of tanh using only np.tanh.",
    solution=r"""def my_tanh_derivative(x):
    return 1 - np.tanh(x) ** 2
""",
)
def _tanh_derivative(fn):
    function_matches(
        fn,
        tanh_grad,
        _INPUTS,
        hint="The table of activations in section 2 gives f'(z) for tanh in terms of tanh "
        "itself; write that column with np.tanh. Check yourself: the slope is 1 at x = 0 and "
        "close to 0 for large |x|.",
    )
    return "the slope is 1 at x = 0 and vanishes for large |x|: tanh saturates."


@exercise(
    "sigmoid-slope-max",
    "What is the largest value the sigmoid's derivative takes?",
    solution=r"""sigmoid_slope_max = 0.5 * (1 - 0.5)  # s(0) (1 - s(0))
""",
)
def _sigmoid_slope_max(answer):
    number_close(
        answer,
        0.25,
        rtol=1e-3,
        hint="The slope is s(x)(1 - s(x)); where is that product of two numbers "
        "adding up to 1 the largest?",
    )
    return "at most 0.25: every sigmoid layer shrinks the gradient by 4 or more."


@exercise(
    "separate-blobs",
    "Choose (w1, w2, b) so that the neuron classifies every blob point.",
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
