"""The torch diffusion pieces (notebook 14) against the NumPy reference, and the digit checkpoint."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.data.targets2d import mode_centres, share_near_modes  # noqa: E402
from dlhelpers.scratch.diffusion import (  # noqa: E402
    alphas_bar,
    beta_schedule,
    p_step,
    q_sample,
    respace,
)
from dlhelpers.train import diffusion as tdiff  # noqa: E402
from dlhelpers.train.diffusion_digits import (  # noqa: E402
    CHECKPOINT_SHA256,
    WEIGHTS_SHA256,
    TinyUNet,
    digit_data,
    load_digit_denoiser,
    weights_digest,
)

torch.set_num_threads(1)
BETAS = beta_schedule(100, "linear", beta_end=0.2)


@pytest.mark.parametrize("betas", [BETAS, beta_schedule(30, "squaredcos_cap_v2")])
def test_reverse_step_is_p_step_in_float64(betas):
    rng = np.random.default_rng(0)
    x_t, eps, z = rng.normal(size=(3, 7, 2))
    b = torch.tensor(betas)
    for t in (0, 1, len(betas) // 2, len(betas) - 1):
        want = p_step(x_t, t, eps, betas, z if t else None)
        got = tdiff.reverse_step(torch.tensor(x_t), t, torch.tensor(eps), b, torch.tensor(z))
        assert got.dtype == torch.float64
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="noise is required"):
        tdiff.reverse_step(torch.tensor(x_t), 3, torch.tensor(eps), b)


def test_q_sample_is_the_numpy_one_for_points_and_images():
    rng = np.random.default_rng(1)
    abar = alphas_bar(BETAS)
    for shape in ((9, 2), (4, 1, 5, 5)):
        x0, noise = rng.normal(size=(2, *shape))
        t = rng.integers(0, 100, size=shape[0])
        got = tdiff.q_sample(*(torch.tensor(a) for a in (x0, t, noise, abar)))
        np.testing.assert_allclose(got.numpy(), q_sample(x0, t, noise, abar), atol=1e-12)


def test_respace_keeps_abar_at_the_visited_steps():
    timesteps, b = respace(BETAS, 10)
    assert timesteps[0] == 0 and timesteps[-1] == 99 and np.all(np.diff(timesteps) > 0)
    np.testing.assert_allclose(alphas_bar(b), alphas_bar(BETAS)[timesteps], rtol=1e-12)
    full, same = respace(BETAS, 100)
    np.testing.assert_array_equal(full, np.arange(100))
    np.testing.assert_allclose(same, BETAS, rtol=1e-10)
    with pytest.raises(ValueError, match="at most"):
        respace(BETAS, 101)
    with pytest.raises(ValueError, match="n_steps"):
        respace(BETAS, 0)


def test_respaced_step_is_diffusers_with_custom_timesteps():
    diffusers = pytest.importorskip("diffusers")
    s = diffusers.DDPMScheduler(
        num_train_timesteps=100,
        beta_schedule="linear",
        beta_end=0.2,
        clip_sample=False,
        variance_type="fixed_small",
        prediction_type="epsilon",
    )
    s.betas = torch.tensor(BETAS)
    s.alphas = 1.0 - s.betas
    s.alphas_cumprod = torch.cumprod(s.alphas, dim=0)
    s.one = torch.tensor(1.0, dtype=torch.float64)
    timesteps, b = respace(BETAS, 5)
    s.set_timesteps(timesteps=timesteps[::-1].tolist())
    x, eps = np.random.default_rng(2).normal(size=(2, 6, 2))
    for i in range(4, -1, -1):
        gen = torch.Generator().manual_seed(i)
        got = s.step(torch.tensor(eps), int(timesteps[i]), torch.tensor(x), generator=gen)
        # diffusers draws its noise with torch.randn from the generator: the same draw here
        z = torch.randn(x.shape, generator=torch.Generator().manual_seed(i), dtype=torch.float64)
        want = p_step(x, i, eps, b, z.numpy() if i else None)
        np.testing.assert_allclose(got.prev_sample.numpy(), want, rtol=0, atol=1e-10)


def test_training_is_seeded_and_learns():
    data = np.random.default_rng(0).normal(size=(500, 2)) * 0.1 + 1.0
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = tdiff.PointDenoiser(100, width=32, depth=2)
        runs.append(tdiff.train_denoiser(model, data, BETAS, iterations=150, batch=64, seed=3))
    assert runs[0] == runs[1]
    assert np.mean(runs[0][-20:]) < np.mean(runs[0][:20])
    traj = tdiff.reverse_trajectory(model, BETAS, 50, n_steps=10, seed=0)
    assert traj.states.shape == (11, 50, 2) and traj.eps.shape == (10, 50, 2)
    assert traj.levels[0] == 1.0 and traj.levels[-1] == pytest.approx(alphas_bar(BETAS)[-1])
    np.testing.assert_array_equal(
        tdiff.sample(model, BETAS, 50, n_steps=10, seed=0), traj.states[0]
    )
    assert tdiff.denoising_field(model, np.zeros((4, 2))).shape == (100, 4, 2)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"iterations": 0}, "iterations"),
        ({"batch": 2.5}, "batch"),
        ({"lr": float("nan")}, "lr"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_training_arguments_are_refused(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tdiff.train_denoiser(tdiff.PointDenoiser(10), np.zeros((5, 2)), BETAS[:10], **kw)


def test_share_near_modes():
    centres = mode_centres("ring")
    assert share_near_modes(centres, centres, 0.1) == 1.0
    assert share_near_modes(np.zeros((3, 2)), centres, 0.1) == 0.0
    assert np.isnan(share_near_modes(np.full((2, 2), np.nan), centres, 0.1))


def test_unet_shapes_and_digit_data():
    images = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    x = digit_data(images)
    assert x.shape == (3, 1, 14, 14) and x.min() >= -1 and x.max() <= 1
    out = TinyUNet(20, channels=8)(torch.tensor(x), torch.tensor([0, 5, 19]))
    assert out.shape == (3, 1, 14, 14)
    with pytest.raises(ValueError, match="28, 28"):
        digit_data(np.zeros((2, 14, 14)))


def test_the_shipped_checkpoint_loads_and_its_checksum_is_checked(tmp_path):
    model = load_digit_denoiser()
    assert sum(p.numel() for p in model.parameters()) > 50_000
    # the weights are those scripts/make_diffusion_checkpoint.py printed
    assert weights_digest(model.state_dict()) == WEIGHTS_SHA256
    from importlib import resources

    path = resources.files("dlhelpers.data") / "checkpoints" / "diffusion_digits.pt"
    blob = path.read_bytes()
    assert len(blob) < 1_000_000 and hashlib.sha256(blob).hexdigest() == CHECKPOINT_SHA256
    bad = tmp_path / "bad.pt"
    bad.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(ValueError, match="SHA-256"):
        load_digit_denoiser(bad)
