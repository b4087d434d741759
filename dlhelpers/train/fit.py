"""One training loop, :func:`fit`, with callbacks; the twin of Keras' ``model.fit``.

Taught in notebook 05 (the primer's Keras ``model.fit`` rebuilt in PyTorch)
and used from notebook 06 on. ``fit`` knows nothing about plotting or
printing progress: live curves, a progress bar and early stopping are
callbacks (:mod:`dlhelpers.train.callbacks`) that see a
:class:`~dlhelpers.train.callbacks.TrainState` at each step and may ask the
loop to stop. It knows the task from the data: inputs keep their type (token
ids stay integers, pixels take the model's float dtype), and the metrics are
pluggable (``"accuracy"`` for classes, ``"token_accuracy"`` for sequences, or
any function). ``validation_split`` shuffles before it splits (with ``seed``):
Keras takes the last part as it comes, which on data sorted by class holds
out whole classes.

Two ways a run ends early without an exception, keeping the history: the
loss turns NaN or infinite or grows 1000x (one printed line says where,
suggests a lower learning rate, and says which good weights were put back:
:class:`~dlhelpers.train.guards.DivergenceGuard`), or a ``KeyboardInterrupt``
(the stop button in Jupyter) arrives while the loop runs. Any other error
propagates with the history attached (``err.history``) after every
callback's ``on_train_end`` ran.

Speed, to stay within a few per cent of a hand-written loop: batches are
slices of one permutation per epoch (a gather of 32 rows stays in cache; a
permuted copy of the whole data set per epoch does not), batch losses and
metric counts stay tensors until the guard reads them (every ``check_every``
batches) or the epoch ends, ``zero_grad(set_to_none=True)``, validation under
``inference_mode`` on data checked once, and only the hooks a callback
overrides are called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from dlhelpers.train.batches import (
    as_tensors,
    check_finite_inputs,
    model_dtype_device,
    shuffle_split,
)
from dlhelpers.train.callbacks import Callback, CallbackList, TrainState
from dlhelpers.train.evaluate import evaluate_tensors
from dlhelpers.train.guards import DivergenceGuard
from dlhelpers.train.history import History
from dlhelpers.train.metrics import metric_functions
from dlhelpers.validate import check_int, check_positive_int

__all__ = ["fit"]


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
    """Train ``model`` on ``train = (X, y)`` for ``epochs`` epochs; the twin of Keras' ``model.fit``.

    Parameters
    ----------
    model, train : nn.Module, (X, y)
        ``model(X[i:j])`` gives logits. ``X``: floats (converted to the model's dtype, not
        scaled) or integer token ids (kept); ``y``: class indices or ids, or float targets.
    epochs, batch_size, check_every : int, at least 1
        Batch losses are read back every ``check_every`` batches (one read, not one per batch).
    optimizer, loss_fn : torch.optim.Optimizer, callable ``loss_fn(logits, y) -> scalar``
    val, validation_split : (X, y), or float in (0, 1), optional (not both)
        Validation after every epoch; the split is **shuffled** with ``seed`` (unlike Keras).
    callbacks, metrics : sequence of Callback, of names or functions ``f(logits, y) -> hits``
        Metric names: ``"accuracy"`` (logits (B, C), labels (B,)), ``"token_accuracy"``
        (logits (B, T, V), targets (B, T)); see :data:`~dlhelpers.train.metrics.METRICS`.
    shuffle, seed, device : bool, int, device, optional
        Reshuffle every epoch; seeds the split and the shuffling; move the model there first.

    Returns
    -------
    History
        The loss and each metric (and ``val_`` twins) per completed epoch. A loss turning
        NaN/inf or 1000x stops training, puts back the last good weights (or a callback's,
        :meth:`~dlhelpers.train.callbacks.Callback.on_divergence`) and says so in one line
        (``history.stop_reason``), as Ctrl-C does. Bad settings or data raise first; other
        errors propagate after every ``on_train_end``, with ``err.history``.
    """
    settings = _settings(epochs, batch_size, check_every, seed, shuffle, validation_split)
    data = _data(model.to(device) if device is not None else model, train, val, settings)
    run = _Run(model, optimizer, loss_fn, data, metric_functions(metrics), settings)
    hooks, error = CallbackList(callbacks), None
    try:
        hooks("on_train_begin", run.state)
        for epoch in range(1, settings["epochs"] + 1):
            if not run.epoch(epoch, hooks) or run.state.stop_training:
                break
    except KeyboardInterrupt:
        run.interrupted()
    except Exception as err:  # noqa: BLE001 - re-raised by finish, with the history
        error = err
    finally:
        model.eval()
    return run.finish(hooks, error)


def _settings(epochs, batch_size, check_every, seed, shuffle, validation_split) -> dict:
    """The run's settings, checked (NumPy scalars accepted), as ``history.params`` keeps them."""
    return dict(
        epochs=check_positive_int("epochs", epochs),
        batch_size=check_positive_int("batch_size", batch_size),
        check_every=check_positive_int("check_every", check_every),
        seed=check_int("seed", seed, low=0),
        shuffle=bool(shuffle),
        validation_split=validation_split,
    )


def _data(model: nn.Module, train, val, settings: dict):
    """The training and validation tensors, checked once, the training ones on the model's device."""
    validation_split, seed = settings["validation_split"], settings["seed"]
    dtype, device = model_dtype_device(model)
    X, y = as_tensors(train, dtype)
    check_finite_inputs("training inputs", X)
    check_finite_inputs("training targets", y)
    if validation_split is not None and val is not None:
        raise ValueError("give either val or validation_split, not both")
    if validation_split is not None:
        (X, y), val = shuffle_split(X, y, validation_split, seed=seed)
    elif val is not None:
        val = as_tensors(val, dtype)
        check_finite_inputs("validation inputs", val[0])
        check_finite_inputs("validation targets", val[1])
    return (X.to(device), y.to(device)), val


