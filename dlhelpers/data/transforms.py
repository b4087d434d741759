"""Image transforms for experiments on MNIST-like data (notebook 07's shifted digits)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.validate import check_int

__all__ = ["shift_images"]


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
