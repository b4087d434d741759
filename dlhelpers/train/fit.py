"""One training loop, :func:`fit`, with callbacks; plus :func:`evaluate` and :func:`predict`.

Taught in notebook 05 (the primer's Keras ``model.fit`` rebuilt in PyTorch)
and used from notebook 06 on. ``fit`` knows nothing about plotting or
printing progress: live curves, a progress bar and early stopping are
callbacks (:class:`LiveCurves`, :class:`ProgressBar`, :class:`EarlyStopping`,
defined in :mod:`dlhelpers.callbacks` and re-exported here) that see a
:class:`TrainState` at each step and may ask the loop to stop.

Two ways a run ends early without an exception, keeping the history: the
loss turns NaN or infinite or grows 1000x (one printed line says where,
suggests a lower learning rate, and says which good weights it put back), or
a ``KeyboardInterrupt`` (the stop button in Jupyter) arrives while the loop
runs. Any other error propagates with the history attached (``err.history``)
after every callback's ``on_train_end`` ran.

Speed: one permuted copy of the data per epoch and contiguous slices of it
(no per-batch gather), batch losses read back every ``check_every`` batches,
``zero_grad(set_to_none=True)``, validation under ``inference_mode``, and
only the hooks a callback overrides are called.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from dlhelpers.train.batches import (
    _as_tensors,
    _check_args,
    _check_finite,
    _metric_fns,
    _model_dtype_device,
    shuffle_split,
)
from dlhelpers.train.callback import Callback, TrainState
from dlhelpers.train.evaluate import evaluate
from dlhelpers.train.guards import _end, _hooks, _restore, _snapshot
from dlhelpers.train.history import History

__all__ = ["fit"]


GROWTH = 1000.0  # a loss this many times its first value means divergence


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
    metrics: Sequence[str | Callable] | str | Callable = ("accuracy",),
    check_every: int = 50,
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
    metrics : str, callable, or sequence of them, default ("accuracy",)
        ``"accuracy"``, or functions ``f(logits, y) -> number of hits`` in a
        batch (averaged over samples).

    Returns
    -------
    History
        ``history.history`` maps ``"loss"``, ``"accuracy"``, ``"val_loss"``,
        ``"val_accuracy"`` to one value per completed epoch;
        ``history.stop_reason`` says why training stopped early, if it did.
        If the loss becomes NaN or infinite, or grows 1000x over the first
        batch's loss (a learning rate far too high), training **stops**, the
        weights of the last good epoch are put back (the best epoch of an
        :class:`EarlyStopping` with ``restore_best``, else the last epoch whose
        loss was finite; epoch 0 means the initial weights), one line says
        so, and no exception is raised. The loss is read every
        ``check_every`` batches (one sync, not one per batch), so the batches
        in between may have stepped on a NaN: the restore undoes them.
        A ``KeyboardInterrupt`` stops it cleanly too, keeping the current weights.

    Raises
    ------
    ValueError
        On ``epochs`` < 0 or not an integer, ``batch_size`` <= 0,
        ``validation_split`` outside [0, 1), empty data, ``X``/``y`` of
        different lengths, or NaN/inf in the inputs (checked once, first).
    Exception
        Any other error (e.g. in a callback) propagates after every
        callback's ``on_train_end`` has run (so a progress bar closes); the
        history so far rides on it: ``except Exception as err: err.history``.
    """
    if val is not None and validation_split is not None:
        raise ValueError("give either val or validation_split, not both")
    _check_args(epochs, batch_size, validation_split)
    if device is not None:
        model.to(device)
    dtype, device = _model_dtype_device(model)
    X, y = _as_tensors(train, dtype)
    _check_finite("training inputs", X)
    if validation_split:
        (X, y), val = shuffle_split(X, y, validation_split, seed=seed)
    elif val is not None:
        val = _as_tensors(val, dtype)
        _check_finite("validation inputs", val[0])
    metric_fns = _metric_fns(metrics)
    X, y = X.to(device), y.to(device)  # once, not per batch
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
    hooks = {
        h: _hooks(callbacks, h)
        for h in ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end")
    }
    good, good_epoch = _snapshot(model), 0
    pending: list[torch.Tensor] = []  # batch losses not yet read back
    start_loss = None

    def flush() -> str | None:
        """Read the pending losses in one go; say why to stop if one is bad."""
        nonlocal start_loss
        if not pending:
            return None
        values = torch.stack(pending).tolist()
        first_batch = state.batch - len(values) + 1
        pending.clear()
        for i, value in enumerate(values):
            where = f"at epoch {state.epoch}, batch {first_batch + i}"
            if not math.isfinite(value):
                return f"loss became {value} {where}: lower the learning rate"
            if start_loss is None:
                start_loss = value
            elif start_loss > 0 and value > GROWTH * start_loss:
                return (
                    f"loss grew from {start_loss:.3g} to {value:.3g} (x{GROWTH:.0f}) {where}: "
                    "the learning rate is probably too high"
                )
            history.batch_losses.append(value)
        state.batch_loss = values[-1]
        return None

    error = None
    try:
        for hook in hooks["on_train_begin"]:
            hook(state)
        for epoch in range(1, epochs + 1):
            state.epoch, state.batch, state.logs = epoch, 0, {}
            for hook in hooks["on_epoch_begin"]:
                hook(state)
            model.train()
            if shuffle:  # one gather per epoch, then contiguous slices (views)
                order = torch.randperm(n, generator=generator).to(device)
                Xe, ye = X[order], y[order]
            else:
                Xe, ye = X, y
            hits = dict.fromkeys(metric_fns, 0.0)
            bad = None
            for begin in range(0, n, batch_size):
                xb, yb = Xe[begin : begin + batch_size], ye[begin : begin + batch_size]
                logits = model(xb)
                loss = loss_fn(logits, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                pending.append(loss.detach())
                with torch.no_grad():
                    for name, fn in metric_fns.items():
                        hits[name] += fn(logits, yb)
                state.batch += 1
                if state.batch % check_every == 0 and (bad := flush()):
                    break
                for hook in hooks["on_batch_end"]:
                    hook(state)
                if state.stop_training:
                    break
            bad = bad or flush()
            if bad:
                state.stop(f"{bad}; {_restore(model, callbacks, good, good_epoch)}")
                print(history.stop_reason)
                break
            if state.batch < state.batches:  # stopped inside the epoch: do not record it
                break
            losses = history.batch_losses[-state.batches :]
            sizes = [batch_size] * (state.batches - 1) + [n - batch_size * (state.batches - 1)]
            total = sum(v * k for v, k in zip(losses, sizes, strict=True))
            logs = {"loss": total / n, **{k: float(h) / n for k, h in hits.items()}}
            if val is not None:
                scores = evaluate(
                    model, val, loss_fn, batch_size=max(batch_size, 256), metrics=metrics
                )
                logs.update({f"val_{k}": v for k, v in scores.items()})
            for key, value in logs.items():
                history.history[key].append(value)
            history.epoch.append(epoch)
            if math.isfinite(logs["loss"]):
                good, good_epoch = _snapshot(model), epoch
            state.logs = logs
            for hook in hooks["on_epoch_end"]:
                hook(state)
            if state.stop_training:
                break
    except KeyboardInterrupt:
        flush()
        done = len(history.epoch)
        state.stop(
            f"interrupted at epoch {state.epoch}, batch {state.batch}: "
            f"kept the model and the history of {done} completed epoch{'s' * (done != 1)}"
        )
        print(history.stop_reason)
    except Exception as err:  # noqa: BLE001 - re-raised below, with the history
        error = err
    finally:
        model.eval()
    end_error = _end(callbacks, state)  # always: every bar closes, every figure gets drawn
    error = error or end_error
    if error is not None:
        error.history = history
        error.add_note("fit: the history so far is in this exception's .history")
        raise error
    return history
