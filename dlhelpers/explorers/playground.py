"""A playground in the spirit of TensorFlow Playground, backed by real torch (notebook 06).

Three layers, as every explorer in the course:

- :class:`~dlhelpers.train.playground.PlaygroundModel`, the pure part: a 2-D
  data set split into train and test points, a torch MLP built from the
  settings, plain SGD with L2 on the weights (as Playground), ``step`` to
  train a few epochs and ``reset`` to start again;
- :class:`PlaygroundView`, the drawing: the decision surface
  (:class:`dlhelpers.viz.decision.DecisionView`, train points filled, test
  points hollow) next to the train and test loss curves, redrawn in place;
- :func:`build_playground`, the widget: the controls made from
  :class:`PlaygroundSettings`, a Play widget that ticks *in the browser* (no
  thread in the kernel), Step and Reset buttons.

Changing the data set, noise, train fraction, layers, width or activation
starts training again, as in Playground; the learning rate, L2 and batch size
take effect at the next step, so you can lower a learning rate mid-run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from dlhelpers.explorers.playing import PlayingExplorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.playground import ACTIVATION_LAYERS, PlaygroundModel
from dlhelpers.viz.decision import CLASS_COLORS, DecisionView, data_extent

__all__ = [
    "LEARNING_RATES",
    "PLAYGROUND_DATASETS",
    "REGULARIZATION_RATES",
    "Playground",
    "PlaygroundSettings",
    "PlaygroundView",
    "build_playground",
]

PLAYGROUND_DATASETS = ("circle", "xor", "gaussians", "spiral", "moons")
# Playground's own menus.
LEARNING_RATES = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
_FIXED = {"continuous": False}  # every change trains: redraw on release


@dataclass(frozen=True)
class PlaygroundSettings(Settings):
    """Every setting of the playground, its default and its control.

    A new data set, noise, train share, depth, width or activation starts
    training again; the learning rate, L2 and batch size apply from the next
    step. The last four have no control: they are fixed when it is built.
    """

    dataset: str = setting("circle", "data set", choices=PLAYGROUND_DATASETS)
    noise: float = setting(0.05, "noise", low=0.0, high=0.5, step=0.05, fmt=".2f", **_FIXED)
    train_fraction: float = setting(
        0.5, "train share", low=0.1, high=0.9, step=0.1, fmt=".0%", **_FIXED
    )
    hidden_layers: int = setting(2, "hidden layers", low=0, high=4, integer=True, **_FIXED)
    width: int = setting(4, "width", low=1, high=16, integer=True, **_FIXED)
    activation: str = setting("tanh", "activation", choices=tuple(ACTIVATION_LAYERS))
    learning_rate: float = setting(
        0.03, "learning rate", choices=LEARNING_RATES, style="choice_slider", **_FIXED
    )
    l2: float = setting(0.0, "L2", choices=REGULARIZATION_RATES, style="choice_slider", **_FIXED)
    batch_size: int = setting(10, "batch size", low=1, high=30, integer=True, **_FIXED)
    n_samples: int = setting(300, low=10, high=5000, integer=True)
    epochs_per_step: int = setting(5, low=1, high=1000, integer=True)
    interval_ms: int = setting(250, low=50, high=5000, integer=True)
    seed: int = setting(0, low=0, high=2**32 - 1, integer=True)


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
        # No tick labels (as Playground): text is most of the cost of a redraw.
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
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
        arch = " → ".join(["2"] + [str(s.width)] * int(s.hidden_layers) + ["1"])
        title = f"{s.dataset}, {arch} {s.activation}, epoch {model.epoch}"
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
            f"({model.settings.learning_rate:g}) and press reset."
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


class Playground(PlayingExplorer):
    """The playground widget: an :class:`Explorer` plus Play, Step and Reset.

    Attributes
    ----------
    model : PlaygroundModel
    view : PlaygroundView
    play : ipywidgets.Play
        Ticks in the browser every ``interval_ms`` ms while playing; each tick
        trains ``epochs_per_step`` epochs and redraws.
    step_button, reset_button : ipywidgets.Button
    """

    def __init__(self, settings: PlaygroundSettings, *, figsize=(7.6, 3.3)):
        self.model = PlaygroundModel(settings)
        figure = Figure(figsize=figsize)
        self.view = PlaygroundView(figure)
        # Fixed margins: a layout engine would cost more than the drawing on every tick.
        figure.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.3)
        super().__init__(
            "Playground",
            controls_from(settings),
            figure,
            self._draw_settings,
            per_tick=settings.epochs_per_step,
            interval_ms=settings.interval_ms,
            view=self.view,
            notices=settings.notices,
        )

    def _draw_settings(self, **settings) -> str:
        self.model.configure(**settings)
        self.view.update(self.model)
        return _status(self.model)

    def advance(self, n: int) -> None:
        """Train ``n`` epochs."""
        self.model.step(n)

    def restart(self) -> None:
        """Back to epoch 0 with the same weights."""
        self.model.reset()

    def keep_playing(self) -> bool:
        return not self.model.diverged


def build_playground(settings: PlaygroundSettings | None = None, **overrides) -> Playground:
    """A TensorFlow-Playground-style widget that trains a torch MLP on 2-D data.

    Press play (or step) to train ``epochs_per_step`` epochs per tick and
    watch the decision surface and the train/test loss curves move. The
    settings (by name, or a :class:`PlaygroundSettings`) and their ranges
    are those of :class:`PlaygroundSettings`: a value that is not among a
    menu's choices (``learning_rate=0.05``) or not a number raises
    ``ValueError``; one outside a slider's range is clamped with a notice.
    Not displayed: make it the last line of a cell.
    """
    return Playground(PlaygroundSettings.resolve(settings, overrides))
