"""Image transforms for experiments on MNIST-like data (notebook 07's shifted digits and augmentation)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from dlhelpers.validate import check_int, check_seed

__all__ = ["random_shifts", "shift_images"]


def shift_images(images: ArrayLike, dx: int = 0, dy: int = 0) -> np.ndarray:
    """Move every image ``dx`` pixels right and ``dy`` pixels down, filling with zeros.

    What leaves the frame is lost (an MNIST digit has a blank border of about
    4 pixels, so shifts up to 4 keep the whole digit). Negative values move
    left and up.

    Parameters
    ----------
    images : array_like of shape (..., H, W)
        The last two dimensions are rows and columns (NCHW and (N, H, W) both work).
    dx, dy : int
        Shift in pixels, each smaller than the image in its direction.

    Returns
    -------
    ndarray of the shape and dtype of ``images``
    """
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(
            f"shift_images needs images of shape (..., H, W), got shape {images.shape}"
        )
    h, w = images.shape[-2:]
    dx, dy = check_int("dx", dx), check_int("dy", dy)
    for name, value, limit in (("dx", dx, w), ("dy", dy, h)):
        if abs(value) >= limit:
            raise ValueError(
                f"{name}={value} would move images of shape {images.shape} out of the frame"
            )
    out = np.zeros_like(images)
    rows_to, rows_from = (
        (slice(dy, h), slice(0, h - dy)) if dy >= 0 else (slice(0, h + dy), slice(-dy, h))
    )
    cols_to, cols_from = (
        (slice(dx, w), slice(0, w - dx)) if dx >= 0 else (slice(0, w + dx), slice(-dx, w))
    )
    out[..., rows_to, cols_to] = images[..., rows_from, cols_from]
    return out


def random_shifts(images: ArrayLike, max_shift: int, *, seed: int | None = 0) -> np.ndarray:
    """Move each image by its own random ``(dx, dy)``, each drawn uniformly from ``-max_shift..max_shift``.

    Data augmentation by translation: image ``i`` becomes
    ``shift_images(images[i], dx_i, dy_i)`` (zeros fill what comes in).

    Parameters
    ----------
    images : array_like of shape (N, ..., H, W)
        The first dimension counts the images (NCHW and (N, H, W) both work).
    max_shift : int
        At least 0 and smaller than H and W.
    seed : int or None
        Seeds the draws; None draws fresh ones.

    Returns
    -------
    ndarray of the shape and dtype of ``images``
    """
    images = np.asarray(images)
    if images.ndim < 3:
        raise ValueError(
            f"random_shifts needs images of shape (N, ..., H, W), got shape {images.shape}"
        )
    n, (h, w) = len(images), images.shape[-2:]
    k = check_int("max_shift", max_shift, low=0, high=min(h, w) - 1)
    rng = np.random.default_rng(check_seed("seed", seed))
    dx, dy = rng.integers(-k, k + 1, size=(2, n))
    flat = images.reshape(n, -1, h, w)  # (N, C, H, W)
    padded = np.pad(flat, ((0, 0), (0, 0), (k, k), (k, k)))
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))  # (N, C, 2k+1, 2k+1, H, W)
    # out[..., y, x] = images[..., y - dy, x - dx]: the window that starts at (k - dy, k - dx)
    out = windows[np.arange(n), :, k - dy, k - dx]  # (N, C, H, W)
    return out.reshape(images.shape)
