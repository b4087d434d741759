"""The gradient-flow explorer (notebook 08): gradients vanishing or exploding back through time.

Pure part: :func:`gradient_norms`, the size of ``dL/dh_t`` for a loss on the
last output of a NumPy :class:`~dlhelpers.scratch.recurrent.RNN` or
:class:`~dlhelpers.scratch.recurrent.LSTM` whose recurrent matrix has a chosen
size (``scale`` times a random orthogonal matrix). View: :class:`GradientFlowView`,
both networks on one log axis. Builder: :func:`build_gradient_flow_explorer`.

Why ``scale`` matters: going back one step multiplies the gradient by
``W_hh^T`` and by the activation's slope, so for a tanh RNN it shrinks about
like ``scale**t`` (times slopes below 1) and grows only once ``scale`` is well
above 1. A ReLU RNN switches off about half its units, so it needs a scale
near ``sqrt(2)`` before it explodes. The LSTM's cell state skips the matrix:
its gradient is multiplied by the forget gate, ``sigmoid(forget_bias + ...)``,
which is why a forget bias of 1 or more (Jozefowicz et al., 2015) keeps it alive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.recurrent import LSTM, RNN, grad_norms_through_time
from dlhelpers.validate import check_choice, check_int, check_number, check_positive_int

__all__ = [
    "GradientFlowSettings",
    "GradientFlowView",
    "build_gradient_flow_explorer",
    "gradient_norms",
    "scaled_layer",
]

KINDS = ("rnn", "lstm")
ACTIVATIONS = ("tanh", "relu")
INPUT_SIZE, BATCH = 8, 4
#: The plot's y range: beyond it a line sits on the frame.
Y_RANGE = (1e-12, 1e12)


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))  # signs fixed so Q is uniformly random (Haar)


def scaled_layer(
    kind: str,
    *,
    scale: float,
    activation: str = "tanh",
    hidden: int = 32,
    seed: int = 0,
    forget_bias: float = 1.0,
) -> RNN | LSTM:
    """The layer :func:`gradient_norms` runs: ``weight_hh_l0`` is ``scale`` times orthogonal blocks.

    Parameters as for :func:`gradient_norms`. The other weights start as
    torch's (uniform in ``(-1/sqrt(H), 1/sqrt(H))``), drawn from ``seed``.

    Returns
    -------
    RNN or LSTM
        Input size 8, time first; every (H, H) block of ``weight_hh_l0`` has
        all its singular values equal to ``scale``.
    """
    check_choice("kind", kind, KINDS)
    check_choice("activation", activation, ACTIVATIONS)
    scale = check_number("scale", scale, low=0, low_open=True)
    forget_bias = check_number("forget_bias", forget_bias)
    hidden, seed = check_positive_int("hidden", hidden), check_int("seed", seed, low=0)
    weights = np.random.default_rng([seed, 0])  # the input has its own stream, [seed, 1]
    if kind == "rnn":
        layer = RNN(INPUT_SIZE, hidden, activation, rng=weights)
    else:
        layer = LSTM(INPUT_SIZE, hidden, rng=weights)
        layer.bias_ih_l0.data[hidden : 2 * hidden] = forget_bias  # gates i, f, g, o
        layer.bias_hh_l0.data[hidden : 2 * hidden] = 0.0
    gates = layer.weight_hh_l0.data.shape[0] // hidden
    layer.weight_hh_l0.data[...] = np.concatenate(
        [scale * _orthogonal(weights, hidden) for _ in range(gates)]
    )  # (G*H, H)
    return layer


def gradient_norms(
    kind: str,
    *,
    scale: float,
    length: int,
    activation: str = "tanh",
    hidden: int = 32,
    seed: int = 0,
    forget_bias: float = 1.0,
) -> np.ndarray:
    """How big the gradient is ``k`` steps before the end of a sequence, for a loss on the last output.

    Builds a NumPy ``RNN`` or ``LSTM`` (input size 8) whose ``weight_hh_l0`` is
    ``scale * Q``, ``Q`` a random orthogonal (H, H) matrix, one per gate block
    for the LSTM, so ``scale`` is every block's largest singular value (and
    spectral radius); runs a random sequence of ``length`` steps, batch 4, and
    returns :func:`~dlhelpers.scratch.recurrent.grad_norms_through_time`,
    reversed.

    Parameters
    ----------
    kind : {"rnn", "lstm"}
    scale : float
        Size of the recurrent matrix, > 0.
    length : int
        Number of time steps T, >= 1.
    activation : {"tanh", "relu"}, default "tanh"
        The RNN's nonlinearity (the LSTM ignores it).
    hidden : int, default 32
    seed : int, default 0
        Seeds the weights and, separately, the input; the same seed gives the
        RNN and the LSTM the same input, and a shorter sequence is the start of
        a longer one.
    forget_bias : float, default 1.0
        The LSTM's forget-gate bias (``bias_ih_l0[H:2H]``; ``bias_hh_l0[H:2H]`` is 0).

    Returns
    -------
    ndarray of shape (length,)
        ``norms[k] = ||dL/dh_{T-k}||``, ordered by steps back from the end:
        ``norms[0]`` is the last step (``sqrt(4 * hidden)``, the loss being the
        sum of the last output), ``norms[k]`` is ``k`` steps earlier.
    """
    length = check_positive_int("length", length)
    layer = scaled_layer(
        kind, scale=scale, activation=activation, hidden=hidden, seed=seed, forget_bias=forget_bias
    )
    inputs = np.random.default_rng([seed, 1])
    x = inputs.standard_normal((length, BATCH, INPUT_SIZE))  # (T, B, C), time first
    return grad_norms_through_time(layer, x)[::-1].copy()


class GradientFlowView:
    """The RNN's and the LSTM's gradient, relative to the last step, on one log axis."""

    def __init__(self, fig: Figure):
        self.ax = fig.subplots()
        self.ax.set_yscale("log")
        self.ax.set_ylim(*Y_RANGE)
        self.ax.set_yticks(10.0 ** np.arange(-12, 13, 4))
        self.ax.axhline(1.0, color="0.4", ls="--", lw=1)
        (self.rnn,) = self.ax.plot([], [], color="C0", lw=2, label="RNN")
        (self.lstm,) = self.ax.plot([], [], color="C1", lw=2, label="LSTM")
        self.ax.set_xlabel("steps back from the end")
        self.ax.set_ylabel("‖dL/dh‖ / its value at the end")
        self.ax.legend(loc="lower left", fontsize=9)
        self.ax.grid(True, which="major", alpha=0.3)

    def update(
        self,
        rnn: np.ndarray,
        lstm: np.ndarray,
        *,
        activation: str,
        scale: float,
        forget_bias: float = 1.0,
    ) -> list[np.ndarray]:
        """Draw two outputs of :func:`gradient_norms`; return them relative to their first entry."""
        rel = []
        for line, norms in ((self.rnn, rnn), (self.lstm, lstm)):
            r = norms / norms[0]
            rel.append(r)
            # Kept just outside the axis so a line that leaves it runs along the frame.
            shown = np.clip(np.nan_to_num(r, nan=1.0, posinf=1e13), 1e-13, 1e13)
            line.set_data(np.arange(len(r)), shown)
        self.rnn.set_label(f"RNN ({activation})")
        self.lstm.set_label(f"LSTM (forget bias {forget_bias:g})")
        self.ax.legend(loc="lower left", fontsize=9)
        self.ax.set_xlim(0, max(len(rnn) - 1, 1))
        self.ax.set_title(f"gradient flowing back through time, ‖W_hh‖ = {scale:.2f}", fontsize=10)
        return rel


def _verdict(value: float) -> str:
    return " (vanished)" if value < 1e-3 else " (exploded)" if value > 1e3 else ""


@dataclass(frozen=True)
class GradientFlowSettings(Settings):
    """The gradient-flow explorer's settings; ``seed`` fixes the weights and the input."""

    scale: float = setting(1.0, "scale", low=0.5, high=2.0, step=0.05, fmt=".2f")
    length: int = setting(40, "length", low=5, high=100, integer=True)
    activation: str = setting("tanh", "activation", choices=ACTIVATIONS)
    forget_bias: float = setting(1.0, "forget bias", low=0.0, high=3.0, step=0.25, fmt=".2f")
    seed: int = setting(0, low=0, high=2**32 - 1, integer=True)


