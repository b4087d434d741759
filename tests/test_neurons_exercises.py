"""The exercise checks of notebook 01: hints that name the mistake, references from torch."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import check
from dlhelpers.scratch import sigmoid


def test_neuron_right_and_each_slip():
    def right(X, w, b, activation):
        return activation(X @ w + b)

    expected = {
        (lambda X, w, b, f: X @ w + b): "weighted sum",
        (lambda X, w, b, f: f(X @ w)): "bias is missing",
        (lambda X, w, b, f: f(X @ w) + b): "before* the activation",
        (lambda X, w, b, f: sigmoid(X @ w + b)): "the activation you are given",
        (lambda X, w, b, f: f(w @ X + b)): "the product failed",
        (lambda X, w, b, f: f(X @ w + b)[:, None]): "shape (N,)",
        (lambda X, w, b, f: "f(X @ w + b)"): "is a str",
    }
    assert check("neuron-output", right).status == "correct"
    for answer, says in expected.items():
        feedback = check("neuron-output", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback
        assert "raised" not in feedback.message


def test_tanh_derivative_names_each_slip():
    expected = {
        np.tanh: "tanh itself",
        (lambda x: 1 - np.tanh(x)): "term by term",
        (lambda x: np.tanh(x) ** 2): "tanh is steepest",
        (lambda x: 1 - x**2): "not z itself",
        (lambda x: sigmoid(x) * (1 - sigmoid(x))): "sigmoid's slope",
    }
    assert check("tanh-derivative", lambda x: 1 / np.cosh(x) ** 2).status == "correct"
    for answer, says in expected.items():
        feedback = check("tanh-derivative", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback


def test_leaky_relu_is_judged_against_torch():
    assert check("leaky-relu", lambda x: np.maximum(x, 0.1 * x)).status == "correct"
    assert check("leaky-relu", lambda x: np.maximum(x, 0.0)).status == "not yet"


def test_every_exercise_of_notebooks_01_to_03_has_a_hint_and_a_solution():
    from dlhelpers.checks import load_exercises

    keys = [
        k
        for k in load_exercises()
        if k.split("-")[0] in ("neuron", "leaky", "tanh", "separate", "networks", "descent")
    ]
    assert len(keys) == 11
    for key in keys:
        found = load_exercises()[key]
        assert found.hint and found.solution.strip(), key
