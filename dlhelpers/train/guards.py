"""The divergence guard of :func:`~dlhelpers.train.fit`: batch losses read in bulk, the last good weights kept.

Reading a loss back (``loss.item()``) after every batch costs a sync per
batch; the guard keeps the batch losses as tensors and reads them every
``check_every`` batches and at the end of each epoch. A NaN found then may
have stepped the weights a few times: the guard holds a copy of the weights
of the last epoch whose loss was finite, and puts it back.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["GROWTH", "DivergenceGuard"]

#: A batch loss this many times the first one means divergence (a learning rate far too high).
GROWTH = 1000.0


class DivergenceGuard:
    """Watches the batch losses of one run; keeps the last good weights to put back.

    Parameters
    ----------
    model : nn.Module
        Its weights now are the first good ones ("the initial weights").
    batch_losses : list of float
        Where the finite losses are appended as they are read (``History.batch_losses``).

    Attributes
    ----------
    pending : list of 0-d Tensor
        Batch losses not yet read back; the loop appends to it.
    """

    def __init__(self, model: nn.Module, batch_losses: list[float]):
        self.model, self.batch_losses = model, batch_losses
        self.pending: list[torch.Tensor] = []
        self.start_loss: float | None = None
        self.keep(0)

    def keep(self, epoch: int) -> None:
        """Copy the weights as the good ones of ``epoch`` (0: the initial weights)."""
        self.good = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        self.good_epoch = epoch

    def read(self, epoch: int, batch: int) -> str | None:
        """Read the pending losses (the last one is ``batch``); why to stop if one diverged, else None."""
        if not self.pending:
            return None
        values = torch.stack(self.pending).tolist()
        first = batch - len(values) + 1
        self.pending.clear()
        for i, value in enumerate(values):
            where = f"at epoch {epoch}, batch {first + i}"
            if not math.isfinite(value):
                return f"loss became {value} {where}: lower the learning rate"
            if self.start_loss is None:
                self.start_loss = value
            elif self.start_loss > 0 and value > GROWTH * self.start_loss:
                return (
                    f"loss grew from {self.start_loss:.3g} to {value:.3g} (x{GROWTH:.0f}) "
                    f"{where}: the learning rate is probably too high"
                )
            self.batch_losses.append(value)
        return None

    def restore(self) -> str:
        """Put the good weights back; say which (for ``TrainState.restored``)."""
        self.model.load_state_dict(self.good)
        return (
            f"the weights of epoch {self.good_epoch}" if self.good_epoch else "the initial weights"
        )
