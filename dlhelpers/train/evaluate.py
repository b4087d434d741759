"""Evaluate a trained torch model and get its predictions, in batches (the Keras ``evaluate``/``predict`` pair)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from dlhelpers.train.batches import (
    _as_tensors,
    _batches,
    _check_args,
    _metric_fns,
    _model_dtype_device,
)

__all__ = ["evaluate", "predict", "predict_proba"]


def evaluate(
    model: nn.Module,
    data,
    loss_fn: Callable,
    *,
    batch_size: int = 256,
    metrics: Sequence[str | Callable] = ("accuracy",),
) -> dict[str, float]:
    """Mean loss and metrics of ``model`` on ``data = (X, y)``; the twin of Keras' ``evaluate``.

    Runs in eval mode without gradients, in batches of ``batch_size``, and
    puts the model back in the mode it was in.

    Raises
    ------
    ValueError
        On empty data, mismatched ``X``/``y`` lengths or ``batch_size <= 0``.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}`` (one key per metric), Python floats.
    """
    _check_args(0, batch_size, None)
    dtype, device = _model_dtype_device(model)
    X, y = _as_tensors(data, dtype)  # refuses empty data: a loss of 0.0 would be a lie
    metric_fns = _metric_fns(metrics)
    was_training = model.training
    model.eval()
    total, hits = 0.0, dict.fromkeys(metric_fns, 0.0)
    with torch.inference_mode():
        for index in _batches(len(X), batch_size, None):
            xb, yb = X[index].to(device), y[index].to(device)
            logits = model(xb)
            total += float(loss_fn(logits, yb)) * len(yb)
            for name, fn in metric_fns.items():
                hits[name] += fn(logits, yb)
    model.train(was_training)
    n = len(X)
    return {"loss": total / n, **{name: float(h) / n for name, h in hits.items()}}


def _logits(model: nn.Module, X, batch_size: int) -> torch.Tensor:
    dtype, device = _model_dtype_device(model)
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).to(dtype)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = [model(X[i : i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    model.train(was_training)
    return torch.cat(out) if out else torch.empty(0)


def predict(model: nn.Module, X, *, batch_size: int = 256) -> np.ndarray:
    """Predicted class indices, ndarray of shape (n_samples,), int64: the argmax of the logits."""
    return _logits(model, X, batch_size).argmax(dim=1).numpy()


def predict_proba(model: nn.Module, X, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities, ndarray of shape (n_samples, n_classes): softmax of the logits.

    This is the softmax that Keras puts in the last layer and PyTorch leaves
    to the loss.
    """
    return torch.softmax(_logits(model, X, batch_size), dim=1).numpy()
