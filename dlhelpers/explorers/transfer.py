"""Transfer learning with few labels (notebook 11): learning curves and a widget that retrains.

Pure part: :func:`~dlhelpers.train.transfer.few_shot_curve` (train from scratch, on frozen
features with a new head, or fine-tuned). Plot: :func:`plot_transfer_curves`, accuracy
against labels per class with the spread over seeds. View: :class:`TransferView`, one bar
per mode with min-max error bars, updated in place. Builder:
:func:`build_transfer_explorer`, a labels-per-class slider and a freeze menu.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer, check_choice, dropdown, slider
from dlhelpers.train.transfer import FREEZE, MODES, few_shot_curve

__all__ = ["LABELS", "TransferView", "build_transfer_explorer", "plot_transfer_curves"]

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
        self.ax.set_xticks(x, [LABELS.get(m, m).replace(" + ", "\n+ ") for m in self.modes])
        self.ax.set_ylim(0, 100)
        self.ax.set_ylabel("held-out accuracy (%)")
        self.ax.grid(axis="y", alpha=0.3)
        self.title = self.ax.set_title("", fontsize=10)
        self.results: dict[str, np.ndarray] = {}

    def update(self, results: Mapping[str, np.ndarray], title: str = "") -> np.ndarray:
        """Show ``results[mode]`` (accuracies over seeds, in [0, 1]); return the mean bars in %."""
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
        self.results = {mode: np.asarray(results[mode]) for mode in self.modes}
        return means


def build_transfer_explorer(
    pretrained,
    pool,
    held_out,
    *,
    per_class: int = 5,
    freeze: str = "conv",
    seeds: Sequence[int] = (0, 1),
    steps: int = 50,
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
    per_class : int, default 5
        Starting labels per class, 1 to 20.
    freeze : str, default "conv"
        Starting choice among :data:`~dlhelpers.train.transfer.FREEZE`.
    seeds : sequence of int, default (0, 1)
    steps : int, default 50
        Full-batch training steps per model.

    Returns
    -------
    Explorer
        ``controls`` holds ``"per_class"`` and ``"freeze"``; ``view.bars`` are the bars
        and ``view.results`` the accuracies on show, mode -> ndarray of shape (n_seeds,).
    """
    check_choice("freeze", freeze, FREEZE)
    seeds = tuple(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in seeds):
        raise ValueError(f"seeds must be a non-empty sequence of integers, not {seeds!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, not {steps!r}")
    controls = {
        "per_class": slider(
            "labels per class", per_class, 1, 20, integer=True, continuous=False, name="per_class"
        ),
        "freeze": dropdown("freeze", list(FREEZE), freeze),
    }
    fig = Figure(figsize=(5.4, 3.2), layout="constrained")
    view = TransferView(fig)
    kept: dict[int, dict[str, np.ndarray]] = {}  # per_class -> scratch and finetune accuracies

    def run(modes: tuple[str, ...], k: int, frozen: str) -> dict[str, np.ndarray]:
        got = few_shot_curve(
            pretrained,
            pool,
            held_out,
            per_class=(k,),
            seeds=seeds,
            steps=steps,
            modes=modes,
            freeze=frozen,
        )
        return {mode: acc[0] for mode, acc in got.items()}  # (n_seeds,) each

    def draw(per_class: int, freeze: str) -> str:
        if per_class not in kept:
            kept[per_class] = run(("scratch", "finetune"), per_class, freeze)
        results = {**kept[per_class], **run(("frozen",), per_class, freeze)}
        means = view.update(results, f"{per_class} labels per class, {len(seeds)} seeds")
        got = dict(zip(view.modes, means, strict=True))
        return (
            f"{per_class} labels per class: scratch {got['scratch']:.0f} %, "
            f"frozen {freeze} {got['frozen']:.0f} %, fine-tuned {got['finetune']:.0f} %"
        )

    return Explorer("TransferExplorer", controls, fig, draw, view=view)
