"""A GAN Lab in the notebook (notebook 10): a 2-D GAN trained live by torch.

After Kahng et al.'s GAN Lab (poloclub.github.io/ganlab), in the three
layers of every explorer in the course:

- :class:`~dlhelpers.train.gan.GanTrainer`, the pure part: generator,
  discriminator, Adam, ``step`` and the measurements (modes, JS);
- :class:`GanLabView`, the drawing: the discriminator's probability of
  "real" as a heat map, the real points (green) and the generated ones
  (purple) over it, the generator's warped noise grid (thin lines), and
  both losses over the iterations, redrawn in place;
- :func:`build_gan_lab`, the widget: the controls, a Play widget that ticks
  *in the browser* (no thread in the kernel), Step and Reset buttons.

Every setting starts training again (as in GAN Lab). A generator whose
points turn to NaN (or whose losses do) has *diverged*: the explorer keeps
the last good state on show, says so, and stops playing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dlhelpers.data.targets2d import EXTENT, TARGETS
from dlhelpers.explorers.playing import PlayingExplorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.gan import GAN_LOSSES, GanTrainer

__all__ = [
    "GAN_LEARNING_RATES",
    "GAN_WIDTHS",
    "GanLab",
    "GanLabSettings",
    "GanLabView",
    "build_gan_lab",
    "gan_status",
]

GAN_LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
GAN_WIDTHS = (8, 16, 32, 64, 128)
REAL_COLOR, FAKE_COLOR = "#1b7837", "#762a83"  # PRGn's ends: green is real, purple fake


class GanLabView:
    """Field, points and warped grid (left); the two losses (right)."""

    def __init__(self, figure: Figure, *, n_field: int = 40, n_points: int = 400):
        self.figure, self.n_field, self.n_points = figure, n_field, n_points
        self.ax_map, self.ax_loss = figure.subplots(1, 2, width_ratios=[1.5, 1])
        x0, x1, y0, y1 = EXTENT
        self.xs, self.ys = np.linspace(x0, x1, n_field), np.linspace(y0, y1, n_field)
        ax = self.ax_map
        self.field = ax.imshow(
            np.full((n_field, n_field), 0.5),
            origin="lower",
            extent=EXTENT,
            cmap="PRGn",
            vmin=0,
            vmax=1,
            alpha=0.45,
            interpolation="bilinear",
        )
        self.grid_lines = LineCollection([], colors="0.3", linewidths=0.5, alpha=0.6)
        ax.add_collection(self.grid_lines)
        self.real = ax.scatter([], [], s=5, color=REAL_COLOR, linewidths=0, label="real")
        self.fake = ax.scatter([], [], s=5, color=FAKE_COLOR, linewidths=0, label="generated")
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect("equal")
        # No tick labels: text is most of the cost of a redraw.
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(loc="upper left", fontsize=7, markerscale=2, framealpha=0.7)
        ax = self.ax_loss
        (self.d_line,) = ax.plot([], [], color="C0", lw=1.2, label="D loss")
        (self.g_line,) = ax.plot([], [], color=FAKE_COLOR, lw=1.2, label="G loss")
        ax.axhline(
            np.log(4), color="0.6", lw=0.8, ls=":"
        )  # D's loss when it gives up: 0.5 everywhere
        ax.set_xlabel("iteration", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7)
        self._real_key = None

    def update(self, trainer: GanTrainer) -> GanLabView:
        if self._real_key != id(trainer.real):
            self.real.set_offsets(trainer.real[: self.n_points])
            self._real_key = id(trainer.real)
        self.field.set_data(trainer.field(self.xs, self.ys))
        self.fake.set_offsets(trainer.samples(self.n_points))
        grid = trainer.noise_map(11)  # (n, n, 2)
        self.grid_lines.set_segments(list(grid) + list(grid.transpose(1, 0, 2)))
        self.ax_map.set_title(f"{trainer.target}, iteration {trainer.iteration}", fontsize=9)
        h = trainer.history
        every = max(1, len(h["iteration"]) // 400)  # a few hundred points are enough to draw
        its = h["iteration"][::every]
        self.d_line.set_data(its, h["d_loss"][::every])
        self.g_line.set_data(its, h["g_loss"][::every])
        values = np.array(h["d_loss"] + h["g_loss"], dtype=float)
        values = values[np.isfinite(values)]
        low = min(0.0, values.min()) if values.size else 0.0
        high = max(2.0, np.percentile(values, 99)) if values.size else 2.0
        self.ax_loss.set_ylim(low - 0.05, 1.1 * high)
        self.ax_loss.set_xlim(0, max(100, trainer.iteration))
        return self


_FIXED = {"continuous": False}


@dataclass(frozen=True)
class GanLabSettings(Settings):
    """GAN Lab's settings: the target, both networks, their learning rates and the loss.

    ``width`` is both networks' width. The last three have no control: the
    seed of the run, the generator iterations per tick, the tick interval.
    """

    target: str = setting("ring", "target", choices=tuple(TARGETS))
    noise_dim: int = setting(2, "noise dim", low=1, high=8, integer=True, **_FIXED)
    width: int = setting(64, "width", choices=GAN_WIDTHS, style="choice_slider")
    g_lr: float = setting(
        1e-3, "G learning rate", choices=GAN_LEARNING_RATES, style="choice_slider"
    )
    d_lr: float = setting(
        1e-3, "D learning rate", choices=GAN_LEARNING_RATES, style="choice_slider"
    )
    d_steps: int = setting(1, "D steps", low=1, high=5, integer=True, **_FIXED)
    loss: str = setting("non-saturating", "G loss", choices=tuple(GAN_LOSSES))
    seed: int = setting(0, low=0, high=2**32 - 1, integer=True)
    steps_per_tick: int = setting(50, low=1, high=10_000, integer=True)
    interval_ms: int = setting(250, low=50, high=5000, integer=True)


def diverged(trainer: GanTrainer) -> str:
    """Why ``trainer`` has diverged (its samples or losses are NaN or infinite), or ""."""
    points = trainer.samples(500)
    if not np.isfinite(points).all():
        return "the generator's samples are NaN"
    h = trainer.history
    if h["iteration"] and not np.isfinite([h["d_loss"][-1], h["g_loss"][-1]]).all():
        return "the losses are NaN"
    return ""


def gan_status(trainer: GanTrainer, problem: str = "") -> str:
    """``iteration 600 · D loss 1.31 · G loss 0.78 · modes 8/8 · JS 0.12``.

    With ``problem`` (a diverged run), the line says so first and shows no
    JS or modes for points that are not numbers.
    """
    h = trainer.history
    parts = [f"iteration <b>{trainer.iteration}</b>"]
    if h["iteration"]:
        parts += [f"D loss {h['d_loss'][-1]:.2f}", f"G loss {h['g_loss'][-1]:.2f}"]
    problem = problem or diverged(trainer)
    if problem:
        return " · ".join([f"<b style='color:#c00'>diverged</b>: {problem}", *parts])
    if trainer.n_modes is not None:
        parts.append(f"modes {trainer.modes_covered()}/{trainer.n_modes}")
    parts.append(f"JS {trainer.divergence():.2f}")
    return " · ".join(parts)


class GanLab(PlayingExplorer):
    """The GAN Lab widget: an :class:`~dlhelpers.explorers.base.Explorer` plus Play, Step and Reset.

    Attributes
    ----------
    trainer : GanTrainer
        Rebuilt whenever a control changes.
    view : GanLabView
    problem : str
        Why the last step diverged ("" while training is healthy); the
        trainer then holds the last good state, and Play stops.
    play : ipywidgets.Play
        Ticks in the browser every ``interval_ms`` ms while playing; each tick
        trains ``steps_per_tick`` iterations and redraws.
    step_button, reset_button : ipywidgets.Button
    """

    def __init__(self, settings: GanLabSettings, *, figsize=(6.6, 3.3)):
        self.seed = settings.seed
        self.trainer: GanTrainer | None = None
        self.problem = ""
        self._config: dict | None = None
        figure = Figure(figsize=figsize)
        self.view = GanLabView(figure)
        # Fixed margins: a layout engine would cost more than the drawing on every tick.
        figure.subplots_adjust(left=0.02, right=0.98, bottom=0.13, top=0.92, wspace=0.15)
        super().__init__(
            "GanLab",
            controls_from(settings),
            figure,
            self._draw,
            per_tick=settings.steps_per_tick,
            interval_ms=settings.interval_ms,
            view=self.view,
            notices=settings.notices,
        )

    def _draw(self, **settings) -> str:
        if settings != self._config:  # any change starts again
            self.trainer = GanTrainer(
                settings["target"],
                noise_dim=int(settings["noise_dim"]),
                g_width=int(settings["width"]),
                d_width=int(settings["width"]),
                g_lr=float(settings["g_lr"]),
                d_lr=float(settings["d_lr"]),
                d_steps=int(settings["d_steps"]),
                loss=settings["loss"],
                seed=self.seed,
            )
            self._config, self.problem = dict(settings), ""
        self.view.update(self.trainer)
        return gan_status(self.trainer, self.problem)

    def advance(self, n: int) -> None:
        """Train ``n`` generator iterations; on divergence, go back to the state before them."""
        if self.problem:
            return
        good = copy.deepcopy(self.trainer)  # a few ms for these small networks
        self.trainer.step(n)
        problem = diverged(self.trainer)
        if problem:
            self.trainer = good
            self.problem = (
                f"{problem} within {n} iterations after iteration {good.iteration}; "
                f"showing iteration {good.iteration}. Lower a learning rate and press reset"
            )

    def restart(self) -> None:
        """Back to iteration 0 with the same weights."""
        self.trainer.reset()
        self.problem = ""

    def keep_playing(self) -> bool:
        return not self.problem


def build_gan_lab(settings: GanLabSettings | None = None, **overrides) -> GanLab:
    """A GAN-Lab-style widget: watch a torch GAN learn a 2-D distribution.

    Press play (or step) to train ``steps_per_tick`` generator iterations per
    tick. Settings by name, see :class:`GanLabSettings`: ``target`` is one of
    :data:`~dlhelpers.data.targets2d.TARGETS`; ``width`` one of
    :data:`GAN_WIDTHS` (both networks); the learning rates among
    :data:`GAN_LEARNING_RATES`; ``loss`` one of
    :data:`~dlhelpers.train.gan.GAN_LOSSES`. A value not on a menu raises
    ``ValueError`` naming the choices; a slider value out of range is
    clamped with a notice. Not displayed: make it the last line of a cell.
    """
    return GanLab(GanLabSettings.resolve(settings, overrides))
