"""Notebook 14's reverse-process explorer, with small untrained denoisers, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")

from dlhelpers.data.targets2d import mode_centres, sample_target  # noqa: E402
from dlhelpers.explorers.reverse_process import build_reverse_explorer, state_at  # noqa: E402
from dlhelpers.scratch.diffusion import beta_schedule  # noqa: E402
from dlhelpers.train.diffusion import PointDenoiser, reverse_trajectory  # noqa: E402

torch.set_num_threads(1)


def _models(steps=20):
    torch.manual_seed(0)
    models = {"linear": PointDenoiser(steps, width=16), "cosine": PointDenoiser(steps, width=16)}
    betas = {
        "linear": beta_schedule(steps, "linear", beta_end=0.3),
        "cosine": beta_schedule(steps, "squaredcos_cap_v2"),
    }
    return models, betas


@pytest.fixture
def explorer():
    models, betas = _models()
    real = sample_target("ring", 200)
    return build_reverse_explorer(models, betas, real, modes=(mode_centres("ring"), 0.1), n=60)


def test_controls_and_first_picture(explorer):
    assert list(explorer.controls) == ["t", "schedule", "n_steps"]
    assert explorer.controls["t"].max == 20 and explorer.controls["n_steps"].value == 20
    assert (
        "t = <b>0</b> of 20" in explorer.status.value and "modes covered" in explorer.status.value
    )


@pytest.mark.parametrize("name, value", [("t", 20), ("schedule", "cosine"), ("n_steps", 2)])
def test_each_control_changes_the_picture(explorer, name, value):
    if name != "t":
        explorer.controls["t"].value = 12  # at t = 0 the schedules' samples could look alike
    image, points = explorer.image.value, explorer.view.points.get_offsets().copy()
    explorer.controls[name].value = value
    assert explorer.image.value != image
    if name == "t":
        assert "t = <b>20</b>" in explorer.status.value
        assert not np.array_equal(explorer.view.points.get_offsets(), points)


def test_t_shows_pure_noise_at_the_top_and_samples_at_zero(explorer):
    explorer.controls["t"].value = 20
    assert (
        "step 0 of 20" in explorer.status.value and "ᾱ<sub>t</sub> = 0.0" in explorer.status.value
    )
    explorer.controls["t"].value = 0
    assert "step 20 of 20" in explorer.status.value and "= 1.000" in explorer.status.value


def test_state_at_picks_the_first_state_not_below_t():
    models, betas = _models()
    traj = reverse_trajectory(models["linear"], betas["linear"], 5, n_steps=4)
    levels = np.r_[0, traj.timesteps + 1]  # 0, 1, 7/8, 14, 20
    assert [state_at(traj, t) for t in (0, 1, 2, 20)] == [0, 1, 2, 4]
    assert all(levels[state_at(traj, t)] >= t for t in range(21))


def test_bad_models_are_refused():
    models, betas = _models()
    with pytest.raises(ValueError, match="keys"):
        build_reverse_explorer({"linear": models["linear"]}, betas, np.zeros((3, 2)))
    models2, betas2 = _models(10)
    with pytest.raises(ValueError, match="same number of steps"):
        build_reverse_explorer({**models, "cosine": models2["cosine"]}, betas, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="real"):
        build_reverse_explorer(models, betas, np.full((3, 2), np.nan))
