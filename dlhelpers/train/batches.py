"""Arrays to tensors for :func:`~dlhelpers.train.fit` and :func:`~dlhelpers.train.evaluate`: dtypes kept, NaN refused, the validation split."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dlhelpers.validate import check_int, check_probability

__all__ = ["as_tensors", "check_finite_inputs", "model_dtype_device", "shuffle_split"]


def model_dtype_device(model: nn.Module) -> tuple[torch.dtype, torch.device]:
    """The dtype and device of ``model``'s first parameter (the defaults for a model without any)."""
    for p in model.parameters():
        return p.dtype, p.device
    return torch.get_default_dtype(), torch.device("cpu")


def _tensor(a, dtype: torch.dtype) -> torch.Tensor:
    """A tensor of ``a``: floats in ``dtype``, integers as they are (token ids, labels), bools refused."""
    t = a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))
    if t.dtype == torch.uint8:
        raise TypeError(
            "the data hold bytes (uint8, e.g. pixels 0..255): convert them to floats first "
            "(X.astype(np.float32) / 255), or to int64 if they are ids"
        )
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"the data hold {t.dtype} values: give real numbers or integer ids")
    return t.to(dtype) if t.is_floating_point() else t


def as_tensors(data, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` of arrays or tensors as tensors: floating ones in ``dtype``, integer ones kept.

    Integer inputs (token ids) and integer targets (class indices) keep their
    integer type, so an embedding gets ids and a cross-entropy gets labels;
    floating inputs and targets (pixels, regression targets) take the model's
    ``dtype``.

    Raises
    ------
    TypeError
        ``data`` is not a pair, or holds bytes (uint8), bools or complex numbers.
    ValueError
        ``X`` and ``y`` of different lengths, or no samples at all.
    """
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError("training and validation data must be (X, y) pairs") from None
    X, y = _tensor(X, dtype), _tensor(y, dtype)
    if X.ndim == 0 or y.ndim == 0 or len(X) != len(y):
        raise ValueError(
            f"X has shape {tuple(X.shape)} and y {tuple(y.shape)}: give one label per sample"
        )
    if len(X) == 0:
        raise ValueError("the data set is empty (0 samples): nothing to train on or evaluate")
    return X, y


def check_finite_inputs(name: str, X: torch.Tensor) -> None:
    """Refuse NaN or inf in ``X`` before training: one pass, one line saying how many and where.

    Integer tensors (token ids, labels) pass without a look.
    """
    if not X.is_floating_point() or torch.isfinite(X.sum()):
        return  # one pass, no copy: a NaN or inf makes the sum NaN or inf
    bad = ~torch.isfinite(X)
    if not bad.any():
        return  # finite values whose sum overflowed
    n_nan, n_inf = int(torch.isnan(X).sum()), int(torch.isinf(X).sum())
    row = int(bad.reshape(len(X), -1).any(dim=1).nonzero()[0, 0])
    what = " and ".join(
        f"{k} {label} value{'s' * (k != 1)}" for k, label in ((n_nan, "NaN"), (n_inf, "inf")) if k
    )
    raise ValueError(f"the {name} hold {what} (first at row {row}): clean the data first")


def shuffle_split(X, y, fraction: float, *, seed: int = 0):
    """Shuffle ``(X, y)`` with ``seed``, then hold out ``fraction`` of it: what
    ``fit(validation_split=...)`` does.

    Keras' ``validation_split`` takes the *last* fraction as it comes; on data
    sorted by class that holds out whole classes. Shuffling first avoids it.

    Parameters
    ----------
    X : ndarray or tensor of shape (n_samples, ...)
    y : ndarray or tensor of shape (n_samples,)
    fraction : float
        Between 0 and 1, e.g. 0.2.

    Returns
    -------
    (X_train, y_train), (X_val, y_val)
        Of the input's type; ``round(n_samples * fraction)`` samples held out.
    """
    fraction = check_probability("validation_split", fraction, open_ends=True)
    seed = check_int("seed", seed, low=0)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}: give one label per sample")
    n_val = int(round(len(X) * fraction))
    if n_val == 0 or n_val == len(X):
        raise ValueError(f"validation_split={fraction} leaves an empty split of {len(X)} samples")
    order = np.random.default_rng(seed).permutation(len(X))
    if isinstance(X, torch.Tensor):
        order = torch.from_numpy(order)
    val, train = order[:n_val], order[n_val:]
    return (X[train], y[train]), (X[val], y[val])
