"""The exercise checks of notebook 08: stub, wrong answers with hints, wrong types, NaN, right."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check


def grad_back(w, k):
    return w**k


def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def with_temperature(logits, T):
    z = np.asarray(logits) / T
    e = np.exp(z - z.max())
    return e / e.sum()


def stub(*args): ...


RIGHT = {
    "rnn-param-count": 640,
    "rnn-lstm-param-count": 2560,
    "rnn-linear-gradient": grad_back,
    "rnn-step": rnn_step,
    "rnn-temperature": with_temperature,
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    assert check(key, ...).status == "not attempted"
    assert check(key, RIGHT[key]).status == "correct"
    for bad in ("640", True, float("nan"), [1, 2]):
        assert check(key, bad).status == "not yet", (key, bad)
    if callable(RIGHT[key]):
        assert check(key, stub).status == "not attempted"


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("rnn-param-count", 620, "two bias"),
        ("rnn-param-count", 240, "recurrent weights"),
        ("rnn-param-count", 100, "add up"),
        ("rnn-lstm-param-count", 640, "four gates"),
        ("rnn-lstm-param-count", 1920, "GRU"),
        ("rnn-lstm-param-count", 2000, "four gates"),
        ("rnn-linear-gradient", lambda w, k: w * k, "multiplies"),
        ("rnn-linear-gradient", lambda w, k: k * w ** (k - 1), "with respect to w"),
        ("rnn-linear-gradient", lambda w, k: 1.0, "unrolling"),
        ("rnn-linear-gradient", lambda w, k: "w", "expected a number"),
        ("rnn-step", lambda x, h, Wi, Wh, bi, bh: x @ Wi.T + bi + h @ Wh.T + bh, "tanh"),
        ("rnn-step", lambda x, h, Wi, Wh, bi, bh: np.tanh(x @ Wi.T + bi + h @ Wh.T), "bias"),
        ("rnn-step", lambda x, h, Wi, Wh, bi, bh: np.tanh(x @ Wi.T + bi + bh), "previous hidden"),
        (
            "rnn-step",
            lambda x, h, Wi, Wh, bi, bh: np.tanh(x @ Wi + h @ Wh + bi + bh),
            "transposing",
        ),
        ("rnn-step", lambda x, h, Wi, Wh, bi, bh: np.zeros(3), "shape"),
        ("rnn-temperature", lambda z, T: with_temperature(np.asarray(z) * T * T, T), "multiplied"),
        ("rnn-temperature", lambda z, T: np.exp(np.asarray(z) / T), "add up"),
        ("rnn-temperature", lambda z, T: np.exp(z / T) / np.exp(z / T).sum(), "overflow"),
    ],
)
def test_typical_mistakes_get_a_hint(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback
    assert str(RIGHT[key]) not in feedback.message


def test_rnn_step_untransposed_square_w_hh_gets_the_transpose_hint():
    feedback = check("rnn-step", lambda x, h, Wi, Wh, bi, bh: np.tanh(x @ Wi.T + bi + h @ Wh + bh))
    assert feedback.status == "not yet" and "transposing" in feedback.message, feedback
    assert "W_hh.T" not in feedback.message and "off at position" not in feedback.message


def test_linear_gradient_takes_a_0d_float32_tensor():
    torch = pytest.importorskip("torch")
    feedback = check("rnn-linear-gradient", lambda w, k: torch.tensor(w) ** k)
    assert feedback.status == "correct", feedback
    wrong = check("rnn-linear-gradient", lambda w, k: torch.tensor(w) * k)
    assert wrong.status == "not yet" and "multiplies" in wrong.message


def test_temperature_a_sampled_index_is_a_single_number_not_probabilities():
    def sample(logits, T):
        z = np.asarray(logits) / T
        e = np.exp(z - z.max())
        return np.random.default_rng(0).choice(len(logits), p=e / e.sum())

    feedback = check("rnn-temperature", sample)
    assert feedback.status == "not yet" and "a single number" in feedback.message, feedback
    assert "V = 5 probabilities" in feedback.message and "shape ()" not in feedback.message


def test_temperature_overflow_is_named_once():
    feedback = check("rnn-temperature", lambda z, T: np.exp(z / T) / np.exp(z / T).sum())
    assert feedback.status == "not yet" and feedback.message.count("overflow") == 1, feedback
    assert "inf or nan" in feedback.message


def test_temperature_takes_torch_probabilities():
    torch = pytest.importorskip("torch")
    softmax = lambda z, T: torch.softmax(torch.as_tensor(z) / T, dim=0)  # noqa: E731
    assert check("rnn-temperature", softmax).status == "correct"
