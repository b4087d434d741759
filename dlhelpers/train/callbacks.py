"""Callbacks of :func:`dlhelpers.train.fit`: the state they see, the hooks, and the standard ones.

A callback sees a :class:`TrainState` at each step of the loop and may ask it
to stop. Live curves (:class:`LiveCurves`), a progress bar
(:class:`ProgressBar`) and early stopping (:class:`EarlyStopping`) are all
callbacks, so the loop itself knows nothing about plotting or printing, nor
about which callback keeps which weights: when the loss diverges the loop puts
back the last good weights and then calls every callback's
:meth:`Callback.on_divergence`, where one that keeps better weights (an
:class:`EarlyStopping` with ``restore_best``) puts them back itself.
:class:`CallbackList` calls only the hooks a callback overrides, so a
callback that does nothing per batch costs nothing per batch. Taught in
notebook 05.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from dlhelpers.train.history import History
from dlhelpers.validate import check_choice, check_int, check_number

__all__ = [
    "HOOKS",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "LiveCurves",
    "ProgressBar",
    "TrainState",
]


@dataclass
class TrainState:
    """What a callback sees: the model, where the loop is, and the logs so far.

    ``epoch`` and ``batch`` count from 1. ``batch_loss`` is the latest loss
    read back from the model: ``fit`` reads losses every ``check_every``
    batches (one read, not one per batch), so it and
    ``history.batch_losses`` may lag the running batch by that many; ``logs``
    holds the metrics of the epoch that just ended (in ``on_epoch_end``).
    ``restored`` says which weights the model holds after a divergence (set by
    the loop, then by any callback that puts back weights of its own). A
    callback ends training after the current step with :meth:`stop`.
    """

    model: nn.Module
    optimizer: torch.optim.Optimizer
    history: History
    epochs: int
    batches: int
    n_train: int
    n_val: int
    epoch: int = 0
    batch: int = 0
    batch_loss: float = float("nan")
    logs: dict[str, float] = field(default_factory=dict)
    stop_training: bool = False
    restored: str = ""

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step, with a one-line ``reason``."""
        self.stop_training = True
        if self.history.stop_reason is None:
            self.history.stop_reason = reason


class Callback:
    """Base class: override the hooks you need; each receives the :class:`TrainState`.

    ``on_divergence`` runs when the loss turned NaN, infinite or 1000x its
    first value: the loop has already put back the last good weights (and says
    which in ``state.restored``); a callback that keeps weights it prefers puts
    them back here and updates ``state.restored``.
    """

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_epoch_begin(self, state: TrainState) -> None: ...

    def on_batch_end(self, state: TrainState) -> None: ...

    def on_epoch_end(self, state: TrainState) -> None: ...

    def on_divergence(self, state: TrainState) -> None: ...

    def on_train_end(self, state: TrainState) -> None: ...


#: The hooks of :class:`Callback`, in the order a run calls them.
HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_batch_end",
    "on_epoch_end",
    "on_divergence",
    "on_train_end",
)


