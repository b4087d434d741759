"""Exercises of notebook 09: attention and transformers."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    number_close,
)

__all__ = []

# A standard deviation, weights, encodings and the block's outputs and gradients are
# real-valued, compared with a tolerance; a mask is compared exactly, as booleans. The block's
# two exercises run in torch, float64, against the package's Block with the same weights.


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@exercise(
    "attn-weights",
    "Write attention_weights(Q, K): softmax(Q K^T / sqrt(d)) over the keys, Q (L, d), K (S, d).",
    hint="Score every query against every key with one matrix product, shape (L, S); divide by "
    "the square root of d; then turn each row into weights with a softmax (subtract the row's "
    "largest score before exponentiating, so that nothing overflows).",
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
    hint="Row i may see keys 0..i: the diagonal and everything below it, a lower triangle of "
    "True (NumPy makes triangles of a matrix of ones); keep the dtype boolean.",
    solution=r"""def causal_mask(T):
    "A (T, T) boolean array: True where query i may attend to key j."
    return np.tril(np.ones((T, T), dtype=bool))
""",
)
def _causal(fn):
    for T in (4, 7, 1):  # T = 1 last: there a swapped mask and a lost diagonal look the same
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
        if T > 1 and np.array_equal(arr, ~want):
            raise Wrong(
                "True and False are swapped: here True means 'may attend', as in "
                "F.scaled_dot_product_attention (nn.MultiheadAttention's attn_mask uses the "
                "opposite convention)."
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
    hint="q·k adds up 64 independent products q_i k_i, each of mean 0 and variance 1 (the "
    "product of two independent unit variances). Variances of independent terms add; the "
    "standard deviation is the square root of the variance.",
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


def _positions(T: int, d: int) -> np.ndarray:
    pos = np.arange(T)[:, None]
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    out = np.zeros((T, d))
    out[:, 0::2], out[:, 1::2] = np.sin(pos * freq), np.cos(pos * freq)
    return out


@exercise(
    "attn-positions",
    "Write positional_encoding(T, d): PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(same).",
    hint="A column of positions t, shape (T, 1), divided by a row of 10000^(2i/d) for the even "
    "columns 2i = 0, 2, ..., d - 2, gives every angle at once, (T, d/2); the sines fill the "
    "even columns of a (T, d) array, the cosines the odd ones.",
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
            if np.allclose(arr, np.concatenate([want[:, 0::2], want[:, 1::2]], axis=1)):
                raise Wrong(
                    "the sines fill the first half of the columns and the cosines the second; "
                    "the formula interleaves them: sine in the even columns, cosine in the odd."
                )
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


# --- the transformer block, by hand (torch, float64, against the package's Block) -------

# (B, T, C, n_heads): every size changes, and the heads change at a fixed C, so that a
# function that ignores one of its arguments cannot pass
_BLOCK_SIZES = ((2, 5, 8, 2), (1, 6, 8, 4), (3, 4, 12, 3))


def _reference_block(C: int, n_heads: int, seed: int):
    """The package's Block in float64, with every scale and shift moved off 1 and 0."""
    import torch

    from dlhelpers.train.transformer import Block

    torch.manual_seed(seed)
    block = Block(C, n_heads, 4 * C).double()
    with torch.no_grad():
        for name, param in block.named_parameters():
            if name.startswith("norm") and name.endswith("weight"):
                param.normal_(1.0, 0.3)
            elif name.endswith("bias"):
                param.normal_(0.0, 0.3)
    return block


def _leaves(block) -> dict:
    """A fresh copy of the block's parameters for the learner's function, by their names."""
    return {n: q.detach().clone().requires_grad_(True) for n, q in block.named_parameters()}


