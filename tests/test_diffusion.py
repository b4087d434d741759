"""The NumPy diffusion pieces against Hugging Face ``diffusers``' DDPMScheduler (float64) and the math."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlhelpers.scratch.diffusion import (
    alphas_bar,
    beta_schedule,
    p_step,
    predict_x0,
    q_sample,
)

diffusers = pytest.importorskip("diffusers")


def _scheduler(steps: int, kind: str, **kw):
    s = diffusers.DDPMScheduler(
        num_train_timesteps=steps,
        beta_schedule=kind,
        clip_sample=False,
        variance_type="fixed_small",
        prediction_type="epsilon",
        **kw,
    )
    s.set_timesteps(steps)  # every step, as in training
    return s


def _in_float64(twin, betas):
    """The scheduler with our float64 schedule (it keeps float32): its step math checked to 1e-12."""
    twin.betas = torch.tensor(betas)
    twin.alphas = 1.0 - twin.betas
    twin.alphas_cumprod = torch.cumprod(twin.alphas, dim=0)
    twin.one = torch.tensor(1.0, dtype=torch.float64)
    return twin


@pytest.mark.parametrize("kind", ["linear", "squaredcos_cap_v2"])
@pytest.mark.parametrize("steps", [10, 100, 1000])
def test_the_schedule_is_diffusers(kind, steps):
    twin = _scheduler(steps, kind)
    betas = beta_schedule(steps, kind)
    # diffusers keeps them in float32
    np.testing.assert_allclose(betas, twin.betas.double().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        alphas_bar(betas), twin.alphas_cumprod.double().numpy(), rtol=1e-5, atol=1e-9
    )


def test_one_jump_is_add_noise_and_has_the_right_statistics():
    rng = np.random.default_rng(0)
    betas = beta_schedule(100, "linear", beta_end=0.2)
    abar = alphas_bar(betas)
    x0, noise = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    t = np.array([0, 1, 17, 50, 98, 99])
    twin = _in_float64(_scheduler(100, "linear", beta_end=0.2), betas)
    want = twin.add_noise(torch.tensor(x0), torch.tensor(noise), torch.tensor(t)).numpy()
    np.testing.assert_allclose(q_sample(x0, t, noise, abar), want, rtol=1e-12, atol=1e-12)
    # many draws of x_t from one x0: mean sqrt(abar) x0, variance 1 - abar
    x0 = np.full((200_000, 1), 2.0)
    xt = q_sample(x0, 60, rng.normal(size=x0.shape), abar)
    assert abs(xt.mean() - np.sqrt(abar[60]) * 2.0) < 0.01
    assert abs(xt.var() - (1 - abar[60])) < 0.01
    # predict_x0 inverts the jump when given the true noise
    noise = rng.normal(size=(6, 1))
    back = predict_x0(q_sample(x0[:6], t, noise, abar), t, noise, abar)
    np.testing.assert_allclose(back, x0[:6], rtol=1e-12)


@pytest.mark.parametrize("t", [0, 1, 40, 99])
def test_one_reverse_step_is_diffusers_step(t):
    rng = np.random.default_rng(t)
    betas = beta_schedule(100, "linear", beta_end=0.2)
    twin = _in_float64(_scheduler(100, "linear", beta_end=0.2), betas)
    x_t, eps = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    # diffusers draws its noise with torch.randn from the generator: draw the same here
    noise = torch.randn((5, 3), generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    out = twin.step(
        torch.tensor(eps),
        t,
        torch.tensor(x_t),
        generator=torch.Generator().manual_seed(7),
    ).prev_sample.numpy()
    got = p_step(x_t, t, eps, betas, noise.numpy() if t > 0 else None)
    np.testing.assert_allclose(got, out, rtol=1e-12, atol=1e-12)


def test_with_the_true_noise_the_reverse_chain_returns_to_the_data():
    # a perfect noise predictor (it knows x0) walks x_T back to x0 exactly when no noise is added
    betas = beta_schedule(50, "linear", beta_end=0.3)
    abar = alphas_bar(betas)
    x0 = np.array([[1.0, -2.0], [0.5, 0.25]])
    x = np.random.default_rng(1).normal(size=x0.shape)
    for t in reversed(range(50)):
        eps = (x - np.sqrt(abar[t]) * x0) / np.sqrt(1 - abar[t])
        x = p_step(x, t, eps, betas, np.zeros_like(x))
    np.testing.assert_allclose(x, x0, atol=1e-9)


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda: beta_schedule(0), "steps"),
        (lambda: beta_schedule(10, "cosine"), "kind"),
        (lambda: beta_schedule(10, beta_end=float("nan")), "beta_end"),
        (lambda: beta_schedule(10, beta_start=0.5, beta_end=0.1), "beta_end"),
        (lambda: alphas_bar([]), "non-empty"),
        (lambda: alphas_bar([0.1, 1.0]), "beta"),
        (lambda: alphas_bar([0.1, np.nan]), "beta"),
        (lambda: q_sample(np.zeros((2, 2)), 1.5, np.zeros((2, 2)), [0.9, 0.8]), "integer"),
        (lambda: q_sample(np.zeros((2, 2)), 2, np.zeros((2, 2)), [0.9, 0.8]), "0 .. 1"),
        (lambda: q_sample(np.zeros((2, 2)), -1, np.zeros((2, 2)), [0.9, 0.8]), "0 .. 1"),
        (lambda: q_sample(np.zeros((2, 2)), [0, 1, 1], np.zeros((2, 2)), [0.9, 0.8]), "batch"),
        (lambda: q_sample(np.zeros((2, 2)), 0, np.zeros((2, 3)), [0.9, 0.8]), "match"),
        (lambda: p_step(np.zeros((2, 2)), 1, np.zeros((2, 2)), [0.1, 0.2]), "noise"),
        (lambda: p_step(np.zeros((2, 2)), 0, np.zeros((1, 2)), [0.1, 0.2]), "match"),
    ],
)
def test_bad_input_is_refused_with_its_name(call, says):
    with pytest.raises((ValueError, TypeError), match=says):
        call()


def test_numpy_scalars_are_accepted():
    betas = beta_schedule(np.int64(20), "linear", beta_end=np.float32(0.2))
    x = q_sample(np.ones((3, 1)), np.int32(5), np.zeros((3, 1)), alphas_bar(betas))
    assert x.shape == (3, 1) and np.all(np.isfinite(x))
