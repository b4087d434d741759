"""Transfer learning with few labels (notebook 11): learning curves and a widget that retrains.

Pure part: :func:`~dlhelpers.train.transfer.few_shot_curve` (train from scratch, on frozen
features with a new head, or fine-tuned). Plot: :func:`plot_transfer_curves`, accuracy
against labels per class with the spread over seeds. View: :class:`TransferView`, one bar
per mode with min-max error bars, updated in place. Builder:
:func:`build_transfer_explorer`, a labels-per-class slider and a freeze menu.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.transfer import FREEZE, MODES, few_shot_curve
from dlhelpers.validate import check_seed

__all__ = [
    "LABELS",
    "TransferSettings",
    "TransferView",
    "build_transfer_explorer",
    "plot_transfer_curves",
]

#: How each mode is named on plots.
LABELS: dict[str, str] = {
    "scratch": "from scratch",
    "frozen": "frozen features + new head",
    "finetune": "fine-tuned",
}
_COLORS = {"scratch": "tab:gray", "frozen": "tab:blue", "finetune": "tab:orange"}


def plot_transfer_curves(
    results: Mapping[str, np.ndarray], per_class: Sequence[int], *, ax: Axes | None = None
) -> dict[str, tuple]:
    """Held-out accuracy against labels per class: the mean over seeds and a min-max band.

    Parameters
    ----------
    results : dict of str to ndarray of shape (len(per_class), n_seeds)
        Accuracies in [0, 1], as :func:`~dlhelpers.train.transfer.few_shot_curve` returns.
    per_class : sequence of int
        The labels per class of the rows.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    dict of str to (Line2D, PolyCollection)
        The mean line and the band of each mode.
    """
    per_class = np.asarray(per_class)
    if per_class.ndim != 1 or len(per_class) == 0:
        raise ValueError("per_class must be a non-empty sequence of label counts")
    if not results:
        raise ValueError("results is empty: give one array of accuracies per mode")
    if ax is None:
        ax = Figure(figsize=(5, 3.2), layout="constrained").subplots()
    artists = {}
    for mode, acc in results.items():
        acc = 100 * np.asarray(acc, dtype=float)  # (len(per_class), n_seeds), percent
        if acc.ndim != 2 or len(acc) != len(per_class):
            raise ValueError(
                f"results[{mode!r}] must have shape ({len(per_class)}, n_seeds), not {acc.shape}"
            )
        color = _COLORS.get(mode)
        (line,) = ax.plot(per_class, acc.mean(1), "o-", color=color, label=LABELS.get(mode, mode))
        band = ax.fill_between(per_class, acc.min(1), acc.max(1), color=line.get_color(), alpha=0.2)
        artists[mode] = (line, band)
    ax.set_xlabel("labels per class")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_xticks(per_class)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return artists


class TransferView:
    """One bar per mode (mean over seeds) with a min-max bar; :meth:`update` redraws in place."""

    def __init__(self, fig: Figure, modes: Sequence[str] = MODES):
        self.modes = tuple(modes)
        self.ax = fig.subplots()
        x = np.arange(len(self.modes))
        colors = [_COLORS.get(m, "tab:green") for m in self.modes]
        self.bars = self.ax.bar(x, np.zeros(len(x)), color=colors, width=0.6)
        self.ranges = LineCollection([], colors="black", linewidths=2)
        self.ax.add_collection(self.ranges)
        self.values = [self.ax.text(i, 0, "", ha="center", va="bottom", fontsize=9) for i in x]
        self._label_bars()
        self.ax.set_ylim(0, 100)
        self.ax.set_ylabel("held-out accuracy (%)")
        self.ax.grid(axis="y", alpha=0.3)
        self.title = self.ax.set_title("", fontsize=10)
        self.results: dict[str, np.ndarray] = {}

    def update(
        self, results: Mapping[str, np.ndarray], title: str = "", freeze: str | None = None
    ) -> np.ndarray:
        """Show ``results[mode]`` (accuracies over seeds, in [0, 1]); return the mean bars in %.

        ``freeze`` (a key of :data:`~dlhelpers.train.transfer.FREEZE`) names what the frozen
        bar froze: "frozen conv + new head" rather than "frozen features".
        """
        if freeze is not None:
            self._label_bars(freeze)
        means = np.zeros(len(self.modes))
        segments = []
        for i, mode in enumerate(self.modes):
            acc = 100 * np.asarray(results[mode], dtype=float).ravel()
            means[i] = acc.mean()
            self.bars[i].set_height(means[i])
            segments.append([(i, acc.min()), (i, acc.max())])
            self.values[i].set_position((i + 0.05, acc.max() + 1))
            self.values[i].set_text(f"{means[i]:.0f} %")
        self.ranges.set_segments(segments)
        self.title.set_text(title)
        for artist in (*self.bars, self.ranges, *self.values):
            artist.set_alpha(1.0)
        self.results = {mode: np.asarray(results[mode]) for mode in self.modes}
        return means

    def _label_bars(self, freeze: str | None = None) -> None:
        """One tick label per bar, on two lines; the frozen one names ``freeze`` when given."""
        labels = [
            f"frozen {freeze} + new head" if m == "frozen" and freeze else LABELS.get(m, m)
            for m in self.modes
        ]
        self.ax.set_xticks(range(len(labels)), [t.replace(" + ", "\n+ ") for t in labels])

    def pending(self, title: str) -> None:
        """Dim the bars on show and say what is being computed (until :meth:`update`)."""
        for artist in (*self.bars, self.ranges, *self.values):
            artist.set_alpha(0.25)
        self.title.set_text(title)


def _seeds(name: str, value: Any) -> tuple[int, ...]:
    """A non-empty sequence of seeds, each checked by :func:`dlhelpers.validate.check_seed`."""
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray) or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of integers, not {value!r}")
    return tuple(check_seed(f"{name}[{i}]", s) for i, s in enumerate(value))


@dataclass(frozen=True)
class TransferSettings(Settings):
    """Labels per class and what to freeze (controls); the seeds and the steps per model."""

    per_class: int = setting(5, "labels per class", low=1, high=20, integer=True, continuous=False)
    freeze: str = setting("conv", "freeze", choices=tuple(FREEZE))
    seeds: tuple = setting((0, 1), convert=_seeds)
    steps: int = setting(50, low=1, high=10_000, integer=True)


def build_transfer_explorer(
    pretrained, pool, held_out, settings: TransferSettings | None = None, **overrides
) -> Explorer:
    """Choose labels per class and which layers to freeze; it retrains and redraws the comparison.

    At each change it trains from scratch, on the pretrained body frozen up to
    ``freeze`` with a new head, and fine-tuned, once per seed, with
    ``per_class`` labels of each digit from ``pool``, and scores the models
    on ``held_out``. Scratch and fine-tuned results do not depend on the
    freeze menu and are remembered per label count, so a new menu choice
    retrains only the frozen model.

    Parameters
    ----------
    pretrained : nn.Sequential
        A :func:`~dlhelpers.train.models.lenet`, e.g. from
        :func:`~dlhelpers.train.transfer.pretrain`.
    pool, held_out : (X, y)
        From :func:`~dlhelpers.data.small_digits.split_small_digits`.
    settings : TransferSettings, optional
        Or by name: ``per_class`` (1 to 20), ``freeze`` (one of
        :data:`~dlhelpers.train.transfer.FREEZE`), ``seeds`` and ``steps``
        (full-batch training steps per model).

    Returns
    -------
    Explorer
        ``controls`` holds ``"per_class"`` and ``"freeze"``; ``view.bars`` are the bars
        and ``view.results`` the accuracies on show, mode -> ndarray of shape (n_seeds,).
    """
    s = TransferSettings.resolve(settings, overrides)
    fig = Figure(figsize=(5.4, 3.2), layout="constrained")
    view = TransferView(fig)
    draw = _drawer(
        view,
        lambda modes, k, frozen: few_shot_curve(
            pretrained,
            pool,
            held_out,
            per_class=(k,),
            seeds=s.seeds,
            steps=s.steps,
            modes=modes,
            freeze=frozen,
        ),
        len(s.seeds),
    )
    return Explorer("TransferExplorer", controls_from(s), fig, draw, view=view, notices=s.notices)


def _drawer(view: TransferView, curve: Callable, n_seeds: int) -> Callable[..., Any]:
    """The explorer's ``draw``. Scratch and fine-tuned accuracies are kept per label count,
    frozen ones per label count and freeze choice: going back to a setting is instant. A new
    setting retrains (seconds): the picture first dims the old bars and says so, then the
    returned function trains and draws the result."""
    kept: dict[tuple, np.ndarray] = {}  # (mode, per_class, freeze) -> accuracies (n_seeds,)

    def key(mode: str, k: int, frozen: str) -> tuple:
        return (mode, k, frozen if mode == "frozen" else None)

    def missing(k: int, frozen: str) -> tuple[str, ...]:
        return tuple(m for m in view.modes if key(m, k, frozen) not in kept)

    def finish(per_class: int, freeze: str) -> str:
        if todo := missing(per_class, freeze):
            for mode, acc in curve(todo, per_class, freeze).items():
                kept[key(mode, per_class, freeze)] = acc[0]
        results = {m: kept[key(m, per_class, freeze)] for m in view.modes}
        means = view.update(results, f"{per_class} labels per class, {n_seeds} seeds", freeze)
        got = dict(zip(view.modes, means, strict=True))
        return (
            f"{per_class} labels per class: scratch {got['scratch']:.0f} %, "
            f"frozen {freeze} {got['frozen']:.0f} %, fine-tuned {got['finetune']:.0f} %"
        )

    def draw(per_class: int, freeze: str) -> Any:
        todo = missing(per_class, freeze)
        if not todo:
            return finish(per_class, freeze)
        view.pending(f"training {len(todo) * n_seeds} networks: {per_class} labels per class...")
        return lambda: finish(per_class, freeze)

    return draw
