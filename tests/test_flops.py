"""Compute cost: torch's FLOP counter against the textbook formulas, on every course network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dlhelpers.train.flops import (
    achieved_gflops,
    conv_flops,
    cost_table,
    count_flops,
    course_networks,
    formula_flops,
    linear_flops,
    matmul_peak,
    mlp_layer_costs,
    scaling,
    time_per_step,
)
from dlhelpers.train.transformer import TinyTransformer


@pytest.fixture(scope="module")
def table():
    torch.set_num_threads(1)
    return {name: row for name, *row in cost_table()}


def test_every_course_network_is_in_the_table(table):
    assert len(table) == 10
    assert {"primer MLP", "LeNet-5", "CharLSTM", "transformer (LM)", "digit GAN D"} <= set(table)


def test_formula_equals_counter_exactly(table):
    for name, (_params, formula, counter) in table.items():
        assert formula == counter > 0, name


def test_parameter_counts(table):
    assert table["primer MLP"][0] == 52_650
    assert table["LeNet-5"][0] == 61_706
    assert table["spiral MLP 2-32-32-2"][0] == 2 * 32 + 32 + 32 * 32 + 32 + 32 * 2 + 2


def test_hand_formulas_of_single_layers():
    assert formula_flops(nn.Linear(784, 64), (32, 784)) == 2 * 32 * 784 * 64
    conv = nn.Conv2d(1, 6, 5, padding=2)
    assert formula_flops(conv, (2, 1, 28, 28)) == 2 * (2 * 6 * 28 * 28) * 25
    lstm = nn.LSTM(48, 128, batch_first=True)
    x = torch.randn(2, 64, 48)
    assert formula_flops(lstm, x) == count_flops(lstm, x) == 2 * 2 * 64 * 4 * 128 * (48 + 128)
    gru = nn.GRU(8, 16, num_layers=2, bidirectional=True)
    x = torch.randn(5, 3, 8)
    assert formula_flops(gru, x) == count_flops(gru, x)


def test_scaling_matches_formula_flops():
    T = [8, 16, 32]
    s = scaling("seq_len", T, vocab=10)
    for t, total in zip(T, s["total"], strict=True):
        assert formula_flops(TinyTransformer(10, max_len=32), (1, t)) == total
    assert (s["attention"] * 4 == scaling("seq_len", [16, 32, 64], vocab=10)["attention"]).all()
    mlp = nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    assert scaling("depth", [2])["total"][0] == formula_flops(mlp, (1, 784))
    assert scaling("width", [64], depth=2)["total"][0] == formula_flops(mlp, (1, 784))


def test_time_and_gflops_are_positive_and_leave_the_model_alone():
    model, x = course_networks()["primer MLP"]
    before = [p.clone() for p in model.parameters()]
    seconds = time_per_step(model, x, steps=3)
    assert seconds > 0
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert achieved_gflops(model, x, seconds) == pytest.approx(
        3 * count_flops(model, x) / seconds / 1e9
    )
    assert matmul_peak(64, repeats=2) > 0


@pytest.mark.parametrize(
    "call",
    [
        lambda: count_flops("not a model", torch.zeros(1)),
        lambda: count_flops(nn.Linear(2, 2), [1, 2]),
        lambda: formula_flops(nn.Linear(2, 2), (0, 2)),
        lambda: scaling("height", [1]),
        lambda: scaling("width", []),
        lambda: scaling("width", [0]),
        lambda: time_per_step(nn.Linear(2, 2), torch.zeros(1, 2), steps=0),
        lambda: matmul_peak(0),
    ],
)
def test_bad_arguments_are_refused(call):
    with pytest.raises((TypeError, ValueError)):
        call()


def test_scaling_never_wraps_and_refuses_unknown_settings():
    big = scaling("width", [10**9])["total"][0]
    assert big == 2 * (784 * 10**9 + 10**18 + 10 * 10**9)  # exact, past 2**53
    with pytest.raises(OverflowError, match="past int64"):
        scaling("width", [10**10])
    with pytest.raises(OverflowError, match="past int64"):
        scaling("seq_len", [10**8], d_model=4096)
    with pytest.raises(ValueError, match="config name='widht' is not one of the choices: n_in"):
        scaling("depth", [1, 2], widht=128)
    with pytest.raises(ValueError, match="config name='width' is not one of the choices: d_model"):
        scaling("seq_len", [8], width=128)
    with pytest.raises(ValueError, match="d_model=0 must be at least 1"):
        scaling("seq_len", [8], d_model=0)


def test_numpy_scalars_are_accepted():
    out = scaling("depth", np.array([1, 2]), width=np.int64(8), n_in=np.int32(4))
    assert out["total"].tolist() == [2 * (4 * 8 + 8 * 10), 2 * (4 * 8 + 64 + 8 * 10)]
    mlp = nn.Linear(3, 2)
    assert formula_flops(mlp, (np.int64(5), np.int64(3))) == 2 * 5 * 3 * 2
    assert time_per_step(mlp, torch.zeros(1, 3), steps=np.int64(1)) > 0


@pytest.mark.parametrize(
    "layer, x",
    [
        (nn.Linear(784, 64), torch.zeros(32, 784)),
        (nn.Linear(3, 5), torch.zeros(7, 3)),
        (nn.Conv2d(1, 6, 5, padding=2), torch.zeros(1, 1, 28, 28)),
        (nn.Conv2d(3, 4, 3, stride=2), torch.zeros(2, 3, 11, 9)),
    ],
)
def test_linear_and_conv_flops_equal_torchs_counter(layer, x):
    if isinstance(layer, nn.Linear):
        mine = linear_flops(x.shape[0], layer.in_features, layer.out_features)
    else:
        out = layer(x)
        mine = conv_flops(
            x.shape[0], layer.in_channels, layer.out_channels, layer.kernel_size[0], *out.shape[-2:]
        )
    assert mine == count_flops(layer, x) == formula_flops(layer, x)


def test_mlp_layer_costs_add_up_to_the_network():
    rows = mlp_layer_costs(784, 64, 2, 10, batch=32)
    net = nn.Sequential(
        nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    assert [r[0] for r in rows] == ["input 784→64", "hidden 1 64→64", "output 64→10"]
    assert sum(r[1] for r in rows) == sum(p.numel() for p in net.parameters())
    assert sum(r[2] for r in rows) == count_flops(net, torch.zeros(32, 784))


@pytest.mark.parametrize(
    "call",
    [
        lambda: linear_flops(0, 3, 4),
        lambda: linear_flops(2, 3.5, 4),
        lambda: conv_flops(1, 1, 6, 5, 28, "28"),
        lambda: mlp_layer_costs(784, 64, 0, 10),
    ],
)
def test_bad_counts_are_refused_in_one_line(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_missing_gpu_is_named():
    with pytest.raises(ValueError, match="no GPU"):
        matmul_peak(8, device="cuda")
