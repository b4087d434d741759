"""Backpropagation one node at a time: the explorer of notebook 04.

One neuron ``o = f(x1 w1 + x2 w2 + b)`` built from :class:`~dlhelpers.scratch.Value`
(:func:`neuron_graph`), drawn with :mod:`dlhelpers.viz.graph`, and a ``step`` slider
that runs the backward pass one operation at a time
(:func:`build_backprop_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.engine import Value
from dlhelpers.scratch.traversal import backward_steps
from dlhelpers.validate import check_choice, check_number
from dlhelpers.viz.graph import GraphView, graph_layout, op_symbol

__all__ = ["BackpropSettings", "build_backprop_explorer", "neuron_graph"]

ACTIVATION_METHODS = ("tanh", "sigmoid", "relu")


@dataclass(frozen=True)
class BackpropSettings(Settings):
    """The backprop explorer's settings; ``step`` runs up to the graph's number of operations."""

    x1: float = setting(1.0, "x1", low=-2.0, high=2.0)
    w1: float = setting(-1.5, "w1", low=-3.0, high=3.0)
    activation: str = setting("tanh", "f", choices=ACTIVATION_METHODS)
    step: int = setting(0, "step", low=0, integer=True)


def neuron_graph(
    x1: float,
    w1: float,
    activation: str = "tanh",
    *,
    x2: float = 2.0,
    w2: float = 0.5,
    b: float = -1.0,
) -> Value:
    """``o = activation(x1*w1 + x2*w2 + b)`` as a labelled graph of :class:`Value`."""
    check_choice("activation", activation, ACTIVATION_METHODS)
    x1, w1, x2, w2, b = (
        check_number(name, v)
        for name, v in zip(("x1", "w1", "x2", "w2", "b"), (x1, w1, x2, w2, b), strict=True)
    )
    x1_, w1_ = Value(x1, "x1"), Value(w1, "w1")
    x2_, w2_, b_ = Value(x2, "x2"), Value(w2, "w2"), Value(b, "b")
    x1w1, x2w2 = x1_ * w1_, x2_ * w2_
    x1w1.label, x2w2.label = "x1w1", "x2w2"
    n = x1w1 + x2w2
    n.label = "n"
    z = n + b_
    z.label = "z"
    o = getattr(z, activation)()
    o.label = "o"
    return o


def build_backprop_explorer(settings: BackpropSettings | None = None, **overrides) -> Explorer:
    """Step through backpropagation in one neuron ``o = f(x1 w1 + x2 w2 + b)``.

    Drag ``x1`` and ``w1``, pick the activation ``f``, and move ``step``: at step
    ``k`` the first ``k`` operations (from the output back) have passed their
    gradient to their inputs. The operation that just ran is outlined in red,
    the inputs it sent gradients to in orange. Settings by name, see
    :class:`BackpropSettings`.
    """
    s = BackpropSettings.resolve(settings, overrides)
    fig = Figure(figsize=(7.6, 2.9), layout="constrained")
    view = GraphView(
        fig.subplots(), graph_layout(neuron_graph(s.x1, s.w1, s.activation)), fontsize=8
    )
    nodes = view.layout["nodes"]
    op_nodes = [n for n, node in enumerate(nodes) if node["kind"] == "op"]
    s = s.within(step={"high": len(op_nodes)})
    index = {}  # which node index shows a given Value (refreshed with each root)

    def draw(x1: float, w1: float, activation: str, step: int) -> str:
        root = neuron_graph(x1, w1, activation)
        view.update(root)
        index.clear()
        index.update(
            {id(node["value"]): n for n, node in enumerate(nodes) if node["kind"] == "value"}
        )
        done, last = 0, None
        if step > 0:
            for v in backward_steps(root):
                if v._op:
                    done, last = done + 1, v
                    if done == step:
                        break
        if last is None:
            for node in nodes:
                node["value"].grad = 0.0
            view.update()
            return (
                f"forward pass: o = {root.data:.3f}. Move <b>step</b> to send gradients "
                f"backward, one operation at a time ({len(op_nodes)} steps)."
            )
        hot = {index[id(last)] - 1, index[id(last)]}  # the op and the value it made
        warm = {index[id(child)] for child in last._prev}
        view.update(hot=hot, warm=warm)
        sent = ", ".join(f"{c.label or 'const'}.grad = {c.grad:.3f}" for c in last._prev)
        return (
            f"step {done}/{len(op_nodes)}: the <b>{op_symbol(last._op)}</b> node making "
            f"{last.label} has grad {last.grad:.3f} and passes it back: {sent}"
        )

    return Explorer(
        "BackpropExplorer", controls_from(s), fig, draw, dpi=90, view=view, notices=s.notices
    )
