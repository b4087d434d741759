"""Transfer learning with notebook 07's CNN: pretrain on MNIST, reuse it with few labels (notebook 11).

- :func:`pretrain`: a :func:`~dlhelpers.train.models.lenet` trained on MNIST through :func:`fit`;
- :func:`adapt`: a model and optimizer for a new task, in one of three modes: ``"scratch"``
  (a fresh LeNet), ``"frozen"`` (the pretrained body with its first layers frozen and a
  new head) or ``"finetune"`` (everything trainable, the body at a smaller learning rate
  through optimizer parameter groups);
- :func:`few_shot_curve`: held-out accuracy against labels per class, over seeds, for each mode.

Each few-shot run takes a fixed number of Adam steps (not a time budget, so every machine
trains the same model), on all the labelled examples at once up to 64 of them, else on a
random batch of 64: a step then costs the same at 10 or 20 labels per class, which keeps
the widget quick. The head learns at 3e-3; the fine-tuned body at 0.3 times that.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from dlhelpers.data.small_digits import few_labels
from dlhelpers.train.evaluate import evaluate
from dlhelpers.train.fit import fit
from dlhelpers.train.models import lenet
from dlhelpers.validate import (
    check_choice,
    check_finite_array,
    check_int,
    check_number,
    check_positive_int,
)

__all__ = ["FREEZE", "MODES", "Adapted", "adapt", "few_shot_curve", "pretrain", "train_steps"]

#: The ways to reuse a pretrained network, in the order the plots list them.
MODES: tuple[str, ...] = ("scratch", "frozen", "finetune")
#: Which layers to freeze -> index of the last frozen layer of ``lenet()`` (-1: none).
#: lenet: 0 conv1, 3 conv2, 7 fc1 (400-120), 9 fc2 (120-84), 11 the head (84-10).
FREEZE: dict[str, int] = {"none": -1, "conv": 5, "conv+fc1": 8, "all but head": 10}
_HEAD = 11
_DEFAULT_FREEZE = {"scratch": "none", "frozen": "all but head", "finetune": "none"}


class Adapted(NamedTuple):
    """What :func:`adapt` returns: ``model, optimizer = adapt(...)`` unpacks it."""

    model: nn.Sequential
    optimizer: torch.optim.Optimizer


def _as_images(images) -> torch.Tensor:
    """(N, 1, 28, 28) float32 about [0, 1]: uint8 grey levels are scaled; NaN and 0..255 floats refused."""
    X = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images)
    if X.dtype == np.uint8:
        X = X.astype(np.float32) / 255.0  # MNIST's grey levels -> 0..1, like the small digits
    else:
        X = check_finite_array("images", X, allow_empty=True).astype(np.float32)
        if X.size and X.max() > 2:  # a little noise above 1 is fine; 0..255 is not
            raise ValueError(
                f"images reach {X.max():g}: they look like grey levels 0..255 stored as floats; "
                "give floats in [0, 1] (divide by 255) or uint8"
            )
    X = torch.from_numpy(X)
    if X.ndim == 3:
        X = X[:, None]  # (N, 28, 28) -> (N, 1, 28, 28)
    if X.ndim != 4 or tuple(X.shape[1:]) != (1, 28, 28) or len(X) == 0:
        raise ValueError(
            f"images must have shape (N, 28, 28) or (N, 1, 28, 28), N >= 1, not {tuple(X.shape)}"
        )
    return X


def _as_data(data, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` as images (:func:`_as_images`) and int64 labels of the same length."""
    try:
        X, y = data
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (X, y)") from None
    X, y = _as_images(X), torch.as_tensor(np.asarray(y))
    if y.is_floating_point() and not torch.equal(y, y.round()):
        raise ValueError(f"{name}: y must hold integer class labels")
    if len(X) != len(y):
        raise ValueError(f"{name}: X and y must have the same length, not {len(X)} and {len(y)}")
    return X, y.long()


def pretrain(images, labels, *, epochs: int = 5, seed: int = 0) -> nn.Sequential:
    """Train :func:`~dlhelpers.train.models.lenet` on ``images`` (MNIST) with :func:`fit`.

    Adam (learning rate 1e-3), batches of 64, cross-entropy; seeded, so the
    same seed and thread count give the same weights.

    Parameters
    ----------
    images : ndarray of shape (N, 28, 28) uint8 (0..255), or (N, 1, 28, 28) float in [0, 1]
    labels : ndarray of shape (N,), int
    epochs : int, default 5
    seed : int, default 0

    Returns
    -------
    nn.Sequential
        The trained network, in eval mode.
    """
    epochs, seed = check_positive_int("epochs", epochs), check_int("seed", seed, low=0)
    X, y = _as_data((images, labels), "pretrain data")
    torch.manual_seed(seed)
    model = lenet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    fit(
        model,
        (X, y),
        epochs=epochs,
        optimizer=optimizer,
        loss_fn=nn.CrossEntropyLoss(),
        batch_size=64,
        seed=seed,
    )
    return model.eval()