class CallbackList:
    """Calls one hook on every callback that overrides it; a no-op hook costs nothing per batch.

    Attributes
    ----------
    hooks : dict of str to list of callables
        For each name of :data:`HOOKS`, the bound methods that override :class:`Callback`'s.
    """

    def __init__(self, callbacks: Sequence[Callback]):
        self.hooks: dict[str, list[Callable]] = {}
        for hook in HOOKS:
            base = getattr(Callback, hook)
            self.hooks[hook] = [
                getattr(cb, hook) for cb in callbacks if getattr(type(cb), hook, base) is not base
            ]

    def __call__(self, hook: str, state: TrainState) -> None:
        """Run ``hook`` of every callback that has one, in order."""
        for method in self.hooks[hook]:
            method(state)

    def end(self, state: TrainState) -> BaseException | None:
        """Run every ``on_train_end`` even if one fails (a bar must close); return the first error."""
        first = None
        for method in self.hooks["on_train_end"]:
            try:
                method(state)
            except Exception as err:  # noqa: BLE001 - fit re-raises it
                first = first or err
        return first


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "val_loss"
        A key of the history; lower is better for losses, higher for the
        rest (``mode="auto"``), or set ``mode`` to ``"min"``/``"max"``.
    patience : int, default 3
        Epochs without improvement to wait.
    min_delta : float, default 0.0
        Smaller changes than this do not count as improvements.
    restore_best : bool, default True
        When it stops training, put back the weights of the best epoch (as
        Keras' ``restore_best_weights``; if every epoch runs, the final
        weights stay).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 3,
        min_delta: float = 0.0,
        restore_best: bool = True,
        mode: str = "auto",
    ):
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be a key of the history (a str), not {monitor!r}")
        mode = check_choice("mode", mode, ("auto", "min", "max"))
        if mode == "auto":
            mode = "min" if "loss" in monitor else "max"
        self.monitor, self.mode, self.restore_best = monitor, mode, bool(restore_best)
        self.patience = check_int("patience", patience, low=0)
        self.min_delta = abs(check_number("min_delta", min_delta))

    def on_train_begin(self, state: TrainState) -> None:
        self.best, self.best_epoch, self.wait = None, 0, 0
        self.best_weights = None
        self.stopped_epoch = None

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, state: TrainState) -> None:
        if self.monitor not in state.logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in the logs "
                f"{sorted(state.logs)}; pass val= or validation_split= to fit"
            )
        value = state.logs[self.monitor]
        if not math.isfinite(value):  # a NaN epoch is never the best, nor "no worse"
            value = math.inf if self.mode == "min" else -math.inf
        if self._improved(value) and math.isfinite(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best:
                self.best_weights = copy.deepcopy(state.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            restored = ""
            if self.restore_best and self.best_weights is not None:
                state.model.load_state_dict(self.best_weights)
                restored = "; restored its weights"
            best = (
                "no finite value yet"
                if self.best is None
                else f"best {self.best:.4g} at epoch {self.best_epoch}"
            )
            state.stop(
                f"early stopping at epoch {state.epoch}: {self.monitor} has not improved "
                f"for {self.patience} epochs, {best}{restored}"
            )

    def on_divergence(self, state: TrainState) -> None:
        """Put back the best epoch's weights (with ``restore_best``): better than the last finite ones."""
        if self.restore_best and self.best_weights is not None:
            state.model.load_state_dict(self.best_weights)
            state.restored = f"the best weights (epoch {self.best_epoch})"


class ProgressBar(Callback):
    """A tqdm progress bar over all batches, with the loss and metrics as a postfix.

    ``quiet=True`` turns it off (tests); ``file`` redirects it (default stderr).
    In Jupyter it is a widget (``tqdm.auto``), so mark the cell that trains with
    ``# NBVAL_IGNORE_OUTPUT``.
    """

    def __init__(self, *, quiet: bool = False, file=None, mininterval: float = 0.5):
        self.quiet, self.file = quiet, file
        self.mininterval = check_number("mininterval", mininterval, low=0)
        self.bar = None

    def on_train_begin(self, state: TrainState) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(
            total=state.epochs * state.batches,
            unit="batch",
            file=self.file,
            disable=self.quiet,
            mininterval=self.mininterval,
            dynamic_ncols=True,
        )
        self._pending = 0

    def on_epoch_begin(self, state: TrainState) -> None:
        self.bar.set_description(f"epoch {state.epoch}/{state.epochs}", refresh=False)

    def on_batch_end(self, state: TrainState) -> None:
        # tqdm's update() reads the clock and may redraw on every call; counting
        # here and handing tqdm every 50th batch keeps a 37,500-batch run's bar
        # at well under a second of overhead
        self._pending += 1
        if state.batch % 50 == 0 or state.batch == state.batches:
            self.bar.update(self._pending)
            self._pending = 0
            if state.batch % 50 == 0:
                self.bar.set_postfix(loss=f"{state.batch_loss:.3f}", refresh=False)

    def on_epoch_end(self, state: TrainState) -> None:
        self.bar.set_postfix({k: f"{v:.3f}" for k, v in state.logs.items()}, refresh=False)

    def on_train_end(self, state: TrainState) -> None:
        if self.bar is not None:
            if self._pending:  # stopped inside an epoch: count the batches that ran
                self.bar.update(self._pending)
                self._pending = 0
            self.bar.close()


class LiveCurves(Callback):
    """Training curves drawn while :func:`fit` runs: one figure, updated in place.

    One panel per metric (``"loss"``, ``"accuracy"``...), training and
    validation per epoch, plus the loss of every batch (a faint running mean)
    so that the first epoch is not a blank plot. Redraws are throttled to one
    every ``min_interval`` seconds through :class:`dlhelpers.viz.live.LiveFigure`,
    and the final state is always drawn, so it is what a saved notebook shows.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    axes : dict of str to Axes
    lines : dict of str to Line2D
        ``"loss"``, ``"val_loss"``, ``"accuracy"``, ..., and ``"batch_loss"``.
    live : LiveFigure
    """

    def __init__(
        self,
        metrics: Sequence[str] = ("loss", "accuracy"),
        *,
        min_interval: float = 0.5,
        figsize: tuple[float, float] = (7.5, 2.8),
        smooth: int = 20,
        show: bool = True,
    ):
        from matplotlib.figure import Figure

        from dlhelpers.viz.live import LiveFigure

        self.metrics, self.min_interval = tuple(metrics), min_interval
        self.smooth, self._show = smooth, show
        self.figure = Figure(figsize=figsize, layout="constrained")
        axs = self.figure.subplots(1, len(self.metrics), squeeze=False)[0]
        self.axes, self.lines = {}, {}
        for ax, metric in zip(axs, self.metrics, strict=True):
            self.axes[metric] = ax
            if metric == "loss":
                (self.lines["batch_loss"],) = ax.plot(
                    [], [], color="C0", alpha=0.3, lw=1, label="batches"
                )
            (self.lines[metric],) = ax.plot([], [], "o-", color="C0", ms=3, label="train")
            (self.lines[f"val_{metric}"],) = ax.plot(
                [], [], "o-", color="C1", ms=3, label="validation"
            )
            ax.set_xlabel("epoch")
            ax.set_title(metric)
            ax.grid(alpha=0.3)
        self.live = LiveFigure(self.figure, min_interval=min_interval)
        self._last = float("-inf")

    def on_train_begin(self, state: TrainState) -> None:
        self._batches = state.batches
        self._start = len(state.history.batch_losses)
        for metric, ax in self.axes.items():
            ax.set_xlim(0, max(state.epochs, 1))
            if metric == "accuracy":
                ax.set_ylim(0, 1.02)
            if f"val_{metric}" not in state.history.history:
                self.lines[f"val_{metric}"].set_label("_nolegend_")
        first = next(iter(self.axes.values()))
        first.legend(loc="upper right", fontsize=8)
        if self._show:
            self.live.show()
        self._last = time.monotonic()

    def _update(self, state: TrainState) -> None:
        hist = state.history
        for key, line in self.lines.items():
            if key == "batch_loss":
                losses = np.asarray(hist.batch_losses[self._start :], dtype=float)
                if losses.size:
                    k = max(1, min(self.smooth, losses.size))
                    mean = np.convolve(losses, np.ones(k) / k, mode="valid")
                    line.set_data((np.arange(mean.size) + k) / self._batches, mean)
            elif key in hist.history:
                line.set_data(hist.epoch, hist.history[key])
        for metric, ax in self.axes.items():
            ax.relim()
            ax.autoscale_view(scalex=False, scaley=metric != "accuracy")

    def on_batch_end(self, state: TrainState) -> None:
        if time.monotonic() - self._last < self.min_interval:
            return
        self._update(state)
        self._last = time.monotonic()
        self.live.refresh()

    def on_epoch_end(self, state: TrainState) -> None:
        self.on_batch_end(state)

    def on_train_end(self, state: TrainState) -> None:
        self._update(state)
        self.live.refresh(force=True)
