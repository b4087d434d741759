"""Synthetic sequence tasks for notebook 09: reverse the digits, or sort them.

NumPy only. A transformer can solve both only by looking at the right
position, so its attention map shows how: for reversal, output position
``t`` reads input position ``T - 1 - t`` (the anti-diagonal). ::

    X, Y = make_reversal(2048, length=8, vocab=10, seed=0)   # (2048, 8) int64 each
    X[0], Y[0]   # array([8, 6, 5, 2, 3, 0, 0, 0]), array([0, 0, 0, 3, 2, 5, 6, 8])
"""

from __future__ import annotations

import numpy as np

from dlhelpers.validate import check_int

__all__ = ["make_reversal", "make_sorting"]


def _digits(n, length, vocab, seed) -> np.ndarray:
    n, length = check_int("n", n, low=1), check_int("length", length, low=1)
    vocab, seed = check_int("vocab", vocab, low=2), check_int("seed", seed, low=0, high=2**32 - 1)
    return np.random.default_rng(seed).integers(0, vocab, size=(n, length), dtype=np.int64)


def make_reversal(
    n: int, length: int = 8, vocab: int = 10, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random token sequences and the same sequences reversed.

    Parameters
    ----------
    n : int
        Number of sequences, >= 1.
    length : int, default 8
        ``T``, tokens per sequence, >= 1.
    vocab : int, default 10
        Tokens are drawn uniformly from ``0 .. vocab - 1`` (digits by default), >= 2.
    seed : int, default 0
        Seeds a private ``numpy.random.Generator``: the global state is untouched.

    Returns
    -------
    X : ndarray of shape (n, length), int64
    Y : ndarray of shape (n, length), int64
        ``Y[i, t] == X[i, length - 1 - t]``.

    Raises
    ------
    ValueError
        On a count, length, vocabulary size or seed that is not a whole number in range.
    """
    X = _digits(n, length, vocab, seed)
    return X, X[:, ::-1].copy()


def make_sorting(
    n: int, length: int = 8, vocab: int = 10, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random token sequences and the same sequences sorted (ascending).

    Arguments, checks and ``X`` are those of :func:`make_reversal` (the same
    ``seed`` gives the same ``X``); ``Y = np.sort(X, axis=1)``. Unlike
    reversal, the answer at a position depends on the *values* of all the
    tokens, not on one fixed position: its attention maps are less tidy.
    """
    X = _digits(n, length, vocab, seed)
    return X, np.sort(X, axis=1)
