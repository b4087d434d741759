"""Exercises of notebook 09: attention and transformers."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    as_count,
    as_number,
    call_answer,
    compare_arrays,
    count_equal,
    exercise,
    number_close,
)

__all__ = []

# The parameter count is compared exactly; a standard deviation, weights and encodings are
# real-valued, compared with a tolerance; a mask is compared exactly, as booleans.


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@exercise(
    "attn-weights",
    "Write attention_weights(Q, K): softmax(Q K^T / sqrt(d)) over the keys, Q (L, d), K (S, d).",
    solution=r"""def attention_weights(Q, K):
    "Q: (L, d), K: (S, d) -> weights (L, S), each row a softmax over the keys."
    scores = Q @ K.T / np.sqrt(Q.shape[1])
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""",
)
def _weights(fn):
    rng = np.random.default_rng(9)
    for L, S, d in [(3, 4, 2), (1, 5, 8), (4, 4, 16)]:
        Q, K = rng.normal(size=(L, d)) * 2, rng.normal(size=(S, d)) * 2
        got = call_answer(fn, Q.copy(), K.copy())
        scores = Q @ K.T
        arr = array_of_shape(got, scores.shape)
        if arr is not None:
            if np.allclose(arr, _softmax(scores)):
                raise Wrong("the softmax is right, but the scores are not divided by sqrt(d).")
            if L > 1 and np.allclose(arr, _softmax(scores / np.sqrt(d), axis=0)):
                raise Wrong(
                    "the softmax runs over the queries; each query's weights over the keys "
                    "should add up to 1 (axis=-1)."
                )
            if np.allclose(arr, scores / np.sqrt(d)):
                raise Wrong(
                    "those are the scaled scores; turn each row into weights with a softmax."
                )
        compare_arrays(
            got, _softmax(scores / np.sqrt(d)), what=f"the output for Q {Q.shape}, K {K.shape}"
        )
    return "each row is a probability distribution over the keys: where that query looks."


@exercise(
    "attn-causal-mask",
    "Write causal_mask(T): a (T, T) boolean array, True where query i may look at key j.",
    solution=r"""def causal_mask(T):
    "A (T, T) boolean array: True where query i may attend to key j."
    return np.tril(np.ones((T, T), dtype=bool))
""",
)
def _causal(fn):
    for T in (1, 4, 7):
        got = call_answer(fn, T)
        want = np.tril(np.ones((T, T), dtype=bool))
        if isinstance(got, str | bytes | dict) or not hasattr(got, "__len__"):
            raise Wrong(f"causal_mask({T}) is {a_type(got)}; expected a (T, T) boolean array.")
        arr = np.asarray(got.detach().cpu() if hasattr(got, "detach") else got)
        if arr.shape != want.shape:
            raise Wrong(f"causal_mask({T}) has shape {arr.shape}; expected ({T}, {T}).")
        if arr.dtype != bool:
            raise Wrong(
                f"causal_mask({T}) holds {arr.dtype}, not booleans: use True/False (e.g. with "
                "np.tril(...).astype(bool)), as torch's boolean attn_mask does."
            )
        if T > 1 and np.array_equal(arr, want.T):
            raise Wrong("that lets each query see the future and not the past: flip it.")
        if np.array_equal(arr, np.tril(want, -1)):
            raise Wrong("a position may also look at itself: keep the diagonal.")
        if not np.array_equal(arr, want):
            raise Wrong(
                f"causal_mask({T}) is not it: query i may look at keys 0..i and no further."
            )
    return "the lower triangle: row i sees keys 0..i, so no position can peek at what follows."


@exercise(
    "attn-score-spread",
    "q and k have d = 64 independent standard normal entries: what is the standard deviation of q·k?",
    solution=r"""score_std = np.sqrt(64)  # a number
""",
)
def _spread(answer):
    value = as_number(answer)
    if value == 64:
        raise Wrong("64 is the variance (a sum of 64 terms of variance 1); take its square root.")
    if value == 1:
        raise Wrong("each product q_i k_i has variance 1, but q·k adds up 64 of them.")
    number_close(
        answer, 8.0, hint="q·k = q_1 k_1 + ... + q_64 k_64: variances of independent terms add."
    )
    return "sqrt(64) = 8: dividing by sqrt(d) brings the scores back to a spread of about 1."


@exercise(
    "attn-mha-params",
    "How many parameters does nn.MultiheadAttention(embed_dim=64, num_heads=4) have?",
    solution=r"""mha_params = sum(p.numel() for p in nn.MultiheadAttention(64, 4).parameters())
""",
)
def _mha_params(answer):
    value = as_count(answer)
    E = 64
    right = 3 * E * E + 3 * E + E * E + E
    if value == 4 * right or value == 4 * (3 * E * E + 3 * E) + E * E + E:
        raise Wrong(
            "the heads split the 64 dimensions between them (16 each); they do not multiply them."
        )
    if value == 3 * E * E + 3 * E:
        raise Wrong(
            "that is the query, key and value projections; there is an output projection too."
        )
    if value == 4 * E * E:
        raise Wrong("right weights; each of the four projections also has a bias.")
    count_equal(
        value, right, hint="in_proj_weight (3E, E), in_proj_bias (3E,), out_proj (E, E) + (E,)."
    )
    return (
        "4 E^2 + 4 E: the number of heads does not change it, only how the E dimensions are split."
    )


def _positions(T: int, d: int) -> np.ndarray:
    pos = np.arange(T)[:, None]
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    out = np.zeros((T, d))
    out[:, 0::2], out[:, 1::2] = np.sin(pos * freq), np.cos(pos * freq)
    return out


@exercise(
    "attn-positions",
    "Write positional_encoding(T, d): PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(same).",
    solution=r"""def positional_encoding(T, d):
    "The (T, d) sinusoidal positional encoding."
    angles = np.arange(T)[:, None] / 10000 ** (np.arange(0, d, 2) / d)
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
""",
)
def _positional(fn):
    for T, d in [(5, 4), (12, 8), (3, 16)]:
        got = call_answer(fn, T, d)
        want = _positions(T, d)
        arr = array_of_shape(got, want.shape)
        if arr is not None:
            swapped = want.copy()
            swapped[:, 0::2], swapped[:, 1::2] = want[:, 1::2], want[:, 0::2]
            if np.allclose(arr, swapped):
                raise Wrong("sine and cosine are swapped: sine on the even columns 0, 2, 4, ...")
            pos, i = np.arange(T)[:, None], np.arange(d // 2)
            plain = np.zeros((T, d))
            plain[:, 0::2] = np.sin(pos / 10000.0 ** (i / d))
            plain[:, 1::2] = np.cos(pos / 10000.0 ** (i / d))
            if np.allclose(arr, plain):
                raise Wrong(
                    "the exponent is 2i/d, where 2i is the even column index: use np.arange(0, d, 2) / d."
                )
        compare_arrays(got, want, what=f"your encoding for T={T}, d={d}")
    return "each pair of columns is a clock at its own speed: together they give every position a unique code."
