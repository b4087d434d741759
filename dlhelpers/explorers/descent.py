"""Drawing gradient descent, and the explorer of notebook 03.

:class:`DescentView` draws a surface's contours and a descent path (with a
red label when the path flies off) and updates in place;
:func:`build_descent_explorer` wires learning rate, momentum, start point and
number of steps to it. The computing is in :mod:`dlhelpers.descent`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer, check_choice, dropdown, slider
from dlhelpers.explorers.descent_model import SURFACES, Descent, Surface, gradient_descent
from dlhelpers.viz.curves import log_floor

__all__ = ["DescentView", "build_descent_explorer", "plot_descent"]


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


def build_descent_explorer(
    surface: str = "bowl",
    *,
    lr: float | None = None,
    momentum: float = 0.0,
    start: Sequence[float] | None = None,
    steps: int = 100,
) -> Explorer:
    """Gradient descent on a 2-D surface: drag learning rate, momentum, start and steps.

    Left, the path over the surface's contours; right, the loss at each step
    on a log scale. The status line says whether it converged, is still
    moving, or diverged (the learning-rate slider goes high enough to).

    Returns
    -------
    dlhelpers.widgets.Explorer
        With controls ``surface``, ``lr``, ``momentum``, ``x0``, ``y0``,
        ``steps``, and ``view`` (:class:`DescentView`; ``view.run`` is the
        last :class:`Descent`).
    """
    check_choice("surface", surface, SURFACES)
    s = SURFACES[surface]
    x0, y0 = s.start if start is None else start
    fig = Figure(figsize=(7.6, 3.1), layout="constrained")
    ax, loss_ax = fig.subplots(1, 2, width_ratios=[1.25, 1])
    view = DescentView(ax, s, loss_ax=loss_ax)

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

    fixed = {"continuous": False}
    controls = {
        "surface": dropdown("surface", SURFACES, surface),
        "lr": slider(
            "learning rate",
            s.lr if lr is None else lr,
            -4,
            0.5,
            0.05,
            log=True,
            fmt=".2g",
            name="lr",
            **fixed,
        ),
        "momentum": slider("momentum", momentum, 0.0, 0.99, 0.01, fmt=".2f", **fixed),
        "x0": slider("start x", x0, -3.0, 3.0, 0.1, name="start[0]", **fixed),
        "y0": slider("start y", y0, -3.0, 3.0, 0.1, name="start[1]", **fixed),
        "steps": slider("steps", steps, 0, 500, 10, integer=True, **fixed),
    }

    def reset(surface: str) -> None:
        # A new surface gets its own learning rate and start point; the Explorer
        # runs this inside hold(), so all of it is one redraw.
        s = SURFACES[surface]
        controls["lr"].value = s.lr
        controls["x0"].value, controls["y0"].value = s.start

    return Explorer("DescentExplorer", controls, fig, draw, view=view, on_change={"surface": reset})
