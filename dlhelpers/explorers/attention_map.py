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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import FROM_DATA, Settings, controls_from, setting
from dlhelpers.validate import check_choice, check_finite_array

__all__ = [
    "MEAN",
    "AttentionSettings",
    "AttentionView",
    "build_attention_explorer",
    "head_map",
    "top_key",
]

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
    maps = check_finite_array(f"maps{where}", maps)
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


@dataclass(frozen=True)
class AttentionSettings(Settings):
    """Which input, layer, head and query to show; the menus come from the maps.

    ``head`` is a head's number, ``"mean"`` (the heads' mean) or the menu's
    own text (:data:`MEAN`, ``"head 0"``); ``query`` a position, or ``"all"``
    or ``None`` for bars of the attention each key gets, averaged over the
    queries. ``input`` names one of several inputs (default: the first).
    """

    input: str | None = setting(None, "input", choices=FROM_DATA, optional=True)
    layer: int = setting(0, "layer", low=0, integer=True)
    head: str = setting(0, "head", choices=FROM_DATA)
    query: Any = setting(ALL, "query", choices=FROM_DATA, style="choice_slider")


def _head_choice(n_heads: int) -> Callable[[str, Any], str]:
    """Checks a head as a number, ``"mean"`` or a menu entry; returns the menu entry."""
    entries = [MEAN, *(f"head {h}" for h in range(n_heads))]

    def convert(name: str, value: Any) -> str:
        if isinstance(value, str):
            return check_choice(name, MEAN if value == "mean" else value, entries)
        return entries[1 + check_choice(name, value, range(n_heads))]

    return convert


def _query_choice(length: int) -> Callable[[str, Any], Any]:
    def convert(name: str, value: Any) -> Any:
        return check_choice(name, ALL if value is None else value, [ALL, *range(length)])

    return convert


def build_attention_explorer(
    maps: ArrayLike | Mapping[str, tuple],
    tokens: Sequence[str] | None = None,
    settings: AttentionSettings | None = None,
    *,
    labels: Sequence[str] | None = None,
    **overrides,
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
    settings : AttentionSettings, optional
        Or by name: ``input``, ``layer``, ``head`` (a number or ``"mean"``)
        and ``query`` (a position, ``"all"`` or None), where the controls start.
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
        or inf, rows that do not sum to 1 (within 1e-4), a ``head``, ``query``
        or ``input`` not offered.
    """
    inputs = _inputs(maps, tokens, labels)
    first = next(iter(inputs))
    s = _within_maps(AttentionSettings.resolve(settings, overrides), inputs)
    n_layers = inputs[first][0].shape[0]
    names = [*(["input"] if len(inputs) > 1 else []), *(["layer"] if n_layers > 1 else [])]
    controls = controls_from(s, [*names, "head", "query"])
    fig = Figure(figsize=(7.2, 3.3), layout="constrained")
    view = AttentionView(fig)
    draw = _drawer(view, inputs, first, n_layers)
    hooks = {"input": _follow_input(controls, inputs)} if "input" in controls else {}
    return Explorer(
        "AttentionExplorer", controls, fig, draw, view=view, on_change=hooks, notices=s.notices
    )


def _within_maps(s: AttentionSettings, inputs: dict) -> AttentionSettings:
    """``s`` checked against the maps' inputs, layers, heads and positions."""
    first = next(iter(inputs))
    n_layers, n_heads, T, _ = inputs[first][0].shape
    return s.replace(input=s.input or first).within(
        input={"choices": tuple(inputs)},
        layer={"high": n_layers - 1},
        head={
            "choices": (MEAN, *(f"head {h}" for h in range(n_heads))),
            "convert": _head_choice(n_heads),
        },
        query={"choices": (ALL, *range(T)), "convert": _query_choice(T)},
    )


def _follow_input(controls: dict, inputs: dict) -> Callable[[str], None]:
    """A new input gets a query slider over its own positions (the query kept if it exists)."""

    def on_input(name: str) -> None:
        length = inputs[name][0].shape[-1]
        slider_ = controls["query"]
        old = slider_.value
        options = [ALL, *range(length)]
        if list(slider_.options) != options:
            slider_.options = options
            slider_.value = old if old in options else ALL

    return on_input


def _drawer(view: AttentionView, inputs: dict, first: str, n_layers: int) -> Callable[..., str]:
    """The explorer's ``draw``: the map of one input, layer and head, and one query's row."""

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

    return draw
