"""Photographs that ship inside scikit-image's wheel: no network, ever (notebook 07).

::

    from dlhelpers.data.images import load_photo
    image = load_photo("camera", size=128)   # (128, 128) float64 grey levels in [0, 1]

The photos and their credits (from ``skimage.data``'s own documentation):

- ``camera``: a photographer with a camera, by Lav Varshney (CC0), 512 x 512 grey;
- ``astronaut``: Eileen Collins, NASA (public domain, NASA Great Images), 512 x 512 colour;
- ``chelsea``: Stéfan van der Walt's cat Chelsea (CC0), 300 x 451 colour;
- ``coins``: Greek coins from Pompeii, Brooklyn Museum (no known copyright restrictions), 303 x 384 grey.
"""

from __future__ import annotations

import importlib

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.validate import ArgumentTypeError, check_choice, check_positive_int

__all__ = ["PHOTOS", "grey_levels", "load_photo"]

#: Photo name -> one-line credit.
PHOTOS: dict[str, str] = {
    "camera": "'camera' by Lav Varshney (CC0), from scikit-image",
    "astronaut": "astronaut Eileen Collins, NASA (public domain), from scikit-image",
    "chelsea": "Chelsea the cat, Stefan van der Walt (CC0), from scikit-image",
    "coins": "Greek coins from Pompeii, Brooklyn Museum (no known copyright restrictions), from scikit-image",
}


def grey_levels(image: ArrayLike) -> np.ndarray:
    """Pixels as float64 grey levels in [0, 1], by one rule for each dtype.

    ``uint8`` bytes are divided by 255; floats must already lie in [0, 1]
    and are kept as they are (dividing them by 255 again would silently
    darken the picture to black); anything else is refused.

    Parameters
    ----------
    image : array_like of shape (H, W) or (H, W, C), uint8 or float

    Returns
    -------
    ndarray of image's shape, float64 in [0, 1]

    Raises
    ------
    ArgumentTypeError
        Another dtype (int32, bool, text).
    ValueError
        Floats outside [0, 1], or NaN.
    """
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image.astype(np.float64) / 255
    if not np.issubdtype(image.dtype, np.floating):
        raise ArgumentTypeError(
            f"image of dtype {image.dtype}: give uint8 bytes (0..255) or floats in [0, 1]"
        )
    if image.size and not (np.all(image >= 0) and np.all(image <= 1)):  # NaN fails both
        raise ValueError(
            "image holds floats outside [0, 1] (or NaN); give uint8 bytes or floats in [0, 1]"
        )
    return image.astype(np.float64)


def load_photo(name: str = "camera", *, size: int | None = None) -> np.ndarray:
    """A grey-level photograph from scikit-image, optionally shrunk.

    Parameters
    ----------
    name : {"camera", "astronaut", "chelsea", "coins"}
    size : int, optional
        Shrink by averaging blocks of pixels so that the shorter side is about
        ``size`` (never enlarged); ``None`` keeps the full photo.

    Returns
    -------
    ndarray of shape (H, W), float64
        Grey levels from 0 (black) to 1 (white); colour photos are converted
        with the ITU-R 601 luma weights (0.299 R + 0.587 G + 0.114 B).
    """
    name = check_choice("name", name, PHOTOS)
    size = None if size is None else check_positive_int("size", size)
    try:
        skdata = importlib.import_module("skimage.data")
    except ImportError as error:  # pragma: no cover - scikit-image is a dependency
        raise ImportError("the photos ship with scikit-image: pip install scikit-image") from error
    image = grey_levels(getattr(skdata, name)())
    if image.ndim == 3:
        image = image[..., :3] @ np.array([0.299, 0.587, 0.114])  # (H, W)
    if size is not None:
        factor = max(1, min(image.shape) // size)
        h, w = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
        image = image[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    return image
