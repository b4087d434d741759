"""Multi-head attention in plain NumPy, forward and backward. Twin of ``torch.nn.MultiheadAttention``.

For notebook 09 ("09_transformers.ipynb"). The parameters carry torch's names
and shapes (``in_proj_weight`` (3E, E) stacks the query, key and value
projections; ``out_proj`` is a :class:`~dlhelpers.scratch.layers.Linear`, so its
weight is ``out_proj.weight``), so ``mha.load_state_dict(torch_mha.state_dict())``
copies weights across; each head runs
:func:`~dlhelpers.scratch.attention.scaled_dot_product_attention`.

::

    mha = MultiheadAttention(16, 4, batch_first=True)
    out, w = mha(x, x, x, attn_mask=causal)   # (B, T, 16), (B, T, T) averaged over heads
    dq, dk, dv = mha.backward(g)              # self-attention: dx = dq + dk + dv
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.attention import (
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from dlhelpers.scratch.layers import Linear
from dlhelpers.scratch.module import Module, Parameter, _cached, _check_grad_shape

__all__ = ["MultiheadAttention"]


def _additive(mask, name: str, shapes: dict[int, tuple[int, ...]]) -> np.ndarray:
    """torch's MHA convention: a boolean True **blocks** (becomes -inf); a float mask is added."""
    mask = np.asarray(mask)
    if mask.shape not in shapes.values():
        raise ValueError(
            f"{name} must have shape {' or '.join(map(str, shapes.values()))}, got shape {mask.shape}"
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
        if embed_dim < 1 or num_heads < 1 or embed_dim % num_heads:
            raise ValueError(
                f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        if dropout != 0:
            raise ValueError(f"dropout={dropout}: the NumPy reference supports only 0.0")
        self.embed_dim, self.num_heads = int(embed_dim), int(num_heads)
        self.head_dim, self.batch_first = self.embed_dim // self.num_heads, bool(batch_first)
        sampler = np.random if rng is None else rng
        E, bound = self.embed_dim, math.sqrt(6 / (4 * self.embed_dim))  # fan_in E + fan_out 3E
        self.in_proj_weight = Parameter(sampler.uniform(-bound, bound, (3 * E, E)).astype(dtype))
        self.in_proj_bias = Parameter(np.zeros(3 * E, dtype)) if bias else None
        self.out_proj = Linear(E, E, bias=bias, rng=rng, dtype=dtype)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _inputs(self, query, key, value):
        q, k, v = (np.asarray(a) for a in (query, key, value))
        q, k, v = (
            a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64) for a in (q, k, v)
        )
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
        (N, L, E), S, h = q.shape, k.shape[1], self.num_heads
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint.")
        causal = is_causal and key_padding_mask is None and not need_weights
        mask = None
        if attn_mask is not None and not causal:
            full = (N * h, L, S) if self._batched else (h, L, S)
            mask = _additive(attn_mask, "attn_mask", {2: (L, S), 3: full})
            mask = mask.reshape((N, h, L, S) if mask.ndim == 3 else (L, S))
        if key_padding_mask is not None:
            pad = _additive(
                key_padding_mask, "key_padding_mask", {1: (N, S) if self._batched else (S,)}
            )
            pad = pad.reshape(N, 1, 1, S)
            mask = pad if mask is None else mask + pad
        w, b = self.in_proj_weight.data, self.in_proj_bias
        projected = []
        for i, x in enumerate((q, k, v)):
            p = x @ w[i * E : (i + 1) * E].T  # (N, L or S, E)
            projected.append(self._heads(p + b.data[i * E : (i + 1) * E] if b is not None else p))
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
        q = _cached(self, "_q")
        k, v, projected, weights = self._k, self._v, self._projected, self._weights
        g = _check_grad_shape(self, grad_output, self._layout(q).shape)
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
