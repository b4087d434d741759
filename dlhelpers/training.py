"""One training loop, :func:`fit`, with callbacks; plus :func:`evaluate` and :func:`predict`.

Taught in notebook 05 (the primer's Keras ``model.fit`` rebuilt in PyTorch)
and used from notebook 06 on. ``fit`` knows nothing about plotting or
printing progress: live curves, a progress bar and early stopping are
callbacks (:class:`LiveCurves`, :class:`ProgressBar`, :class:`EarlyStopping`,
defined in :mod:`dlhelpers.callbacks` and re-exported here) that see a
:class:`TrainState` at each step and may ask the loop to stop.

Two ways a run ends early without an exception, keeping the history and
the model as they were: the loss turns NaN or infinite (one printed line
says where, and suggests a lower learning rate), or a ``KeyboardInterrupt``
(the stop button in Jupyter) arrives while the loop runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from dlhelpers.callbacks import Callback, EarlyStopping, LiveCurves, ProgressBar, TrainState

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "LiveCurves",
    "ProgressBar",
    "TrainState",
    "evaluate",
    "fit",
    "predict",
    "predict_proba",
    "shuffle_split",
]


# --- history and state ----------------------------------------------------------


@dataclass
class History:
    """What :func:`fit` returns, in the spirit of Keras' ``History``.

    Attributes
    ----------
    history : dict of str to list of float
        Per completed epoch: ``"loss"`` and ``"accuracy"`` (averaged over the
        epoch's batches while training, as Keras reports them) and, with
        validation data, ``"val_loss"`` and ``"val_accuracy"``.
    epoch : list of int
        The completed epochs, counted from 1.
    batch_losses : list of float
        The loss of every training batch, in order (for curves finer than an
        epoch, and to see a divergence that never finished an epoch).
    stop_reason : str or None
        None if every epoch ran; otherwise one line saying why it stopped
        (loss became NaN, early stopping, interrupted).
    params : dict
        The settings of the run (epochs, batch size, sizes of the splits...).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epoch: list[int] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)
    stop_reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    model: nn.Module | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"History(epochs={len(self.epoch)}, keys={list(self.history)}, "
            f"stop_reason={self.stop_reason!r})"
        )

    def last(self, key: str) -> float:
        """The value of ``key`` after the last completed epoch."""
        return self.history[key][-1]


# --- data handling ----------------------------------------------------------------


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
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    return X.to(dtype), y.long()


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


def _metric_fns(metrics: Sequence[str | Callable]) -> dict[str, Callable]:
    fns: dict[str, Callable] = {}
    for metric in metrics:
        if metric == "accuracy":
            fns["accuracy"] = _accuracy_count
        elif callable(metric):
            fns[metric.__name__] = metric
        else:
            raise ValueError(
                f"unknown metric {metric!r}: use 'accuracy' or a function "
                "(logits, y) -> number of hits in the batch"
            )
    return fns


def _accuracy_count(logits: torch.Tensor, y: torch.Tensor) -> float:
    return float((logits.argmax(dim=1) == y).sum())


# --- the loop ---------------------------------------------------------------------


