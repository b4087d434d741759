"""Many small MLPs trained at once, one per seed or setting: claims checked on several runs.

Notebook 06 compares optimizers, schedules and cures for overfitting. A claim such as
"dropout halves the test loss" needs several seeds, and one small network per ``fit`` spends
most of its time in Python. :class:`ParallelMLP` holds ``R`` independent MLPs whose weights
are stacked along a first *run* axis; the inputs are ``(N, R, features)``, so each run may
have its own data. The loss :func:`runs_cross_entropy` sums the runs' mean losses, so each
run's gradient is exactly what it would get alone. :class:`ArrayOptimizer` applies a NumPy
update rule (such as :func:`dlhelpers.scratch.optim.adam_step`, or the learner's) with one
learning rate or weight decay per run; :class:`RunsMonitor` records each run's losses and
accuracies and stops runs early one by one. ``ParallelMLP.member(r)`` gives run ``r`` as a
plain ``nn.Sequential`` for :func:`~dlhelpers.train.evaluate.evaluate` and plots.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlhelpers.train.callbacks import Callback, TrainState
from dlhelpers.validate import check_int, check_positive_int, check_probability

__all__ = [
    "ArrayOptimizer",
    "ParallelMLP",
    "RunsMonitor",
    "RunsSchedule",
    "per_run_losses",
    "runs_cross_entropy",
    "stack_runs",
]


class ParallelMLP(nn.Module):
    """``len(seeds)`` independent ReLU MLPs ``sizes[0] -> ... -> sizes[-1]``, evaluated together.

    Run ``r`` starts from ``nn.Linear``'s default initialisation drawn with ``seeds[r]``
    (``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weights and biases). ``dropout`` is one
    probability for every run or one per run, applied after each hidden ReLU in training
    mode (inverted dropout, as ``nn.Dropout``).

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, at least two.
    seeds : sequence of int
        One seed per run.
    dropout : float or sequence of float in [0, 1), default 0.0
    """

    def __init__(self, sizes: Sequence[int], seeds: Sequence[int], dropout=0.0):
        super().__init__()
        sizes = [check_positive_int("sizes", s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output width, got {sizes}")
        seeds = [check_int("seeds", s, low=0) for s in seeds]
        if not seeds:
            raise ValueError("seeds must name at least one run")
        p = np.broadcast_to(np.asarray(dropout, dtype=object), (len(seeds),))
        p = [check_probability("dropout", q) for q in p]
        if max(p) >= 1:
            raise ValueError("dropout must be below 1, or nothing would pass in training")
        self.register_buffer("p", torch.tensor(p, dtype=torch.float32))
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        layers = list(zip(sizes[:-1], sizes[1:], strict=True))
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        for fan_in, fan_out in layers:
            bound = 1 / math.sqrt(fan_in)
            w = [(torch.rand(fan_out, fan_in, generator=g) * 2 - 1) * bound for g in gens]
            b = [(torch.rand(fan_out, generator=g) * 2 - 1) * bound for g in gens]
            self.weights.append(nn.Parameter(torch.stack(w)))  # (R, out, in)
            self.biases.append(nn.Parameter(torch.stack(b)))  # (R, out)
        self.sizes, self.seeds = sizes, seeds

    @property
    def runs(self) -> int:
        """The number of runs ``R``."""
        return len(self.seeds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(N, R, sizes[-1])`` for inputs of shape ``(N, R, sizes[0])``."""
        last = len(self.weights) - 1
        keep = (1 - self.p).view(-1, 1, 1)
        x = x.transpose(0, 1)  # (R, N, in): one matrix product per run
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))  # (R, N, out)
            if i < last:
                x = torch.relu(x)
                if self.training and bool((self.p > 0).any()):
                    x = x * (torch.rand_like(x) < keep) / keep
        return x.transpose(0, 1)

    def member(self, r: int) -> nn.Sequential:
        """Run ``r`` as a plain ``nn.Sequential`` of ``Linear`` and ``ReLU`` (a copy, in eval mode)."""
        r = check_int("r", r, low=0, high=self.runs - 1)
        layers: list[nn.Module] = []
        for w, b in zip(self.weights, self.biases, strict=True):
            linear = nn.Linear(w.shape[2], w.shape[1])
            linear.weight.data.copy_(w.detach()[r])
            linear.bias.data.copy_(b.detach()[r])
            layers += [linear, nn.ReLU()]
        return nn.Sequential(*layers[:-1]).eval()


