"""Notebook 08's gradient-flow explorer: vanishing and exploding gradients, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlhelpers.explorers.gradient_flow import (  # noqa: E402
    build_gradient_flow_explorer,
    gradient_norms,
    scaled_layer,
)
from dlhelpers.scratch.recurrent import grad_norms_through_time  # noqa: E402

SEEDS = range(5)


def test_norms_are_ordered_by_steps_back_from_the_end():
    norms = gradient_norms("rnn", scale=0.8, length=30)
    assert norms.shape == (30,)
    assert norms[0] == pytest.approx(np.sqrt(4 * 32))  # dL/d output_T = ones, batch 4
    assert norms[-1] < norms[0]
    assert np.array_equal(norms, gradient_norms("rnn", scale=0.8, length=30))  # seeded
    assert not np.array_equal(norms, gradient_norms("rnn", scale=0.8, length=30, seed=1))


@pytest.mark.parametrize("kind, blocks", [("rnn", 1), ("lstm", 4)])
def test_scale_is_every_recurrent_blocks_singular_value(kind, blocks):
    layer = scaled_layer(kind, scale=1.3, hidden=16, seed=2, forget_bias=1.5)
    w = layer.weight_hh_l0.data  # (G*H, H)
    assert w.shape == (16 * blocks, 16)
    for block in np.split(w, blocks):
        np.testing.assert_allclose(np.linalg.svd(block, compute_uv=False), 1.3, rtol=1e-12)
    if kind == "lstm":
        np.testing.assert_array_equal(layer.bias_ih_l0.data[16:32], 1.5)
        np.testing.assert_array_equal(layer.bias_hh_l0.data[16:32], 0.0)


def test_norms_are_those_of_the_scaled_layer_reversed():
    layer = scaled_layer("rnn", scale=0.9, activation="relu", seed=4)
    x = np.random.default_rng([4, 1]).standard_normal((25, 4, 8))
    want = grad_norms_through_time(layer, x)[::-1]
    got = gradient_norms("rnn", scale=0.9, length=25, activation="relu", seed=4)
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_rnn_gradient_vanishes_at_scale_0_8(seed):
    norms = gradient_norms("rnn", scale=0.8, length=41, activation="tanh", seed=seed)
    assert norms[40] < 1e-3 * norms[0]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_rnn_gradient_explodes_at_scale_1_8(seed, activation):
    # ReLU switches off about half the units, so it needs a scale well above sqrt(2).
    norms = gradient_norms("rnn", scale=1.8, length=41, activation=activation, seed=seed)
    assert norms[40] > 10 * norms[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_gradient_survives_far_longer_than_the_rnn_at_scale_1(seed):
    lstm = gradient_norms("lstm", scale=1.0, length=60, seed=seed)
    for activation in ("tanh", "relu"):
        rnn = gradient_norms("rnn", scale=1.0, length=60, activation=activation, seed=seed)
        assert lstm[-1] / lstm[0] > 10 * rnn[-1] / rnn[0]
    wide_open = gradient_norms("lstm", scale=1.0, length=60, seed=seed, forget_bias=2.0)
    assert wide_open[-1] > 10 * lstm[-1]  # the forget gate is the LSTM's lever


def test_a_control_change_redraws():
    ex = build_gradient_flow_explorer()
    assert set(ex.controls) == {"scale", "length", "activation", "forget_bias"}
    assert "after 39 steps back" in ex.status.value
    for name, value in [
        ("scale", 0.8),
        ("length", 80),
        ("activation", "relu"),
        ("forget_bias", 0.0),
    ]:
        before, redraws, ydata = ex.image.value, ex.redraws, ex.view.rnn.get_ydata().copy()
        ex.controls[name].value = value
        assert ex.redraws == redraws + 1
        assert ex.image.value != before
        if name != "forget_bias":
            assert not np.array_equal(ex.view.rnn.get_ydata(), ydata)
    assert len(ex.view.lstm.get_xdata()) == 80
    assert "after 79 steps back" in ex.status.value and "(vanished)" in ex.status.value
    assert ex.view.ax.get_ylim() == pytest.approx((1e-12, 1e12))


def test_exploding_shows_in_the_status_and_stays_on_the_plot():
    ex = build_gradient_flow_explorer(scale=2.0, length=100, activation="relu")
    assert "(exploded)" in ex.status.value
    assert np.isfinite(ex.view.rnn.get_ydata()).all()
    assert ex.view.rnn.get_ydata().max() <= 1e13


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "gru"}, "kind"),
        ({"activation": "sigmoid"}, "activation"),
        ({"scale": 0.0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"scale": "big"}, "scale"),
        ({"length": 0}, "length"),
        ({"length": 2.5}, "length"),
        ({"hidden": True}, "hidden"),
        ({"seed": -1}, "seed"),
        ({"forget_bias": float("inf")}, "forget_bias"),
    ],
)
def test_gradient_norms_refuses_bad_arguments(kwargs, match):
    args = {"kind": "rnn", "scale": 1.0, "length": 10} | kwargs
    with pytest.raises(ValueError, match=match):
        gradient_norms(args.pop("kind"), **args)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"activation": "linear"}, "activation"),
        ({"scale": "x"}, "scale"),
        ({"length": 4.5}, "length"),
        ({"seed": 1.5}, "seed"),
        ({"forget_bias": float("nan")}, "forget_bias"),
    ],
)
def test_builder_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_gradient_flow_explorer(**kwargs)
