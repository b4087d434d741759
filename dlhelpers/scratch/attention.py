"""Scaled dot-product attention in plain NumPy, forward and backward.

The core of notebook 09 ("09_transformers.ipynb"): ``softmax(Q K^T / sqrt(E)) V``.
:func:`scaled_dot_product_attention` is the twin of
``torch.nn.functional.scaled_dot_product_attention`` (same arguments, masks and
shapes) that can also hand back the attention weights, and
:func:`scaled_dot_product_attention_backward` is what autograd does behind it.
:class:`~dlhelpers.scratch.multihead.MultiheadAttention` is built on both.

::

    out, w = scaled_dot_product_attention(q, k, v, is_causal=True, return_weights=True)
    dq, dk, dv = scaled_dot_product_attention_backward(g, q, k, v, w)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import softmax_backward

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_backward"]


def _float(x: ArrayLike) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


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
    """Softmax over the last axis; a row that is all ``-inf`` (nothing allowed) gives zeros, as torch's."""
    top = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0))  # exp(-inf) is a silent 0
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


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
    q, k, v = _float(query), _float(key), _float(value)
    lead = _check(q, k, v)
    if dropout_p != 0:
        raise ValueError(f"dropout_p={dropout_p}: the NumPy reference supports only 0.0")
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "scaled_dot_product_attention: an explicit attn_mask should not be set when is_causal=True"
        )
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale  # (..., L, S)
    if is_causal:
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is not None:
        mask = np.asarray(attn_mask)
        try:
            np.broadcast_shapes(mask.shape, lead + (L, S))
        except ValueError:
            raise ValueError(
                f"attn_mask of shape {mask.shape} does not broadcast to the scores' shape "
                f"{lead + (L, S)} (..., L, S)"
            ) from None
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
    q, k, v, w = _float(query), _float(key), _float(value), _float(weights)
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
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    dv = np.swapaxes(w, -1, -2) @ g  # (..., S, Ev)
    ds = softmax_backward(g @ np.swapaxes(v, -1, -2), w) * scale  # (..., L, S), scores' grad
    dq = ds @ k  # (..., L, E)
    dk = np.swapaxes(ds, -1, -2) @ q  # (..., S, E)
    return _unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape), _unbroadcast(dv, v.shape)
