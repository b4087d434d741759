"""A playground in the spirit of TensorFlow Playground, backed by real torch (notebook 06).

Three layers, as every widget in the course (see STYLE.md):

- :class:`PlaygroundModel`, the pure part: a 2-D data set from
  :func:`dlhelpers.toydata.make_dataset` split into train and test points, a
  torch MLP built from the settings, plain SGD with L2 on the weights (as
  Playground), :meth:`~PlaygroundModel.step` to train a few epochs and
  :meth:`~PlaygroundModel.reset` to start again from the same weights;
- :class:`PlaygroundView`, the drawing: the decision surface
  (:class:`dlhelpers.plots.DecisionView`, train points filled, test points
  hollow) next to the train and test loss curves, redrawn in place;
- :func:`build_playground`, the widget: the controls, a Play widget that
  ticks *in the browser* (no thread in the kernel), Step and Reset buttons.

Changing the data set, noise, train fraction, layers, width or activation
starts training again, as in Playground; the learning rate, L2 and batch size
take effect at the next step, so you can lower a learning rate mid-run.
"""

from __future__ import annotations

import math
import time

import ipywidgets as W
import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from torch import nn

from dlhelpers.plots import CLASS_COLORS, DecisionView, data_extent
from dlhelpers.toydata import make_dataset
from dlhelpers.widgets import Explorer

__all__ = [
    "ACTIVATION_LAYERS",
    "LEARNING_RATES",
    "PLAYGROUND_DATASETS",
    "REGULARIZATION_RATES",
    "Playground",
    "PlaygroundModel",
    "PlaygroundView",
    "build_playground",
    "make_mlp",
]

PLAYGROUND_DATASETS = ("circle", "xor", "gaussians", "spiral", "moons")
ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}
# Playground's own menus.
LEARNING_RATES = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
_REBUILD = ("dataset", "noise", "train_fraction", "hidden_layers", "width", "activation")
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
        self.settings: dict = {}
        self.configure(
            dataset=dataset,
            noise=noise,
            train_fraction=train_fraction,
            hidden_layers=hidden_layers,
            width=width,
            activation=activation,
            learning_rate=learning_rate,
            l2=l2,
            batch_size=batch_size,
        )

    # --- settings --------------------------------------------------------------

    def configure(self, **settings) -> bool:
        """Apply settings (keyword arguments named as in the constructor).

        A new data set, noise, train fraction, depth, width or activation
        rebuilds the data and the network and starts again; the learning
        rate, L2 and batch size apply from the next step. Returns True if
        training started again.
        """
        unknown = set(settings) - set(_REBUILD) - {"learning_rate", "l2", "batch_size"}
        if unknown:
            raise TypeError(f"unknown playground settings: {sorted(unknown)}")
        old = self.settings
        rebuild = not old or any(settings.get(k, old.get(k)) != old.get(k) for k in _REBUILD)
        self.settings = {**self.settings, **settings}
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


class PlaygroundView:
    """Decision surface (left) and train/test loss curves (right) on one figure."""

    def __init__(self, figure: Figure, *, n: int = 70):
        self.figure, self.n = figure, n
        self.ax_map, self.ax_loss = figure.subplots(1, 2, width_ratios=[1, 1.15])
        self.decision: DecisionView | None = None
        self._data_key = None
        ax = self.ax_loss
        (self.train_line,) = ax.plot([], [], color="0.15", lw=1.8, label="train loss")
        (self.test_line,) = ax.plot([], [], color="C3", lw=1.5, ls="--", label="test loss")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)

    def _set_data(self, model: PlaygroundModel) -> None:
        ax = self.ax_map
        ax.clear()
        X_all = np.concatenate([model.X_train, model.X_test])
        self.decision = DecisionView(
            ax, model.X_train, model.y_train, extent=data_extent(X_all), n=self.n
        )
        colors = ListedColormap(CLASS_COLORS)(model.y_test)
        self.test_points = ax.scatter(
            model.X_test[:, 0],
            model.X_test[:, 1],
            s=16,
            facecolors="none",
            edgecolors=colors,
            linewidths=1.0,
        )

    def update(self, model: PlaygroundModel) -> PlaygroundView:
        key = (id(model.X_train), len(model.X_train))
        if key != self._data_key:
            self._set_data(model)
            self._data_key = key
        s = model.settings
        arch = " → ".join(["2"] + [str(s["width"])] * int(s["hidden_layers"]) + ["1"])
        title = f"{s['dataset']}, {arch} {s['activation']}, epoch {model.epoch}"
        self.decision.update_model(model.predict_proba, title=title)
        h = model.history
        self.train_line.set_data(h["epoch"], h["loss"])
        self.test_line.set_data(h["epoch"], h["test_loss"])
        values = np.array(h["loss"] + h["test_loss"], dtype=float)
        values = values[np.isfinite(values)]
        # A diverging run goes off the top instead of squashing the rest flat.
        top = min(values.max(), 3 * max(h["loss"][0], 0.1)) if values.size else 1.0
        self.ax_loss.set_ylim(0, 1.1 * top)
        self.ax_loss.set_xlim(0, max(10, h["epoch"][-1]))
        self.ax_loss.set_title(
            f"cross-entropy: train {h['loss'][-1]:.3f} · test {h['test_loss'][-1]:.3f}", fontsize=9
        )
        return self


