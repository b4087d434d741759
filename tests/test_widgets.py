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
    ex = build_activation_explorer(activation="sigmoid")
    before_png = ex.image.value
    before_y = ex.figure.axes[0].lines[0].get_ydata().copy()
    ex.controls["weight"].value = 3.0
    assert ex.image.value != before_png
    after_y = ex.figure.axes[0].lines[0].get_ydata()
    assert not np.allclose(after_y, before_y)
    assert ex.redraws == 2


@pytest.mark.parametrize("name", ["relu", "tanh", "leaky_relu", "gelu"])
def test_activation_explorer_switches_function(name):
    ex = build_activation_explorer(activation="sigmoid")
    before = ex.figure.axes[0].lines[0].get_ydata().copy()
    ex.controls["activation"].value = name
    assert not np.allclose(ex.figure.axes[0].lines[0].get_ydata(), before)
    assert name in ex.status.value


def test_saturation_readout_tracks_the_weight():
    ex = build_activation_explorer(activation="sigmoid", weight=0.5)
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
    ex = build_activation_explorer(activation="tanh")
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


# --- the explorer contract and its faults ------------------------------------------


def test_hold_changes_several_controls_with_one_redraw():
    ex = build_activation_explorer(activation="sigmoid")
    redraws, png = ex.redraws, ex.image.value
    with ex.hold():
        ex.controls["weight"].value = 2.0
        ex.controls["bias"].value = 1.0
        assert ex.redraws == redraws  # nothing drawn yet
    assert ex.redraws == redraws + 1 and ex.image.value != png
    with ex.hold():
        pass
    assert ex.redraws == redraws + 1  # nothing changed: no redraw


def test_view_is_given_to_the_constructor():
    X, y = make_blobs(60, seed=0)
    assert build_neuron_explorer(X, y).view is not None
    assert build_activation_explorer().view is None


def test_nan_from_the_text_box_keeps_the_last_good_value():
    ex = build_activation_explorer(activation="sigmoid", weight=1.0)
    redraws, png = ex.redraws, ex.image.value
    ex.controls["weight"].value = float("nan")  # what a FloatSlider's box lets through
    assert ex.controls["weight"].value == 1.0
    assert ex.status.value == "weight w: nan is not a number; kept 1"
    assert ex.redraws == redraws and ex.image.value == png
    ex.controls["weight"].value = 2.0  # and it still works afterwards
    assert ex.redraws == redraws + 1


def test_out_of_range_start_is_clamped_and_said_once():
    with pytest.warns(UserWarning, match=r"weight=9 is outside -4..4; starting at 4"):
        ex = build_activation_explorer(activation="sigmoid", weight=9)
    assert ex.controls["weight"].value == 4.0
    assert ex.status.value.startswith("weight=9 is outside -4..4; starting at 4")


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: build_activation_explorer(activation="swish"),
            "activation='swish' is not one of the choices: relu, sigmoid",
        ),
        (lambda: build_activation_explorer(weight=float("nan")), "weight=nan is not a number"),
        (lambda: build_activation_explorer(weight="big"), "weight='big' is not a number"),
    ],
)
def test_bad_builder_input_fails_in_one_line(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        build()


def test_labels_and_tracks_are_wide_enough():
    from dlhelpers.explorers.controls import TRACK_PX, slider

    control = slider("learning rate", 0.1, 0, 1)
    label = int(control.style.description_width.removesuffix("px"))
    assert label >= 7 * len("learning rate")
    assert int(control.layout.width.removesuffix("px")) - label >= TRACK_PX


def test_data_of_the_wrong_shape_fails_in_one_line():
    X, y = make_blobs(30, seed=0)
    with pytest.raises(ValueError, match=r"X must have shape \(n_points, 2\)"):
        build_neuron_explorer(X[:, :1], y)
    with pytest.raises(ValueError, match="x and y must be two 1-D arrays of the same length"):
        build_line_explorer(np.arange(5.0), np.arange(4.0))
