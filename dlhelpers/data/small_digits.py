"""scikit-learn's 8x8 digits, made to look like MNIST: a second data set for transfer (notebook 11).

The 1,797 images of ``sklearn.datasets.load_digits`` ship inside the
scikit-learn wheel, so they work offline. Each 8x8 image (grey levels 0..16)
is scaled to [0, 1], upsampled to a 20x20 box by separable *bilinear*
interpolation (two 1-D linear interpolations, the weights built with
``np.interp``) and padded with zeros to 28x28, centred the way MNIST centres
its 20x20 digits::

    from dlhelpers.data.small_digits import few_labels, load_small_digits, split_small_digits
    X, y = load_small_digits()                        # (1797, 1, 28, 28) float32, (1797,) int64
    pool, held_out = split_small_digits(X, y)         # 1,000 to label from, 797 to test on
    idx = few_labels(pool[1], per_class=5, seed=0)    # 50 indices, 5 of each digit

The digits were collected by E. Alpaydin and C. Kaynak (UCI, 1998).
"""

from __future__ import annotations

import numpy as np

from dlhelpers.validate import ArgumentTypeError, check_int

__all__ = ["few_labels", "load_small_digits", "split_small_digits", "upsample_matrix"]


def upsample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear-interpolation weights from ``n_in`` pixel centres to ``n_out``, shape (n_out, n_in).

    Output pixel ``o`` samples the input at ``(o + 0.5) * n_in / n_out - 0.5``
    (pixel centres line up, as in ``torch.nn.functional.interpolate`` with
    ``align_corners=False``), clamped to the edge pixels. Each row sums to 1;
    ``M @ img @ M.T`` is the bilinear upsampling of a square image.
    """
    n_in, n_out = check_int("n_in", n_in, low=1), check_int("n_out", n_out, low=1)
    where = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    eye = np.eye(n_in)
    return np.stack([np.interp(where, np.arange(n_in), eye[j]) for j in range(n_in)], axis=1)


def load_small_digits(*, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits, upsampled and padded to look like MNIST.

    Parameters
    ----------
    size : int, default 28
        Side of the output images. The digit fills a centred box of
        ``round(size * 20 / 28)`` pixels (20 of 28, like MNIST); at least 8.

    Returns
    -------
    X : ndarray of shape (1797, 1, size, size), float32
        Grey levels in [0, 1], NCHW as torch's convolutions expect.
    y : ndarray of shape (1797,), int64
        The digits, 0 to 9.
    """
    size = check_int("size", size, low=8)
    try:
        from sklearn.datasets import load_digits  # lazily: only this loader needs scikit-learn
    except ImportError:  # pragma: no cover - depends on the environment
        raise RuntimeError("the small digits need scikit-learn: pip install scikit-learn") from None
    digits = load_digits()
    images = digits.images / 16.0  # (1797, 8, 8), 0..16 -> 0..1
    box = max(8, round(size * 20 / 28))
    M = upsample_matrix(8, box)  # (box, 8)
    up = np.einsum("oi,nij,pj->nop", M, images, M)  # (1797, box, box)
    X = np.zeros((len(images), 1, size, size), dtype=np.float32)
    top = (size - box) // 2
    X[:, 0, top : top + box, top : top + box] = np.clip(up, 0.0, 1.0)
    return X, digits.target.astype(np.int64)


def split_small_digits(
    X: np.ndarray, y: np.ndarray, n_pool: int = 1000, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Shuffle and split into a pool to draw labels from and a held-out test set.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples,)
    n_pool : int, default 1000
        Samples in the pool, 1 to ``n_samples - 1``; the rest (797 of the
        1,797 digits) are held out.
    seed : int, default 0
        Seed of the shuffle.

    Returns
    -------
    (X_pool, y_pool), (X_held_out, y_held_out)
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, not {len(X)} and {len(y)}")
    n_pool = check_int("n_pool", n_pool, low=1)
    if n_pool >= len(X):
        raise ValueError(f"n_pool={n_pool} leaves nothing to hold out from {len(X)} samples")
    order = np.random.default_rng(check_int("seed", seed, low=0)).permutation(len(X))
    pool, rest = order[:n_pool], order[n_pool:]
    return (X[pool], y[pool]), (X[rest], y[rest])


def few_labels(y_pool: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of ``per_class`` examples of each class in ``y_pool``, drawn with ``seed``.

    The same seed draws nested sets: the 2 per class of ``per_class=2`` are
    among the 5 of ``per_class=5``, so a learning curve adds labels rather
    than redrawing them.

    Parameters
    ----------
    y_pool : ndarray of shape (n_samples,), int
    per_class : int
        At least 1 and at most the count of the rarest class.
    seed : int

    Returns
    -------
    ndarray of shape (n_classes * per_class,), int64
        Sorted indices into ``y_pool``.
    """
    y_pool = np.asarray(y_pool)
    if y_pool.ndim != 1 or len(y_pool) == 0:
        raise ValueError(
            f"y_pool must be a non-empty 1-D array of labels, not shape {y_pool.shape}"
        )
    if not np.issubdtype(y_pool.dtype, np.integer):  # NaN labels would each be a class
        raise ArgumentTypeError(f"y_pool holds {y_pool.dtype} values; give integer labels")
    per_class = check_int("per_class", per_class, low=1)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    classes, counts = np.unique(y_pool, return_counts=True)
    if per_class > counts.min():
        rare = classes[counts.argmin()]
        raise ValueError(
            f"per_class={per_class} is more than the pool holds of class {rare} ({counts.min()})"
        )
    picked = [rng.permutation(np.flatnonzero(y_pool == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(picked)).astype(np.int64)
