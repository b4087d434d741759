"""The attention-map explorer (notebook 09): which input tokens each position reads.

Pure part: :func:`head_map` (one layer's map for one head, or the mean of
the heads) and :func:`top_key` (where one query looks most). View:
:class:`AttentionView`, the T x T map (queries on rows, keys on columns) with
the chosen query row outlined, beside a bar chart of that row. Builder:
:func:`build_attention_explorer`, menus for the input, layer and head and a
query slider. The maps come from
:meth:`~dlhelpers.train.transformer.TinyTransformer.attention_maps` (pick one
sequence: ``maps[:, b]``) or from the NumPy
:class:`~dlhelpers.scratch.attention.MultiheadAttention`::

    model(torch.as_tensor(X[:2])); maps = model.attention_maps()  # (L, 2, H, T, T)
    build_attention_explorer(maps[:, 0], [str(t) for t in X[0]])
    build_attention_explorer({"first": (maps[:, 0], list("86523000")),
                              "second": (maps[:, 1], list("12345678"))})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer, check_choice, choice_slider, dropdown, slider

__all__ = ["MEAN", "AttentionView", "build_attention_explorer", "head_map", "top_key"]

#: The head menu's entry that averages the heads.
MEAN = "mean of heads"
ALL = "all"


def head_map(maps: np.ndarray, layer: int, head: int | str) -> np.ndarray:
    """One layer's attention map: ``maps[layer, head]``, or the heads' mean for ``head="mean"``.

    Parameters
    ----------
    maps : ndarray of shape (n_layers, n_heads, T, T)
    layer : int
    head : int, or ``"mean"`` / :data:`MEAN`

    Returns
    -------
    ndarray of shape (T, T)
        Rows (queries) still sum to 1: a mean of weightings is a weighting.
    """
    if head in ("mean", MEAN):
        return maps[layer].mean(axis=0)  # (T, T)
    return maps[layer, head]  # (T, T)


def top_key(row: np.ndarray) -> tuple[int, float]:
    """The key position one query row weights most, and that weight (the first on ties)."""
    k = int(np.argmax(row))
    return k, float(row[k])


def _check_one(maps: ArrayLike, tokens, labels, where: str):
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 4 or maps.shape[-1] != maps.shape[-2]:
        hint = (
            " (model.attention_maps() gives (n_layers, B, n_heads, T, T): pick one "
            "sequence with maps[:, b])"
            if maps.ndim == 5
            else ""
        )
        raise ValueError(
            f"maps{where} must have shape (n_layers, n_heads, T, T), got {maps.shape}{hint}"
        )
    T = maps.shape[-1]
    if tokens is None:
        raise ValueError(f"tokens{where}: give a list of {T} strings, one per position")
    tokens = [str(t) for t in tokens]
    labels = tokens if labels is None else [str(t) for t in labels]
    for name, seq in (("tokens", tokens), ("labels", labels)):
        if len(seq) != T:
            raise ValueError(
                f"{name}{where} has {len(seq)} entries but maps of shape {maps.shape} "
                f"have T = {T} positions"
            )
    if not np.isfinite(maps).all():
        raise ValueError(f"maps{where} of shape {maps.shape} hold NaN or inf")
    if maps.min() < -1e-6:
        raise ValueError(f"maps{where} hold a negative weight ({maps.min():.3g})")
    sums = maps.sum(axis=-1)  # (n_layers, n_heads, T)
    bad = np.argwhere(np.abs(sums - 1) > 1e-4)
    if len(bad):
        lay, h, q = (int(i) for i in bad[0])
        raise ValueError(
            f"maps{where} of shape {maps.shape}: each row (a query's weights over the keys) "
            f"must sum to 1, but layer {lay}, head {h}, query {q} sums to {sums[lay, h, q]:.4g}"
        )
    return maps, tokens, labels


def _inputs(maps, tokens, labels) -> dict[str, tuple[np.ndarray, list[str], list[str]]]:
    if not isinstance(maps, Mapping):
        return {"input": _check_one(maps, tokens, labels, "")}
    if tokens is not None or labels is not None:
        raise ValueError("with a dict of inputs, give each input's tokens (and labels) in the dict")
    if not maps:
        raise ValueError("the dict of inputs is empty: give at least one (maps, tokens) pair")
    out = {}
    for name, entry in maps.items():
        if not isinstance(entry, tuple | list) or len(entry) not in (2, 3):
            raise ValueError(
                f"input {name!r} must be a pair (maps, tokens) or (maps, tokens, labels)"
            )
        out[str(name)] = _check_one(*entry, *(() if len(entry) == 3 else (None,)), f" of {name!r}")
    shapes = {m.shape[:2] for m, _, _ in out.values()}
    if len(shapes) > 1:
        raise ValueError(
            f"all inputs need the same (n_layers, n_heads); got {', '.join(map(str, shapes))}"
        )
    return out


class AttentionView:
    """The T x T map with one query row outlined, and that row's weights as bars."""

    def __init__(self, fig: Figure):
        self.ax_map, self.ax_bar = fig.subplots(1, 2, width_ratios=[1, 1.15])
        self.image = self.ax_map.imshow(np.eye(2), cmap="Blues", vmin=0, vmax=1)
        self.outline = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec="C3", lw=2)
        self.ax_map.add_patch(self.outline)
        self.ax_map.set_xlabel("key (input token)", fontsize=9)
        self.ax_map.set_ylabel("query", fontsize=9)
        self.ax_bar.set_ylim(0, 1)
        self.ax_bar.set_xlabel("key (input token)", fontsize=9)
        self.bars = []
        self.length, self.tokens, self.labels = 0, None, None

    def _set_axes(self, tokens: list[str], labels: list[str]) -> None:
        """New tick labels, and new bars if the length changed (a different input)."""
        T = len(tokens)
        self.image.set_extent((-0.5, T - 0.5, T - 0.5, -0.5))
        for ax in (self.ax_map, self.ax_bar):
            ax.set_xticks(range(T), tokens, fontsize=8)
        self.ax_map.set_yticks(range(T), labels, fontsize=8)
        self.ax_map.set_xlim(-0.5, T - 0.5)
        self.ax_map.set_ylim(T - 0.5, -0.5)
        if T != self.length:
            for bar in self.bars:
                bar.remove()
            self.bars = list(self.ax_bar.bar(range(T), np.zeros(T), color="C0"))
            self.ax_bar.set_xlim(-0.6, T - 0.4)
            self.outline.set_width(T)
        self.length, self.tokens, self.labels = T, tokens, labels

    def update(self, grid: np.ndarray, query: int | None, tokens, labels) -> np.ndarray:
        """Show ``grid`` (T, T); outline row ``query`` (None: all) and draw its bars; return them."""
        if tokens != self.tokens or labels != self.labels:
            self._set_axes(tokens, labels)
        self.image.set_data(grid)
        self.outline.set_visible(query is not None)
        if query is None:
            values = grid.mean(axis=0)  # (T,): the attention each key gets, averaged
            self.ax_bar.set_title("attention each key gets, mean over queries", fontsize=9)
        else:
            values = grid[query]  # (T,)
            self.outline.set_y(query - 0.5)
            self.ax_bar.set_title(f"query {query} ('{labels[query]}') over the keys", fontsize=9)
        best = int(np.argmax(values))
        for i, (bar, v) in enumerate(zip(self.bars, values, strict=True)):
            bar.set_height(v)
            bar.set_color("C3" if i == best else "C0")
        return values

    def heights(self) -> np.ndarray:
        """The bar heights on show, ndarray of shape (T,)."""
        return np.array([bar.get_height() for bar in self.bars])


