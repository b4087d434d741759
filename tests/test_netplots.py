"""Network diagram and layer-output pictures of notebook 02."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from dlhelpers.viz import layer_names, plot_layer_outputs, plot_network


def test_layer_names():
    assert layer_names(2) == ["input", "output"]
    assert layer_names(4) == ["input", "hidden 1", "hidden 2", "output"]
    with pytest.raises(ValueError):
        layer_names(1)


def test_plot_network_edges_units_and_colours(rng):
    weights = [rng.normal(size=(3, 2)), rng.normal(size=(1, 3))]
    values = [np.array([0.0, 1.0]), np.array([0.2, 0.5, 0.9]), np.array([0.3])]
    art = plot_network((2, 3, 1), weights=weights, values=values)
    assert [len(e.get_segments()) for e in art["edges"]] == [6, 3]
    assert [len(u.get_offsets()) for u in art["units"]] == [2, 3, 1]
    widths = np.asarray(art["edges"][0].get_linewidths())
    assert widths.max() > widths.min()  # edge width follows |weight|
    faces = art["units"][0].get_facecolors()
    assert not np.allclose(faces[0], faces[1])  # unit colour follows its value
    plt.close(art["ax"].figure)


def test_plot_network_truncates_wide_layers():
    art = plot_network((784, 64, 32, 10), max_units=8)
    assert [len(u.get_offsets()) for u in art["units"]] == [8, 8, 8, 8]
    texts = [t.get_text() for t in art["ax"].texts]
    assert "input\n784 units" in texts and texts.count("⋮") == 4  # 10 > 8 too
    plt.close(art["ax"].figure)


def test_plot_network_checks_shapes(rng):
    with pytest.raises(ValueError, match=r"shapes \[\(3, 2\)\], got \[\(2, 3\)\]"):
        plot_network((2, 3), weights=[rng.normal(size=(2, 3))])
    with pytest.raises(ValueError, match="values must have sizes"):
        plot_network((2, 3), values=[np.zeros(2), np.zeros(2)])


def test_plot_layer_outputs(rng):
    outputs = [rng.random((5, 20)), rng.random((5, 4)), rng.random((5, 2))]
    images = plot_layer_outputs(outputs, ["input", "hidden", "output"])
    assert len(images) == 3
    assert images[1].axes.get_title() == "hidden\n(5, 4)"
    np.testing.assert_array_equal(images[2].get_array(), outputs[2])
    plt.close(images[0].axes.figure)
    fig = plt.figure()
    given = fig.subplots(1, 3)
    assert [i.axes for i in plot_layer_outputs(outputs, ["a", "b", "c"], ax=given)] == list(given)
    plt.close(fig)
    with pytest.raises(ValueError, match="same N"):
        plot_layer_outputs([np.zeros((5, 2)), np.zeros((4, 2))], ["a", "b"])
