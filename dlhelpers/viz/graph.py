"""Draw the computational graph of a :class:`~dlhelpers.scratch.Value` with Matplotlib.

Taught in notebook 04 (backpropagation). Each value is a rounded box (its
label, data and grad), each operation a circle, and arrows run from inputs to
outputs, left to right. No Graphviz needed: :func:`graph_layout` computes a
layered layout from the topological order (a node's column is the longest path
to it from the leaves; rows are ordered to keep edges short) and
:func:`draw_graph` draws it. The explorer that steps through the backward pass
is in :mod:`dlhelpers.explorers.backprop`.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from dlhelpers.scratch.engine import Value
from dlhelpers.scratch.traversal import topological_order

__all__ = ["GraphView", "draw_graph", "graph_layout", "op_symbol"]

_SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "÷", "neg": "−x", "sigmoid": "σ"}
_FILL = {"leaf": "#fff3cf", "const": "#f2f2f2", "value": "#e3eefa", "op": "#ffffff"}
_EDGE, _HOT, _WARM = "#555555", "#d62728", "#ff7f0e"


def op_symbol(op: str) -> str:
    """How an operation is written in a drawn graph: ``"*"`` -> ``"×"``, ``"**2"`` -> ``"^2"``."""
    if op.startswith("**"):
        return "^" + op[2:]
    return _SYMBOLS.get(op, op)


def _place(column: list[int], desired: dict[int, float]) -> dict[int, float]:
    """Rows for one column: as close to ``desired`` as possible, at least 1 apart, in order."""
    rows = sorted(column, key=lambda n: desired[n])
    y: dict[int, float] = {}
    for k, n in enumerate(rows):
        y[n] = desired[n] if k == 0 else max(desired[n], y[rows[k - 1]] + 1.0)
    shift = sum(desired[n] - y[n] for n in rows) / len(rows)
    return {n: y[n] + shift for n in rows}


def graph_layout(root: Value, *, sweeps: int = 4) -> dict[str, Any]:
    """Where to draw each node of ``root``'s graph; nothing is drawn.

    Parameters
    ----------
    root : Value
        The output; its graph is every Value it depends on.
    sweeps : int
        Rounds of moving each node towards the mean row of its neighbours.

    Returns
    -------
    dict
        ``"nodes"``: a list of dicts, one per value and one per operation, with
        ``kind`` (``"value"`` or ``"op"``), ``value`` (the Value; for an op node,
        the Value it produces), ``depth`` (column, an int) and ``x``, ``y``.
        ``"edges"``: ``(i, j)`` index pairs into ``nodes``, from input to output
        (an input used twice, as in ``x * x``, gives two equal pairs).
        ``"waypoints"``: for each edge, the ``(x, y)`` points a long edge passes
        through on its way (empty for an edge between neighbouring columns).
        ``"root"``: the index of ``root``'s node. ``"n_columns"``, ``"n_rows"``.
    """
    nodes, edges, root_index = _nodes_and_edges(root)
    depth = _depths(len(nodes), edges)
    chains = _chains(edges, depth)
    columns, y = _rows(depth, chains, sweeps)
    top = min(y.values())
    for n, node in enumerate(nodes):
        node.update(depth=depth[n], x=float(depth[n]), y=y[n] - top)
    waypoints = [[(float(depth[k]), y[k] - top) for k in chain[1:-1]] for chain in chains]
    return {
        "nodes": nodes,
        "edges": edges,
        "waypoints": waypoints,
        "root": root_index,
        "n_columns": len(columns),
        "n_rows": max(len(c) for c in columns),
    }


def _nodes_and_edges(root: Value) -> tuple[list[dict[str, Any]], list[tuple[int, int]], int]:
    """A node per value and per operation, in topological order; edges from input to output."""
    nodes: list[dict[str, Any]] = []
    value_index: dict[int, int] = {}
    edges: list[tuple[int, int]] = []
    for v in topological_order(root):
        if v._op:
            op = len(nodes)
            nodes.append({"kind": "op", "value": v})
            edges += [(value_index[id(child)], op) for child in v._prev]
            edges.append((op, op + 1))
        value_index[id(v)] = len(nodes)
        nodes.append({"kind": "value", "value": v})
    return nodes, edges, value_index[id(root)]


def _neighbours(n: int, pairs) -> tuple[list[list[int]], list[list[int]]]:
    """Each node's inputs and outputs among ``n`` nodes joined by ``pairs``."""
    inputs: list[list[int]] = [[] for _ in range(n)]
    outputs: list[list[int]] = [[] for _ in range(n)]
    for i, j in pairs:
        inputs[j].append(i)
        outputs[i].append(j)
    return inputs, outputs