def build_attention_explorer(
    maps: ArrayLike | Mapping[str, tuple],
    tokens: Sequence[str] | None = None,
    *,
    layer: int = 0,
    head: int | str = 0,
    query: int | str | None = None,
    labels: Sequence[str] | None = None,
) -> Explorer:
    """Pick a layer, a head and a query position; see where that query looks.

    Parameters
    ----------
    maps : array_like of shape (n_layers, n_heads, T, T), or dict of str to tuple
        The attention weights for **one** input sequence, ``[layer, head,
        query, key]``, each row summing to 1 (``model.attention_maps()[:, b]``).
        Or several inputs by name, ``{name: (maps, tokens)}`` or
        ``{name: (maps, tokens, labels)}``, which gives an input menu; they
        may differ in length but not in layers and heads.
    tokens : sequence of T str
        The input, shown along the keys (and the queries, unless ``labels``).
        Only with an array ``maps``.
    layer : int, default 0
    head : int or "mean", default 0
        Where the head menu starts; ``"mean"`` averages the heads.
    query : int, "all" or None, default None
        Where the query slider starts; None or ``"all"`` shows no outline and
        bars for the attention each key gets, averaged over the queries.
    labels : sequence of T str, optional
        Names for the query rows (for reversal, what each output position
        should produce); default ``tokens``. Only with an array ``maps``.

    Returns
    -------
    Explorer
        Controls ``"head"`` (:data:`MEAN`, ``"head 0"``, ...), ``"query"``
        (``"all"``, 0 .. T-1), ``"layer"`` (with more than one layer) and
        ``"input"`` (with several inputs); ``view.heights()`` is the bar chart,
        ``view.image.get_array()`` the map on show.

    Raises
    ------
    ValueError
        On maps of the wrong shape, tokens or labels of the wrong length, NaN
        or inf, rows that do not sum to 1 (within 1e-4), or a start
        ``layer``, ``head`` or ``query`` out of range.
    """
    inputs = _inputs(maps, tokens, labels)
    first = next(iter(inputs))
    n_layers, n_heads, T, _ = inputs[first][0].shape
    check_choice("layer", layer, range(n_layers))
    heads = [MEAN, *(f"head {h}" for h in range(n_heads))]
    start_head = MEAN if head == "mean" else head
    check_choice("head", start_head, [MEAN, *range(n_heads)])
    start_query = ALL if query is None else query
    check_choice("query", start_query, [ALL, *range(T)])

    controls: dict[str, W.Widget] = {}
    if len(inputs) > 1:
        controls["input"] = dropdown("input", list(inputs), first)
    if n_layers > 1:
        controls["layer"] = slider("layer", layer, 0, n_layers - 1, integer=True)
    controls["head"] = dropdown("head", heads, MEAN if start_head == MEAN else f"head {start_head}")
    controls["query"] = choice_slider("query", [ALL, *range(T)], start_query, continuous=True)

    fig = Figure(figsize=(7.2, 3.3), layout="constrained")
    view = AttentionView(fig)

    def draw(head: str, query, input: str = first, layer: int = 0) -> str:
        m, toks, labs = inputs[input]
        h = "mean" if head == MEAN else int(head.removeprefix("head "))
        grid = head_map(m, layer, h)  # (T, T)
        q = None if query == ALL else int(query)
        values = view.update(grid, q, toks, labs)
        k, w = top_key(values)
        where = f"layer {layer}, {head}" if n_layers > 1 else head
        view.ax_map.set_title(f"{where}: rows are queries", fontsize=9)
        if q is None:
            tops = grid.max(axis=1).mean()
            return (
                f"{where} · all {len(toks)} queries: each puts {tops:.2f} on its top key on "
                f"average · key {k} ('{toks[k]}') gets the most, {w:.2f}"
            )
        return f"{where} · query {q} ('{labs[q]}') looks mostly at key {k} ('{toks[k]}'): {w:.2f}"

    def on_input(name: str) -> None:
        length = inputs[name][0].shape[-1]
        slider_ = controls["query"]
        old = slider_.value
        options = [ALL, *range(length)]
        if list(slider_.options) != options:
            slider_.options = options
            slider_.value = old if old in options else ALL

    hooks = {"input": on_input} if "input" in controls else {}
    return Explorer("AttentionExplorer", controls, fig, draw, view=view, on_change=hooks)
