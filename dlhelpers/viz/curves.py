"""Comparing training runs: several histories on one axes, a results table, lr schedules.

Used in notebook 06 (optimizers compared, overfitting and its cures). The
histories are those :func:`dlhelpers.train.fit` returns (anything with a
``.history`` dict works, or the dict itself), so nothing here trains.
:class:`ScheduleStep` is the callback that steps a ``torch.optim.lr_scheduler``
once per epoch inside ``fit``; :func:`scheduled_learning_rates` shows what a
schedule does without training anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from dlhelpers.viz.figure import get_axes

__all__ = ["log_floor", "plot_histories", "results_table"]


def _curves(run: Any) -> Mapping[str, Sequence[float]]:
    return run.history if hasattr(run, "history") else run


def plot_histories(
    runs: Mapping[str, Any],
    key: str = "loss",
    *,
    val: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
    logy: bool = False,
) -> dict:
    """Draw ``key`` per epoch for several runs on one axes: train solid, validation dashed.

    Parameters
    ----------
    runs : mapping of str to History or dict of str to list of float
        Label of each run -> its history (``history.history`` of :func:`fit`).
    key : str, default "loss"
        Which curve, e.g. ``"loss"`` or ``"accuracy"``; validation is ``"val_" + key``.
    val : bool, default True
        Also draw the validation curve, where the run has one.
    ax : matplotlib Axes, optional
        Draw here; by default a new figure is made.
    logy : bool
        Logarithmic y axis (losses that fall over decades).

    Returns
    -------
    dict of str to Line2D
        ``lines[label]`` and ``lines[label + " (val)"]``.
    """
    if not runs:
        raise ValueError("runs is empty: give at least one label -> history")
    ax = get_axes(ax, figsize=(5.5, 3.2))
    lines = {}
    for i, (label, run) in enumerate(runs.items()):
        curves = _curves(run)
        if key not in curves:
            raise KeyError(f"run {label!r} has no {key!r} curve; it has {sorted(curves)}")
        train = curves[key]
        epochs = range(1, len(train) + 1)
        (lines[label],) = ax.plot(epochs, train, color=f"C{i}", lw=1.8, label=label)
        if val and f"val_{key}" in curves:
            (lines[f"{label} (val)"],) = ax.plot(
                epochs, curves[f"val_{key}"], color=f"C{i}", lw=1.5, ls="--"
            )
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key)
    has_val = any(k.endswith("(val)") for k in lines)
    ax.set_title(
        title or (f"{key}: train solid, validation dashed" if has_val else key), fontsize=10
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return lines


def results_table(rows: Mapping[str, Mapping[str, float]], *, percent: Sequence[str] = ()) -> str:
    """A small aligned text table: one row per run, one column per number.

    ``rows[run][column]``; columns named in ``percent`` print as ``87.5%``,
    integers as they are, the rest with three decimals. Meant for ``print``, with coarse numbers
    that a stored notebook can compare.
    """
    columns = list(dict.fromkeys(c for row in rows.values() for c in row))
    width = max(len(r) for r in rows) if rows else 0

    def cell(column: str, value: float | None) -> str:
        if value is None:
            text = "-"
        elif isinstance(value, int):
            text = str(value)
        elif column in percent:
            text = f"{value:.1%}"
        else:
            text = f"{value:.3f}"
        return f"{text:>{max(len(column), 7)}}"

    header = " " * width + "  " + "  ".join(f"{c:>{max(len(c), 7)}}" for c in columns)
    lines = [header]
    for run, row in rows.items():
        lines.append(f"{run:<{width}}  " + "  ".join(cell(c, row.get(c)) for c in columns))
    return "\n".join(lines)


def log_floor(values) -> np.ndarray:
    # Losses go on a log axis: a run that lands exactly on the minimum has f = 0.
    return np.maximum(np.asarray(values, dtype=float), 1e-12)
