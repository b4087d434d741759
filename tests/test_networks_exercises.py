"""The exercise checks of notebook 02: right answers pass, typical mistakes get hints."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check


def test_dense_forward_exercise():
    def stub(X, W, b): ...

    def no_transpose(X, W, b):
        return X @ W + b

    def no_activation(X, W, b):
        return X @ W.T + b

    def no_bias(X, W, b):
        return np.maximum(X @ W.T, 0)

    def right(X, W, b):
        return np.maximum(X @ W.T + b, 0)

    assert check("networks-dense-forward", stub).status == "not attempted"
    assert "transposing" in check("networks-dense-forward", no_transpose).message
    assert "activation" in check("networks-dense-forward", no_activation).message
    assert "bias is missing" in check("networks-dense-forward", no_bias).message
    assert check("networks-dense-forward", right)


def test_dense_forward_names_a_wrong_type_not_a_judge_crash():
    feedback = check("networks-dense-forward", lambda X, W, b: "relu(X @ W.T + b)")
    assert feedback.status == "not yet"
    assert (
        "your output for X (5, 4), W (3, 4) is a str" in feedback.message
        and "raised" not in feedback.message
    )


def _relu(x):
    return np.maximum(x, 0)


def test_mlp_forward_right_and_each_slip():
    def right(X, layers):
        for W, b in layers[:-1]:
            X = _relu(X @ W.T + b)
        W, b = layers[-1]
        return X @ W.T + b

    def relu_everywhere(X, layers):
        for W, b in layers:
            X = _relu(X @ W.T + b)
        return X

    def softmax_at_the_end(X, layers):
        z = right(X, layers)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def first_layer_only(X, layers):
        W, b = layers[0]
        return _relu(X @ W.T + b)

    def no_transpose(X, layers):
        for W, b in layers:
            X = X @ W + b
        return X

    assert check("networks-mlp-forward", right).status == "correct"
    expected = {
        relu_everywhere: "no ReLU after it",
        softmax_at_the_end: "return the scores",
        first_layer_only: "first layer's output",
        no_transpose: "transposing",
    }
    for answer, says in expected.items():
        feedback = check("networks-mlp-forward", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback
    module = pytest.importorskip("torch").nn.Linear(4, 3)
    assert "module" in check("networks-mlp-forward", module).message


def test_count_params_right_and_each_slip():
    def right(sizes):
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def weights_only(sizes):
        return sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def inputs_with_biases(sizes):
        return weights_only(sizes) + sum(sizes)

    def primer_only(sizes):
        return 101_770  # the right count for [784, 128, 10] only

    assert check("networks-param-count", right).status == "correct"
    assert check("networks-param-count", lambda s: np.int64(right(s))).status == "correct"
    expected = {
        weights_only: "each unit also has a bias",
        inputs_with_biases: "only the units of a layer",
        primer_only: "for sizes [3, 5]",
        (lambda sizes: f"{right(sizes)}"): "is a str",
        (lambda sizes: right(sizes) + 0.5): "not a whole number",
    }
    for answer, says in expected.items():
        feedback = check("networks-param-count", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback
