"""Drawing gradient descent, and the explorer of notebook 03.

:class:`DescentView` draws a surface's contours and a descent path (with a
red label when the path flies off) and updates in place;
:func:`build_descent_explorer` wires learning rate, momentum, start point and
number of steps to it; :func:`plot_batch_comparison` draws full batch against
mini-batches. The computing is in :mod:`dlhelpers.scratch.descent`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.descent import (
    SURFACES,
    BatchComparison,
    Descent,
    Surface,
    gradient_descent,
)
from dlhelpers.viz.curves import log_floor

__all__ = [
    "DescentSettings",
    "DescentView",
    "build_descent_explorer",
    "plot_batch_comparison",
    "plot_descent",
]


class DescentView:
    """A surface's contours with a descent path on top, and optionally loss per step.

    :meth:`update` redraws the path (and the loss curve) in place;
    :meth:`set_surface` redraws the contours.
    """

    def __init__(
        self,
        ax: Axes,
        surface: Surface | str,
        *,
        loss_ax: Axes | None = None,
        color: str = "C3",
        n: int = 120,
    ):
        self.ax, self.loss_ax, self.n = ax, loss_ax, n
        self._filled = self._lines = None
        self.surface = self.extent = self.run = None
        (self.line,) = ax.plot([], [], "-o", color=color, ms=2.5, lw=1.2, zorder=3)
        (self.start_marker,) = ax.plot([], [], "o", color="w", mec="k", ms=7, zorder=4)
        (self.end_marker,) = ax.plot([], [], "o", color=color, mec="k", ms=7, zorder=4)
        self.minima = ax.scatter([], [], marker="*", s=140, c="gold", edgecolors="k", zorder=4)
        self.alert = ax.text(
            0.5,
            0.06,
            "",
            transform=ax.transAxes,
            ha="center",
            va="bottom",
            color="#c0392b",
            fontsize=8.5,
            weight="bold",
            zorder=5,
            bbox=dict(facecolor="w", alpha=0.85, edgecolor="#c0392b"),
        )
        ax.set_xlabel("$x$")
        ax.set_ylabel("$y$")
        ax.set_aspect("equal")  # so that the gradient is drawn at right angles to the contours
        self.loss_line = None
        if loss_ax is not None:
            (self.loss_line,) = loss_ax.plot([], [], color=color, lw=1.6)
            loss_ax.set_yscale("log")
            loss_ax.set_xlabel("step")
            loss_ax.set_ylabel("loss $f$")
            loss_ax.grid(alpha=0.3)
        self.set_surface(surface)

    def set_surface(self, surface: Surface | str, *, extent=None) -> DescentView:
        """Draw ``surface``'s contours over ``extent`` (default: the surface's own)."""
        surface = SURFACES[surface] if isinstance(surface, str) else surface
        extent = tuple(surface.extent if extent is None else extent)
        if surface is self.surface and extent == self.extent:
            return self
        self.surface, self.extent = surface, extent
        for artist in (self._filled, self._lines):
            if artist is not None:
                artist.remove()
        gx, gy = np.meshgrid(np.linspace(*extent[:2], self.n), np.linspace(*extent[2:], self.n))
        F = log_floor(surface.f(np.stack([gx, gy], axis=-1)))
        norm = LogNorm(surface.levels[0], surface.levels[-1])
        self._filled = self.ax.contourf(
            gx, gy, F, levels=surface.levels, norm=norm, cmap="Blues_r", extend="both", alpha=0.8
        )
        self._lines = self.ax.contour(
            gx, gy, F, levels=surface.levels, colors="0.4", linewidths=0.5
        )
        self.minima.set_offsets(surface.minima)
        self.ax.set_xlim(extent[:2])
        self.ax.set_ylim(extent[2:])
        return self

    def update(self, run: Descent | np.ndarray, *, title: str | None = None) -> DescentView:
        """Draw a path (a :class:`Descent` or points of shape ``(n, 2)``)."""
        path = run.path if isinstance(run, Descent) else np.asarray(run, dtype=float)
        self.run = run
        self.line.set_data(path[:, 0], path[:, 1])
        self.start_marker.set_data(path[:1, 0], path[:1, 1])
        self.end_marker.set_data(path[-1:, 0], path[-1:, 1])
        diverged = isinstance(run, Descent) and run.diverged
        self.alert.set_text(f"{run.status}:\nthe path flew off" if diverged else "")
        self.alert.set_visible(diverged)
        if title is None and isinstance(run, Descent):
            title = run.status
        if title is not None:
            self.ax.set_title(title, fontsize=9)
        if self.loss_line is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                loss = log_floor(self.surface.f(path))
            self.loss_line.set_data(np.arange(len(path)), loss)
            self.loss_ax.set_xlim(0, max(len(path) - 1, 1))
            finite = loss[np.isfinite(loss)]
            low, high = (finite.min(), finite.max()) if finite.size else (1e-3, 1.0)
            self.loss_ax.set_ylim(low / 3, high * 3)
        return self


def plot_descent(
    surface: Surface | str,
    run: Descent | np.ndarray | None = None,
    *,
    ax: Axes | None = None,
    loss_ax: Axes | None = None,
    title: str | None = None,
    color: str = "C3",
) -> DescentView:
    """Draw ``surface``'s contours and, if given, a descent path on them.

    Parameters
    ----------
    surface : Surface or str
        A :class:`Surface` or a key of :data:`SURFACES`.
    run : Descent or ndarray of shape (n_points, 2), optional
    ax : matplotlib Axes, optional
        Draw here; by default a new figure is made.
    loss_ax : matplotlib Axes, optional
        Also draw the loss at each step here (log scale).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.2), layout="constrained")
    view = DescentView(ax, surface, loss_ax=loss_ax, color=color)
    if run is not None:
        view.update(run, title=title)
    elif title is not None:
        ax.set_title(title, fontsize=9)
    return view


