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
from collections.abc import Callable, Sequence

import torch
from torch import nn

from dlhelpers.train.batches import (
    _as_tensors,
    _batches,
    _metric_fns,
    _model_dtype_device,
    shuffle_split,
)
from dlhelpers.train.callback import Callback, TrainState
from dlhelpers.train.evaluate import evaluate
from dlhelpers.train.history import History

__all__ = ["fit"]


# --- history and state ----------------------------------------------------------


# --- data handling ----------------------------------------------------------------


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
