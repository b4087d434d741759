"""Fit a 1-D function with one hidden layer of N units (notebook 02).

Three layers, as every explorer: :func:`fit_hidden_units` trains
a ``Linear(1, N) -> activation -> Linear(N, 1)`` network built from
:mod:`dlhelpers.scratch.layers` (pure, no drawing); :class:`FitView` draws
the target, the fit and each hidden unit's contribution and updates them in
place; :func:`build_fit_explorer` wires controls to both and returns an
:class:`~dlhelpers.explorers.base.Explorer`.

The network's output is a weighted sum of its hidden units plus a bias,

    f(x) = sum_j v_j * act(w_j x + b_j) + c,

so the right panel can show every term ``v_j * act(w_j x + b_j)``: with
ReLU each is a hinge, with tanh or sigmoid a smooth step, and the fit is
their sum.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.layers import ACTIVATION_LAYERS, Linear, Sequential
from dlhelpers.scratch.losses import MSELoss
from dlhelpers.scratch.optim import Adam
from dlhelpers.validate import check_choice, check_int, check_number, check_positive_int, check_seed

__all__ = [
    "FitResult",
    "FitSettings",
    "FitView",
    "X_RANGE",
    "build_fit_explorer",
    "fit_hidden_units",
]

#: name -> target function on [-3, 3], in the order the explorer lists them.
TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": lambda x: np.sin(1.5 * x),
    "|x|": lambda x: np.abs(x) - 1.5,
    "step": lambda x: np.where(x > 0.5, 1.0, -1.0),
    "bump": lambda x: 2 * np.exp(-2 * x**2) - 1,
    "wiggle": lambda x: np.sin(3 * x) * np.exp(-0.2 * x**2),
}


X_RANGE = (-3.0, 3.0)


@dataclass
class FitResult:
    """What :func:`fit_hidden_units` returns.

    Attributes
    ----------
    model : Sequential
        The trained ``Linear(1, N), act, Linear(N, 1)`` network.
    x : ndarray of shape (m,)
        A fine grid over the x range, for drawing.
    target, prediction : ndarray of shape (m,)
        The function to fit and the network's output on ``x``.
    contributions : ndarray of shape (N, m)
        Hidden unit j's term ``v_j * act(w_j x + b_j)``; they sum to
        ``prediction - output_bias``.
    output_bias : float
    switch_points : ndarray of shape (N,)
        Where each hidden unit switches on, ``x = -b_j / w_j``.
    mse : float
        Mean squared error on the training points.
    losses : list of float
        Training loss per Adam step.
    """

    model: Sequential
    x: np.ndarray
    target: np.ndarray
    prediction: np.ndarray
    contributions: np.ndarray
    output_bias: float
    switch_points: np.ndarray
    mse: float
    losses: list[float]

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def _target(target: str | Callable) -> Callable[[np.ndarray], np.ndarray]:
    if callable(target):
        return target
    return TARGETS[check_choice("target", target, TARGETS)]


def fit_hidden_units(
    target: str | Callable = "sin",
    n_hidden: int = 8,
    activation: str = "relu",
    *,
    steps: int = 200,
    lr: float = 0.01,
    n_points: int = 100,
    seed: int = 0,
) -> FitResult:
    """Fit ``target`` on [-3, 3] with one hidden layer of ``n_hidden`` units.

    The hidden units start with their switch points ``-b_j / w_j`` spread
    evenly over the x range (so none is wasted outside it); the output layer
    starts at its least-squares solution, a linear problem once the hidden
    layer is fixed; then Adam trains all the weights for ``steps`` full-batch
    steps on the mean squared error. Takes well under 0.1 s for 50 units.

    Parameters
    ----------
    target : str or callable
        A key of :data:`TARGETS`, or a function of an ndarray.
    n_hidden : int
        Number of hidden units, at least 1.
    activation : {"relu", "tanh", "sigmoid"}
    steps, lr : int, float
        Adam steps and learning rate.
    n_points : int
        Training points, evenly spaced over the x range.
    seed : int
        Seeds the random initial slopes: the same arguments give the same fit.
    """
    n_hidden, n_points = (
        check_positive_int("n_hidden", n_hidden),
        check_int("n_points", n_points, low=2),
    )
    steps, lr = check_int("steps", steps, low=0), check_number("lr", lr, low=0, low_open=True)
    check_choice("activation", activation, ACTIVATION_LAYERS)
    f = _target(target)
    model, _, _, _ = _initial_network(f, n_hidden, activation, n_points, check_seed("seed", seed))
    lo, hi = X_RANGE
    x_train = np.linspace(lo, hi, n_points)[:, None]  # (n, 1)
    y_train = f(x_train)  # (n, 1)
    opt, loss_fn, losses = Adam(model.parameters(), lr=lr), MSELoss(), []
    for _ in range(steps):
        losses.append(loss_fn(model(x_train), y_train))
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()

    return _result(model, f, mse=loss_fn(model(x_train), y_train), losses=losses)


def _result(model: Sequential, f: Callable, *, mse: float, losses: list[float]) -> FitResult:
    """The fit and each hidden unit's term on a fine grid."""
    hidden, act, out = model
    x = np.linspace(*X_RANGE, 400)
    h = act(hidden(x[:, None]))  # (m, N)
    contributions = (h * out.weight.data[0]).T  # (N, m)
    bias = float(out.bias.data[0])
    return FitResult(
        model=model,
        x=x,
        target=f(x),
        prediction=contributions.sum(0) + bias,
        contributions=contributions,
        output_bias=bias,
        switch_points=-hidden.bias.data / hidden.weight.data[:, 0],
        mse=mse,
        losses=losses,
    )


