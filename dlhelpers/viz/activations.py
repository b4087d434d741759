"""Plot helpers: activations and 2-D decision boundaries.

They follow Matplotlib's advice for helper functions: ``ax=None`` means "make
a figure", anything else draws on the given axes; they return the artists
(wrapped in a small *view* object whose ``update`` redraws in place) and never
call ``plt.show()``, ``savefig`` or change ``rcParams``. Computing what to draw
(:func:`activation_curve`, :func:`grid_points`, :func:`neuron_probability`) is
kept apart from drawing it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from dlhelpers.scratch.activations import ACTIVATIONS
from dlhelpers.validate import check_choice
from dlhelpers.viz.figure import get_axes

__all__ = ["ActivationView", "activation_curve", "plot_activation"]


# --- activations -------------------------------------------------------------


def activation_curve(name: str, x: np.ndarray, *, weight: float = 1.0, bias: float = 0.0):
    """Output and slope of a one-input neuron ``f(w x + b)`` along ``x``.

    Returns ``(y, dy_dx)``, each of ``x``'s shape; by the chain rule
    ``dy/dx = f'(w x + b) * w``.
    """
    f, df = ACTIVATIONS[check_choice("name", name, ACTIVATIONS)]
    z = weight * np.asarray(x, dtype=float) + bias
    return f(z), df(z) * weight


class ActivationView:
    """Two lines, ``f(w x + b)`` and its slope, on one axes; :meth:`update` redraws them."""

    def __init__(self, ax: Axes, x: np.ndarray, *, show_grad: bool = True):
        self.ax, self.x = ax, x
        (self.line,) = ax.plot(x, np.zeros_like(x), lw=2.2, label="f")
        (self.grad_line,) = ax.plot(
            x, np.zeros_like(x), lw=1.6, ls="--", label="slope", visible=show_grad
        )
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.set_xlim(x[0], x[-1])
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)

    def update(self, name: str, *, weight: float = 1.0, bias: float = 0.0) -> ActivationView:
        y, dy = activation_curve(name, self.x, weight=weight, bias=bias)
        self.line.set_ydata(y)
        self.grad_line.set_ydata(dy)
        affine = "x" if (weight, bias) == (1.0, 0.0) else f"{weight:.2g}·x {bias:+.2g}"
        self.line.set_label(f"{name}({affine})")
        self.grad_line.set_label("slope d/dx")
        visible = np.concatenate([y, dy]) if self.grad_line.get_visible() else y
        low, high = float(np.min(visible)), float(np.max(visible))
        pad = 0.1 * max(high - low, 1.0)
        self.ax.set_ylim(low - pad, high + pad)
        self.ax.set_title(f"{name}: output and slope", fontsize=10)
        self.ax.legend(loc="upper left", fontsize=8)
        return self


def plot_activation(
    name: str,
    *,
    weight: float = 1.0,
    bias: float = 0.0,
    x=None,
    show_grad: bool = True,
    ax: Axes | None = None,
) -> ActivationView:
    """Plot activation ``name`` (a key of ``ACTIVATIONS``) and its derivative.

    Parameters
    ----------
    name : str
        ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"leaky_relu"`` or ``"gelu"``.
    weight, bias : float
        Plot the neuron ``f(weight * x + bias)`` instead of ``f(x)``.
    x : ndarray of shape (n_points,), optional
        Where to evaluate; default 401 points on [-5, 5].
    show_grad : bool
        Also draw the slope (dashed).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure is made.
    """
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    return ActivationView(get_axes(ax), x, show_grad=show_grad).update(
        name, weight=weight, bias=bias
    )


# --- decision boundaries -------------------------------------------------------
