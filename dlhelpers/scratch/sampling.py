"""Decoding rules on one next-token distribution, in NumPy (notebook 15's explorer).

:func:`decoding_probs` turns logits ``(V,)`` into the distribution a decoder draws from:
greedy (all the mass on the argmax), temperature (``softmax(z / T)``), top-k (the ``k``
likeliest tokens, renormalised) and top-p (:func:`top_p_probs`, the nucleus). Their torch
twins are :func:`dlhelpers.train.decoding.top_k_filter` and
:func:`dlhelpers.train.decoding.top_p_filter`, which cut logits instead of probabilities.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.validate import check_choice, check_finite_array, check_number, check_positive_int

__all__ = ["METHODS", "decoding_probs", "softmax", "top_k_probs", "top_p_probs"]

METHODS = ("greedy", "temperature", "top-k", "top-p")


def softmax(logits: ArrayLike, temperature: float = 1.0) -> np.ndarray:
    """``softmax(logits / temperature)`` over the last axis, stably (the largest logit first subtracted)."""
    temperature = check_number("temperature", temperature, low=0, low_open=True)
    z = check_finite_array("logits", logits)
    z = (z - z.max(axis=-1, keepdims=True)) / temperature
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _probs(probs: ArrayLike) -> np.ndarray:
    p = check_finite_array("probs", probs)
    if p.ndim != 1 or (p < 0).any() or not np.isclose(p.sum(), 1.0):
        raise ValueError(
            "probs must be a 1-D probability distribution (non-negative, summing to 1)"
        )
    return p


def top_k_probs(probs: ArrayLike, k: int) -> np.ndarray:
    """``probs`` (V,) with all but the ``k`` likeliest set to 0 (ties with the k-th kept), renormalised."""
    p, k = _probs(probs), check_positive_int("k", k)
    if k >= p.size:
        return p.copy()
    kth = np.sort(p)[::-1][k - 1]
    kept = np.where(p >= kth, p, 0.0)
    return kept / kept.sum()


def top_p_probs(probs: ArrayLike, p: float) -> np.ndarray:
    """The nucleus: the smallest set of likeliest tokens holding at least ``p`` of ``probs``, renormalised.

    Tokens are taken from the likeliest down until their mass reaches ``p``; a token tied with
    the last one taken is taken too; the rest get 0. ``p = 1`` keeps every token.

    Parameters
    ----------
    probs : array_like of shape (V,)
        A probability distribution.
    p : float
        In (0, 1].

    Returns
    -------
    ndarray of shape (V,), summing to 1
    """
    q = _probs(probs)
    p = check_number("p", p, low=0, low_open=True, high=1)
    ranked = np.sort(q)[::-1]
    before = np.cumsum(ranked) - ranked  # the mass of the tokens ranked above each one
    smallest = ranked[before < p - 1e-12].min()
    kept = np.where(q >= smallest, q, 0.0)
    return kept / kept.sum()


def decoding_probs(
    logits: ArrayLike,
    method: str,
    *,
    temperature: float = 1.0,
    top_k: int = 10,
    top_p: float = 0.9,
) -> np.ndarray:
    """The distribution (V,) that ``method`` draws the next token from.

    ``"greedy"``: 1 on the argmax; ``"temperature"``: ``softmax(logits / temperature)``;
    ``"top-k"`` and ``"top-p"``: that softmax, cut by :func:`top_k_probs` or
    :func:`top_p_probs` and renormalised.
    """
    method = check_choice("method", method, METHODS)
    z = check_finite_array("logits", logits)
    if z.ndim != 1:
        raise ValueError(f"logits must have shape (V,), got shape {z.shape}")
    if method == "greedy":
        out = np.zeros_like(z)
        out[np.argmax(z)] = 1.0
        return out
    probs = softmax(z, temperature)
    if method == "top-k":
        return top_k_probs(probs, top_k)
    if method == "top-p":
        return top_p_probs(probs, top_p)
    return probs