def _status(model: PlaygroundModel) -> str:
    if model.diverged:
        return (
            f"<b style='color:#c00'>diverged</b> at epoch {model.epoch}: the training loss "
            f"went to {model.history['loss'][-1]:.3g}. Lower the learning rate "
            f"({model.settings['learning_rate']:g}) and press reset."
        )
    warning = ""
    if model.history["loss"][-1] > 1.5 * model.history["loss"][0]:
        warning = (
            " · <b style='color:#c60'>the training loss is above where it started</b>: "
            "is the learning rate too high?"
        )
    return (
        f"epoch <b>{model.epoch}</b> · train loss {model.history['loss'][-1]:.3f} · "
        f"test loss {model.history['test_loss'][-1]:.3f} · accuracy: train "
        f"{model.accuracy('train'):.0%}, test {model.accuracy('test'):.0%} · "
        f"{model.n_parameters()} parameters{warning}"
    )


class Playground(Explorer):
    """The playground widget: an :class:`Explorer` plus Play, Step and Reset.

    Attributes
    ----------
    model : PlaygroundModel
    view : PlaygroundView
    play : ipywidgets.Play
        Ticks in the browser every ``interval`` ms while playing; each tick
        trains ``epochs_per_step`` epochs and redraws.
    step_button, reset_button : ipywidgets.Button
    """

    def __init__(
        self,
        model: PlaygroundModel,
        controls: dict,
        *,
        epochs_per_step: int = 5,
        interval_ms: int = 250,
        figsize=(7.6, 3.3),
    ):
        self.model, self.epochs_per_step = model, epochs_per_step
        figure = Figure(figsize=figsize)
        self.view = PlaygroundView(figure)
        # Fixed margins: a layout engine would cost more than the drawing on every tick.
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.3)
        self.play = W.Play(
            value=0,
            min=0,
            max=10**9,
            step=1,
            interval=interval_ms,
            show_repeat=False,
            description="play / pause",
        )
        self.step_button = W.Button(
            description="step", icon="step-forward", layout=W.Layout(width="90px")
        )
        self.reset_button = W.Button(
            description="reset", icon="undo", layout=W.Layout(width="90px")
        )
        self.play.observe(self._on_tick, names="value")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button.on_click(lambda _b: self.reset())
        self._last_tick = float("-inf")
        buttons = W.HBox([self.play, self.step_button, self.reset_button])
        super().__init__("Playground", controls, figure, self._draw_settings, extra=[buttons])

    def _draw_settings(self, **settings) -> str:
        self.model.configure(**settings)
        self.view.update(self.model)
        return _status(self.model)

    def step(self, n_epochs: int | None = None) -> float:
        """Train a few epochs and redraw; returns the training loss."""
        loss = self.model.step(self.epochs_per_step if n_epochs is None else n_epochs)
        self.refresh()
        return loss

    def reset(self) -> None:
        """Back to epoch 0 with the same weights; stops playing."""
        self.play.playing = False
        self.model.reset()
        self.refresh()

    def _on_tick(self, change) -> None:
        # The Play widget's stop button sends the value back to 0: not a tick.
        if change["new"] <= change["old"]:
            return
        # If the kernel fell behind, ticks queue up and would keep training after
        # a pause; drop those that arrive sooner than half an interval apart.
        now = time.monotonic()
        if now - self._last_tick < 0.5 * self.play.interval / 1000:
            return
        self.step()
        if self.model.diverged:
            self.play.playing = False
        self._last_tick = time.monotonic()


def build_playground(
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
    epochs_per_step: int = 5,
    interval_ms: int = 250,
    seed: int = 0,
) -> Playground:
    """A TensorFlow-Playground-style widget that trains a torch MLP on 2-D data.

    Press play (or step) to train ``epochs_per_step`` epochs per tick and
    watch the decision surface and the train/test loss curves move. See
    :class:`PlaygroundModel` for the settings. Not displayed: make it the
    last line of a cell.
    """
    model = PlaygroundModel(
        dataset,
        noise=noise,
        train_fraction=train_fraction,
        hidden_layers=hidden_layers,
        width=width,
        activation=activation,
        learning_rate=learning_rate,
        l2=l2,
        batch_size=batch_size,
        n_samples=n_samples,
        seed=seed,
    )
    short = W.Layout(width="250px")
    style = {"description_width": "100px"}

    def menu(options, value, description):
        return W.SelectionSlider(
            options=options,
            value=value,
            description=description,
            continuous_update=False,
            layout=short,
            style=style,
        )

    controls = {
        "dataset": W.Dropdown(
            options=PLAYGROUND_DATASETS,
            value=dataset,
            description="data set",
            layout=short,
            style=style,
        ),
        "noise": W.FloatSlider(
            value=noise,
            min=0.0,
            max=0.5,
            step=0.05,
            description="noise",
            continuous_update=False,
            layout=short,
            style=style,
        ),
        "train_fraction": W.FloatSlider(
            value=train_fraction,
            min=0.1,
            max=0.9,
            step=0.1,
            description="train share",
            continuous_update=False,
            readout_format=".0%",
            layout=short,
            style=style,
        ),
        "hidden_layers": W.IntSlider(
            value=hidden_layers,
            min=0,
            max=4,
            description="hidden layers",
            continuous_update=False,
            layout=short,
            style=style,
        ),
        "width": W.IntSlider(
            value=width,
            min=1,
            max=16,
            description="width",
            continuous_update=False,
            layout=short,
            style=style,
        ),
        "activation": W.Dropdown(
            options=list(ACTIVATION_LAYERS),
            value=activation,
            description="activation",
            layout=short,
            style=style,
        ),
        "learning_rate": menu(LEARNING_RATES, learning_rate, "learning rate"),
        "l2": menu(REGULARIZATION_RATES, l2, "L2"),
        "batch_size": W.IntSlider(
            value=batch_size,
            min=1,
            max=30,
            description="batch size",
            continuous_update=False,
            layout=short,
            style=style,
        ),
    }
    return Playground(model, controls, epochs_per_step=epochs_per_step, interval_ms=interval_ms)
