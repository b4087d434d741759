"""A GAN Lab in the notebook (notebook 10): a 2-D GAN trained live by torch.

After Kahng et al.'s GAN Lab (poloclub.github.io/ganlab), in the three
layers of every widget in the course (see STYLE.md):

- :class:`~dlhelpers.train.gan.GanTrainer`, the pure part: generator,
  discriminator, Adam, ``step`` and the measurements (modes, JS);
- :class:`GanLabView`, the drawing: the discriminator's probability of
  "real" as a heat map, the real points (green) and the generated ones
  (purple) over it, the generator's warped noise grid (thin lines), and
  both losses over the iterations, redrawn in place;
- :func:`build_gan_lab`, the widget: the controls, a Play widget that ticks
  *in the browser* (no thread in the kernel), Step and Reset buttons.

Every setting starts training again (as in GAN Lab).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dlhelpers.data.targets2d import EXTENT, TARGETS
from dlhelpers.explorers.base import choice_slider, dropdown, slider
from dlhelpers.explorers.playing import PlayingExplorer
from dlhelpers.train.gan import GAN_LOSSES, GanTrainer

__all__ = ["GAN_LEARNING_RATES", "GAN_WIDTHS", "GanLab", "GanLabView", "build_gan_lab"]

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


def gan_status(trainer: GanTrainer) -> str:
    """``iteration 600 · D loss 1.31 · G loss 0.78 · modes 8/8 · JS 0.12``."""
    h = trainer.history
    parts = [f"iteration <b>{trainer.iteration}</b>"]
    if h["iteration"]:
        parts += [f"D loss {h['d_loss'][-1]:.2f}", f"G loss {h['g_loss'][-1]:.2f}"]
    if trainer.n_modes is not None:
        parts.append(f"modes {trainer.modes_covered()}/{trainer.n_modes}")
    parts.append(f"JS {trainer.divergence():.2f}")
    return " · ".join(parts)


class GanLab(PlayingExplorer):
    """The GAN Lab widget: an :class:`Explorer` plus Play, Step and Reset.

    Attributes
    ----------
    trainer : GanTrainer
        Rebuilt whenever a control changes.
    view : GanLabView
    play : ipywidgets.Play
        Ticks in the browser every ``interval`` ms while playing; each tick
        trains ``steps_per_tick`` iterations and redraws.
    step_button, reset_button : ipywidgets.Button
    """

    def __init__(
        self,
        controls: dict,
        *,
        seed: int = 0,
        steps_per_tick: int = 50,
        interval_ms: int = 250,
        figsize=(6.6, 3.3),
    ):
        self.seed, self.steps_per_tick = seed, steps_per_tick
        self.trainer: GanTrainer | None = None
        self._config: dict | None = None
        figure = Figure(figsize=figsize)
        self.view = GanLabView(figure)
        # Fixed margins: a layout engine would cost more than the drawing on every tick.
        figure.subplots_adjust(left=0.02, right=0.98, bottom=0.13, top=0.92, wspace=0.15)
        super().__init__(
            "GanLab", controls, figure, self._draw, interval_ms=interval_ms, view=self.view
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
            self._config = dict(settings)
        self.view.update(self.trainer)
        return gan_status(self.trainer)

    def step(self, n: int | None = None) -> None:
        """Train ``n`` (default ``steps_per_tick``) iterations and redraw."""
        self.trainer.step(self.steps_per_tick if n is None else n)
        self.refresh()

    def reset(self) -> None:
        """Back to iteration 0 with the same weights; stops playing."""
        self.play.playing = False
        self.trainer.reset()
        self.refresh()


def build_gan_lab(
    target: str = "ring",
    *,
    noise_dim: int = 2,
    width: int = 64,
    g_lr: float = 1e-3,
    d_lr: float = 1e-3,
    d_steps: int = 1,
    loss: str = "non-saturating",
    seed: int = 0,
    steps_per_tick: int = 50,
    interval_ms: int = 250,
) -> GanLab:
    """A GAN-Lab-style widget: watch a torch GAN learn a 2-D distribution.

    Press play (or step) to train ``steps_per_tick`` generator iterations per
    tick. ``target`` is one of :data:`~dlhelpers.data.targets2d.TARGETS`;
    ``width`` one of :data:`GAN_WIDTHS` (both networks); the learning rates
    among :data:`GAN_LEARNING_RATES`; ``loss`` one of
    :data:`~dlhelpers.train.gan.GAN_LOSSES`. A value not on a menu raises
    ``ValueError`` naming the choices; a slider value out of range is
    clamped with a warning. Not displayed: make it the last line of a cell.
    """
    for name, value in [("seed", seed), ("steps_per_tick", steps_per_tick)]:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name}={value!r} must be a whole number >= 0")
    if steps_per_tick < 1:
        raise ValueError(f"steps_per_tick={steps_per_tick} must be at least 1")
    controls = {
        "target": dropdown("target", TARGETS, target, width="180px"),
        "noise_dim": slider(
            "noise dim", noise_dim, 1, 8, integer=True, continuous=False, name="noise_dim"
        ),
        "width": choice_slider("width", GAN_WIDTHS, width),
        "g_lr": choice_slider("G learning rate", GAN_LEARNING_RATES, g_lr, name="g_lr"),
        "d_lr": choice_slider("D learning rate", GAN_LEARNING_RATES, d_lr, name="d_lr"),
        "d_steps": slider("D steps", d_steps, 1, 5, integer=True, continuous=False, name="d_steps"),
        "loss": dropdown("G loss", GAN_LOSSES, loss, name="loss", width="220px"),
    }
    return GanLab(controls, seed=int(seed), steps_per_tick=steps_per_tick, interval_ms=interval_ms)