def adapt(
    pretrained: nn.Sequential,
    mode: str,
    *,
    seed: int,
    freeze_up_to: str | None = None,
    lr: float = 3e-3,
    body_lr_scale: float = 0.3,
) -> Adapted:
    """A model and its optimizer for a new 10-class task, built from ``pretrained``.

    ``pretrained`` is never modified: the frozen and fine-tuned models are deep copies.

    Parameters
    ----------
    pretrained : nn.Sequential
        A :func:`~dlhelpers.train.models.lenet` (e.g. from :func:`pretrain`).
    mode : {"scratch", "frozen", "finetune"}
        ``"scratch"``: a fresh LeNet, every layer at ``lr``. ``"frozen"``: the
        pretrained layers up to ``freeze_up_to`` get ``requires_grad_(False)``;
        the rest of the body and a new head train at ``lr``. ``"finetune"``: a
        new head at ``lr``, the unfrozen body at ``lr * body_lr_scale`` (two
        parameter groups), so the new head's random gradients do not wreck
        the pretrained features.
    seed : int
        Seeds the new head (or, for ``"scratch"``, every weight).
    freeze_up_to : {"none", "conv", "conv+fc1", "all but head"}, optional
        See :data:`FREEZE`. Default: ``"all but head"`` for ``"frozen"``,
        ``"none"`` otherwise; ``"scratch"`` accepts only ``"none"``.
    lr : float, default 3e-3
        Adam's learning rate for the head (and for the scratch model).
    body_lr_scale : float, default 0.3
        The fine-tuned body's learning rate, as a fraction of ``lr``.

    Returns
    -------
    Adapted
        ``(model, optimizer)``; the model is in train mode.
    """
    mode = check_choice("mode", mode, MODES)
    freeze = check_choice(
        "freeze_up_to", _DEFAULT_FREEZE[mode] if freeze_up_to is None else freeze_up_to, FREEZE
    )
    if mode == "scratch" and freeze != "none":
        raise ValueError("a model trained from scratch has nothing pretrained to freeze")
    lr = check_number("lr", lr, low=0, low_open=True)
    body_lr_scale = check_number("body_lr_scale", body_lr_scale, low=0, low_open=True)
    seed = check_int("seed", seed, low=0)
    if not isinstance(pretrained, nn.Sequential) or len(pretrained) != _HEAD + 1:
        raise TypeError("pretrained must be a lenet() nn.Sequential (12 layers)")
    torch.manual_seed(seed)
    if mode == "scratch":
        model = lenet()
        return Adapted(model.train(), torch.optim.Adam(model.parameters(), lr=lr))
    body_lr = lr * body_lr_scale if mode == "finetune" else lr
    return _reuse(pretrained, FREEZE[freeze], lr, body_lr)


def _reuse(pretrained: nn.Sequential, last: int, lr: float, body_lr: float) -> Adapted:
    """A copy of ``pretrained`` with a new head, layers up to ``last`` frozen, two learning rates."""
    model = copy.deepcopy(pretrained)
    model[_HEAD] = nn.Linear(model[_HEAD].in_features, 10)  # a new head, seeded by the caller
    body: list[nn.Parameter] = []
    for index, layer in enumerate(model[:_HEAD]):
        layer.requires_grad_(index > last)
        body += [p for p in layer.parameters() if p.requires_grad]
    groups = [{"params": list(model[_HEAD].parameters()), "lr": lr}]
    if body:
        groups.append({"params": body, "lr": body_lr})
    return Adapted(model.train(), torch.optim.Adam(groups))


