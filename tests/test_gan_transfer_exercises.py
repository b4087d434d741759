"""The exercise checks of notebooks 10 and 11: stub, typical mistakes, wrong types, NaN, right."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check

torch = pytest.importorskip("torch")
nn = torch.nn


def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)


def generator_gradient(d, kind):
    return -d if kind == "saturating" else -(1 - d)


def modes_covered(samples, centres, radius):
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1)
    return int((dist.min(axis=0) <= radius).sum())


def freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)


def new_head(model, n_classes):
    model[-1] = nn.Linear(model[-1].in_features, n_classes)
    return model


def make_optimizer(model, body_lr, head_lr):
    return torch.optim.Adam(
        [
            {"params": model[:-1].parameters(), "lr": body_lr},
            {"params": model[-1].parameters(), "lr": head_lr},
        ]
    )


def stub_one(a): ...


def stub_two(a, b):
    "A docstring, then nothing."
    ...


def stub_three(a, b, c): ...


RIGHT = {
    "gan-optimal-d": (optimal_discriminator, stub_two),
    "gan-equilibrium-loss": (2 * np.log(2), None),
    "gan-generator-gradient": (generator_gradient, stub_two),
    "gan-mode-count": (modes_covered, stub_three),
    "transfer-trainable": (59_134, None),
    "transfer-freeze": (freeze, stub_one),
    "transfer-new-head": (new_head, stub_two),
    "transfer-param-groups": (make_optimizer, stub_three),
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    right, stub = RIGHT[key]
    assert check(key, ...).status == "not attempted"
    assert check(key, right).status == "correct", check(key, right)
    for bad in ("1", True, float("nan"), [1, 2]):
        assert check(key, bad).status == "not yet", (key, bad)
    if stub is not None:
        assert check(key, stub).status == "not attempted", check(key, stub)


def _replaced(model, layer):
    model[-1] = layer
    return model


def _frozen_all(module):
    for p in module.parameters():
        p.requires_grad_(False)
    for p in list(module.parameters()):
        p.requires_grad_(False)


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("gan-optimal-d", lambda a, b: b / (a + b), "generated"),
        ("gan-optimal-d", lambda a, b: a / b, "between 0 and 1"),
        ("gan-optimal-d", lambda a, b: np.ones(3), "shape"),
        ("gan-equilibrium-loss", np.log(2), "one of the two"),
        ("gan-equilibrium-loss", 0.5, "log"),
        ("gan-equilibrium-loss", 3.0, "-log(1/2)"),
        ("gan-generator-gradient", lambda d, k: d if k == "saturating" else 1 - d, "sign"),
        (
            "gan-generator-gradient",
            lambda d, k: -1 / (1 - d) if k == "saturating" else d - 1,
            "dD/ds",
        ),
        ("gan-generator-gradient", lambda d, k: 0.0, "not it"),
        ("gan-mode-count", lambda s, c, r: len(s), "each once"),
        ("gan-mode-count", lambda s, c, r: 0, "not it"),
        ("transfer-trainable", 2572, "frozen"),
        ("transfer-trainable", 61_706, "does not train"),
        ("transfer-trainable", 100, "conv1"),
        ("transfer-freeze", lambda m: list(m.parameters()), "still has requires_grad=True"),
        ("transfer-new-head", lambda m, n: m, "still the old one"),
        ("transfer-new-head", lambda m, n: _replaced(m, nn.Linear(16, 10)), "outputs"),
        ("transfer-new-head", lambda m, n: _replaced(m, nn.Linear(8, n)), "in_features"),
        (
            "transfer-param-groups",
            lambda m, b, h: torch.optim.Adam(m.parameters(), lr=b),
            "one group",
        ),
        ("transfer-param-groups", lambda m, b, h: make_optimizer(m, h, b), "swapped"),
        ("transfer-param-groups", lambda m, b, h: torch.optim.Adam(m[-1].parameters()), "missing"),
        ("transfer-param-groups", lambda m, b, h: 3, "torch optimizer"),
    ],
)
def test_typical_mistakes_get_a_hint(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback


def test_freezing_too_much_or_too_little():
    def everything(module):  # the judge passes model[0]; freezing the whole model needs a reference
        for p in module.parameters():
            p.requires_grad_(False)
        return None

    def only_weight(module):
        module.weight.requires_grad_(False)

    assert check("transfer-freeze", everything).status == "correct"
    assert "weight or the bias" in check("transfer-freeze", only_weight).message


def _no_return(model, n_classes):
    model[-1] = nn.Linear(model[-1].in_features, n_classes)


def _returns_done(model, n_classes):
    model[-1] = nn.Linear(model[-1].in_features, n_classes)
    return "done"


def _only_the_layer(model, n_classes):
    return nn.Linear(model[-1].in_features, n_classes)


def _head_twice(model, body_lr, head_lr):
    return torch.optim.Adam(
        [
            {"params": model.parameters(), "lr": body_lr},
            {"params": model[-1].parameters(), "lr": head_lr},
        ]
    )


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        # a function that changes the model in place but does not return it (it used to pass)
        ("transfer-new-head", _no_return, "returns None"),
        ("transfer-new-head", _no_return, "`return`"),
        # a wrong type returned (it used to pass: the judge fell back to the mutated model)
        ("transfer-new-head", _returns_done, "returns a str"),
        ("transfer-new-head", lambda m, n: nn.ReLU(), "returns a ReLU"),
        # only the new layer returned (it used to crash: 'Linear' object is not subscriptable)
        ("transfer-new-head", _only_the_layer, "whole model"),
        # the head listed in both groups (it used to surface Adam's own ValueError)
        ("transfer-param-groups", _head_twice, "exactly one group"),
    ],
)
def test_transfer_returns_and_groups(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback
    assert "raised" not in feedback.message, feedback


@pytest.mark.parametrize("key", ["transfer-freeze", "transfer-new-head", "transfer-param-groups"])
@pytest.mark.parametrize("layer", [nn.Linear(84, 10), nn.Sequential(nn.ReLU())])
def test_a_module_instead_of_a_function_is_refused(key, layer):
    # a module is callable: it used to be called with the model and crash inside torch
    feedback = check(key, layer)
    name = type(layer).__name__
    assert feedback.status == "not yet", feedback
    assert f"expected a function (a `def`), got a {name} module." == feedback.message, feedback


def test_new_head_accepts_a_new_sequential():
    def rebuilt(model, n_classes):
        return nn.Sequential(*model[:-1], nn.Linear(model[-1].in_features, n_classes))

    assert check("transfer-new-head", rebuilt).status == "correct"


def test_generator_gradient_hints_name_the_logit_s():
    # notebook 10 calls the logit s; z is the generator's noise
    for answer in (
        lambda d, k: -1 / (1 - d) if k == "saturating" else d - 1,
        lambda d, k: 0.0,
    ):
        message = check("gan-generator-gradient", answer).message
        assert "sigmoid(s)" in message and "logit s" in message, message
        assert "sigmoid(z)" not in message and "dD/dz" not in message, message
