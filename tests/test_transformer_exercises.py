"""The exercise checks of notebook 09: stub, wrong answers with hints, wrong types, NaN, right."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlhelpers.checks import check, load_exercises
from dlhelpers.exercises.transformers import (
    _ATTENTION_MISTAKES,
    _BLOCK_MISTAKES,
    _attention,
    _block,
)


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


def _solved(key: str, name: str, **namespace):
    """The function that the worked solution of ``key`` defines."""
    import torch
    import torch.nn.functional as F

    from dlhelpers.train.transformer import causal_self_attention

    namespace = {"np": np, "math": math, "torch": torch, "F": F, **namespace}
    namespace.setdefault("attention", causal_self_attention)
    exec(load_exercises()[key].solution, namespace)  # noqa: S102 - the course's own solution
    return namespace[name]


RIGHT["attn-self-attention"] = _solved("attn-self-attention", "causal_self_attention")
RIGHT["attn-block"] = _solved("attn-block", "transformer_block")


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
        ("attn-causal-mask", lambda T: np.triu(np.ones((T, T), dtype=bool), 1), "swapped"),
        ("attn-causal-mask", lambda T: np.tril(np.ones((T, T))), "booleans"),
        ("attn-causal-mask", lambda T: np.ones(T, dtype=bool), "shape"),
        ("attn-causal-mask", lambda T: np.ones((T, T), dtype=bool), "not it"),
        ("attn-score-spread", 64, "variance"),
        ("attn-score-spread", 1, "adds up"),
        ("attn-score-spread", 4, "variances"),
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

    def halves(T, d):
        pe = positional_encoding(T, d)
        return np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=1)

    assert "interleaves" in check("attn-positions", halves).message
    assert "shape" in check("attn-positions", lambda T, d: np.zeros((d, T))).message


def test_wrong_type_message_reads_well():
    # it said "your weights for Q (3, 2), K (4, 2) is a str"
    feedback = check("attn-weights", lambda Q, K: "weights")
    assert feedback.status == "not yet", feedback
    assert "the output for Q (3, 2), K (4, 2) is a str;" in feedback.message, feedback
    assert "weights for" not in feedback.message
    shape = check("attn-weights", lambda Q, K: np.zeros((K.shape[0], Q.shape[0])))
    assert "the output for Q (3, 2), K (4, 2) has shape (4, 3)" in shape.message, shape


@pytest.mark.parametrize("mistake", list(_ATTENTION_MISTAKES))
def test_attention_mistakes_get_their_hint(mistake):
    kwargs = _ATTENTION_MISTAKES[mistake]
    feedback = check("attn-self-attention", lambda h, p, n: _attention(h, p, n, **kwargs))
    assert feedback.status == "not yet" and feedback.message == mistake, feedback


@pytest.mark.parametrize("mistake", list(_BLOCK_MISTAKES))
def test_block_mistakes_get_their_hint(mistake):
    kwargs = _BLOCK_MISTAKES[mistake]
    feedback = check("attn-block", lambda x, p, n: _block(x, p, n, **kwargs))
    assert feedback.status == "not yet" and feedback.message == mistake, feedback


def test_attention_and_block_refuse_what_gradients_cannot_flow_through():
    import torch

    def inverted(h, p, n_heads):  # -inf where a query MAY look: the last row sees nothing
        B, T, C = h.shape
        allowed = torch.ones(T, T, dtype=torch.bool).tril()
        q, k, v = torch.nn.functional.linear(h, p["attn.in_proj_weight"]).split(C, dim=-1)
        scores = (q @ k.transpose(-2, -1)).masked_fill(allowed, float("-inf"))
        return scores.softmax(-1) @ v

    assert "above the diagonal" in check("attn-self-attention", inverted).message
    detached = check("attn-block", lambda x, p, n: _block(x, p, n).detach())
    assert "grad_fn" in detached.message
    as_numpy = check("attn-self-attention", lambda h, p, n: _attention(h, p, n).detach().numpy())
    assert "no .numpy()" in as_numpy.message
    assert "shape" in check("attn-block", lambda x, p, n: _block(x, p, n)[0]).message
    assert "a str" in check("attn-block", lambda x, p, n: "x + attention(x)").message
    as_float32 = check("attn-block", lambda x, p, n: _block(x, p, n).float())
    assert "float32" in as_float32.message and "raised" not in as_float32.message


def test_block_gradients_are_checked_not_only_outputs():
    import torch

    class Halved(torch.autograd.Function):  # right forward, half the gradient
        @staticmethod
        def forward(ctx, y):
            return y.clone()

        @staticmethod
        def backward(ctx, g):
            return g / 2

    feedback = check("attn-block", lambda x, p, n: Halved.apply(_block(x, p, n)))
    assert feedback.status == "not yet" and "gradient for x" in feedback.message, feedback


def test_block_uses_the_notebooks_attention():
    # with a wrong `attention` in its namespace, the right block is wrong: the check says so
    wrong = _solved(
        "attn-block", "transformer_block", attention=lambda h, p, n: _attention(h, p, n, scale=None)
    )
    assert check("attn-block", wrong).status == "not yet"
