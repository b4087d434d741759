"""The playground of notebook 06: model state, drawing and controls, without a browser."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.explorers.playground import (  # noqa: E402
    PLAYGROUND_DATASETS,
    PlaygroundSettings,
    build_playground,  # noqa: E402
)
from dlhelpers.train.playground import PlaygroundModel, make_mlp  # noqa: E402


@pytest.fixture
def playground():
    torch.set_num_threads(1)
    return build_playground(dataset="gaussians", n_samples=200, epochs_per_step=2)


def _weights(model: PlaygroundModel) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.net.parameters()]


def test_make_mlp_shapes_and_seed():
    net = make_mlp(3, 5, "relu", seed=1)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(5, 2), (5, 5), (5, 5), (1, 5)]
    assert sum(isinstance(m, torch.nn.ReLU) for m in net) == 3
    assert all(p.dtype == torch.float32 for p in net.parameters())
    again = make_mlp(3, 5, "relu", seed=1)
    assert all(torch.equal(a, b) for a, b in zip(net.parameters(), again.parameters(), strict=True))
    assert len(make_mlp(0, 5, "tanh")) == 1  # logistic regression
    with pytest.raises(ValueError, match="activation='swish' is not one of the choices"):
        make_mlp(1, 2, "swish")


def test_make_mlp_leaves_global_rng_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    make_mlp(2, 8, "tanh", seed=0)
    assert torch.equal(torch.rand(3), expected)


def test_split_follows_train_fraction():
    model = PlaygroundModel(PlaygroundSettings(dataset="moons", n_samples=200, train_fraction=0.3))
    assert len(model.y_train) == 60 and len(model.y_test) == 140
    assert model.X_train.shape == (60, 2)
    model.configure(train_fraction=0.8)
    assert len(model.y_train) == 160


@pytest.mark.parametrize("dataset", PLAYGROUND_DATASETS)
def test_every_data_set_builds_and_steps(dataset):
    model = PlaygroundModel(PlaygroundSettings(dataset=dataset, n_samples=120))
    before = model.history["loss"][-1]
    after = model.step(3)
    assert model.epoch == 3 and np.isfinite(after) and after != before


def test_step_lowers_training_loss_and_changes_image(playground):
    first_image = playground.image.value
    start = playground.model.history["loss"][0]
    for _ in range(30):
        playground.step()
    assert playground.image.value != first_image
    assert playground.model.epoch == 60
    assert playground.model.history["loss"][-1] < 0.5 * start
    assert playground.model.accuracy("test") > 0.9
    assert "epoch <b>60</b>" in playground.status.value
    line = playground.view.train_line.get_ydata()
    assert len(line) == 61 and line[-1] < line[0]  # one point per epoch, and epoch 0


def test_reset_restores_initial_state(playground):
    weights0, image0 = _weights(playground.model), playground.image.value
    loss0 = playground.model.history["loss"][0]
    for _ in range(5):
        playground.step()
    assert not np.allclose(weights0[0], _weights(playground.model)[0])
    playground.reset()
    assert playground.model.epoch == 0
    assert playground.model.history["loss"] == [loss0]
    now = _weights(playground.model)
    assert all(np.array_equal(a, b) for a, b in zip(weights0, now, strict=True))
    assert playground.image.value == image0
    # the same run again gives the same numbers
    playground.step()
    again = playground.model.history["loss"][-1]
    playground.reset()
    playground.step()
    assert playground.model.history["loss"][-1] == again


@pytest.mark.parametrize(
    "name, value",
    [
        ("dataset", "xor"),
        ("noise", 0.3),
        ("train_fraction", 0.7),
        ("hidden_layers", 3),
        ("width", 9),
        ("activation", "relu"),
    ],
)
def test_data_and_architecture_controls_rebuild(playground, name, value):
    for _ in range(3):
        playground.step()
    old_net, old_X, image = playground.model.net, playground.model.X_train, playground.image.value
    playground.controls[name].value = value
    model = playground.model
    assert model.epoch == 0 and len(model.history["loss"]) == 1
    assert model.settings.values()[name] == value
    assert playground.image.value != image
    if name in ("dataset", "noise", "train_fraction"):
        assert model.X_train is not old_X
    else:
        assert model.net is not old_net


def test_architecture_matches_controls(playground):
    playground.controls["hidden_layers"].value = 3
    playground.controls["width"].value = 7
    playground.controls["activation"].value = "sigmoid"
    net = playground.model.net
    assert [m.out_features for m in net if isinstance(m, torch.nn.Linear)] == [7, 7, 7, 1]
    assert sum(isinstance(m, torch.nn.Sigmoid) for m in net) == 3
    playground.controls["hidden_layers"].value = 0
    assert len(playground.model.net) == 1


def test_hyperparameters_apply_without_reset(playground):
    for _ in range(3):
        playground.step()
    net = playground.model.net
    playground.controls["learning_rate"].value = 0.3
    playground.controls["l2"].value = 0.01
    playground.controls["batch_size"].value = 25
    assert playground.model.net is net and playground.model.epoch == 6
    decay, plain = playground.model.optimizer.param_groups
    assert decay["lr"] == plain["lr"] == 0.3
    assert decay["weight_decay"] == 0.01 and plain["weight_decay"] == 0.0


def test_l2_shrinks_the_weights():
    norms = []
    for l2 in (0.0, 0.3):
        model = PlaygroundModel(
            PlaygroundSettings(
                dataset="circle", n_samples=200, l2=l2, learning_rate=0.1, hidden_layers=1, width=8
            )
        )
        model.step(60)
        norms.append(
            sum(
                float((p.detach() ** 2).sum())
                for n, p in model.net.named_parameters()
                if n.endswith("weight")
            )
        )
    assert norms[1] < 0.5 * norms[0]


def test_play_ticks_call_step(playground):
    playground.play.interval = 1  # no tick is dropped as backlog
    for tick in range(1, 4):
        playground.play.value = tick
        time.sleep(0.002)
    assert playground.model.epoch == 3 * playground.per_tick
    playground.play.value = 0  # the stop button rewinds: not a tick
    assert playground.model.epoch == 3 * playground.per_tick


def test_backlog_ticks_are_dropped(playground):
    playground.play.interval = 10_000
    playground.play.value = 1
    playground.play.value = 2  # arrives at once: a queued tick
    assert playground.model.epoch == playground.per_tick


def test_reset_stops_playing(playground):
    playground.play.playing = True
    playground.reset_button.click()
    assert playground.play.playing is False
    playground.step_button.click()
    assert playground.model.epoch == playground.per_tick


def test_huge_learning_rate_shows_divergence(playground):
    playground.controls["dataset"].value = "circle"
    playground.controls["learning_rate"].value = 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        playground.play.playing = True
        for _ in range(15):
            playground.step()
        playground.refresh()
    assert playground.model.diverged
    assert "diverged" in playground.status.value
    assert "Lower the learning rate" in playground.status.value
    epoch = playground.model.epoch
    playground.step()  # a diverged run does not train further
    assert playground.model.epoch == epoch
    playground.play.interval = 1
    playground.play.value += 1
    assert playground.play.playing is False
    playground.controls["learning_rate"].value = 0.03
    playground.reset()
    assert not playground.model.diverged and "diverged" not in playground.status.value


def test_rising_loss_is_flagged(playground):
    playground.controls["dataset"].value = "xor"
    playground.controls["activation"].value = "relu"
    playground.controls["learning_rate"].value = 10.0
    flagged = False
    for _ in range(10):
        playground.step()
        flagged = flagged or "above where it started" in playground.status.value
    assert flagged


def test_summary_is_stable_text(playground):
    text = repr(playground)
    assert text.startswith("Playground(dataset=gaussians")
    assert "learning_rate=0.03" in text
    bundle = playground._repr_mimebundle_()
    assert bundle["text/plain"] == text and bundle["image/png"]


def test_unknown_setting_is_refused():
    with pytest.raises(TypeError, match="momentum"):
        PlaygroundModel(PlaygroundSettings()).configure(momentum=0.9)
    with pytest.raises(TypeError, match="unknown setting momentum; the settings are: dataset"):
        build_playground(momentum=0.9)


def test_a_learning_rate_not_on_the_menu_names_the_choices():
    with pytest.raises(ValueError) as info:
        build_playground(learning_rate=0.05)
    assert str(info.value) == (
        "learning_rate=0.05 is not one of the choices: "
        "1e-05, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10"
    )
    with pytest.raises(ValueError, match="dataset='ring' is not one of the choices: circle"):
        build_playground(dataset="ring")


def test_bad_playground_numbers_fail_in_one_line():
    with pytest.raises(ValueError, match="width=2.5 is not a whole number"):
        build_playground(width=2.5)
    with pytest.raises(ValueError, match="noise=nan is not a number"):
        build_playground(noise=float("nan"))
    with pytest.warns(UserWarning, match="width=40 is outside 1..16; starting at 16"):
        assert build_playground(width=40, n_samples=60).model.settings.width == 16
    with pytest.warns(UserWarning, match="batch_size=0 is outside 1..30; starting at 1"):
        assert build_playground(batch_size=0, n_samples=60).model.settings.batch_size == 1


def test_settings_dataclass_drives_controls_and_defaults():
    from dataclasses import fields

    pg = build_playground(n_samples=60)
    labelled = [f.name for f in fields(PlaygroundSettings) if f.metadata["spec"].label]
    assert list(pg.controls) == labelled
    assert pg.model.settings == PlaygroundSettings(n_samples=60)
    assert pg.per_tick == PlaygroundSettings().epochs_per_step


def test_the_model_keeps_its_settings_when_a_change_is_refused():
    model = PlaygroundModel(PlaygroundSettings(n_samples=60))
    with pytest.raises(ValueError, match="activation='swish'"):
        model.configure(activation="swish")
    assert model.settings.activation == "tanh"
    with pytest.raises(ValueError, match="n_epochs=0 must be at least 1"):
        model.step(0)
