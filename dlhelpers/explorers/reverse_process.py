"""Scrub the reverse process of a 2-D diffusion model (notebook 14).

Three layers, as every explorer of the course:

- the pure part is :func:`dlhelpers.train.diffusion.reverse_trajectory` (every
  state of one sampling run) and :func:`~dlhelpers.train.diffusion.denoising_field`
  (the model's noise prediction on a grid, for every step). Both run once per
  schedule and number of sampling steps, when the explorer is built, so that
  moving a control only picks precomputed arrays;
- :class:`ReverseView` draws the samples at step t over the learned
  denoising direction (arrows: minus the predicted noise, which points
  towards the data) and the schedule's :math:`\\bar\\alpha_t` with the steps
  the sampler visits;
- :func:`build_reverse_explorer` wires the controls: ``t`` (T is pure noise,
  0 the finished samples), the schedule, the number of sampling steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlhelpers.data.targets2d import EXTENT, count_modes
from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import FROM_DATA, Settings, controls_from, setting
from dlhelpers.scratch.diffusion import alphas_bar
from dlhelpers.train.diffusion import Trajectory, denoising_field, reverse_trajectory
from dlhelpers.validate import check_finite_array

__all__ = ["ReverseSettings", "ReverseView", "build_reverse_explorer", "state_at"]

SCHEDULE_NAMES = ("linear", "cosine")
REAL_COLOR, FAKE_COLOR = "#1b7837", "#762a83"


def state_at(traj: Trajectory, t: int) -> int:
    """The index of the state shown at noise level ``t`` (0 = samples, T = pure noise).

    State ``i`` of ``traj`` has level 0 (``i = 0``) or ``timesteps[i - 1] + 1``;
    the state shown is the first one at or above ``t``: the process has not
    yet gone below ``t``.
    """
    levels = np.r_[0, traj.timesteps + 1]
    return int(np.searchsorted(levels, t))


class ReverseView:
    """Left: real points, the arrows of the denoising direction, the samples at t. Right: abar_t."""

    def __init__(self, figure: Figure, real: np.ndarray, steps: int, grid: np.ndarray):
        self.ax, self.ax_bar = figure.subplots(1, 2, width_ratios=[1.3, 1])
        ax = self.ax
        ax.scatter(*real.T, s=3, color=REAL_COLOR, alpha=0.25, linewidths=0, label="data")
        self.arrows = ax.quiver(
            grid[:, 0], grid[:, 1], np.zeros(len(grid)), np.zeros(len(grid)),
            angles="xy", scale_units="xy", scale=1, width=0.004, color="0.45",
        )  # fmt: skip
        self.points = ax.scatter([], [], s=4, color=FAKE_COLOR, linewidths=0, label="samples")
        x0, x1, y0, y1 = EXTENT
        ax.set(xlim=(x0, x1), ylim=(y0, y1), xticks=[], yticks=[], aspect="equal")
        ax.legend(loc="upper left", fontsize=7, markerscale=2, framealpha=0.7)
        self.title = ax.set_title("", fontsize=9)
        bx = self.ax_bar
        (self.curve,) = bx.plot([], [], color="C0", lw=1.2)
        (self.visited,) = bx.plot([], [], "o", color="C0", ms=2.5)
        self.now = bx.axvline(0, color=FAKE_COLOR, lw=1)
        bx.set(xlim=(0, steps), ylim=(-0.03, 1.03), xlabel="t (T = noise, 0 = samples)")
        bx.set_title(r"signal kept: $\bar\alpha_t$", fontsize=9)
        bx.tick_params(labelsize=7)
        bx.grid(alpha=0.3)

    def update(self, points, arrows, t, abar_curve, visited_t, visited_abar, title) -> None:
        self.points.set_offsets(points)
        self.arrows.set_UVC(arrows[:, 0], arrows[:, 1])
        self.curve.set_data(np.arange(len(abar_curve)), abar_curve)
        self.visited.set_data(visited_t, visited_abar)
        self.now.set_xdata([t, t])
        self.title.set_text(title)


@dataclass(frozen=True)
class ReverseSettings(Settings):
    """``t`` (noise level, 0 .. T), the schedule, the sampling steps (default: all T).

    ``n`` (samples drawn) and ``seed`` have no control.
    """

    t: int = setting(0, "t", low=0, high=1000, integer=True)
    schedule: str = setting("linear", "schedule", choices=SCHEDULE_NAMES)
    n_steps: int | None = setting(
        None, "sampling steps", choices=FROM_DATA, optional=True, style="choice_slider"
    )
    n: int = setting(500, low=10, high=5000, integer=True)
    seed: int = setting(0, low=0, high=2**32 - 1, integer=True)


def _precompute(models, betas, s, step_choices, grid):
    runs, fields = {}, {}
    for name in SCHEDULE_NAMES:
        fields[name] = denoising_field(models[name], grid)  # (T, G*G, 2)
        for n_steps in step_choices:
            runs[name, n_steps] = reverse_trajectory(
                models[name], betas[name], s.n, n_steps=n_steps, seed=s.seed
            )
    return runs, fields


def _check_models(models, betas) -> int:
    if set(models) != set(SCHEDULE_NAMES) or set(betas) != set(SCHEDULE_NAMES):
        raise ValueError(
            f"models and betas must each have the keys {SCHEDULE_NAMES}: one model per schedule"
        )
    lengths = {len(np.asarray(betas[k])) for k in SCHEDULE_NAMES}
    lengths |= {getattr(models[k], "steps", None) for k in SCHEDULE_NAMES}
    if len(lengths) != 1 or None in lengths:
        raise ValueError(
            f"every model and schedule must have the same number of steps, got {lengths}"
        )
    return lengths.pop()


def _status(traj: Trajectory, i: int, shown_t: int, steps: int, modes) -> str:
    n_steps, level = len(traj.timesteps), float(traj.levels[i])
    parts = [
        f"t = <b>{shown_t}</b> of {steps}",
        f"step {n_steps - i} of {n_steps}",
        f"ᾱ<sub>t</sub> = {level:.3f} (signal ×{np.sqrt(level):.2f}, "
        f"noise ×{np.sqrt(1 - level):.2f})",
    ]
    if modes is not None:
        found = count_modes(traj.states[i], modes[0], modes[1])
        parts.append(f"modes covered {found}/{len(modes[0])}")
    return " · ".join(parts)


def build_reverse_explorer(
    models: dict,
    betas: dict,
    real: ArrayLike,
    *,
    modes: tuple[np.ndarray, float] | None = None,
    settings: ReverseSettings | None = None,
    **overrides,
) -> Explorer:
    """Scrub a trained 2-D diffusion model's reverse process.

    Parameters
    ----------
    models : dict of {"linear", "cosine"} to PointDenoiser
        One trained :class:`~dlhelpers.train.diffusion.PointDenoiser` per schedule,
        all with the same number of steps T.
    betas : dict of {"linear", "cosine"} to ndarray of shape (T,)
        The schedule each model was trained with.
    real : array_like of shape (m, 2)
        Data points, drawn faintly behind the samples.
    modes : (centres, std), optional
        To count modes covered (:func:`dlhelpers.data.targets2d.count_modes`) in the status.
    settings : ReverseSettings, optional
        Or by name: ``t``, ``schedule``, ``n_steps`` (one of T/20, T/10, T/5, T/2, T),
        ``n``, ``seed``.

    Returns
    -------
    Explorer
        ``controls``: ``"t"``, ``"schedule"``, ``"n_steps"``; every run is computed at build.
    """
    s = ReverseSettings.resolve(settings, overrides)
    steps = _check_models(models, betas)
    real = check_finite_array("real", real)
    choices = tuple(sorted({max(1, steps // k) for k in (20, 10, 5, 2)} | {steps}))
    s = s.within(t={"high": steps}, n_steps={"choices": choices})
    if s.n_steps is None:
        s = s.replace(n_steps=steps)
    grid = np.stack(np.meshgrid(*[np.linspace(-2.75, 2.75, 12)] * 2), -1).reshape(-1, 2)
    runs, fields = _precompute(models, betas, s, choices, grid)
    curves = {k: np.r_[1.0, alphas_bar(betas[k])] for k in SCHEDULE_NAMES}
    fig = Figure(figsize=(6.6, 3.0))
    fig.subplots_adjust(left=0.02, right=0.97, bottom=0.16, top=0.9, wspace=0.12)
    view = ReverseView(fig, real[:600], steps, grid)

    def draw(t: int, schedule: str, n_steps: int) -> str:
        traj = runs[schedule, n_steps]
        i = state_at(traj, t)
        tau = int(traj.timesteps[max(i - 1, 0)])  # the step about to be taken (0 when done)
        eps = fields[schedule][tau]
        arrows = -0.28 * eps / np.maximum(np.linalg.norm(eps, axis=1, keepdims=True), 1e-9)
        shown_t = 0 if i == 0 else tau + 1
        view.update(
            traj.states[i], arrows, shown_t, curves[schedule],
            np.r_[0, traj.timesteps + 1], traj.levels,
            f"x at t = {shown_t}: {n_steps - i} of {n_steps} steps taken",
        )  # fmt: skip
        return _status(traj, i, shown_t, steps, modes)

    return Explorer("ReverseExplorer", controls_from(s), fig, draw, view=view, notices=s.notices)