def build_gradient_flow_explorer(
    settings: GradientFlowSettings | None = None, **overrides
) -> Explorer:
    """Sliders for the recurrent matrix's size and the sequence length; watch gradients vanish or explode.

    Settings by name (see :class:`GradientFlowSettings`): ``scale``, the
    largest singular value of ``W_hh`` (0.5 .. 2.0: a tanh RNN's gradient
    vanishes below about 1.3 and explodes above about 1.6; a ReLU RNN's
    explodes above about 1.5); ``length`` (5 .. 100); ``activation``;
    ``forget_bias``, the LSTM's forget-gate bias (0 .. 3: at 0 the forget
    gate is about 0.5 and the LSTM's gradient vanishes too); ``seed``.

    Returns
    -------
    Explorer
        Controls ``"scale"``, ``"length"``, ``"activation"``, ``"forget_bias"``;
        ``explorer.view`` is the :class:`GradientFlowView`.
    """
    s = GradientFlowSettings.resolve(settings, overrides)
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    view = GradientFlowView(fig)

    def draw(scale, length, activation, forget_bias) -> str:
        common = dict(scale=scale, length=length, seed=s.seed)
        rnn = gradient_norms("rnn", activation=activation, **common)
        lstm = gradient_norms("lstm", forget_bias=forget_bias, **common)
        r, m = (
            float(v[-1])
            for v in view.update(
                rnn, lstm, activation=activation, scale=scale, forget_bias=forget_bias
            )
        )
        return (
            f"after {length - 1} steps back the RNN's gradient is {r:.1g} of its value at "
            f"the end{_verdict(r)}, the LSTM's {m:.1g}{_verdict(m)}"
        )

    return Explorer(
        "GradientFlowExplorer", controls_from(s), fig, draw, view=view, notices=s.notices
    )
