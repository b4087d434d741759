"""Plot helpers, toy data sets and the environment report."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlhelpers.data import DATASETS, make_dataset
from dlhelpers.viz import activation_curve, grid_points, plot_activation, plot_neuron_boundary


def test_activation_curve_applies_weight_bias_and_chain_rule():
    x = np.linspace(-2, 2, 9)
    y, dy = activation_curve("tanh", x, weight=2.0, bias=0.5)
    np.testing.assert_allclose(y, np.tanh(2 * x + 0.5))
    np.testing.assert_allclose(dy, 2 * (1 - np.tanh(2 * x + 0.5) ** 2))
    with pytest.raises(ValueError, match="name='swish' is not one of the choices: relu"):
        activation_curve("swish", x)


def test_plot_activation_draws_on_given_axes_and_updates_in_place():
    fig, ax = plt.subplots()
    view = plot_activation("relu", ax=ax)
    n_lines = len(ax.lines)  # f, its slope and the two axis lines
    assert view.ax is ax and n_lines == 4
    view.update("sigmoid", weight=2.0)
    assert len(ax.lines) == n_lines  # updated, not redrawn on top
    np.testing.assert_allclose(ax.lines[0].get_ydata()[200], 0.5)
    plt.close(fig)


def test_plot_activation_without_axes_makes_a_figure():
    before = len(plt.get_fignums())
    view = plot_activation("gelu", show_grad=False)
    assert len(plt.get_fignums()) == before + 1 and not view.grad_line.get_visible()
    plt.close("all")


def test_neuron_boundary_marks_mistakes():
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [2.0, 2.0]])
    y = np.array([1, 0, 0])
    view = plot_neuron_boundary(X, y, (1.0, 1.0), 0.0)
    assert view.accuracy == pytest.approx(2 / 3)
    widths = view.points.get_linewidths()
    assert widths[2] > 0 and widths[0] == 0
    plt.close("all")


def test_grid_points_shape_and_corners():
    g = grid_points((0, 1, -1, 1), n=5)
    assert g.shape == (25, 2)
    np.testing.assert_allclose(g[0], [0, -1])
    np.testing.assert_allclose(g[-1], [1, 1])


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_toy_datasets_are_balanced_seeded_and_shaped(name):
    X, y = make_dataset(name, 101, seed=7)
    X2, y2 = make_dataset(name, 101, seed=7)
    assert X.shape == (101, 2) and y.shape == (101,) and X.dtype == np.float64
    assert set(np.unique(y)) == {0, 1}
    if name != "xor":  # xor labels by quadrant of uniform points, the others split n exactly
        assert abs(int(y.sum()) - 50) <= 1
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, make_dataset(name, 101, seed=8)[0])


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(ValueError, match="name='swirl' is not one of the choices"):
        make_dataset("swirl")
