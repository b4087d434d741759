"""What :func:`dlhelpers.train.fit` returns: per-epoch metrics and per-batch losses, in the spirit of Keras' ``History``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

__all__ = ["History"]


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
