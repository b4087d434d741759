"""The exercise checks of notebook 09: stub, wrong answers with hints, wrong types, NaN, right."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check


def attention_weights(Q, K):
    z = Q @ K.T / np.sqrt(Q.shape[-1])
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool))


def positional_encoding(T, d):
    pos = np.arange(T)[:, None]
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    out = np.zeros((T, d))
    out[:, 0::2], out[:, 1::2] = np.sin(pos * freq), np.cos(pos * freq)
    return out


def stub(*args): ...


RIGHT = {
    "attn-weights": attention_weights,
    "attn-causal-mask": causal_mask,
    "attn-score-spread": 8,
    "attn-mha-params": 16_640,
    "attn-positions": positional_encoding,
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    assert check(key, ...).status == "not attempted"
    assert check(key, RIGHT[key]).status == "correct"
    for bad in ("8", True, float("nan"), [1, 2]):
        assert check(key, bad).status == "not yet", (key, bad)
    if callable(RIGHT[key]):
        assert check(key, stub).status == "not attempted"


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("attn-weights", lambda Q, K: _softmax(Q @ K.T), "sqrt(d)"),
        (
            "attn-weights",
            lambda Q, K: _softmax(Q @ K.T / np.sqrt(Q.shape[1]), axis=0),
            "over the queries",
        ),
        ("attn-weights", lambda Q, K: Q @ K.T / np.sqrt(Q.shape[1]), "softmax"),
        ("attn-weights", lambda Q, K: "weights", "expected an array"),
        ("attn-causal-mask", lambda T: np.triu(np.ones((T, T), dtype=bool)), "future"),
        ("attn-causal-mask", lambda T: np.tril(np.ones((T, T), dtype=bool), -1), "diagonal"),
        ("attn-causal-mask", lambda T: np.tril(np.ones((T, T))), "booleans"),
        ("attn-causal-mask", lambda T: np.ones(T, dtype=bool), "shape"),
        ("attn-causal-mask", lambda T: np.ones((T, T), dtype=bool), "not it"),
        ("attn-score-spread", 64, "variance"),
        ("attn-score-spread", 1, "adds up"),
        ("attn-score-spread", 4, "variances"),
        ("attn-mha-params", 4 * 16_640, "split"),
        ("attn-mha-params", 12_480, "output projection"),
        ("attn-mha-params", 16_384, "bias"),
        ("attn-mha-params", 100, "in_proj"),
    ],
)
def test_typical_mistakes_get_a_hint(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback
    assert str(RIGHT[key]) not in feedback.message.replace(",", "")


def test_positional_encoding_hints():
    def swapped(T, d):
        pe = positional_encoding(T, d)
        out = pe.copy()
        out[:, 0::2], out[:, 1::2] = pe[:, 1::2], pe[:, 0::2]
        return out

    def plain_i(T, d):
        pos, i = np.arange(T)[:, None], np.arange(d // 2)
        out = np.zeros((T, d))
        out[:, 0::2], out[:, 1::2] = (
            np.sin(pos / 10000.0 ** (i / d)),
            np.cos(pos / 10000.0 ** (i / d)),
        )
        return out

    assert "swapped" in check("attn-positions", swapped).message
    assert "2i/d" in check("attn-positions", plain_i).message
    assert "shape" in check("attn-positions", lambda T, d: np.zeros((d, T))).message


def test_wrong_type_message_reads_well():
    # it said "your weights for Q (3, 2), K (4, 2) is a str"
    feedback = check("attn-weights", lambda Q, K: "weights")
    assert feedback.status == "not yet", feedback
    assert "the output for Q (3, 2), K (4, 2) is a str;" in feedback.message, feedback
    assert "weights for" not in feedback.message
    shape = check("attn-weights", lambda Q, K: np.zeros((K.shape[0], Q.shape[0])))
    assert "the output for Q (3, 2), K (4, 2) has shape (4, 3)" in shape.message, shape