def stack_runs(datasets: Sequence[tuple]) -> tuple[torch.Tensor, torch.Tensor]:
    """``R`` data sets ``(X, y)`` of equal size as ``X`` of shape ``(N, R, d)`` and ``y`` ``(N, R)``."""
    X = torch.stack([torch.as_tensor(np.asarray(x), dtype=torch.float32) for x, _ in datasets], 1)
    y = torch.stack([torch.as_tensor(np.asarray(t), dtype=torch.long) for _, t in datasets], 1)
    return X, y


def runs_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The sum over runs of each run's mean cross-entropy: logits ``(N, R, C)``, labels ``(N, R)``.

    A sum, not a mean, so that each run's gradient is the one it would get trained alone.
    """
    return per_run_losses(logits, y).sum()


def per_run_losses(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each run's mean cross-entropy, shape ``(R,)``."""
    n, r, c = logits.shape
    return (
        F.cross_entropy(logits.reshape(n * r, c), y.reshape(n * r), reduction="none")
        .view(n, r)
        .mean(0)
    )


class ArrayOptimizer(torch.optim.Optimizer):
    """Apply a NumPy update rule to every parameter: a from-scratch optimizer inside :func:`fit`.

    ``step_fn(w, *state, grad, [t,] *hyper)`` returns ``(new_w, *new_state)`` as NumPy arrays,
    like :func:`dlhelpers.scratch.optim.sgd_step` (``n_state=1``: the velocity, hyper
    ``lr, momentum``) and :func:`~dlhelpers.scratch.optim.adam_step` (``n_state=2``, ``uses_t``,
    hyper ``lr, beta1, beta2, eps``). The state starts at zeros; ``t`` counts steps from 1.
    Each hyperparameter is a number, or one value per run (the parameters' first axis, as in
    :class:`ParallelMLP`). ``weight_decay`` adds ``weight_decay * w`` to the gradient first,
    as torch's L2 does. ``param_groups[0]["lr"]`` holds ``lr``, so a torch scheduler may scale it.
    """

    def __init__(
        self, params, step_fn: Callable, *, n_state: int, uses_t: bool, weight_decay=0.0, **hyper
    ):
        if not callable(step_fn):
            raise TypeError(f"step_fn must be a function, got {type(step_fn).__name__}")
        if "lr" not in hyper:
            raise ValueError("ArrayOptimizer needs lr=")
        self.step_fn, self.n_state, self.uses_t = (
            step_fn,
            check_int("n_state", n_state, low=0),
            uses_t,
        )
        super().__init__(params, dict(hyper, weight_decay=weight_decay))

    @staticmethod
    def _per_run(value, w: np.ndarray):
        value = np.asarray(value, dtype=w.dtype)
        return value.reshape(value.shape + (1,) * (w.ndim - value.ndim)) if value.ndim else value

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            names = [k for k in group if k not in ("params", "weight_decay")]
            for p in group["params"]:
                if p.grad is None:
                    continue
                w, g = p.detach().numpy(), p.grad.numpy()
                hyper = [self._per_run(group[k], w) for k in names]
                if np.any(np.asarray(group["weight_decay"]) != 0):
                    g = g + self._per_run(group["weight_decay"], w) * w
                state = self.state[p]
                if not state:
                    state["t"], state["arrays"] = 0, [np.zeros_like(w) for _ in range(self.n_state)]
                state["t"] += 1
                t = [state["t"]] if self.uses_t else []
                new_w, *new_state = self.step_fn(w.copy(), *state["arrays"], g, *t, *hyper)
                p.copy_(torch.as_tensor(np.asarray(new_w), dtype=p.dtype))
                state["arrays"] = [np.asarray(s, dtype=w.dtype) for s in new_state]
        return None


