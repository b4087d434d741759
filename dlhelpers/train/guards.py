"""What keeps :func:`~dlhelpers.train.fit` safe and cheap: hooks a callback overrides, weight snapshots and restores, an end that always runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from dlhelpers.train.callback import Callback, TrainState
from dlhelpers.train.callbacks import EarlyStopping


def _hooks(callbacks: Sequence[Callback], hook: str) -> list[Callable]:
    """The bound ``hook`` of each callback that overrides it: a no-op costs nothing per batch."""
    base = getattr(Callback, hook)
    return [getattr(cb, hook) for cb in callbacks if getattr(type(cb), hook, base) is not base]


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _restore(model, callbacks, good: dict, good_epoch: int) -> str:
    """Put back the best weights an EarlyStopping kept, else the last finite ones."""
    for cb in callbacks:
        if isinstance(cb, EarlyStopping) and cb.restore_best and cb.best_weights is not None:
            model.load_state_dict(cb.best_weights)
            return f"restored the best weights (epoch {cb.best_epoch})"
    model.load_state_dict(good)
    return (
        f"restored the weights of epoch {good_epoch}"
        if good_epoch
        else "restored the initial weights"
    )


def _end(callbacks: Sequence[Callback], state: TrainState) -> BaseException | None:
    """Run every on_train_end even if one fails (a bar must close); return the first error."""
    first = None
    for end in _hooks(callbacks, "on_train_end"):
        try:
            end(state)
        except Exception as err:  # noqa: BLE001 - re-raised by fit
            first = first or err
    return first
