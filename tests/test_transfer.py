"""Transfer learning helpers (notebook 11): adapt's modes, the few-shot curve, pretraining."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlhelpers.train.models import lenet
from dlhelpers.train.transfer import FREEZE, adapt, few_shot_curve, pretrain, train_steps

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def pretrained():
    torch.manual_seed(7)
    return lenet().eval()  # any weights will do for checking what adapt copies and freezes


def _digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Toy 10-class images: class c lights up row block c."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    X = rng.uniform(0, 0.3, size=(n, 1, 28, 28)).astype(np.float32)
    for i, c in enumerate(y):
        X[i, 0, 2 * c + 4 : 2 * c + 6, 4:24] = 1.0
    return X, y.astype(np.int64)


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _trainable(model) -> list[bool]:
    return [
        all(p.requires_grad for p in layer.parameters())
        for layer in model
        if any(True for _ in layer.parameters())
    ]


def test_scratch_is_a_fresh_lenet(pretrained):
    model, opt = adapt(pretrained, "scratch", seed=0)
    assert all(p.requires_grad for p in model.parameters())
    assert [g["lr"] for g in opt.param_groups] == [3e-3]
    assert not torch.equal(model[0].weight, pretrained[0].weight)
    again, _ = adapt(pretrained, "scratch", seed=0)
    assert torch.equal(again[0].weight, model[0].weight)  # seeded


@pytest.mark.parametrize(
    "freeze, trainable",
    [
        ("none", [True] * 5),
        ("conv", [False, False, True, True, True]),
        ("conv+fc1", [False, False, False, True, True]),
        ("all but head", [False, False, False, False, True]),
    ],
)
def test_frozen_freezes_what_it_says_and_gets_a_new_head(pretrained, freeze, trainable):
    before = _state(pretrained)
    model, opt = adapt(pretrained, "frozen", seed=0, freeze_up_to=freeze)
    assert _trainable(model) == trainable  # conv1, conv2, fc1, fc2, head
    assert model[11] is not pretrained[11] and not torch.equal(
        model[11].weight, pretrained[11].weight
    )
    assert torch.equal(model[0].weight, pretrained[0].weight)  # the body is copied
    optimized = {id(p) for g in opt.param_groups for p in g["params"]}
    assert optimized == {id(p) for p in model.parameters() if p.requires_grad}
    assert {g["lr"] for g in opt.param_groups} == {3e-3}
    assert all(p.requires_grad for p in pretrained.parameters())  # the original is not frozen
    X, y = _digits(20, 0)
    train_steps((model, opt), torch.as_tensor(X), torch.as_tensor(y), 2)
    for key, value in before.items():
        assert torch.equal(pretrained.state_dict()[key], value), key
    if freeze != "none":
        assert torch.equal(model[0].weight, pretrained[0].weight)  # frozen layers did not move
    fc2_moved = not torch.equal(model[9].weight, pretrained[9].weight)
    assert fc2_moved == (freeze != "all but head")


def test_frozen_defaults_to_all_but_head(pretrained):
    model, _ = adapt(pretrained, "frozen", seed=0)
    assert _trainable(model) == [False, False, False, False, True]


def test_finetune_trains_the_body_at_a_smaller_learning_rate(pretrained):
    model, opt = adapt(pretrained, "finetune", seed=1, lr=1e-3, body_lr_scale=0.1)
    assert all(p.requires_grad for p in model.parameters())
    head, body = opt.param_groups
    assert head["lr"] == 1e-3 and body["lr"] == pytest.approx(1e-4)
    assert {id(p) for p in head["params"]} == {id(p) for p in model[11].parameters()}
    assert len(body["params"]) == 8  # weights and biases of conv1, conv2, fc1, fc2
    assert not torch.equal(model[11].weight, pretrained[11].weight)
    assert torch.equal(model[3].weight, pretrained[3].weight)
    _, part = adapt(pretrained, "finetune", seed=1, freeze_up_to="conv")
    assert len(part.param_groups[1]["params"]) == 4  # fc1 and fc2 only


def test_few_shot_curve_shapes_and_learning(pretrained):
    pool, held_out = _digits(60, 1), _digits(40, 2)
    out = few_shot_curve(pretrained, pool, held_out, per_class=(1, 3), seeds=(0, 1), steps=15)
    assert set(out) == {"scratch", "frozen", "finetune"}
    for acc in out.values():
        assert acc.shape == (2, 2) and np.all((acc >= 0) & (acc <= 1))
    assert out["scratch"][1].mean() > 0.3  # the toy classes are easy: it learned something
    again = few_shot_curve(
        pretrained, pool, held_out, per_class=3, seeds=(1,), steps=15, modes=("scratch",)
    )
    assert again["scratch"].shape == (1, 1) and again["scratch"][0, 0] == out["scratch"][1, 1]


def test_pretrain_runs_fit_on_uint8_images():
    X, y = _digits(40, 3)
    model = pretrain((X[:, 0] * 255).astype(np.uint8), y, epochs=1, seed=0)
    assert not model.training and model[11].out_features == 10


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m: adapt(m, "transfer", seed=0), ValueError, "mode"),
        (lambda m: adapt(m, "frozen", seed=0, freeze_up_to="fc2"), ValueError, "freeze_up_to"),
        (lambda m: adapt(m, "scratch", seed=0, freeze_up_to="conv"), ValueError, "nothing"),
        (lambda m: adapt(m, "finetune", seed=0, lr=-1.0), ValueError, "lr"),
        (lambda m: adapt(m, "finetune", seed=0.5), TypeError, "seed"),
        (lambda m: adapt(m, "finetune", seed=0, body_lr_scale=float("nan")), ValueError, "body_lr"),
        (lambda m: adapt(torch.nn.Linear(2, 2), "frozen", seed=0), TypeError, "lenet"),
        (
            lambda m: few_shot_curve(m, _digits(20, 0), _digits(10, 1), modes=("x",)),
            ValueError,
            "modes",
        ),
        (
            lambda m: few_shot_curve(m, _digits(20, 0), _digits(10, 1), per_class=()),
            ValueError,
            "per_class",
        ),
        (
            lambda m: few_shot_curve(m, _digits(20, 0), _digits(10, 1), per_class=5),
            ValueError,
            "more than",
        ),
        (lambda m: few_shot_curve(m, _digits(20, 0), _digits(10, 1), steps=0), ValueError, "steps"),
        (lambda m: few_shot_curve(m, np.zeros((3, 28, 28)), _digits(10, 1)), TypeError, "pair"),
        (
            lambda m: few_shot_curve(m, (np.zeros((3, 8, 8)), np.zeros(3)), _digits(10, 1)),
            ValueError,
            "shape",
        ),
        (lambda m: pretrain(np.zeros((4, 28, 28)), np.zeros(4), epochs=0), ValueError, "epochs"),
    ],
)
def test_bad_arguments_are_refused(pretrained, call, error, match):
    with pytest.raises(error, match=match):
        call(pretrained)


def test_freeze_options_cover_the_widget_menu():
    assert list(FREEZE) == ["none", "conv", "conv+fc1", "all but head"]


def _nan_digits(n, seed):
    X, y = _digits(n, seed)
    X[1, 0, 3, 3] = np.nan
    return X, y


@pytest.mark.parametrize(
    "call",
    [
        lambda m: pretrain(*_nan_digits(20, 0), epochs=1),
        lambda m: few_shot_curve(m, _nan_digits(20, 0), _digits(10, 1), per_class=1, steps=1),
        lambda m: few_shot_curve(m, _digits(20, 0), _nan_digits(10, 1), per_class=1, steps=1),
        lambda m: train_steps(adapt(m, "frozen", seed=0), *_nan_digits(20, 0), 1),
        lambda m: pretrain(_digits(20, 0)[0] * 255, _digits(20, 0)[1], epochs=1),
    ],
)
def test_nan_or_byte_valued_float_images_are_refused(pretrained, call):
    with pytest.raises(ValueError, match="NaN|0..255"):
        call(pretrained)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: train_steps(adapt(m, "frozen", seed=0), *_digits(20, 0), -5), "steps=-5"),
        (lambda m: train_steps(adapt(m, "frozen", seed=0), *_digits(20, 0), 0), "steps=0"),
        (
            lambda m: train_steps(adapt(m, "frozen", seed=0), *_digits(20, 0), 1, batch_size=0),
            "batch_size=0",
        ),
        (lambda m: few_shot_curve(m, _digits(20, 0), _digits(10, 1), batch_size=0), "batch_size=0"),
        (lambda m: few_shot_curve(m, _digits(20, 0), _digits(10, 1), seeds=(-1,)), "seeds=-1"),
        (lambda m: pretrain(*_digits(20, 0), epochs=-1), "epochs=-1"),
    ],
)
def test_counts_below_one_are_refused(pretrained, call, match):
    with pytest.raises(ValueError, match=match):
        call(pretrained)


def test_numpy_scalars_are_accepted(pretrained):
    adapted = adapt(pretrained, "finetune", seed=np.int64(0), lr=np.float32(1e-3))
    model = train_steps(adapted, *_digits(20, 0), np.int64(2), batch_size=np.int32(8))
    assert not model.training
    curve = few_shot_curve(
        pretrained,
        _digits(20, 0),
        _digits(10, 1),
        per_class=np.int64(1),
        seeds=(np.int64(0),),
        steps=np.int64(1),
        modes=("frozen",),
        lr=np.float32(3e-3),
    )
    assert curve["frozen"].shape == (1, 1) and 0 <= curve["frozen"][0, 0] <= 1