class RunsMonitor(Callback):
    """Each run's training and validation loss and accuracy per epoch; early stopping run by run.

    Measured after every epoch in eval mode (no dropout), on the training data that
    :func:`fit` trains on and on ``val``. Runs whose ``patience`` is a number stop as
    :class:`~dlhelpers.train.callbacks.EarlyStopping` with ``restore_best=True`` would:
    after ``patience`` epochs without a lower validation loss, their weights go back to
    their best epoch's (the other runs go on; a stopped run's later epochs are not recorded).

    Parameters
    ----------
    train, val : (X, y) of shapes (N, R, d) and (N, R), as :func:`stack_runs` makes them
    patience : sequence of (int or None), one per run, optional
        ``None`` (the default for every run) never stops.

    Attributes
    ----------
    history : dict of str to ndarray of shape (epochs, R)
        ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``; NaN after a run stopped.
    stopped_epoch, best_epoch : ndarray of shape (R,)
        The epoch each run stopped at (0: never) and its best validation epoch.
    """

    def __init__(self, train, val, patience: Sequence | None = None):
        self.train, self.val = train, val
        self.patience = patience

    def on_train_begin(self, state: TrainState) -> None:
        runs = state.model.runs
        given = [None] * runs if self.patience is None else list(self.patience)
        if len(given) != runs:
            raise ValueError(f"patience needs one entry per run ({runs}), got {len(given)}")
        self.limit = np.array(
            [np.inf if p is None else check_int("patience", p, low=1) for p in given]
        )
        self.rows: list[dict[str, np.ndarray]] = []
        self.best = np.full(runs, np.inf)
        self.best_epoch = np.zeros(runs, dtype=int)
        self.stopped_epoch = np.zeros(runs, dtype=int)
        self.wait = np.zeros(runs)
        self.best_weights = [p.detach().clone() for p in state.model.parameters()]

    @torch.no_grad()
    def _scores(self, model: nn.Module, X, y) -> tuple[np.ndarray, np.ndarray]:
        model.eval()
        logits = model(X)
        model.train()
        acc = (logits.argmax(-1) == y).float().mean(0)
        return per_run_losses(logits, y).numpy(), acc.numpy()

    def on_epoch_end(self, state: TrainState) -> None:
        model, live = state.model, self.stopped_epoch == 0
        loss, acc = self._scores(model, *self.train)
        val_loss, val_acc = self._scores(model, *self.val)
        row = dict(loss=loss, accuracy=acc, val_loss=val_loss, val_accuracy=val_acc)
        self.rows.append({k: np.where(live, v, np.nan) for k, v in row.items()})
        better = live & (val_loss < self.best)
        self.best = np.where(better, val_loss, self.best)
        self.best_epoch = np.where(better, state.epoch, self.best_epoch)
        self.wait = np.where(better, 0, self.wait + live)
        mask = torch.as_tensor(better)
        for keep, p in zip(self.best_weights, model.parameters(), strict=True):
            keep.copy_(torch.where(mask.view(-1, *[1] * (p.ndim - 1)), p.detach(), keep))
        stop = live & (self.wait >= self.limit)
        self.stopped_epoch = np.where(stop, state.epoch, self.stopped_epoch)
        if (self.stopped_epoch > 0).all():
            state.stop(f"every run stopped early, the last at epoch {state.epoch}")

    def on_train_end(self, state: TrainState) -> None:
        stopped = torch.as_tensor(self.stopped_epoch > 0)
        with torch.no_grad():
            for keep, p in zip(self.best_weights, state.model.parameters(), strict=True):
                p.copy_(torch.where(stopped.view(-1, *[1] * (p.ndim - 1)), keep, p))

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Per-epoch measures, each of shape ``(epochs, R)``."""
        return (
            {k: np.stack([row[k] for row in self.rows]) for k in self.rows[0]} if self.rows else {}
        )


class RunsSchedule(Callback):
    """Set each run's learning rate at the start of every epoch from a table.

    ``rates`` has shape ``(epochs, R)``: row ``k`` is the rates of epoch ``k + 1``, for
    instance columns of :func:`~dlhelpers.train.schedules.scheduled_learning_rates`, one
    schedule per run. It writes ``optimizer.param_groups[0]["lr"]`` of an
    :class:`ArrayOptimizer`.
    """

    def __init__(self, rates):
        rates = np.asarray(rates, dtype=float)
        if rates.ndim != 2 or not np.all(np.isfinite(rates)) or (rates < 0).any():
            raise ValueError("rates must be a table (epochs, runs) of finite rates >= 0")
        self.rates = rates

    def on_epoch_begin(self, state: TrainState) -> None:
        row = self.rates[min(state.epoch, len(self.rates)) - 1]
        for group in state.optimizer.param_groups:
            group["lr"] = row.copy()
