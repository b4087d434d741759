"""Attention in plain NumPy, forward and backward: the function and the multi-head layer (notebook 09).

The core of ``09_transformers.ipynb``: ``softmax(Q K^T / sqrt(E)) V``.
:func:`scaled_dot_product_attention` is the twin of
``torch.nn.functional.scaled_dot_product_attention`` (same arguments, masks and
shapes) that can also hand back the attention weights, and
:func:`scaled_dot_product_attention_backward` is what autograd does behind it.
:class:`MultiheadAttention`, the twin of ``torch.nn.MultiheadAttention``, runs
every head through both; its parameters carry torch's names and shapes
(``in_proj_weight`` (3E, E) stacks the query, key and value projections;
``out_proj`` is a :class:`~dlhelpers.scratch.layers.Linear`), so
``mha.load_state_dict(torch_mha.state_dict())`` copies weights across.

Bad input is answered as torch answers it: a NaN in a query or key gives NaN
in the rows it reaches (never a number); a mask that is neither boolean nor
floating is refused; attention over zero keys gives zeros (and zero
gradients), an empty batch gives an empty output.

::

    out, w = scaled_dot_product_attention(q, k, v, is_causal=True, return_weights=True)
    dq, dk, dv = scaled_dot_product_attention_backward(g, q, k, v, w)

    mha = MultiheadAttention(16, 4, batch_first=True)
    out, w = mha(x, x, x, attn_mask=causal)   # (B, T, 16), (B, T, T) averaged over heads
    dq, dk, dv = mha.backward(g)              # self-attention: dx = dq + dk + dv
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import as_floating, softmax_backward
from dlhelpers.scratch.layers import Linear, Module, Parameter
from dlhelpers.validate import ArgumentTypeError, check_number, check_positive_int

__all__ = [
    "MultiheadAttention",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
]


def _check(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> tuple[int, ...]:
    """Shapes (..., L, E), (..., S, E), (..., S, Ev) with broadcastable leading dims."""
    ok = min(q.ndim, k.ndim, v.ndim) >= 2 and q.shape[-1] == k.shape[-1]
    ok = ok and k.shape[-2] == v.shape[-2]
    try:
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2]) if ok else ()
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            "scaled_dot_product_attention expected query (..., L, E), key (..., S, E) and "
            f"value (..., S, Ev), got query {q.shape}, key {k.shape}, value {v.shape}"
        )
    return lead


def _safe_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, as torch's: a row that is all ``-inf`` (nothing allowed)
    gives zeros, and a row holding a NaN gives NaN (never a number)."""
    if scores.shape[-1] == 0:  # attention over zero keys: no weights, a zero output
        return scores.copy()
    top = np.max(scores, axis=-1, keepdims=True)
    blocked = np.isneginf(top)  # NaN is not -inf: its row stays NaN
    e = np.exp(scores - np.where(blocked, 0, top))  # exp(-inf) is a silent 0
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=~blocked)


def _score_mask(attn_mask: ArrayLike, scores_shape: tuple[int, ...]) -> np.ndarray:
    """``attn_mask`` as an ndarray that broadcasts to the scores, boolean or floating.

    An integer mask is refused, as torch refuses it: adding 0/1 to the scores
    would silently do nothing like masking.
    """
    mask = np.asarray(attn_mask)
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.floating):
        raise ArgumentTypeError(
            f"attn_mask of dtype {mask.dtype} is neither boolean (True: attend) nor floating "
            "(added to the scores); give mask.astype(bool) or an additive float mask"
        )
    try:
        np.broadcast_shapes(mask.shape, scores_shape)
    except ValueError:
        raise ValueError(
            f"attn_mask of shape {mask.shape} does not broadcast to the scores' shape "
            f"{scores_shape} (..., L, S)"
        ) from None
    return mask


