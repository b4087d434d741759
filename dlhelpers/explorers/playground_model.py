"""The pure part of the playground (notebook 06): data, a torch MLP, and training.

:class:`PlaygroundModel` holds a 2-D data set from
:func:`dlhelpers.toydata.make_dataset` split into train and test points, a
torch MLP built from the settings (:func:`make_mlp`), plain SGD with L2 on the
weights (as TensorFlow Playground), :meth:`~PlaygroundModel.step` to train a
few epochs and :meth:`~PlaygroundModel.reset` to start again from the same
weights. It draws nothing; :mod:`dlhelpers.playground` is the widget.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import torch
from torch import nn

from dlhelpers.data.toy import make_dataset
from dlhelpers.explorers.playground_settings import (
    ACTIVATION_LAYERS,
    LEARNING_RATES,
    PLAYGROUND_DATASETS,
    REGULARIZATION_RATES,
    PlaygroundSettings,
)

__all__ = [
    "ACTIVATION_LAYERS",
    "LEARNING_RATES",
    "PLAYGROUND_DATASETS",
    "PlaygroundModel",
    "PlaygroundSettings",
    "REGULARIZATION_RATES",
    "make_mlp",
]

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
    if activation not in ACTIVATION_LAYERS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {list(ACTIVATION_LAYERS)}"
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
    dataset : str
        One of :data:`PLAYGROUND_DATASETS` (any name of :func:`make_dataset` works).
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

    def __init__(
        self,
        dataset: str = "circle",
        *,
        noise: float = 0.05,
        train_fraction: float = 0.5,
        hidden_layers: int = 2,
        width: int = 4,
        activation: str = "tanh",
        learning_rate: float = 0.03,
        l2: float = 0.0,
        batch_size: int = 10,
        n_samples: int = 300,
        seed: int = 0,
    ):
        self.n_samples, self.seed = n_samples, seed
        self.settings = PlaygroundSettings(
            dataset=dataset,
            noise=noise,
            train_fraction=train_fraction,
            hidden_layers=hidden_layers,
            width=width,
            activation=activation,
            learning_rate=learning_rate,
            l2=l2,
            batch_size=batch_size,
        ).validate()
        self._make_data()
        self.reset()

    # --- settings --------------------------------------------------------------

    def configure(self, **settings) -> bool:
        """Apply settings (keyword arguments named as in the constructor).

        A new data set, noise, train fraction, depth, width or activation
        rebuilds the data and the network and starts again; the learning
        rate, L2 and batch size apply from the next step. Returns True if
        training started again.
        """
        unknown = set(settings) - {f.name for f in fields(PlaygroundSettings)}
        if unknown:
            raise TypeError(
                f"unknown playground settings: {sorted(unknown)}; "
                f"choose among {[f.name for f in fields(PlaygroundSettings)]}"
            )
        old = self.settings
        self.settings = replace(old, **settings).validate()
        rebuild = any(self.settings[k] != old[k] for k in PlaygroundSettings.rebuilding())
        if rebuild:
            self._make_data()
            self.reset()
        else:
            self._apply_hyperparameters()
        return rebuild

    def _make_data(self) -> None:
        s = self.settings
        X, y = make_dataset(s["dataset"], self.n_samples, noise=float(s["noise"]), seed=self.seed)
        n_train = int(np.clip(round(s["train_fraction"] * len(y)), 2, len(y) - 1))
        self.X_train, self.y_train = X[:n_train], y[:n_train]  # make_dataset already shuffled
        self.X_test, self.y_test = X[n_train:], y[n_train:]
        self._tensors = [
            torch.as_tensor(a, dtype=_DTYPE)
            for a in (self.X_train, self.y_train, self.X_test, self.y_test)
        ]

    def _apply_hyperparameters(self) -> None:
        decay, plain = self.optimizer.param_groups
        decay["lr"] = plain["lr"] = float(self.settings["learning_rate"])
        decay["weight_decay"] = float(self.settings["l2"])

    def reset(self) -> None:
        """Back to epoch 0: the same initial weights and batch order; the history holds epoch 0."""
        s = self.settings
        self.net = make_mlp(
            int(s["hidden_layers"]), int(s["width"]), s["activation"], seed=self.seed
        )
        weights = [p for name, p in self.net.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in self.net.named_parameters() if name.endswith("bias")]
        # torch's weight_decay=l2 adds l2 * w to the gradient: the penalty (l2 / 2) * sum(w**2).
        self.optimizer = torch.optim.SGD(
            [
                {"params": weights, "weight_decay": float(s["l2"])},
                {"params": biases, "weight_decay": 0.0},
            ],
            lr=float(s["learning_rate"]),
        )
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.batches = torch.Generator().manual_seed(self.seed)
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
        if self.diverged:
            return self.history["loss"][-1]
        Xtr, ytr = self._tensors[:2]
        batch = max(1, int(self.settings["batch_size"]))
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
        X, y = (self.X_train, self.y_train) if split == "train" else (self.X_test, self.y_test)
        return float(np.mean((self.predict_proba(X) > 0.5) == y))

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.net.parameters())
