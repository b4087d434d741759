"""A playground in the spirit of TensorFlow Playground, backed by real torch (notebook 06).

Three layers, as every widget in the course (see STYLE.md):

- :class:`~dlhelpers.playground_model.PlaygroundModel`, the pure part (its own
  module): a 2-D data set split into train and test points, a torch MLP built
  from the settings, plain SGD with L2 on the weights (as Playground),
  ``step`` to train a few epochs and ``reset`` to start again;
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

from dataclasses import Field, fields

import ipywidgets as W
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from dlhelpers.explorers.base import choice_slider, dropdown, slider
from dlhelpers.explorers.playground_model import PlaygroundModel
from dlhelpers.explorers.playground_settings import PlaygroundSettings
from dlhelpers.explorers.playing import PlayingExplorer
from dlhelpers.viz.decision import CLASS_COLORS, DecisionView, data_extent

__all__ = ["Playground", "PlaygroundView", "build_playground"]


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


class Playground(PlayingExplorer):
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
        super().__init__(
            "Playground",
            controls,
            figure,
            self._draw_settings,
            interval_ms=interval_ms,
            view=self.view,
        )

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

    def keep_playing(self) -> bool:
        return not self.model.diverged


def _make_control(f: Field, value) -> W.Widget:
    """The control that a :class:`PlaygroundSettings` field's metadata asks for."""
    spec = {**f.metadata}
    label = spec.pop("label")
    if "choices" in spec:
        make = dropdown if spec.get("menu") else choice_slider
        return make(label, spec["choices"], value, name=f.name)
    return slider(
        label,
        value,
        spec["low"],
        spec["high"],
        spec.get("step", 1),
        integer=spec.get("integer", False),
        fmt=spec.get("fmt", ".1f"),
        continuous=False,
        name=f.name,
    )


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
    :class:`PlaygroundSettings` for the settings and their ranges: a value
    that is not among a menu's choices (``learning_rate=0.05``) or not a
    number raises ``ValueError``; one outside a slider's range is clamped
    with a warning. Not displayed: make it the last line of a cell.
    """
    given = locals()
    controls = {f.name: _make_control(f, given[f.name]) for f in fields(PlaygroundSettings)}
    values = {name: control.value for name, control in controls.items()}
    model = PlaygroundModel(**values, n_samples=n_samples, seed=seed)
    return Playground(model, controls, epochs_per_step=epochs_per_step, interval_ms=interval_ms)
