"""Evaluate a trained torch model and get its predictions, in batches (the Keras ``evaluate``/``predict`` pair)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from dlhelpers.train.batches import as_tensors, check_finite_inputs, model_dtype_device
from dlhelpers.train.metrics import metric_functions
from dlhelpers.validate import check_positive_int

__all__ = ["evaluate", "evaluate_tensors", "predict", "predict_proba"]


def evaluate(
    model: nn.Module,
    data,
    loss_fn: Callable,
    *,
    batch_size: int = 256,
    metrics: Sequence[str | Callable] | str | Callable = ("accuracy",),
) -> dict[str, float]:
    """Mean loss and metrics of ``model`` on ``data = (X, y)``; the twin of Keras' ``evaluate``.

    Runs in eval mode without gradients, in batches of ``batch_size``, and
    puts the model back in the mode it was in. ``X`` keeps its integer type
    (token ids) or takes the model's float dtype, as in :func:`fit`;
    ``metrics`` as in :func:`fit` (``"token_accuracy"`` for sequences).

    Raises
    ------
    ValueError
        On empty data, mismatched ``X``/``y`` lengths, NaN or inf in ``X``, or
        ``batch_size`` < 1.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}`` (one key per metric), Python floats.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    dtype, _ = model_dtype_device(model)
    X, y = as_tensors(data, dtype)  # refuses empty data: a loss of 0.0 would be a lie
    check_finite_inputs("inputs", X)
    return evaluate_tensors(model, X, y, loss_fn, batch_size, metric_functions(metrics))


def evaluate_tensors(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable,
    batch_size: int,
    metric_fns: dict[str, Callable],
) -> dict[str, float]:
    """What :func:`evaluate` computes, on tensors it has already checked (``fit`` validates with it).

    Parameters
    ----------
    X, y : Tensor of shape (n, ...), n >= 1
        As :func:`~dlhelpers.train.batches.as_tensors` returns them; each batch is moved
        to the model's device.
    metric_fns : dict of str to callable
        As :func:`~dlhelpers.train.metrics.metric_functions` returns it.
    """
    _, device = model_dtype_device(model)
    was_training = model.training
    model.eval()
    total, hits = 0.0, {name: [] for name in metric_fns}
    try:
        with torch.inference_mode():
            for i in range(0, len(X), batch_size):
                xb, yb = X[i : i + batch_size].to(device), y[i : i + batch_size].to(device)
                logits = model(xb)
                total += float(loss_fn(logits, yb)) * len(yb)
                for name, fn in metric_fns.items():
                    hits[name].append(fn(logits, yb))
    finally:
        model.train(was_training)
    n = len(X)
    return {"loss": total / n, **{k: float(sum(h)) / n for k, h in hits.items()}}


def _logits(model: nn.Module, X, batch_size: int, what: str) -> torch.Tensor:
    """The logits of ``X``, batch by batch, refused unless one row of class scores per sample."""
    batch_size = check_positive_int("batch_size", batch_size)
    dtype, device = model_dtype_device(model)
    X, _ = as_tensors((X, np.zeros(len(X))), dtype)
    check_finite_inputs("inputs", X)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = [
                model(X[i : i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)
            ]
    finally:
        model.train(was_training)
    logits = torch.cat(out)
    if logits.ndim != 2:
        raise ValueError(
            f"{what} reads logits (N, n_classes), not {tuple(logits.shape)}: for sequence "
            "logits take the argmax over the last axis of model(X) yourself"
        )
    return logits


def predict(model: nn.Module, X, *, batch_size: int = 256) -> np.ndarray:
    """Predicted class indices, ndarray of shape (n_samples,), int64: the argmax of the logits."""
    return _logits(model, X, batch_size, "predict").argmax(dim=1).numpy()


def predict_proba(model: nn.Module, X, *, batch_size: int = 256) -> np.ndarray:
    """Class probabilities, ndarray of shape (n_samples, n_classes): softmax of the logits.

    This is the softmax that Keras puts in the last layer and PyTorch leaves
    to the loss.
    """
    return torch.softmax(_logits(model, X, batch_size, "predict_proba"), dim=1).numpy()