def _as_output(got, shape: tuple[int, ...], name: str):
    """The learner's output as a tensor that gradients flow through, or :class:`Wrong`."""
    import torch

    if isinstance(got, np.ndarray):
        raise Wrong(
            f"{name} returns an ndarray; return the torch tensor itself (no .numpy()), so "
            "that gradients can flow back through it."
        )
    if not isinstance(got, torch.Tensor):
        raise Wrong(f"{name} returns {a_type(got)}; expected a torch tensor of shape {shape}.")
    if tuple(got.shape) != shape:
        raise Wrong(f"{name} returns shape {tuple(got.shape)}, expected {shape} (B, T, C).")
    if got.is_complex() or not got.is_floating_point():
        raise Wrong(f"{name} returns a tensor of {got.dtype}; expected real numbers.")
    if got.dtype != torch.float64:
        raise Wrong(
            f"{name} returns {got.dtype}; the check's inputs are float64: keep their dtype "
            "(a tensor made inside your function takes theirs with dtype=h.dtype)."
        )
    if got.grad_fn is None:
        raise Wrong(
            f"{name} returns a tensor cut off from its inputs (no grad_fn): drop the "
            ".detach() / torch.no_grad() / .item(), so that gradients flow back."
        )
    return got


def _closest(got, variants: dict) -> None:
    """Raise :class:`Wrong` with the hint of the first known mistake that ``got`` matches."""
    import torch

    for hint_text, value in variants.items():
        if torch.allclose(got, value, rtol=1e-6, atol=1e-9, equal_nan=True):
            raise Wrong(hint_text)


