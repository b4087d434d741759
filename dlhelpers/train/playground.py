"""The playground's training (notebook 06): a 2-D data set, a torch MLP, and SGD with L2.

:class:`PlaygroundModel` holds a 2-D data set from
:func:`dlhelpers.data.toy.make_dataset` split into train and test points, a
torch MLP built from the settings (:func:`make_mlp`), plain SGD with L2 on the
weights (as TensorFlow Playground), :meth:`~PlaygroundModel.step` to train a
few epochs and :meth:`~PlaygroundModel.reset` to start again from the same
weights. It draws nothing: :mod:`dlhelpers.explorers.playground` is the widget,
and its ``PlaygroundSettings`` holds the defaults.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from dlhelpers.data.toy import DATASETS, make_dataset
from dlhelpers.validate import (
    check_choice,
    check_int,
    check_number,
    check_positive_int,
    check_seed,
)

__all__ = [
    "ACTIVATION_LAYERS",
    "HYPERPARAMETERS",
    "PlaygroundConfig",
    "PlaygroundModel",
    "make_mlp",
]

ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}
#: Settings that apply from the next step; a change of any other rebuilds data and network.
HYPERPARAMETERS = ("learning_rate", "l2", "batch_size")


class PlaygroundConfig(Protocol):
    """What :class:`PlaygroundModel` reads from its settings (a frozen dataclass)."""

    dataset: str
    noise: float
    train_fraction: float
    hidden_layers: int
    width: int
    activation: str
    learning_rate: float
    l2: float
    batch_size: int
    n_samples: int
    seed: int


_DTYPE = torch.float32


def make_mlp(
    hidden_layers: int = 2,
    width: int = 4,
    activation: str = "tanh",
    *,
    n_inputs: int = 2,
    n_outputs: int = 1,
    seed: int | None = 0,
) -> nn.Sequential:
    """A fully connected network ``n_inputs -> [width] * hidden_layers -> n_outputs``.

    The output is a raw score (logit); pair it with ``nn.BCEWithLogitsLoss``.
    ``hidden_layers=0`` gives logistic regression. With ``seed`` the weights
    are drawn from their own generator, so the global torch RNG is untouched
    and the same seed always gives the same network.
    """
    check_choice("activation", activation, ACTIVATION_LAYERS)
    hidden_layers, width = (
        check_int("hidden_layers", hidden_layers, low=0),
        check_positive_int("width", width),
    )
    sizes = [n_inputs] + [width] * hidden_layers + [n_outputs]
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(fan_in, fan_out, dtype=_DTYPE))
            if i < len(sizes) - 2:
                layers.append(ACTIVATION_LAYERS[activation]())
    return nn.Sequential(*layers)


class PlaygroundModel:
    """Data, network and optimizer of the playground; no drawing.

    Parameters
    ----------
    settings : PlaygroundConfig
        A frozen dataclass with the fields below, for example
        :class:`dlhelpers.explorers.playground.PlaygroundSettings` (which
        holds the defaults). Each is checked here too.

    The settings' fields:

    dataset : str
        Any name of :data:`dlhelpers.data.toy.DATASETS`.
    noise : float
        Standard deviation of the Gaussian noise added to the points.
    train_fraction : float
        Share of the ``n_samples`` points used for training; the rest is the test set.
    hidden_layers, width, activation
        The network, see :func:`make_mlp`.
    learning_rate, l2 : float
        Step size of plain SGD and the L2 penalty on the weights (not the biases).
    batch_size : int
        Points per SGD step.
    n_samples, seed : int
        Size of the data set, and the seed of the data, the split, the
        weights and the batch order.

    Attributes
    ----------
    epoch : int
        Epochs trained since the last reset.
    history : dict of str to list of float
        ``"epoch"``, ``"loss"`` and ``"test_loss"``, one entry per epoch,
        starting with epoch 0 (the untrained network).
    diverged : bool
        True once the training loss is ``nan``/``inf`` or 10 times its start;
        :meth:`step` then does nothing until a reset or a rebuild.
    """

    def __init__(self, settings: PlaygroundConfig):
        self.settings = settings
        self._check()
        self._make_data()
        self.reset()

    def _check(self) -> None:
        s = self.settings
        check_choice("dataset", s.dataset, DATASETS)
        check_choice("activation", s.activation, ACTIVATION_LAYERS)
        check_number("noise", s.noise, low=0)
        check_number(
            "train_fraction", s.train_fraction, low=0, high=1, low_open=True, high_open=True
        )
        check_int("hidden_layers", s.hidden_layers, low=0)
        check_number("learning_rate", s.learning_rate, low=0, low_open=True)
        check_number("l2", s.l2, low=0)
        for name in ("width", "batch_size", "n_samples"):
            check_positive_int(name, getattr(s, name))
        check_seed("seed", s.seed)

    # --- settings --------------------------------------------------------------

    def configure(self, **changes: Any) -> bool:
        """Apply settings by name (a new settings object made with :func:`dataclasses.replace`).

        A change of :data:`HYPERPARAMETERS` (learning rate, L2, batch size)
        applies from the next step; any other change rebuilds the data and
        the network and starts again. Returns True if training started again.
        """
        old = self.settings
        self.settings = replace(old, **changes)
        try:
            self._check()
        except ValueError:
            self.settings = old
            raise
        if all(
            getattr(self.settings, k) == getattr(old, k)
            for k in changes
            if k not in HYPERPARAMETERS
        ):
            self._apply_hyperparameters()
            return False
        self._make_data()
        self.reset()
        return True

    def _make_data(self) -> None:
        s = self.settings
        X, y = make_dataset(s.dataset, s.n_samples, noise=float(s.noise), seed=s.seed)
        n_train = int(np.clip(round(s.train_fraction * len(y)), 2, len(y) - 1))
        self.X_train, self.y_train = X[:n_train], y[:n_train]  # make_dataset already shuffled
        self.X_test, self.y_test = X[n_train:], y[n_train:]
        self._tensors = [
            torch.as_tensor(a, dtype=_DTYPE)
            for a in (self.X_train, self.y_train, self.X_test, self.y_test)
        ]

    def _apply_hyperparameters(self) -> None:
        decay, plain = self.optimizer.param_groups
        decay["lr"] = plain["lr"] = float(self.settings.learning_rate)
        decay["weight_decay"] = float(self.settings.l2)

    def reset(self) -> None:
        """Back to epoch 0: the same initial weights and batch order; the history holds epoch 0."""
        s = self.settings
        self.net = make_mlp(int(s.hidden_layers), int(s.width), s.activation, seed=s.seed)
        weights = [p for name, p in self.net.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in self.net.named_parameters() if name.endswith("bias")]
        # torch's weight_decay=l2 adds l2 * w to the gradient: the penalty (l2 / 2) * sum(w**2).
        self.optimizer = torch.optim.SGD(
            [
                {"params": weights, "weight_decay": float(s.l2)},
                {"params": biases, "weight_decay": 0.0},
            ],
            lr=float(s.learning_rate),
        )
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.batches = torch.Generator().manual_seed(s.seed)
        self.epoch = 0
        self.diverged = False
        self.history: dict[str, list[float]] = {"epoch": [], "loss": [], "test_loss": []}
        self._record()

    # --- training --------------------------------------------------------------

    @torch.no_grad()
    def losses(self) -> tuple[float, float]:
        """Mean cross-entropy on the train and the test points."""
        Xtr, ytr, Xte, yte = self._tensors
        return (
            float(self.loss_fn(self.net(Xtr).squeeze(1), ytr)),
            float(self.loss_fn(self.net(Xte).squeeze(1), yte)),
        )

    def _record(self) -> None:
        train, test = self.losses()
        self.history["epoch"].append(self.epoch)
        self.history["loss"].append(train)
        self.history["test_loss"].append(test)
        start = self.history["loss"][0]
        if not math.isfinite(train) or train > 10 * max(start, math.log(2)):
            self.diverged = True

    def step(self, n_epochs: int = 1) -> float:
        """Train ``n_epochs`` epochs of mini-batch SGD; return the training loss after them."""
        n_epochs = check_positive_int("n_epochs", n_epochs)
        if self.diverged:
            return self.history["loss"][-1]
        Xtr, ytr = self._tensors[:2]
        batch = int(self.settings.batch_size)
        self.net.train()
        for _ in range(n_epochs):
            order = torch.randperm(len(ytr), generator=self.batches)
            for start in range(0, len(ytr), batch):
                idx = order[start : start + batch]
                loss = self.loss_fn(self.net(Xtr[idx]).squeeze(1), ytr[idx])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            self.epoch += 1
            self._record()
            if self.diverged:
                break
        return self.history["loss"][-1]

    @torch.no_grad()
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """P(class 1) for points ``X`` of shape (n, 2); shape (n,)."""
        logits = self.net(torch.as_tensor(X, dtype=_DTYPE)).squeeze(1)
        return torch.sigmoid(logits).numpy().astype(float)

    def accuracy(self, split: str = "test") -> float:
        """Share of the ``split`` ("train" or "test") points on the right side of 0.5."""
        check_choice("split", split, ("train", "test"))
        X, y = (self.X_train, self.y_train) if split == "train" else (self.X_test, self.y_test)
        return float(np.mean((self.predict_proba(X) > 0.5) == y))

    def n_parameters(self) -> int:
        """How many numbers the network learns."""
        return sum(p.numel() for p in self.net.parameters())