def train_steps(
    adapted: Adapted,
    X: torch.Tensor,
    y: torch.Tensor,
    steps: int,
    *,
    batch_size: int = 64,
    seed: int = 0,
) -> nn.Sequential:
    """``steps`` steps of ``adapted.optimizer`` on (X, y); returns the model in eval mode.

    Each step uses all of (X, y) when it holds at most ``batch_size``
    examples, else a random batch of ``batch_size`` (drawn with ``seed``).
    ``X`` as in :func:`pretrain` (NaN refused); ``steps`` and ``batch_size`` at least 1.
    """
    model, optimizer = adapted
    steps, batch_size = (
        check_positive_int("steps", steps),
        check_positive_int("batch_size", batch_size),
    )
    X, y = _as_data((X, y), "the labelled examples")
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    model.train()
    for _ in range(steps):
        xb, yb = X, y
        if len(X) > batch_size:
            pick = torch.randperm(len(X), generator=generator)[:batch_size]
            xb, yb = X[pick], y[pick]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(xb), yb).backward()  # xb: (b, 1, 28, 28) -> logits (b, 10)
        optimizer.step()
    return model.eval()


def _ints(name: str, values, low: int) -> tuple[int, ...]:
    """A non-empty tuple of whole numbers of at least ``low`` (one number is a tuple of one)."""
    values = (values,) if np.ndim(values) == 0 else tuple(values)
    if not values:
        raise ValueError(f"{name} is empty: give at least one value")
    return tuple(check_int(name, v, low=low) for v in values)


def few_shot_curve(
    pretrained: nn.Sequential,
    pool,
    held_out,
    *,
    per_class: Sequence[int] = (2, 5, 10),
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 50,
    modes: Sequence[str] = MODES,
    freeze: str | None = None,
    lr: float = 3e-3,
    body_lr_scale: float = 0.3,
    batch_size: int = 64,
) -> dict[str, np.ndarray]:
    """Held-out accuracy of each mode with ``per_class`` labels of each digit, over ``seeds``.

    For each label count and seed, :func:`~dlhelpers.data.small_digits.few_labels`
    draws the labelled examples from ``pool`` (the same ones for every mode),
    :func:`adapt` builds the model and :func:`train_steps` trains it for
    ``steps`` steps (batches of at most ``batch_size``); it is then scored
    on all of ``held_out``.

    Parameters
    ----------
    pretrained : nn.Sequential
    pool, held_out : (X, y)
        Images of shape (n, 1, 28, 28) in [0, 1] and int labels of shape (n,).
    per_class, seeds : sequence of int, default (2, 5, 10) and (0, 1, 2)
    steps : int, default 50
    modes : sequence of str, default :data:`MODES`
    freeze : str, optional
        ``freeze_up_to`` of the ``"frozen"`` mode (default ``"all but head"``).
    lr, body_lr_scale, batch_size : float, float, int
        As in :func:`adapt` and :func:`train_steps`.

    Returns
    -------
    dict of str to ndarray of shape (len(per_class), len(seeds))
        Accuracies in [0, 1], one array per mode.
    """
    per_class, seeds = _ints("per_class", per_class, 1), _ints("seeds", seeds, 0)
    steps, batch_size = (
        check_positive_int("steps", steps),
        check_positive_int("batch_size", batch_size),
    )
    modes = _modes(modes)
    X_pool, y_pool = _as_data(pool, "pool")
    test = _as_data(held_out, "held_out")
    settings = dict(
        freeze=freeze, lr=lr, body_lr_scale=body_lr_scale, steps=steps, batch_size=batch_size
    )
    out = {mode: np.zeros((len(per_class), len(seeds))) for mode in modes}
    for i, k in enumerate(per_class):
        for j, seed in enumerate(seeds):
            index = torch.as_tensor(few_labels(y_pool.numpy(), k, seed))
            labelled = X_pool[index], y_pool[index]  # (10 k, 1, 28, 28), (10 k,)
            for mode in modes:
                out[mode][i, j] = _few_shot_run(pretrained, mode, seed, labelled, test, settings)
    return out


def _modes(modes) -> tuple[str, ...]:
    """Distinct names of :data:`MODES` (one name is a tuple of one)."""
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or len(set(modes)) != len(modes):
        raise ValueError(f"modes must be distinct names among {', '.join(MODES)}, not {modes!r}")
    return tuple(check_choice("modes", m, MODES) for m in modes)


def _few_shot_run(pretrained, mode: str, seed: int, labelled, test, settings: dict) -> float:
    """One point of the curve: adapt, train ``steps`` steps on ``labelled``, score on ``test``."""
    adapted = adapt(
        pretrained,
        mode,
        seed=seed,
        freeze_up_to=settings["freeze"] if mode == "frozen" else None,
        lr=settings["lr"],
        body_lr_scale=settings["body_lr_scale"],
    )
    model = train_steps(
        adapted, *labelled, settings["steps"], batch_size=settings["batch_size"], seed=seed
    )
    return evaluate(model, test, nn.CrossEntropyLoss(), batch_size=1000)["accuracy"]