def _initial_network(f, n_hidden: int, activation: str, n_points: int, seed: int | None):
    """Switch points spread over the x range, the output layer at its least-squares solution."""
    rng = np.random.default_rng(seed)
    lo, hi = X_RANGE
    x_train = np.linspace(lo, hi, n_points)[:, None]  # (n, 1)
    y_train = f(x_train)  # (n, 1)

    hidden, act = Linear(1, n_hidden, rng=rng), ACTIVATION_LAYERS[activation]()
    out = Linear(n_hidden, 1, rng=rng)
    model = Sequential(hidden, act, out)
    slope = rng.choice([-1.0, 1.0], n_hidden) * rng.uniform(1.0, 3.0, n_hidden)
    step = (hi - lo) / n_hidden
    centres = lo + step * (np.arange(n_hidden) + rng.uniform(0.2, 0.8, n_hidden))
    hidden.weight.data[:, 0] = slope
    hidden.bias.data[:] = -slope * centres
    H = np.hstack([act(hidden(x_train)), np.ones((n_points, 1))])  # (n, N + 1)
    ridge = 1e-6 * np.eye(n_hidden + 1)
    solution = np.linalg.solve(H.T @ H + ridge, H.T @ y_train)  # (N + 1, 1)
    out.weight.data[:] = solution[:-1].T
    out.bias.data[:] = solution[-1]
    return model, hidden, act, out


class FitView:
    """Left: target and fit. Right: the hidden units' contributions. ``update`` redraws."""

    def __init__(self, ax_fit: Axes, ax_units: Axes):
        self.ax_fit, self.ax_units = ax_fit, ax_units
        self.result: FitResult | None = None
        (self.target_line,) = ax_fit.plot([], [], color="0.6", lw=4, alpha=0.6, label="target")
        (self.fit_line,) = ax_fit.plot([], [], color="C3", lw=2, label="network")
        (self.switch_marks,) = ax_fit.plot(
            [],
            [],
            "|",
            color="C0",
            ms=10,
            mew=1.5,
            label="switch points",
            transform=ax_fit.get_xaxis_transform(),
        )
        ax_fit.legend(loc="best", fontsize=7, framealpha=0.8)
        self.units = LineCollection([], lw=1.2, cmap="viridis")
        ax_units.add_collection(self.units)
        for ax in (ax_fit, ax_units):
            ax.set_xlim(*X_RANGE)
            ax.set_xlabel("x")
            ax.grid(alpha=0.3)
        ax_units.set_title("each hidden unit's term $v_j\\,f(w_j x + b_j)$", fontsize=10)

    def update(self, result: FitResult, *, title: str = "") -> FitView:
        self.result = result
        x = result.x
        self.target_line.set_data(x, result.target)
        self.fit_line.set_data(x, result.prediction)
        self.switch_marks.set_data(result.switch_points, np.full(len(result.switch_points), 0.03))
        self.ax_fit.set_ylim(*_limits(result.target, result.prediction))
        self.ax_fit.set_title(title, fontsize=10)
        segments = [np.column_stack([x, c]) for c in result.contributions]
        self.units.set_segments(segments)
        self.units.set_array(np.linspace(0, 1, len(segments)))
        self.ax_units.set_ylim(*_limits(result.contributions))
        return self


def _limits(*arrays: np.ndarray) -> tuple[float, float]:
    values = np.concatenate([np.ravel(a) for a in arrays])
    low, high = float(values.min()), float(values.max())
    pad = 0.1 * max(high - low, 0.5)
    return low - pad, high + pad


@dataclass(frozen=True)
class FitSettings(Settings):
    """The fit explorer's settings: the function, the hidden units, their activation, Adam steps."""

    target: str = setting("sin", "target", choices=tuple(TARGETS))
    n_hidden: int = setting(
        5, "hidden units", low=1, high=50, step=1, integer=True, continuous=False
    )
    activation: str = setting("relu", "activation", choices=tuple(ACTIVATION_LAYERS))
    steps: int = setting(200, low=0, high=5000, integer=True)


def build_fit_explorer(settings: FitSettings | None = None, **overrides) -> Explorer:
    """Pick a target function, a number of hidden units (1 to 50) and an activation; watch the fit.

    Every change trains a fresh network with :func:`fit_hidden_units` (a few
    hundredths of a second) and redraws. Settings by name, see
    :class:`FitSettings`. ``explorer.view`` is the :class:`FitView`;
    ``explorer.view.result`` the latest :class:`FitResult`.
    """
    s = FitSettings.resolve(settings, overrides)
    fig = Figure(figsize=(8, 3.1))
    # Fixed margins: a constrained layout would double the time of every redraw.
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.9, wspace=0.15)
    view = FitView(*fig.subplots(1, 2))

    # seeded, so a setting seen before is the same fit: kept, not retrained (~60 ms)
    fit = functools.lru_cache(maxsize=256)(
        lambda target, n, activation: fit_hidden_units(target, n, activation, steps=s.steps)
    )

    def draw(target: str, n_hidden: int, activation: str) -> str:
        result = fit(target, n_hidden, activation)
        view.update(
            result,
            title=f"{target}: {n_hidden} {activation} unit"
            f"{'s' if n_hidden > 1 else ''}, MSE {result.mse:.4f}",
        )
        return (
            f"{n_hidden} hidden units, {result.n_parameters} parameters: "
            f"mean squared error <b>{result.mse:.4f}</b>"
        )

    return Explorer("FitExplorer", controls_from(s), fig, draw, view=view, notices=s.notices)