def scaled_dot_product_attention(
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    attn_mask: ArrayLike | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    return_weights: bool = False,
):
    """``softmax(query key^T * scale + mask) value``. Twin of ``torch.nn.functional.scaled_dot_product_attention``.

    Parameters
    ----------
    query : array_like of shape (..., L, E)
    key : array_like of shape (..., S, E)
    value : array_like of shape (..., S, Ev)
        Leading dimensions broadcast, e.g. (B, heads, ...).
    attn_mask : array_like broadcastable to (..., L, S), optional
        Boolean: **True means the position takes part** (torch's F.sdpa
        convention; ``nn.MultiheadAttention`` uses the opposite). Float: added
        to the scores (``-inf`` blocks). A query row with nothing allowed gets
        all-zero weights, as in torch.
    dropout_p : float, default 0.0
        Only 0 is supported (the reference code is deterministic).
    is_causal : bool, default False
        Query ``i`` sees keys ``0..i`` (the lower triangle of an (L, S) mask,
        top-left aligned as in torch). Giving ``attn_mask`` too raises a
        RuntimeError, as torch does.
    scale : float, optional
        Default ``1 / sqrt(E)``.
    return_weights : bool, default False
        Also return the attention weights (torch's function does not).

    Returns
    -------
    output : ndarray of shape (..., L, Ev)
    weights : ndarray of shape (..., L, S), only with ``return_weights=True``
        Rows sum to 1 (or 0 where nothing was allowed).
    """
    q, k, v = as_floating(query), as_floating(key), as_floating(value)
    lead = _check(q, k, v)
    if check_number("dropout_p", dropout_p, low=0, high=1) != 0:
        raise ValueError(f"dropout_p={dropout_p}: the NumPy reference supports only 0.0")
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "scaled_dot_product_attention: an explicit attn_mask should not be set when is_causal=True"
        )
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else check_number("scale", scale)
    scores = q @ np.swapaxes(k, -1, -2) * scale  # (..., L, S)
    if is_causal:
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is not None:
        mask = _score_mask(attn_mask, lead + (L, S))
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    weights = _safe_softmax(scores)  # (..., L, S)
    output = weights @ v  # (..., L, Ev)
    return (output, weights) if return_weights else output


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the gradient of an input that was broadcast."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def scaled_dot_product_attention_backward(
    grad_output: ArrayLike,
    query: ArrayLike,
    key: ArrayLike,
    value: ArrayLike,
    weights: ArrayLike,
    scale: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`scaled_dot_product_attention` for its three inputs.

    What torch's autograd computes behind ``F.scaled_dot_product_attention``.
    The mask needs no argument: where it blocked, ``weights`` is 0, and so is
    the gradient that flows there.

    Parameters
    ----------
    grad_output : array_like of shape (..., L, Ev)
        ``dL/doutput``.
    query, key, value : array_like
        The forward's inputs, shapes (..., L, E), (..., S, E), (..., S, Ev).
    weights : array_like of shape (..., L, S)
        The forward's weights (``return_weights=True``).
    scale : float, optional
        The forward's ``scale``; default ``1 / sqrt(E)``.

    Returns
    -------
    dq : ndarray of query's shape
    dk : ndarray of key's shape
    dv : ndarray of value's shape
    """
    q, k, v, w = as_floating(query), as_floating(key), as_floating(value), as_floating(weights)
    lead = _check(q, k, v)
    L, S, Ev = q.shape[-2], k.shape[-2], v.shape[-1]
    if w.shape[-2:] != (L, S):
        raise ValueError(f"weights of shape {w.shape} do not end in (L, S) = {(L, S)}")
    g = np.asarray(grad_output)
    if g.shape != np.broadcast_shapes(w.shape[:-2], lead) + (L, Ev):
        raise ValueError(
            f"grad_output of shape {g.shape} does not match the output's shape "
            f"{np.broadcast_shapes(w.shape[:-2], lead) + (L, Ev)}"
        )
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else check_number("scale", scale)
    dv = np.swapaxes(w, -1, -2) @ g  # (..., S, Ev)
    ds = softmax_backward(g @ np.swapaxes(v, -1, -2), w) * scale  # (..., L, S), scores' grad
    dq = ds @ k  # (..., L, E)
    dk = np.swapaxes(ds, -1, -2) @ q  # (..., S, E)
    return _unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape), _unbroadcast(dv, v.shape)


def _additive(mask, name: str, shapes: dict[int, tuple[int, ...]]) -> np.ndarray:
    """torch's MHA convention: a boolean True **blocks** (becomes -inf); a float mask is added."""
    mask = np.asarray(mask)
    if mask.shape not in shapes.values():
        raise ValueError(
            f"{name} must have shape {' or '.join(map(str, shapes.values()))}, got shape {mask.shape}"
        )
    if mask.dtype != bool and not np.issubdtype(mask.dtype, np.floating):
        raise ArgumentTypeError(
            f"{name} of dtype {mask.dtype}: only boolean (True: blocked) and floating (added) "
            "masks are supported, as in torch"
        )
    if mask.dtype == bool:
        return np.where(mask, -np.inf, 0.0)
    return mask.astype(np.float64) if not np.issubdtype(mask.dtype, np.floating) else mask


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of size ``embed_dim // num_heads``. Twin of ``torch.nn.MultiheadAttention``.

    Parameters
    ----------
    embed_dim : int
        E, the size of queries, keys, values and the output.
    num_heads : int
        Must divide ``embed_dim``.
    dropout : float, default 0.0
        Only 0 is supported.
    bias : bool, default True
    batch_first : bool, default False
        Inputs and output are (N, L, E) instead of torch's default (L, N, E).
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator.
    dtype : numpy dtype, default float64

    Attributes
    ----------
    in_proj_weight : Parameter of shape (3E, E)
        Rows ``[0:E]`` project queries, ``[E:2E]`` keys, ``[2E:3E]`` values;
        Xavier-uniform as in torch.
    in_proj_bias : Parameter of shape (3E,), or None
        Zeros at first, as in torch.
    out_proj : Linear(E, E)
        Its bias starts at zero, as in torch.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        *,
        batch_first: bool = False,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        self.embed_dim = check_positive_int("embed_dim", embed_dim)
        self.num_heads = check_positive_int("num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        if check_number("dropout", dropout, low=0, high=1) != 0:
            raise ValueError(f"dropout={dropout}: the NumPy reference supports only 0.0")
        self.head_dim, self.batch_first = self.embed_dim // self.num_heads, bool(batch_first)
        sampler = np.random if rng is None else rng
        E, bound = self.embed_dim, math.sqrt(6 / (4 * self.embed_dim))  # fan_in E + fan_out 3E
        self.in_proj_weight = Parameter(sampler.uniform(-bound, bound, (3 * E, E)).astype(dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype)) if bias else None
        self.out_proj = Linear(E, E, bias=bias, rng=rng, dtype=dtype)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _inputs(self, query, key, value):
        q, k, v = (as_floating(a) for a in (query, key, value))
        E, nd = self.embed_dim, q.ndim
        ok = (
            nd in (2, 3)
            and k.ndim == v.ndim == nd
            and q.shape[-1] == k.shape[-1] == v.shape[-1] == E
        )
        if ok and nd == 3:
            n_axis = 0 if self.batch_first else 1
            ok = q.shape[n_axis] == k.shape[n_axis] == v.shape[n_axis] and k.shape == v.shape
        if not ok or k.shape != v.shape:
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(
                f"{self!r} expected query {layout} (or (L, E) unbatched) and key, value of one "
                f"shape with the same N and E = {E}, got query {q.shape}, key {k.shape}, value {v.shape}"
            )
        self._batched = nd == 3
        if not self._batched:
            return q[None], k[None], v[None]  # (1, L, E)
        return (q, k, v) if self.batch_first else tuple(a.transpose(1, 0, 2) for a in (q, k, v))

    def _heads(self, x: np.ndarray) -> np.ndarray:
        N, L, _ = x.shape
        return x.reshape(N, L, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)  # (N, h, L, d)

    def _merge(self, x: np.ndarray) -> np.ndarray:
        N, _, L, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, L, self.embed_dim)  # (N, L, E)

    def _layout(self, x: np.ndarray) -> np.ndarray:
        if not self._batched:
            return x[0]
        return x if self.batch_first else x.transpose(1, 0, 2)

    def _mask(self, q_shape, S: int, attn_mask, key_padding_mask) -> np.ndarray | None:
        """The additive mask (N, h, L, S), (L, S) or (N, 1, 1, S) of both of torch's masks."""
        (N, L, _), h = q_shape, self.num_heads
        mask = None
        if attn_mask is not None:
            full = (N * h, L, S) if self._batched else (h, L, S)
            mask = _additive(attn_mask, "attn_mask", {2: (L, S), 3: full})
            mask = mask.reshape((N, h, L, S) if mask.ndim == 3 else (L, S))
        if key_padding_mask is not None:
            pad = _additive(
                key_padding_mask, "key_padding_mask", {1: (N, S) if self._batched else (S,)}
            )
            pad = pad.reshape(N, 1, 1, S)
            mask = pad if mask is None else mask + pad
        return mask

    def _project(self, q, k, v) -> list[np.ndarray]:
        """Queries, keys and values through ``in_proj``, split into heads (N, h, L or S, d)."""
        E, w, b = self.embed_dim, self.in_proj_weight.data, self.in_proj_bias
        projected = []
        for i, x in enumerate((q, k, v)):
            p = x @ w[i * E : (i + 1) * E].T  # (N, L or S, E)
            projected.append(self._heads(p + b.data[i * E : (i + 1) * E] if b is not None else p))
        return projected

    def forward(
        self,
        query: ArrayLike,
        key: ArrayLike,
        value: ArrayLike,
        key_padding_mask: ArrayLike | None = None,
        need_weights: bool = True,
        attn_mask: ArrayLike | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """Attend from each query to the keys; torch's argument order and mask conventions.

        Parameters
        ----------
        query : array_like of shape (L, N, E), (N, L, E) if ``batch_first``, or (L, E)
        key, value : array_like of shape (S, N, E), (N, S, E) if ``batch_first``, or (S, E)
        key_padding_mask : array_like of shape (N, S) ((S,) unbatched), optional
            Boolean **True means ignore this key** (padding); a float mask is added.
        need_weights : bool, default True
            Return the attention weights too (else None in their place).
        attn_mask : array_like of shape (L, S) or (N * num_heads, L, S), optional
            ``(num_heads, L, S)`` unbatched. Boolean **True means NOT allowed**,
            the opposite of ``F.scaled_dot_product_attention``; a float mask is
            added. Mirrors torch exactly. A query that may see nothing gets
            zero weights here where torch's weights path gives NaN.
        average_attn_weights : bool, default True
            Average the weights over heads.
        is_causal : bool, default False
            torch's hint that ``attn_mask`` is the causal mask: it needs
            ``attn_mask`` (else a RuntimeError), and, as in torch, is used in its
            place when ``need_weights`` is False and there is no ``key_padding_mask``.

        Returns
        -------
        output : ndarray of query's shape, (L, N, E) by default
        weights : ndarray of shape (N, L, S), (N, num_heads, L, S) if not averaged, or None
            Without N when unbatched.
        """
        q, k, v = self._inputs(query, key, value)  # (N, L, E), (N, S, E), (N, S, E)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
        causal = is_causal and key_padding_mask is None and not need_weights
        mask = self._mask(q.shape, k.shape[1], None if causal else attn_mask, key_padding_mask)
        projected = self._project(q, k, v)
        heads, weights = scaled_dot_product_attention(
            *projected, mask, is_causal=causal, return_weights=True
        )
        self._q, self._k, self._v, self._projected, self._weights = q, k, v, projected, weights
        output = self._layout(self.out_proj(self._merge(heads)))  # (N, L, E) -> input layout
        if not need_weights:
            return output, None
        weights = weights.mean(axis=1) if average_attn_weights else weights  # (N, L, S)
        return output, weights if self._batched else weights[0]

    def backward(self, grad_output: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Accumulate every ``p.grad``; return the gradients of query, key and value.

        Parameters
        ----------
        grad_output : array_like of the output's shape
            ``dL/doutput`` (the weights get no gradient).

        Returns
        -------
        dquery, dkey, dvalue : ndarray of the shapes of query, key, value
            Always a tuple: for self-attention (``query is key is value``) the
            input's gradient is their sum.
        """
        q = self.saved("_q")
        k, v, projected, weights = self._k, self._v, self._projected, self._weights
        g = self.check_grad_output(grad_output, self._layout(q).shape)
        g = g[None] if not self._batched else g if self.batch_first else g.transpose(1, 0, 2)
        grad_heads = self._heads(self.out_proj.backward(g))  # (N, h, L, d)
        grads = scaled_dot_product_attention_backward(grad_heads, *projected, weights)
        E, w = self.embed_dim, self.in_proj_weight.data
        d_w, d_b, d_in = [], [], []
        for i, (x, dp) in enumerate(zip((q, k, v), grads, strict=True)):
            dp = self._merge(dp).reshape(-1, E)  # (N * L, E), the projection's output grad
            d_w.append(dp.T @ x.reshape(-1, E))  # (E, E)
            d_b.append(dp.sum(axis=0))
            d_in.append(self._layout((dp @ w[i * E : (i + 1) * E]).reshape(x.shape)))
        self.in_proj_weight.accumulate(np.concatenate(d_w))  # (3E, E)
        if self.in_proj_bias is not None:
            self.in_proj_bias.accumulate(np.concatenate(d_b))
        return tuple(d_in)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"