def _depths(n: int, edges) -> list[int]:
    """Each node's column: the longest path from the leaves (nodes come in topological order)."""
    inputs, outputs = _neighbours(n, edges)
    depth = [0] * n
    for k in range(n):
        depth[k] = 1 + max((depth[i] for i in inputs[k]), default=-1)
    # A leaf used late sits just before its first use, not far left.
    for k in range(n):
        if not inputs[k] and outputs[k]:
            depth[k] = min(depth[j] for j in outputs[k]) - 1
    return depth


def _chains(edges, depth: list[int]) -> list[list[int]]:
    """Each edge as a chain of nodes, one placeholder per column it skips (``depth`` grows).

    A placeholder takes a row in its column like a node, so long edges go
    around nodes, not through them.
    """
    chains = []
    for i, j in edges:
        chain = [i]
        for d in range(depth[i] + 1, depth[j]):
            chain.append(len(depth))
            depth.append(d)
        chains.append(chain + [j])
    return chains


def _rows(depth: list[int], chains, sweeps: int) -> tuple[list[list[int]], dict[int, float]]:
    """The nodes of each column and each node's row, pulled towards its neighbours' mean."""
    pairs = [p for chain in chains for p in zip(chain[:-1], chain[1:], strict=True)]
    inputs, outputs = _neighbours(len(depth), pairs)
    n_columns = max(depth) + 1
    columns: list[list[int]] = [[] for _ in range(n_columns)]
    for n in range(len(depth)):
        columns[depth[n]].append(n)
    y = {n: float(k) for column in columns for k, n in enumerate(column)}
    forward, backward = (range(1, n_columns), inputs), (range(n_columns - 2, -1, -1), outputs)
    # Alternate directions; end going forward, so each operation sits between its inputs.
    for direction, neighbours in [forward, backward] * sweeps + [forward] * (sweeps > 0):
        for d in direction:
            desired = {
                n: (
                    sum(y[m] for m in neighbours[n]) / len(neighbours[n]) if neighbours[n] else y[n]
                )
                for n in columns[d]
            }
            y.update(_place(columns[d], desired))
    return columns, y


def _number(x: float) -> str:
    return f"{x:.3f}" if x == 0 or 1e-3 <= abs(x) < 1e4 else f"{x:.2e}"


def _value_text(v: Value, show_grad: bool) -> str:
    if not v._op and not v.label:  # a constant such as the 2 in 2 * x
        return f"{v.data:.3g}"
    head = f"{v.label} = {_number(v.data)}" if v.label else _number(v.data)
    return f"{head}\ngrad {_number(v.grad)}" if show_grad else head


