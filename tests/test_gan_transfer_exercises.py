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
    "gan-step": (lambda *args: _gan_step_as("")(*args), None),
    "transfer-fine-tune": (lambda *args: _fine_tune_as("")(*args), None),
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
        ("gan-equilibrium-loss", 3.0, "D = 1/2 into both terms"),
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


# --- the core pieces: one GAN step (10) and the fine-tuning loop (11) --------------------

F = torch.nn.functional
_bce = F.binary_cross_entropy_with_logits


def _gan_step_as(mistake: str):
    """A learner's gan_step with one typical mistake (or none, for mistake="")."""

    def gan_step(G, D, g_opt, d_opt, real, z):
        fake = G(z)
        r, f = D(real), D(fake if mistake == "no detach" else fake.detach())
        ones, zeros = torch.ones_like(r), torch.zeros_like(f)
        d_loss = (
            _bce(r, zeros) + _bce(f, ones)
            if mistake == "swapped"
            else _bce(r, ones) + _bce(f, zeros)
        )
        if mistake != "no zero_grad":
            d_opt.zero_grad()
        d_loss.backward()
        d_opt.step()
        s = D(G(z))
        g_loss = -F.softplus(s).mean() if mistake == "saturating" else _bce(s, torch.ones_like(s))
        opt = d_opt if mistake == "D's optimizer" else g_opt
        if mistake != "no zero_grad":
            opt.zero_grad()
        g_loss.backward()
        opt.step()
        if mistake == "D steps again":
            d_opt.step()
        return d_loss.item(), g_loss.item()

    return gan_step


def _reuses_the_graph(G, D, g_opt, d_opt, real, z):
    fake = G(z)  # not detached for D, then used again for G: torch refuses the second backward
    r, f = D(real), D(fake)
    d_loss = _bce(r, torch.ones_like(r)) + _bce(f, torch.zeros_like(f))
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    s = D(fake)
    g_loss = _bce(s, torch.ones_like(s))
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_gan_step_as("no detach"), "fake.detach()"),
        (_reuses_the_graph, "fake.detach()"),
        (_gan_step_as("saturating"), "saturating"),
        (_gan_step_as("no zero_grad"), "zero_grad()"),
        (_gan_step_as("D's optimizer"), "generator did not change"),
        (_gan_step_as("D steps again"), "step only g_opt"),
        (_gan_step_as("swapped"), "swapped"),
    ],
)
def test_gan_step_mistakes_get_their_hint(answer, hint):
    feedback = check("gan-step", answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback
    assert "raised" not in feedback.message, feedback


def test_gan_step_right_stub_and_returns():
    assert check("gan-step", _gan_step_as("")).status == "correct"

    def stub(G, D, g_opt, d_opt, real, z): ...

    def no_return(G, D, g_opt, d_opt, real, z):
        _gan_step_as("")(G, D, g_opt, d_opt, real, z)

    assert check("gan-step", stub).status == "not attempted"
    assert "return (d_loss, g_loss)" in check("gan-step", no_return).message
    assert "expected a function" in check("gan-step", nn.Linear(2, 2)).message


def _fine_tune_as(mistake: str):
    def fine_tune(model, X, y, steps, body_lr, head_lr, n_frozen):
        if mistake != "no freeze":
            freeze(model[:n_frozen])
        body, head = (head_lr, body_lr) if mistake == "swapped" else (body_lr, head_lr)

        def make():
            return make_optimizer(model, head if mistake == "one rate" else body, head)

        optimizer = make()
        for _ in range(steps + (mistake == "one more")):
            if mistake == "new optimizer":
                optimizer = make()
            if mistake != "no zero_grad":
                optimizer.zero_grad()
            nn.functional.cross_entropy(model(X), y).backward()
            optimizer.step()
        return None if mistake == "no return" else model

    return fine_tune


@pytest.mark.parametrize(
    "mistake, hint",
    [
        ("no freeze", "changed: freeze them"),
        ("swapped", "swapped"),
        ("one rate", "two parameter groups"),
        ("new optimizer", "before the loop"),
        ("no zero_grad", "zero_grad()"),
        ("one more", "one step too many"),
        ("no return", "return model"),
    ],
)
def test_fine_tune_mistakes_get_their_hint(mistake, hint):
    feedback = check("transfer-fine-tune", _fine_tune_as(mistake))
    assert feedback.status == "not yet" and hint in feedback.message, feedback


def test_fine_tune_right_with_the_learners_pieces_and_stub():
    assert check("transfer-fine-tune", _fine_tune_as("")).status == "correct"

    def stub(model, X, y, steps, body_lr, head_lr, n_frozen):
        "Not yet."
        ...

    assert check("transfer-fine-tune", stub).status == "not attempted"