def fit(
    model: nn.Module,
    train,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable,
    batch_size: int = 32,
    val=None,
    validation_split: float | None = None,
    callbacks: Sequence[Callback] = (),
    shuffle: bool = True,
    seed: int = 0,
    device=None,
    metrics: Sequence[str | Callable] = ("accuracy",),
) -> History:
    """Train ``model`` on ``train`` for ``epochs`` epochs; the twin of Keras' ``model.fit``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch ``X[i:j]`` to logits of shape (batch, n_classes).
    train : (X, y)
        ``X`` : ndarray or tensor of shape (n_samples, ...), converted to the
        model's dtype (no scaling: do that before); ``y`` : ndarray or tensor
        of shape (n_samples,), class indices.
    epochs : int
        Passes over the training data.
    optimizer : torch.optim.Optimizer
        Built on ``model.parameters()``.
    loss_fn : callable
        ``loss_fn(logits, y) -> scalar tensor``, e.g. ``nn.CrossEntropyLoss()``
        (which applies the softmax itself: the model outputs logits).
    batch_size : int, default 32
        Keras' default.
    val : (X, y), optional
        Validation data, evaluated after every epoch.
    validation_split : float, optional
        Hold out this fraction of ``train`` for validation. Unlike Keras, which
        takes the *last* fraction as it comes, the samples are **shuffled first**
        (with ``seed``): on data sorted by class, Keras' way would hold out
        whole classes and never train on them. Not allowed together with ``val``.
    callbacks : sequence of Callback
        E.g. ``[LiveCurves(), ProgressBar(), EarlyStopping()]``.
    shuffle : bool, default True
        Reshuffle the training samples every epoch.
    seed : int, default 0
        Seeds the split and the shuffling: with the same seed, initial
        weights and thread count, two runs are identical.
    device : str or torch.device, optional
        Move the model there first; by default the model stays where it is
        and each batch is moved to it.
    metrics : sequence of str or callable, default ("accuracy",)
        ``"accuracy"``, or functions ``f(logits, y) -> number of hits`` in a
        batch (averaged over samples).

    Returns
    -------
    History
        ``history.history`` maps ``"loss"``, ``"accuracy"``, ``"val_loss"``,
        ``"val_accuracy"`` to one value per completed epoch;
        ``history.stop_reason`` says why training stopped early, if it did.
        If the loss becomes NaN or infinite, training stops, that line is
        printed, and no exception is raised; a ``KeyboardInterrupt`` stops it
        cleanly too. In both cases the history keeps the completed epochs and
        the model keeps its current weights.
    """
    if val is not None and validation_split is not None:
        raise ValueError("give either val or validation_split, not both")
    if device is not None:
        model.to(device)
    dtype, device = _model_dtype_device(model)
    X, y = _as_tensors(train, dtype)
    if validation_split is not None:
        (X, y), val = shuffle_split(X, y, validation_split, seed=seed)
    elif val is not None:
        val = _as_tensors(val, dtype)
    metric_fns = _metric_fns(metrics)
    n = len(X)
    history = History(
        model=model,
        params=dict(
            epochs=epochs,
            batch_size=batch_size,
            n_train=n,
            n_val=0 if val is None else len(val[0]),
            validation_split=validation_split,
            shuffle=shuffle,
            seed=seed,
        ),
    )
    keys = ["loss", *metric_fns]
    for key in keys + ([] if val is None else [f"val_{k}" for k in keys]):
        history.history[key] = []
    state = TrainState(
        model=model,
        optimizer=optimizer,
        history=history,
        epochs=epochs,
        batches=math.ceil(n / batch_size),
        n_train=n,
        n_val=history.params["n_val"],
    )
    generator = torch.Generator().manual_seed(seed)

    def call(hook: str) -> None:
        for callback in callbacks:
            getattr(callback, hook)(state)

    try:
        call("on_train_begin")
        for epoch in range(1, epochs + 1):
            state.epoch, state.batch, state.logs = epoch, 0, {}
            call("on_epoch_begin")
            model.train()
            order = torch.randperm(n, generator=generator) if shuffle else None
            total_loss, hits = 0.0, dict.fromkeys(metric_fns, 0.0)
            for index in _batches(n, batch_size, order):
                xb, yb = X[index].to(device), y[index].to(device)
                logits = model(xb)
                loss = loss_fn(logits, yb)
                value = loss.item()
                state.batch += 1
                if not math.isfinite(value):
                    state.stop(
                        f"loss became {value} at epoch {epoch}, batch {state.batch}: "
                        "lower the learning rate"
                    )
                    print(history.stop_reason)
                    break
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                state.batch_loss = value
                history.batch_losses.append(value)
                total_loss += value * len(yb)
                with torch.no_grad():
                    for name, fn in metric_fns.items():
                        hits[name] += fn(logits, yb)
                call("on_batch_end")
                if state.stop_training:
                    break
            if state.batch < state.batches:  # stopped inside the epoch: do not record it
                break
            logs = {"loss": total_loss / n, **{name: h / n for name, h in hits.items()}}
            if val is not None:
                scores = evaluate(
                    model, val, loss_fn, batch_size=max(batch_size, 256), metrics=metrics
                )
                logs.update({f"val_{k}": v for k, v in scores.items()})
            for key, value in logs.items():
                history.history[key].append(value)
            history.epoch.append(epoch)
            state.logs = logs
            call("on_epoch_end")
            if state.stop_training:
                break
    except KeyboardInterrupt:
        done = len(history.epoch)
        state.stop(
            f"interrupted at epoch {state.epoch}, batch {state.batch}: "
            f"kept the model and the history of {done} completed epoch{'s' * (done != 1)}"
        )
        print(history.stop_reason)
    finally:
        model.eval()
    call("on_train_end")
    return history


# --- evaluation -------------------------------------------------------------------


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

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}`` (one key per metric), Python floats.
    """
    dtype, device = _model_dtype_device(model)
    X, y = _as_tensors(data, dtype)
    metric_fns = _metric_fns(metrics)
    was_training = model.training
    model.eval()
    total, hits = 0.0, dict.fromkeys(metric_fns, 0.0)
    with torch.no_grad():
        for index in _batches(len(X), batch_size, None):
            xb, yb = X[index].to(device), y[index].to(device)
            logits = model(xb)
            total += float(loss_fn(logits, yb)) * len(yb)
            for name, fn in metric_fns.items():
                hits[name] += fn(logits, yb)
    model.train(was_training)
    n = max(len(X), 1)
    return {"loss": total / n, **{name: h / n for name, h in hits.items()}}


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
