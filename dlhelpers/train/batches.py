"""Turning arrays into batches for :func:`~dlhelpers.train.fit` and :func:`~dlhelpers.train.evaluate`: tensors, splits, batch indices, metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["shuffle_split"]


def _model_dtype_device(model: nn.Module) -> tuple[torch.dtype, torch.device]:
    for p in model.parameters():
        return p.dtype, p.device
    return torch.get_default_dtype(), torch.device("cpu")


def _as_tensors(data, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` of arrays or tensors -> float tensor of ``dtype`` and int64 labels."""
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError("training and validation data must be (X, y) pairs") from None
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X)
    y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}: give one label per sample")
    if len(X) == 0:
        raise ValueError("the data set is empty (0 samples): nothing to train on or evaluate")
    return X.to(dtype), y.long()


def _check_finite(name: str, X: torch.Tensor) -> None:
    """Refuse NaN or inf in the data before training: one pass, one clear line."""
    if not X.is_floating_point():
        return
    bad = ~torch.isfinite(X)
    if not bad.any():
        return
    n_nan, n_inf = int(torch.isnan(X).sum()), int(torch.isinf(X).sum())
    row = int(bad.reshape(len(X), -1).any(dim=1).nonzero()[0, 0])
    what = " and ".join(
        f"{k} {label} value{'s' * (k != 1)}" for k, label in ((n_nan, "NaN"), (n_inf, "inf")) if k
    )
    raise ValueError(f"the {name} hold {what} (first at row {row}): clean the data first")


def _check_args(epochs, batch_size, validation_split) -> None:
    """One clear ValueError for each setting that would train on nothing or divide by zero."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if validation_split is not None and not (0.0 <= validation_split < 1.0):
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")


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
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be between 0 and 1, got {fraction}")
    n_val = int(round(len(X) * fraction))
    if n_val == 0 or n_val == len(X):
        raise ValueError(f"validation_split={fraction} leaves an empty split of {len(X)} samples")
    order = np.random.default_rng(seed).permutation(len(X))
    if isinstance(X, torch.Tensor):
        order = torch.from_numpy(order)
    val, train = order[:n_val], order[n_val:]
    return (X[train], y[train]), (X[val], y[val])


def _batches(n: int, batch_size: int, order: torch.Tensor | None) -> Iterable[torch.Tensor | slice]:
    for start in range(0, n, batch_size):
        yield (
            slice(start, start + batch_size) if order is None else order[start : start + batch_size]
        )


KNOWN_METRICS = ("accuracy",)


def _metric_fns(metrics: Sequence[str | Callable] | str | Callable) -> dict[str, Callable]:
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]  # one metric, not a sequence of characters
    fns: dict[str, Callable] = {}
    for metric in metrics or ():
        if metric == "accuracy":
            fns["accuracy"] = _accuracy_count
        elif callable(metric):
            fns[metric.__name__] = metric
        else:
            raise ValueError(
                f"unknown metric {metric!r}: known names are {list(KNOWN_METRICS)}, or pass a function "
                "(logits, y) -> number of hits in the batch"
            )
    return fns


def _accuracy_count(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # a tensor, not a float: the loop sums it and converts once per epoch
    return (logits.argmax(dim=1) == y).sum()
