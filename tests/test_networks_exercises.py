"""The exercise checks of notebook 02: right answers pass, typical mistakes get hints."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check


@pytest.mark.parametrize(
    "key, right, wrong, hint",
    [
        ("networks-param-count", 101_770, 101_632, "bias"),
        ("networks-param-count", 101_770, "many", "expected a number"),
        ("networks-weight-shape", (64, 784), (784, 64), "wrong order"),
        ("networks-output-shape", (16, 32), (32, 16), "rows are examples"),
        ("networks-output-shape", (16, 32), (16, 64), "first layer"),
    ],
)
def test_shape_and_count_exercises(key, right, wrong, hint):
    assert check(key, ...).status == "not attempted"
    assert check(key, right).status == "correct"
    feedback = check(key, wrong)
    assert feedback.status == "not yet"
    assert hint in feedback.message
    assert str(right).replace("_", "") not in feedback.message


def test_dense_forward_exercise():
    def stub(X, W, b): ...

    def no_transpose(X, W, b):
        return X @ W + b

    def no_activation(X, W, b):
        return X @ W.T + b

    def right(X, W, b):
        return np.maximum(X @ W.T + b, 0)

    assert check("networks-dense-forward", stub).status == "not attempted"
    assert "transposing" in check("networks-dense-forward", no_transpose).message
    assert "activation" in check("networks-dense-forward", no_activation).message
    assert check("networks-dense-forward", right)


@pytest.mark.parametrize(
    "answer, says",
    [
        ((64.7, 784), "is a float (64.7), not a whole number"),  # was accepted as (64, 784)
        ("64", "your answer is a str"),  # was read as the shape (6, 4)
        ("64 by 784", "your answer is a str"),
        (64, "your answer is an int"),
        ((True, 784), "item 0 of your answer is a bool"),
        ({"out": 64}, "your answer is a dict"),
    ],
)
def test_weight_shape_refuses_non_integers_and_strings(answer, says):
    feedback = check("networks-weight-shape", answer)
    assert feedback.status == "not yet" and says in feedback.message, feedback
    assert "(64, 784)" not in feedback.message


def test_weight_shape_accepts_any_form_of_the_right_shape():
    torch = pytest.importorskip("torch")
    for right in ([64, 784], np.array([64, 784]), torch.nn.Linear(784, 64).weight.shape):
        assert check("networks-weight-shape", right), right


def test_dense_forward_names_a_wrong_type_not_a_judge_crash():
    feedback = check("networks-dense-forward", lambda X, W, b: "relu(X @ W.T + b)")
    assert feedback.status == "not yet"
    assert (
        "your output for X (5, 4), W (3, 4) is a str" in feedback.message
        and "raised" not in feedback.message
    )