def _compare_with_grads(got, want, inputs: dict, want_grads: dict, what: str) -> None:
    """Outputs, then the gradients of a fixed random loss for every input, within round-off."""
    import torch

    compare_arrays(got.detach().numpy(), want.detach().numpy(), what=what, rtol=1e-7)
    g = torch.randn(want.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    names = list(want_grads)
    grads = torch.autograd.grad((got * g).sum(), [inputs[n] for n in names], allow_unused=True)
    for name, grad in zip(names, grads, strict=True):
        if grad is None:
            raise Wrong(f"{what} is right, but no gradient reaches {name}: is it used as given?")
        compare_arrays(
            grad.numpy(), want_grads[name], what=f"the gradient for {name} ({what})", rtol=1e-7
        )


def _attention(h, p, n_heads, *, scale="d_k", mask="before", heads=True, out_proj=True):
    """Causal self-attention as the package writes it, or with one typical mistake."""
    import torch
    import torch.nn.functional as F

    B, T, C = h.shape
    d_k = C // n_heads
    q, k, v = F.linear(h, p["attn.in_proj_weight"], p["attn.in_proj_bias"]).split(C, dim=-1)
    if heads:
        q, k, v = (a.reshape(B, T, n_heads, d_k).transpose(1, 2) for a in (q, k, v))
    else:  # the channels cut into heads in the wrong order: no transpose
        q, k, v = (a.reshape(B, n_heads, T, d_k) for a in (q, k, v))
    scores = q @ k.transpose(-2, -1)  # (B, nh, T, T)
    scores = scores / {"d_k": d_k**0.5, "C": C**0.5, None: 1.0}[scale]
    allowed = torch.ones(T, T, dtype=torch.bool).tril()
    if mask == "before":
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = scores.softmax(dim=-1)
    if mask == "after":
        weights = weights.masked_fill(~allowed, 0.0)
    y = weights @ v  # (B, nh, T, d_k)
    y = y.transpose(1, 2).reshape(B, T, C) if heads else y.reshape(B, T, C)
    return F.linear(y, p["attn.out_proj.weight"], p["attn.out_proj.bias"]) if out_proj else y


_ATTENTION_MISTAKES = {
    "the scores are not divided by sqrt(d_k): large scores saturate the softmax (section 3).": {
        "scale": None
    },
    "divide the scores by the square root of one head's width, d_k = C / n_heads, not of C.": {
        "scale": "C"
    },
    "the mask comes after the softmax: the weights left no longer add up to 1. Set the "
    "future's scores to -inf before the softmax, so that its weights come out 0.": {
        "mask": "after"
    },
    "every query sees the future: set the scores above the diagonal to -inf (section 4).": {
        "mask": None
    },
    "the heads are cut the wrong way: reshape to (B, T, n_heads, d_k) (each position's "
    "channels split in groups), then swap T and the heads, and back again at the end.": {
        "heads": False
    },
    "the heads side by side still go through the output projection, attn.out_proj.": {
        "out_proj": False
    },
}


def _attention_reference(block, h):
    """The block's attention of ``h`` with a causal mask, and the gradients of ``h`` and its weights."""
    import torch

    T = h.shape[1]
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # nn.MultiheadAttention: True blocks
    want, _ = block.attn(h, h, h, attn_mask=future, need_weights=False)
    g = torch.randn(want.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    params = {n: q for n, q in block.named_parameters() if n.startswith("attn.")}
    grads = torch.autograd.grad((want * g).sum(), [h, *params.values()])
    return want, {n: gr.numpy() for n, gr in zip(["h", *params], grads, strict=True)}


@exercise(
    "attn-self-attention",
    "Write causal_self_attention(h, p, n_heads): multi-head causal self-attention with the "
    "block's weights p, in torch.",
    hint="Section 5, step by step: one linear map with attn.in_proj_weight and in_proj_bias "
    "gives queries, keys and values side by side (cut the last axis in three); give every head "
    "its d_k = C / n_heads channels on an axis of its own, (B, n_heads, T, d_k); scores over "
    "sqrt(d_k); -inf above the diagonal before the softmax; weights times values; the heads "
    "back side by side, (B, T, C); then the output projection attn.out_proj.",
    solution=r"""def causal_self_attention(h, p, n_heads):
    "h: (B, T, C) -> (B, T, C), each position attending to itself and the past."
    B, T, C = h.shape
    d_k = C // n_heads
    qkv = F.linear(h, p["attn.in_proj_weight"], p["attn.in_proj_bias"])  # (B, T, 3C)
    q, k, v = qkv.split(C, dim=-1)  # (B, T, C) each
    q, k, v = (a.view(B, T, n_heads, d_k).transpose(1, 2) for a in (q, k, v))  # (B, nh, T, d_k)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (B, nh, T, T)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # above the diagonal
    weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    y = (weights @ v).transpose(1, 2).reshape(B, T, C)  # heads side by side again
    return F.linear(y, p["attn.out_proj.weight"], p["attn.out_proj.bias"])
""",
)
def _self_attention(fn):
    import torch

    for i, (B, T, C, n_heads) in enumerate(_BLOCK_SIZES):
        block = _reference_block(C, n_heads, seed=i)
        h = torch.randn(B, T, C, dtype=torch.float64, generator=torch.Generator().manual_seed(i))
        h.requires_grad_(True)
        want, want_grads = _attention_reference(block, h)
        p, h_in = _leaves(block), h.detach().clone().requires_grad_(True)
        got = _as_output(
            call_answer(fn, h_in, p, n_heads), (B, T, C), f"causal_self_attention(h, p, {n_heads})"
        )
        if torch.isnan(got).any():
            raise Wrong(
                "some query sees no key at all (its scores are all -inf, NaN after the softmax): "
                "-inf goes where a query may NOT look, above the diagonal; each sees itself."
            )
        if not torch.allclose(got, want, rtol=1e-7, atol=1e-10):
            with torch.no_grad():
                _closest(
                    got,
                    {t: _attention(h, p, n_heads, **kw) for t, kw in _ATTENTION_MISTAKES.items()},
                )
        _compare_with_grads(
            got,
            want,
            {"h": h_in, **p},
            want_grads,
            f"the output for h {tuple(h.shape)}, {n_heads} heads",
        )
    return (
        "your attention is torch's nn.MultiheadAttention with a causal mask: outputs and "
        "gradients agree in float64."
    )


def _block(x, p, n_heads, *, order="pre", attn_res=True, mlp_res=True, act="gelu", **kw):
    """The pre-norm block as the package computes it, or with one typical mistake."""
    import torch.nn.functional as F

    C = x.shape[-1]

    def norm(z, which):
        which = kw.get("norm2", which) if which == "norm2" else which
        w, b = (
            (p[f"{which}.weight"], p[f"{which}.bias"]) if kw.get("affine", True) else (None, None)
        )
        if kw.get("unbiased"):
            mean, var = z.mean(-1, keepdim=True), z.var(-1, keepdim=True, unbiased=True)
            out = (z - mean) / (var + 1e-5).sqrt()
            return out * w + b
        return F.layer_norm(z, (C,), w, b)

    def mlp(z):
        hidden = F.linear(z, p["mlp.0.weight"], p["mlp.0.bias"])
        hidden = F.gelu(hidden) if act == "gelu" else F.relu(hidden)
        return F.linear(hidden, p["mlp.2.weight"], p["mlp.2.bias"])

    if order == "post":  # the 2017 paper's order: normalise after the residual sum
        x = norm(x + _attention(x, p, n_heads), "norm1")
        return norm(x + mlp(x), "norm2")
    a = _attention(norm(x, "norm1"), p, n_heads)
    if order == "parallel":
        return x + a + mlp(norm(x, "norm2"))
    x = x + a if attn_res else a
    m = mlp(norm(x, "norm2"))
    return x + m if mlp_res else m


_BLOCK_MISTAKES = {
    "that is the post-norm block of the 2017 paper (normalise after adding). Pre-norm "
    "normalises a copy on the way in and adds the result to x untouched: x + attention(LN(x)).": {
        "order": "post"
    },
    "the attention's input is not added back: x = x + attention(LN1(x)), a residual "
    "connection, before the MLP step.": {"attn_res": False},
    "the MLP's result replaces x instead of being added to it: the block returns x + MLP(LN2(x)).": {
        "mlp_res": False
    },
    "the MLP reads the block's input; it should read x after the attention step was added to it.": {
        "order": "parallel"
    },
    "the MLP step has a layer norm of its own, with norm2's scale and shift.": {"norm2": "norm1"},
    "the layer norms lost their learned scale and shift (norm1.weight, norm1.bias, ...).": {
        "affine": False
    },
    "layer norm divides by C, the biased variance (unbiased=False), as torch's LayerNorm does.": {
        "unbiased": True
    },
    "the MLP's activation is GELU (F.gelu), as in the package's block, not ReLU.": {"act": "relu"},
}


@exercise(
    "attn-block",
    "Write transformer_block(x, p, n_heads): the pre-norm block x + attention(LN1(x)), then "
    "x + MLP(LN2(x)), with the block's weights p.",
    hint="Two steps, each one a residual: normalise a copy of x (layer norm with norm1's scale "
    "and shift), run the attention on that copy and add its result to x; then the same with "
    "norm2 and the MLP (mlp.0, GELU, mlp.2) on the new x. F.layer_norm, F.linear and F.gelu "
    "do the pieces.",
    solution=r"""def transformer_block(x, p, n_heads):
    "x: (B, T, C) -> (B, T, C): x + attention(LN1(x)), then x + MLP(LN2(x))."
    C = x.shape[-1]
    h = F.layer_norm(x, (C,), p["norm1.weight"], p["norm1.bias"])
    x = x + attention(h, p, n_heads)  # residual: the attention adds to x
    h = F.layer_norm(x, (C,), p["norm2.weight"], p["norm2.bias"])
    h = F.gelu(F.linear(h, p["mlp.0.weight"], p["mlp.0.bias"]))  # (B, T, 4C)
    return x + F.linear(h, p["mlp.2.weight"], p["mlp.2.bias"])  # residual again
""",
)
def _transformer_block(fn):
    import torch

    for i, (B, T, C, n_heads) in enumerate(_BLOCK_SIZES):
        block = _reference_block(C, n_heads, seed=10 + i)
        x = torch.randn(B, T, C, dtype=torch.float64, generator=torch.Generator().manual_seed(i))
        x.requires_grad_(True)
        want = block(x, torch.ones(T, T, dtype=torch.bool).triu(1))  # True: blocked
        g = torch.randn(want.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        names, params = ["x", *dict(block.named_parameters())], list(block.parameters())
        grads = torch.autograd.grad((want * g).sum(), [x, *params])
        want_grads = {n: gr.numpy() for n, gr in zip(names, grads, strict=True)}
        p, x_in = _leaves(block), x.detach().clone().requires_grad_(True)
        got = _as_output(
            call_answer(fn, x_in, p, n_heads), (B, T, C), f"transformer_block(x, p, {n_heads})"
        )
        if not torch.allclose(got, want, rtol=1e-7, atol=1e-10):
            with torch.no_grad():
                _closest(got, {t: _block(x, p, n_heads, **kw) for t, kw in _BLOCK_MISTAKES.items()})
        _compare_with_grads(
            got,
            want,
            {"x": x_in, **p},
            want_grads,
            f"the output for x {tuple(x.shape)}, {n_heads} heads",
        )
    return (
        "your block is the package's Block: outputs and the gradients of x and of all 12 "
        "weights agree in float64."
    )