def _total(counts: list) -> float:
    """The sum of a metric's per-batch counts: one stack for tensors, not one addition per batch."""
    if counts and isinstance(counts[0], torch.Tensor):
        return float(torch.stack(counts).sum())
    return float(sum(counts))


class _Run:
    """One call of :func:`fit`: the data, the state the callbacks see, the epoch runner."""

    def __init__(self, model, optimizer, loss_fn, data, metric_fns, settings):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        ((self.X, self.y), self.val), self.metric_fns = data, metric_fns
        self.batch_size, self.shuffle = settings["batch_size"], settings["shuffle"]
        self.check_every = settings["check_every"]
        n, n_val = len(self.X), 0 if self.val is None else len(self.val[0])
        self.history = History(model=model, params=dict(settings, n_train=n, n_val=n_val))
        keys = ["loss", *metric_fns]
        for key in keys + ([] if self.val is None else [f"val_{k}" for k in keys]):
            self.history.history[key] = []
        self.state = TrainState(
            model=model,
            optimizer=optimizer,
            history=self.history,
            epochs=settings["epochs"],
            batches=-(-n // self.batch_size),
            n_train=n,
            n_val=n_val,
        )
        self.generator = torch.Generator().manual_seed(settings["seed"])
        self.guard = DivergenceGuard(model, self.history.batch_losses)

    def epoch(self, epoch: int, hooks: CallbackList) -> bool:
        """Train one epoch, validate, log it; False when training stopped inside it."""
        state = self.state
        state.epoch, state.batch, state.logs = epoch, 0, {}
        hooks("on_epoch_begin", state)
        hits, bad = self.train_batches(hooks)
        bad = bad or self.read_losses()
        if bad:
            self.diverged(bad, hooks)
            return False
        if state.batch < state.batches:  # a callback stopped it inside the epoch: not recorded
            return False
        state.logs = self.epoch_logs(hits)
        for key, value in state.logs.items():
            self.history.history[key].append(value)
        self.history.epoch.append(epoch)
        self.guard.keep(epoch)  # the epoch's losses were all finite: good weights
        hooks("on_epoch_end", state)
        return True

    def train_batches(self, hooks: CallbackList) -> tuple[dict[str, list], str | None]:
        """One pass of optimizer steps; the metric counts (tensors) and why to stop, if the loss diverged."""
        model, optimizer, loss_fn, state = self.model, self.optimizer, self.loss_fn, self.state
        X, y, size, n, pending = self.X, self.y, self.batch_size, len(self.X), self.guard.pending
        hits: dict[str, list] = {name: [] for name in self.metric_fns}
        metrics = [(hits[name].append, fn) for name, fn in self.metric_fns.items()]
        batch_end, check_every = hooks.hooks["on_batch_end"], self.check_every
        order = torch.randperm(n, generator=self.generator).to(X.device) if self.shuffle else None
        model.train()
        for begin in range(0, n, size):
            if order is None:
                xb, yb = X[begin : begin + size], y[begin : begin + size]
            else:  # a gather of one batch stays in cache
                index = order[begin : begin + size]
                xb, yb = X[index], y[index]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            pending.append(loss.detach())
            out = logits.detach()
            for keep, fn in metrics:
                keep(fn(out, yb))
            state.batch += 1
            if state.batch % check_every == 0 and (bad := self.read_losses()):
                return hits, bad
            for method in batch_end:
                method(state)
            if state.stop_training:
                break
        return hits, None

    def read_losses(self) -> str | None:
        """Read the pending batch losses (one read); why to stop if one diverged."""
        bad = self.guard.read(self.state.epoch, self.state.batch)
        if self.history.batch_losses:
            self.state.batch_loss = self.history.batch_losses[-1]
        return bad

    def epoch_logs(self, hits: dict[str, list]) -> dict[str, float]:
        """The epoch's mean loss and metrics (sample-weighted), then the validation's."""
        n, size, batches = len(self.X), self.batch_size, self.state.batches
        losses = self.history.batch_losses[-batches:]
        total = sum(losses[:-1]) * size + losses[-1] * (n - size * (batches - 1))
        logs = {"loss": total / n, **{k: _total(h) / n for k, h in hits.items()}}
        if self.val is not None:
            size = max(size, 256)
            scores = evaluate_tensors(self.model, *self.val, self.loss_fn, size, self.metric_fns)
            logs.update({f"val_{k}": v for k, v in scores.items()})
        return logs

    def diverged(self, reason: str, hooks: CallbackList) -> None:
        """Put back the last good weights, let callbacks put back better ones, say so in one line."""
        self.state.restored = self.guard.restore()
        hooks("on_divergence", self.state)
        self.state.stop(f"{reason}; restored {self.state.restored}")
        print(self.history.stop_reason)

    def interrupted(self) -> None:
        """Ctrl-C or Jupyter's stop button: keep the model and the completed epochs."""
        self.read_losses()
        done, state = len(self.history.epoch), self.state
        state.stop(
            f"interrupted at epoch {state.epoch}, batch {state.batch}: "
            f"kept the model and the history of {done} completed epoch{'s' * (done != 1)}"
        )
        print(self.history.stop_reason)

    def finish(self, hooks: CallbackList, error: Exception | None) -> History:
        """Run every ``on_train_end`` (a bar closes even after an error); the history, or the error with it."""
        end_error = hooks.end(self.state)
        error = error or end_error
        if error is not None:
            error.history = self.history
            error.add_note("fit: the history so far is in this exception's .history")
            raise error
        return self.history
