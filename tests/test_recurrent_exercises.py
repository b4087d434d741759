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


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh, *, order="ifgo", g_act=np.tanh, keep=True):
    H = h.shape[1]
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    blocks = dict(zip(order, (a[:, k * H : (k + 1) * H] for k in range(4)), strict=True))
    i, f, o, g = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"]), blocks["g"]
    c_new = f * c * keep + i * g_act(g)
    return o * np.tanh(c_new), c_new


def stub(*args): ...


RIGHT = {
    "rnn-lstm-step": lstm_step,
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


def _lstm(**slip):
    return lambda *args: lstm_step(*args, **slip)


@pytest.mark.parametrize(
    "answer, says",
    [
        (_lstm(order="ifog"), "wrong order"),
        (_lstm(order="igfo"), "wrong order"),  # TensorFlow's order
        (_lstm(keep=False), "old cell is lost"),
        (_lstm(g_act=sigmoid), "tanh"),
        (lambda *a: lstm_step(*a)[::-1], "(c_new, h_new)"),
        (lambda *a: lstm_step(*a)[0], "one array"),
        (lambda *a: np.stack(lstm_step(*a)) + 1, "off at position"),
        (lambda x, h, c, Wi, Wh, bi, bh: lstm_step(x, h, c, Wi, Wh, bi, 0 * bh), "bias"),
        (lambda x, h, c, Wi, Wh, bi, bh: lstm_step(x, 0 * h, c, Wi, Wh, bi, bh), "not recurrent"),
        (lambda x, h, c, Wi, Wh, bi, bh: lstm_step(x, h, c, Wi.T, Wh, bi, bh), "transposing"),
        (lambda x, h, c, Wi, Wh, bi, bh: (h, c + 1), "off at position"),
        (lambda *a: {"h": 1}, "the pair (h_new, c_new)"),
    ],
)
def test_lstm_step_typical_mistakes_get_their_hint(answer, says):
    feedback = check("rnn-lstm-step", answer)
    assert feedback.status == "not yet" and says in feedback.message, feedback
    assert "@" not in feedback.message and ".T" not in feedback.message  # no code given away


def test_lstm_step_hidden_state_mistakes_name_the_cell_as_right():
    def no_tanh(x, h, c, Wi, Wh, bi, bh):
        h_new, c_new = lstm_step(x, h, c, Wi, Wh, bi, bh)
        return h_new / np.tanh(c_new) * c_new, c_new

    def old_cell(x, h, c, Wi, Wh, bi, bh):
        h_new, c_new = lstm_step(x, h, c, Wi, Wh, bi, bh)
        return h_new / np.tanh(c_new) * np.tanh(c), c_new

    assert "squashes it with tanh" in check("rnn-lstm-step", no_tanh).message
    assert "not c_{t-1}" in check("rnn-lstm-step", old_cell).message


def test_lstm_step_is_judged_against_torch_and_takes_float32_tensors():
    torch = pytest.importorskip("torch")

    def with_torch(x, h, c, W_ih, W_hh, b_ih, b_hh):
        cell = torch.nn.LSTMCell(x.shape[1], h.shape[1])
        with torch.no_grad():
            for p, v in zip(cell.parameters(), (W_ih, W_hh, b_ih, b_hh), strict=True):
                p.copy_(torch.as_tensor(v))
        as32 = [torch.as_tensor(v, dtype=torch.float32) for v in (x, h, c)]
        return cell(as32[0], (as32[1], as32[2]))

    assert check("rnn-lstm-step", with_torch).status == "correct"
    assert check("rnn-lstm-step", torch.nn.LSTMCell(3, 4)).status == "not yet"
