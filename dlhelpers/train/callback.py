"""The callback contract of :func:`dlhelpers.train.fit`: a :class:`TrainState` that every hook sees, and the :class:`Callback` base."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from dlhelpers.train.history import History

__all__ = ["Callback", "TrainState"]


@dataclass
class TrainState:
    """What a callback sees: the model, where the loop is, and the logs so far.

    ``epoch`` and ``batch`` count from 1. ``batch_loss`` is the latest loss
    read back from the model: ``fit`` reads losses every ``check_every``
    batches (one sync, not one per batch), so it and
    ``history.batch_losses`` may lag the running batch by that many; ``logs`` holds the metrics of the epoch that just
    ended (in ``on_epoch_end``). A callback ends training after the current
    step with :meth:`stop`.
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

    def stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step, with a one-line ``reason``."""
        self.stop_training = True
        if self.history.stop_reason is None:
            self.history.stop_reason = reason


class Callback:
    """Base class: override the hooks you need; each receives the :class:`TrainState`."""

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_epoch_begin(self, state: TrainState) -> None: ...

    def on_batch_end(self, state: TrainState) -> None: ...

    def on_epoch_end(self, state: TrainState) -> None: ...

    def on_train_end(self, state: TrainState) -> None: ...
