"""Layout and drawing of computational graphs (dlhelpers.viz.graph) and the backprop widget."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlhelpers.explorers.backprop import build_backprop_explorer, neuron_graph
from dlhelpers.scratch import Value, topological_order
from dlhelpers.viz import draw_graph, graph_layout, op_symbol


def karpathy_graph():
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    d = e + c
    loss = d * f
    e.label, d.label, loss.label = "e", "d", "L"
    return loss


def reuse_graph():
    x = Value(0.5, "x")
    h = x * x + 2 * x  # x used three times, the constant 2 is a leaf
    return (h.tanh() * x - h / 3).sigmoid()


def random_graph(seed: int, n_ops: int = 12):
    rng = np.random.default_rng(seed)
    nodes = [Value(float(v), f"x{k}") for k, v in enumerate(rng.uniform(0.5, 1.5, 3))]
    for _ in range(n_ops):
        a, b = (nodes[int(i)] for i in rng.integers(0, len(nodes), 2))
        op = rng.integers(5)
        nodes.append([a + b, a * b, a - b, a.tanh(), (a * 0.5).exp()][op])
    return nodes[-1] + nodes[-2]


GRAPHS = [karpathy_graph, reuse_graph] + [lambda s=s: random_graph(s) for s in range(20)]


@pytest.mark.parametrize("make", GRAPHS)
def test_every_node_is_placed_once_and_edges_go_left_to_right(make):
    root = make()
    layout = graph_layout(root)
    nodes, edges = layout["nodes"], layout["edges"]
    order = topological_order(root)
    values = [n["value"] for n in nodes if n["kind"] == "value"]
    ops = [n["value"] for n in nodes if n["kind"] == "op"]
    assert [id(v) for v in values] == [id(v) for v in order]  # each Value exactly once
    assert [id(v) for v in ops] == [id(v) for v in order if v._op]  # one op node per result
    assert len(edges) == sum(len(v._prev) + 1 for v in order if v._op)
    assert nodes[layout["root"]]["value"] is root
    for i, j in edges:
        assert nodes[i]["x"] < nodes[j]["x"]
        assert nodes[i]["depth"] < nodes[j]["depth"]
        assert (nodes[i]["kind"], nodes[j]["kind"]) in {("value", "op"), ("op", "value")}
    for n, node in enumerate(nodes):  # an op's column: the longest path from the leaves
        if node["kind"] == "op":
            into = [nodes[i]["depth"] for i, j in edges if j == n]
            assert node["depth"] == 1 + max(into)
    assert max(n["depth"] for n in nodes) == layout["n_columns"] - 1
    assert nodes[layout["root"]]["depth"] == layout["n_columns"] - 1
    columns = {}
    for node in nodes:
        assert np.isfinite([node["x"], node["y"]]).all()
        columns.setdefault(node["depth"], []).append(node["y"])
    for ys in columns.values():  # no two boxes on top of each other
        ys = np.sort(ys)
        assert np.all(np.diff(ys) >= 1.0 - 1e-9)
    assert min(n["y"] for n in nodes + [{"y": y} for w in layout["waypoints"] for _, y in w]) == 0


def test_long_edges_go_around_the_nodes():
    x = Value(0.5, "x")
    y = (x.exp().tanh() + 1.0).sigmoid() * x  # x goes into columns 1 and 9
    layout = graph_layout(y)
    nodes = layout["nodes"]
    for (i, j), waypoints in zip(layout["edges"], layout["waypoints"], strict=True):
        skipped = nodes[j]["depth"] - nodes[i]["depth"] - 1
        assert [wx for wx, _ in waypoints] == [
            float(nodes[i]["depth"] + 1 + k) for k in range(skipped)
        ]
        for wx, wy in waypoints:  # a waypoint keeps its distance from every box in its column
            assert all(abs(wy - n["y"]) >= 1.0 - 1e-9 for n in nodes if n["x"] == wx)
    assert max(len(w) for w in layout["waypoints"]) == 8


def test_chain_is_a_straight_line_and_x_times_x_gives_two_edges():
    x = Value(1.0, "x")
    y = (x * x).tanh().exp()
    layout = graph_layout(y)
    assert len({n["y"] for n in layout["nodes"]}) == 1
    assert sorted(n["depth"] for n in layout["nodes"]) == list(range(7))
    assert layout["edges"].count((0, 1)) == 2


def test_late_leaf_sits_next_to_its_use():
    x, c = Value(1.0, "x"), Value(3.0, "c")
    y = x.tanh().exp().sigmoid() * c
    nodes = graph_layout(y)["nodes"]
    by_value = {id(n["value"]): n for n in nodes if n["kind"] == "value"}
    assert by_value[id(x)]["depth"] == 0
    assert by_value[id(c)]["depth"] == 6  # just before the * at column 7, not at 0


def test_layout_of_a_deep_chain():
    x = Value(0.1, "x")
    y = x
    for _ in range(2000):
        y = (y * 0.99).tanh()
    layout = graph_layout(y, sweeps=1)
    assert len(layout["nodes"]) == 1 + 2000 * 5  # x, and per step: const, *, value, tanh, value
    assert layout["n_columns"] == 1 + 2000 * 4


@pytest.mark.parametrize("make", [karpathy_graph, reuse_graph])
def test_draw_graph_draws_one_box_per_node_and_one_arrow_per_edge(make):
    root = make()
    root.backward()
    fig, ax = plt.subplots()
    view = draw_graph(root, ax=ax)
    layout = view.layout
    assert view.ax is ax
    n_detours = sum(len(w) > 0 for w in layout["waypoints"])
    assert len(view.texts) == len(layout["nodes"])
    assert len(ax.texts) == len(view.texts) + len(view.arrows) + n_detours
    assert len(view.arrows) == len(layout["edges"])
    n_values = sum(n["kind"] == "value" for n in layout["nodes"])
    boxes = [t.get_text() for t in view.texts]
    assert sum("grad" in t for t in boxes) == sum(
        1 for n in layout["nodes"] if n["kind"] == "value" and (n["value"]._op or n["value"].label)
    )
    assert n_values > 0 and not ax.axison
    fig.canvas.draw()  # arrows anchored on the boxes render without error
    plt.close(fig)


def test_draw_graph_shows_labels_data_and_grads():
    loss = karpathy_graph()
    loss.backward()
    view = draw_graph(loss)
    text = "\n".join(t.get_text() for t in view.texts)
    for expected in (
        "a = 2.000",
        "grad 6.000",
        "b = -3.000",
        "grad -4.000",
        "L = -8.000",
        "grad 1.000",
        "×",
        "+",
    ):
        assert expected in text
    w, h = view.ax.figure.get_size_inches()
    assert w <= 8 and h <= 3.5
    plain = draw_graph(loss, show_grad=False)
    assert not any("grad" in t.get_text() for t in plain.texts)
    plt.close("all")


def test_update_rewrites_boxes_and_highlights():
    loss = karpathy_graph()
    view = draw_graph(loss)
    before = [t.get_text() for t in view.texts]
    loss.backward()
    view.update(hot={0})
    after = [t.get_text() for t in view.texts]
    assert before != after and "grad 6.000" in after[0]
    assert (
        view.texts[0].get_bbox_patch().get_edgecolor()[:3]
        != view.texts[1].get_bbox_patch().get_edgecolor()[:3]
    )
    with pytest.raises(ValueError, match="same structure"):
        view.update(Value(1.0) * 2)
    plt.close("all")


def test_op_symbols():
    assert [op_symbol(s) for s in ("*", "+", "-", "/", "**2", "**-0.5", "tanh", "sigmoid")] == [
        "×",
        "+",
        "−",
        "÷",
        "^2",
        "^-0.5",
        "tanh",
        "σ",
    ]


def test_neuron_graph_matches_formula():
    o = neuron_graph(1.0, -1.5, "tanh", x2=2.0, w2=0.5, b=-1.0)
    assert o.data == pytest.approx(np.tanh(1.0 * -1.5 + 2.0 * 0.5 - 1.0))
    with pytest.raises(ValueError, match="activation"):
        neuron_graph(1.0, 1.0, "softmax")


def test_backprop_explorer_steps_through_backward():
    ex = build_backprop_explorer()
    png0, status0 = ex.image.value, ex.status.value
    assert "forward pass" in status0
    texts0 = [t.get_text() for t in ex.view.texts]
    ex.controls["step"].value = 1
    assert ex.image.value != png0 and "step 1/" in ex.status.value
    texts1 = [t.get_text() for t in ex.view.texts]
    assert texts1 != texts0  # z got its gradient
    ex.controls["step"].value = ex.controls["step"].max
    o = neuron_graph(1.0, -1.5, "tanh")
    o.backward()
    w1 = o._prev[0]._prev[0]._prev[0]._prev[1]  # o <- z <- n <- x1w1 <- (x1, w1)
    assert w1.label == "w1"
    w1_box = next(t.get_text() for t in ex.view.texts if t.get_text().startswith("w1 ="))
    assert w1_box == f"w1 = -1.500\ngrad {w1.grad:.3f}" and abs(w1.grad) > 0.01
    png = ex.image.value
    ex.controls["x1"].value = -0.5
    assert ex.image.value != png
    png = ex.image.value
    ex.controls["activation"].value = "sigmoid"
    assert ex.image.value != png and any(t.get_text() == "σ" for t in ex.view.texts)
    assert ex.summary().startswith("BackpropExplorer(")