class GraphView:
    """The drawn graph: one text box per node and one arrow per edge.

    :meth:`update` rewrites the boxes in place (after ``backward()``, or for
    a new root with the same structure) and highlights nodes.

    Attributes
    ----------
    layout : dict
        What :func:`graph_layout` returned.
    texts : list of matplotlib.text.Text
        One per node, in ``layout["nodes"]`` order.
    arrows : list of matplotlib.text.Annotation
        One per edge, in ``layout["edges"]`` order (for a long edge, its last leg).
    detours : list of matplotlib artists
        The first legs and bends of the long edges.
    """

    def __init__(
        self, ax: Axes, layout: dict[str, Any], *, show_grad: bool = True, fontsize: float = 8.0
    ):
        self.ax, self.layout, self.show_grad = ax, layout, show_grad
        self.texts = [self._draw_node(node, fontsize) for node in layout["nodes"]]
        self.arrows, self.detours = [], []
        seen: set[tuple[int, int]] = set()
        for (i, j), waypoints in zip(layout["edges"], layout["waypoints"], strict=True):
            bend = 0.35 if (i, j) in seen else 0.0  # the second x in x * x
            seen.add((i, j))
            self._draw_edge(i, j, waypoints, bend)
        self.texts[layout["root"]].get_bbox_patch().set_linewidth(2.0)
        points = [(n["x"], n["y"]) for n in layout["nodes"]]
        points += [p for waypoints in layout["waypoints"] for p in waypoints]
        xs = [x for x, _ in points]
        ys = [-y for _, y in points]
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
        ax.set_axis_off()

    def _draw_node(self, node: dict[str, Any], fontsize: float):
        """One node's text box: a circle for an operation, a rounded box for a value."""
        v = node["value"]
        if node["kind"] == "op":
            box = dict(boxstyle="circle,pad=0.25", fc=_FILL["op"], ec=_EDGE, lw=1.0)
            text, size = op_symbol(v._op), fontsize + 1
        else:
            kind = "value" if v._op else ("leaf" if v.label else "const")
            box = dict(
                boxstyle="round,pad=0.3",
                fc=_FILL[kind],
                ec=_EDGE,
                lw=1.0,
                ls="--" if kind == "const" else "-",
            )
            text, size = _value_text(v, self.show_grad), fontsize
        return self.ax.text(
            node["x"], -node["y"], text, ha="center", va="center", fontsize=size, bbox=box, zorder=3
        )

    def _draw_edge(self, i: int, j: int, waypoints, bend: float) -> None:
        """The arrow from node ``i`` to node ``j``; a long edge first runs along its waypoints."""
        ax = self.ax
        style = dict(color=_EDGE, lw=1.0, shrinkA=4, shrinkB=4, mutation_scale=9)
        start: tuple = ((1.0, 0.5), self.texts[i])
        if waypoints:  # a long edge: to its first waypoint, along them, then the arrow
            xs, ys = zip(*[(x, -y) for x, y in waypoints], strict=True)
            self.detours.append(
                ax.annotate(
                    "",
                    xy=(xs[0], ys[0]),
                    xytext=start[0],
                    textcoords=start[1],
                    zorder=2,
                    arrowprops=dict(arrowstyle="-", **{**style, "shrinkB": 0}),
                )
            )
            self.detours += ax.plot(xs, ys, color=_EDGE, lw=1.0, zorder=2)
            start = ((xs[-1], ys[-1]), "data")
        self.arrows.append(
            ax.annotate(
                "",
                xy=(0.0, 0.5),
                xycoords=self.texts[j],
                xytext=start[0],
                textcoords=start[1],
                zorder=2,
                arrowprops=dict(
                    arrowstyle="-|>",
                    connectionstyle=f"arc3,rad={bend}",
                    **{**style, "shrinkA": 0 if waypoints else 4},
                ),
            )
        )

    def update(self, root: Value | None = None, *, hot=(), warm=()) -> GraphView:
        """Rewrite every box from its Value; outline nodes ``hot`` (red) and ``warm`` (orange).

        ``root`` swaps in a new graph of the same shape (same operations in the
        same order, e.g. rebuilt with other numbers); ``hot`` and ``warm`` are
        node indices.
        """
        nodes = self.layout["nodes"]
        if root is not None:
            fresh = graph_layout(root, sweeps=0)["nodes"]
            if [n["kind"] for n in fresh] != [n["kind"] for n in nodes]:
                raise ValueError("update(root=...) needs a graph with the same structure")
            for node, new in zip(nodes, fresh, strict=True):
                node["value"] = new["value"]
        for n, (node, text) in enumerate(zip(nodes, self.texts, strict=True)):
            v = node["value"]
            text.set_text(
                op_symbol(v._op) if node["kind"] == "op" else _value_text(v, self.show_grad)
            )
            patch = text.get_bbox_patch()
            patch.set_edgecolor(_HOT if n in hot else _WARM if n in warm else _EDGE)
            patch.set_linewidth(2.0 if n in hot or n in warm or n == self.layout["root"] else 1.0)
        return self


def draw_graph(
    root: Value, *, ax: Axes | None = None, show_grad: bool = True, fontsize: float = 8.0
) -> GraphView:
    """Draw the computational graph that produced ``root``.

    Parameters
    ----------
    root : Value
        Usually the loss; call ``root.backward()`` first to see gradients.
    ax : matplotlib Axes, optional
        Draw here; by default a new figure sized to the graph (at most 8 x 3.5 in).
    show_grad : bool
        Write each value's ``grad`` under its data.
    fontsize : float
        Text size of the boxes, in points.

    Returns
    -------
    GraphView
        Holds the text boxes and arrows; ``view.update()`` redraws them.
    """
    layout = graph_layout(root)
    if ax is None:
        size = (
            min(8.0, 0.9 + 0.62 * layout["n_columns"]),
            min(3.5, 0.5 + (0.62 if show_grad else 0.45) * layout["n_rows"]),
        )
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return GraphView(ax, layout, show_grad=show_grad, fontsize=fontsize)
