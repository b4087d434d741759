"""Learning-rate schedules as callbacks (notebook 06): step a torch scheduler once per epoch, and preview its rates."""

from __future__ import annotations

from collections.abc import Callable

import torch

from dlhelpers.train.callbacks import Callback
from dlhelpers.validate import check_number, check_positive_int

__all__ = ["ScheduleStep", "scheduled_learning_rates"]


class ScheduleStep(Callback):
    """A :func:`fit` callback that calls ``scheduler.step()`` after every epoch.

    ``learning_rates`` records the learning rate each epoch trained with
    (the first parameter group's), so it can be plotted next to the loss.
    """

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.learning_rates: list[float] = []

    def on_epoch_begin(self, state) -> None:
        self.learning_rates.append(float(self.scheduler.optimizer.param_groups[0]["lr"]))

    def on_epoch_end(self, state) -> None:
        self.scheduler.step()


def scheduled_learning_rates(make_scheduler: Callable, *, lr: float, epochs: int) -> list[float]:
    """The learning rate of each of ``epochs`` epochs under a torch scheduler, without training.

    Parameters
    ----------
    make_scheduler : callable
        ``optimizer -> scheduler``, e.g.
        ``lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)``.
    lr : float
        The optimizer's starting learning rate.

    Returns
    -------
    list of float, length ``epochs``
        Entry ``k`` is the rate used in epoch ``k + 1`` (after ``k`` calls to ``step``).
    """
    lr, epochs = check_number("lr", lr, low=0, low_open=True), check_positive_int("epochs", epochs)
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()  # torch warns if the scheduler steps before the optimizer
        scheduler.step()
    return rates