def _explain(surface: Surface, run: Descent) -> str:
    if run.diverged:
        return (
            f"<b style='color:#c0392b'>{run.status}</b>: the learning rate is too large "
            "for this surface's curvature; each step overshoots further. Lower it."
        )
    x, y = run.end
    where = f"at ({x:.2f}, {y:.2f}), loss {float(surface.f(run.end)):.2g}"
    if run.converged:
        nearest = np.argmin(np.hypot(*(surface.minima - run.end).T))
        kind = "the global minimum" if nearest == 0 else "a <i>local</i> minimum (not the lowest)"
        return f"<b style='color:#1e8449'>{run.status}</b> {where}: {kind}."
    return (
        f"<b style='color:#b9770e'>{run.status}</b>, now {where}, "
        f"|grad| = {run.grad_norms[-1]:.2g}: more steps, a larger rate or momentum."
    )


_FIXED = {"continuous": False}


@dataclass(frozen=True)
class DescentSettings(Settings):
    """The descent explorer's settings; ``lr``, ``x0`` and ``y0`` default to the surface's own."""

    surface: str = setting("bowl", "surface", choices=tuple(SURFACES))
    lr: float | None = setting(
        None,
        "learning rate",
        low=-4,
        high=0.5,
        step=0.05,
        log=True,
        fmt=".2g",
        optional=True,
        **_FIXED,
    )
    momentum: float = setting(0.0, "momentum", low=0.0, high=0.99, step=0.01, fmt=".2f", **_FIXED)
    x0: float | None = setting(None, "start x", low=-3.0, high=3.0, optional=True, **_FIXED)
    y0: float | None = setting(None, "start y", low=-3.0, high=3.0, optional=True, **_FIXED)
    steps: int = setting(100, "steps", low=0, high=500, step=10, integer=True, **_FIXED)

    def filled(self) -> DescentSettings:
        """The surface's own learning rate and start point where none was given."""
        s = SURFACES[self.surface]
        lr, x0, y0 = (
            given if given is not None else default
            for given, default in zip((self.lr, self.x0, self.y0), (s.lr, *s.start), strict=True)
        )
        return self.replace(lr=lr, x0=x0, y0=y0)


