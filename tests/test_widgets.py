"""The explorers of notebook 01, driven without a browser."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from dlhelpers.data import make_blobs
from dlhelpers.explorers.activation import build_activation_explorer
from dlhelpers.explorers.line import build_line_explorer
from dlhelpers.explorers.neuron import build_neuron_explorer


def test_activation_explorer_redraws_when_a_slider_moves():
    ex = build_activation_explorer("sigmoid")
    before_png = ex.image.value
    before_y = ex.figure.axes[0].lines[0].get_ydata().copy()
    ex.controls["weight"].value = 3.0
    assert ex.image.value != before_png
    after_y = ex.figure.axes[0].lines[0].get_ydata()
    assert not np.allclose(after_y, before_y)
    assert ex.redraws == 2


@pytest.mark.parametrize("name", ["relu", "tanh", "leaky_relu", "gelu"])
def test_activation_explorer_switches_function(name):
    ex = build_activation_explorer("sigmoid")
    before = ex.figure.axes[0].lines[0].get_ydata().copy()
    ex.controls["activation"].value = name
    assert not np.allclose(ex.figure.axes[0].lines[0].get_ydata(), before)
    assert name in ex.status.value


def test_saturation_readout_tracks_the_weight():
    ex = build_activation_explorer("sigmoid", weight=0.5)
    gentle = float(ex.status.value.split("on ")[1].split("%")[0])
    ex.controls["weight"].value = 4.0
    steep = float(ex.status.value.split("on ")[1].split("%")[0])
    assert steep > gentle  # a steeper sigmoid saturates over more of the range


def test_neuron_explorer_boundary_and_accuracy_follow_the_sliders():
    X, y = make_blobs(120, noise=0.55, seed=3)
    ex = build_neuron_explorer(X, y, w1=1.0, w2=-1.0, b=0.0)
    bad = ex.view.accuracy
    png = ex.image.value
    ex.controls["w2"].value = 1.0
    assert ex.view.accuracy > bad and ex.view.accuracy == 1.0
    assert ex.image.value != png
    assert "100%" in ex.status.value


def test_explorer_display_bundle_has_widget_png_and_short_text():
    ex = build_activation_explorer("tanh")
    bundle = ex._repr_mimebundle_()
    assert bundle["text/plain"] == "ActivationExplorer(activation=tanh, weight=1, bias=0)"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_line_explorer_error_drops_as_the_line_fits():
    from dlhelpers.data import make_line

    x, y = make_line(20, slope=2.0, intercept=-1.0, seed=0)
    ex = build_line_explorer(x, y, w=0.0, b=0.0)
    flat = float(ex.status.value.split("<b>")[1].split("<")[0])
    png = ex.image.value
    ex.controls["w"].value = 2.0
    ex.controls["b"].value = -1.0
    fitted = float(ex.status.value.split("<b>")[1].split("<")[0])
    assert fitted < 0.3 < flat
    assert ex.image.value != png
    np.testing.assert_allclose(
        ex.figure.axes[0].lines[0].get_ydata(), 2 * np.array([x.min() - 0.2, x.max() + 0.2]) - 1
    )