def build_descent_explorer(settings: DescentSettings | None = None, **overrides) -> Explorer:
    """Gradient descent on a 2-D surface: drag learning rate, momentum, start and steps.

    Left, the path over the surface's contours; right, the loss at each step
    on a log scale. The status line says whether it converged, is still
    moving, or diverged (the learning-rate slider goes high enough to).
    Settings by name, see :class:`DescentSettings`.

    Returns
    -------
    Explorer
        With controls ``surface``, ``lr``, ``momentum``, ``x0``, ``y0``,
        ``steps``, and ``view`` (:class:`DescentView`; ``view.run`` is the
        last :class:`~dlhelpers.scratch.descent.Descent`).
    """
    s = DescentSettings.resolve(settings, overrides).filled()
    fig = Figure(figsize=(7.6, 3.1), layout="constrained")
    ax, loss_ax = fig.subplots(1, 2, width_ratios=[1.25, 1])
    view = DescentView(ax, SURFACES[s.surface], loss_ax=loss_ax)

    def draw(surface, lr, momentum, x0, y0, steps) -> str:
        s = SURFACES[surface]
        xmin, xmax, ymin, ymax = s.extent
        view.set_surface(
            s,
            extent=(
                min(xmin, x0 - 0.3),
                max(xmax, x0 + 0.3),
                min(ymin, y0 - 0.3),
                max(ymax, y0 + 0.3),
            ),
        )
        run = gradient_descent(s.grad, (x0, y0), lr=lr, momentum=momentum, steps=steps)
        view.update(run, title=f"{s.name}: lr={lr:.2g}, momentum={momentum:.2f}")
        return _explain(s, run)

    controls = controls_from(s)

    def reset(surface: str) -> None:
        # A new surface gets its own learning rate and start point; the Explorer
        # runs this inside hold(), so all of it is one redraw.
        s = SURFACES[surface]
        controls["lr"].value = s.lr
        controls["x0"].value, controls["y0"].value = s.start

    return Explorer(
        "DescentExplorer",
        controls,
        fig,
        draw,
        view=view,
        on_change={"surface": reset},
        notices=s.notices,
    )


def plot_batch_comparison(
    result: BatchComparison,
    *,
    ax: Sequence[Axes] | None = None,
) -> dict[str, list[Line2D]]:
    """Left: each run's weights over the full loss's contours. Right: loss per update.

    The loss is drawn as the excess over the lowest possible loss, on a log
    scale, so that the mini-batch noise near the bottom is visible.

    Parameters
    ----------
    result : BatchComparison
    ax : pair of Axes, optional
        The weights' panel and the loss panel; by default a new figure with both.

    Returns
    -------
    dict
        ``"paths"`` and ``"losses"``: one line per run in each panel, in the order of ``result.paths``.
    """
    if ax is None:
        ax = plt.figure(figsize=(8, 3.2), layout="constrained").subplots(1, 2)
    ax_w, ax_loss = ax
    drawn: dict[str, list[Line2D]] = {"paths": [], "losses": []}
    paths = np.concatenate(list(result.paths.values()))
    low, high = paths.min(axis=0) - 0.3, paths.max(axis=0) + 0.3
    gx, gy = np.meshgrid(np.linspace(low[0], high[0], 80), np.linspace(low[1], high[1], 80))
    floor = float(result.loss(result.w_best))
    F = result.loss(np.stack([gx, gy], axis=-1)) - floor
    ax_w.contour(gx, gy, F, levels=np.geomspace(0.01, F.max(), 10), colors="0.6", linewidths=0.6)
    ax_w.plot(*result.w_best, "*", ms=12, color="gold", mec="k", zorder=4)
    for i, (label, path) in enumerate(result.paths.items()):
        drawn["paths"] += ax_w.plot(path[:, 0], path[:, 1], "-", color=f"C{i}", lw=1.2, label=label)
        drawn["losses"] += ax_loss.plot(
            log_floor(result.losses[label] - floor), color=f"C{i}", lw=1.2, label=label
        )
    ax_w.set_xlabel("$w_1$")
    ax_w.set_ylabel("$w_2$")
    ax_w.set_title("the weights' path", fontsize=9)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("update")
    ax_loss.set_ylabel("MSE on all data $-$ lowest")
    ax_loss.set_title("loss after each update", fontsize=9)
    ax_loss.grid(alpha=0.3)
    ax_loss.legend(fontsize=8)
    return drawn
