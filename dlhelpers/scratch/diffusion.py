"""Denoising diffusion (DDPM) from scratch: the noise schedule, noising in one step, one reverse step.

NumPy only. The forward process adds Gaussian noise in ``T`` small steps,
:math:`q(x_t \\mid x_{t-1}) = \\mathcal N(\\sqrt{1-\\beta_t}\\, x_{t-1}, \\beta_t I)`;
with :math:`\\alpha_t = 1 - \\beta_t` and :math:`\\bar\\alpha_t = \\prod_{s \\le t} \\alpha_s`
any step is reached from the data in one jump,
:math:`x_t = \\sqrt{\\bar\\alpha_t}\\, x_0 + \\sqrt{1-\\bar\\alpha_t}\\, \\epsilon` (:func:`q_sample`).
A network learns to predict :math:`\\epsilon` from :math:`(x_t, t)`; the reverse
step (:func:`p_step`) uses that prediction to draw :math:`x_{t-1}`.

Time steps are 0-based, as in Hugging Face ``diffusers``: ``t = 0 .. T-1``,
``betas[t]`` is the noise added by step ``t``. The twin of these functions is
``diffusers.DDPMScheduler`` (``betas``, ``alphas_cumprod``, ``add_noise``, and
``step`` with ``variance_type="fixed_small"``, ``prediction_type="epsilon"``
and ``clip_sample=False``); ``tests/test_diffusion.py`` compares them.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.validate import check_choice, check_number, check_positive_int

__all__ = [
    "SCHEDULES",
    "alphas_bar",
    "beta_schedule",
    "p_step",
    "predict_x0",
    "q_sample",
    "respace",
]

#: The schedules :func:`beta_schedule` makes, named as ``diffusers`` names them.
SCHEDULES = ("linear", "squaredcos_cap_v2")


def beta_schedule(
    steps: int,
    kind: str = "linear",
    *,
    beta_start: float = 1e-4,
    beta_end: float = 0.02,
    max_beta: float = 0.999,
) -> np.ndarray:
    """The noise added at each step, ``betas`` : ndarray of shape (steps,), float64.

    ``"linear"``: evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al.,
    2020, used 1e-4 to 0.02 over 1,000 steps; with fewer steps scale ``beta_end``
    up, or the last step is far from pure noise). ``"squaredcos_cap_v2"``: the
    cosine schedule of Nichol and Dhariwal (2021), ``alpha_bar(s) = cos((s + 0.008)
    / 1.008 * pi / 2) ** 2``, each beta capped at ``max_beta``.
    """
    steps = check_positive_int("steps", steps)
    kind = check_choice("kind", kind, SCHEDULES)
    if kind == "linear":
        beta_start = check_number("beta_start", beta_start, low=0, high=1, low_open=True)
        beta_end = check_number("beta_end", beta_end, low=beta_start, high=1, high_open=True)
        return np.linspace(beta_start, beta_end, steps, dtype=np.float64)
    max_beta = check_number("max_beta", max_beta, low=0, high=1, low_open=True, high_open=True)

    def bar(s: float) -> float:
        return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [min(1 - bar((i + 1) / steps) / bar(i / steps), max_beta) for i in range(steps)]
    return np.asarray(betas, dtype=np.float64)


def alphas_bar(betas: ArrayLike) -> np.ndarray:
    """:math:`\\bar\\alpha_t = \\prod_{s \\le t} (1 - \\beta_s)`, of the same shape as ``betas``."""
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size == 0:
        raise ValueError(f"betas must be a non-empty 1-D array, not of shape {betas.shape}")
    if not np.all(np.isfinite(betas)) or np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError("every beta must be a finite number in (0, 1)")
    return np.cumprod(1.0 - betas)


def _steps(t: ArrayLike, n: int, batch: int) -> np.ndarray:
    """Time steps as an int array of shape (batch,), each in 0 .. n-1."""
    t = np.asarray(t)
    if t.dtype.kind not in "iu" or t.ndim > 1:
        raise TypeError(f"t must be an integer or a 1-D array of integers, not {t.dtype} {t.shape}")
    t = np.broadcast_to(t, (batch,)) if t.ndim == 0 else t
    if t.shape != (batch,):
        raise ValueError(f"t has {t.shape[0]} steps for a batch of {batch}")
    if np.any(t < 0) or np.any(t >= n):
        raise ValueError(f"every t must be in 0 .. {n - 1}")
    return t


def _per_row(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``values`` of shape (B,) shaped to broadcast against ``like`` of shape (B, ...)."""
    return values.reshape((-1,) + (1,) * (like.ndim - 1))


def q_sample(x0: ArrayLike, t: ArrayLike, noise: ArrayLike, abar: ArrayLike) -> np.ndarray:
    """Noise the data to step ``t`` in one jump: ``sqrt(abar[t]) x0 + sqrt(1 - abar[t]) noise``.

    Parameters
    ----------
    x0 : ndarray of shape (B, ...)
        Clean data.
    t : int or ndarray of int of shape (B,)
        The step of each row, 0-based.
    noise : ndarray of the shape of ``x0``
        Standard normal noise.
    abar : ndarray of shape (T,)
        From :func:`alphas_bar`.

    Returns
    -------
    ndarray of the shape of ``x0``: ``x_t`` (``diffusers``' ``add_noise``).
    """
    x0, noise, abar = (np.asarray(a, dtype=np.float64) for a in (x0, noise, abar))
    if x0.ndim == 0 or noise.shape != x0.shape:
        raise ValueError(f"noise has shape {noise.shape}, x0 {x0.shape}: they must match")
    a = abar[_steps(t, len(abar), len(x0))]
    return _per_row(np.sqrt(a), x0) * x0 + _per_row(np.sqrt(1 - a), x0) * noise


def predict_x0(x_t: ArrayLike, t: ArrayLike, eps: ArrayLike, abar: ArrayLike) -> np.ndarray:
    """The clean data implied by a noise prediction: ``(x_t - sqrt(1 - abar[t]) eps) / sqrt(abar[t])``."""
    x_t, eps, abar = (np.asarray(a, dtype=np.float64) for a in (x_t, eps, abar))
    a = _per_row(abar[_steps(t, len(abar), len(x_t))], x_t)
    return (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a)


def p_step(
    x_t: ArrayLike, t: int, eps: ArrayLike, betas: ArrayLike, noise: ArrayLike | None = None
) -> np.ndarray:
    """One reverse step: draw ``x_{t-1}`` from ``x_t`` and the predicted noise ``eps``.

    The mean is that of the true posterior :math:`q(x_{t-1} \\mid x_t, \\hat x_0)`,
    with :math:`\\hat x_0` from :func:`predict_x0`; the variance is the
    posterior's, :math:`\\tilde\\beta_t = \\beta_t (1 - \\bar\\alpha_{t-1}) / (1 - \\bar\\alpha_t)`
    (``diffusers``' ``"fixed_small"``). At ``t = 0`` no noise is added.

    Parameters
    ----------
    x_t, eps : ndarray of shape (B, ...)
    t : int
        The current step, 0 .. T-1 (one step for the whole batch, as in sampling).
    betas : ndarray of shape (T,)
    noise : ndarray of the shape of ``x_t``, optional
        The standard normal draw for the added noise; required when ``t > 0``.
    """
    betas = np.asarray(betas, dtype=np.float64)
    abar = alphas_bar(betas)
    x_t, eps = np.asarray(x_t, dtype=np.float64), np.asarray(eps, dtype=np.float64)
    if eps.shape != x_t.shape:
        raise ValueError(f"eps has shape {eps.shape}, x_t {x_t.shape}: they must match")
    t = int(_steps(np.asarray(t), len(betas), 1)[0])
    a_prev = abar[t - 1] if t > 0 else 1.0
    x0 = predict_x0(x_t, t, eps, abar)
    mean = (np.sqrt(a_prev) * betas[t] * x0 + np.sqrt(1 - betas[t]) * (1 - a_prev) * x_t) / (
        1 - abar[t]
    )
    if t == 0:
        return mean
    if noise is None:
        raise ValueError("noise is required for t > 0 (a standard normal draw of x_t's shape)")
    noise = np.asarray(noise, dtype=np.float64)
    if noise.shape != x_t.shape:
        raise ValueError(f"noise has shape {noise.shape}, x_t {x_t.shape}: they must match")
    variance = max(betas[t] * (1 - a_prev) / (1 - abar[t]), 1e-20)
    return mean + math.sqrt(variance) * noise


def respace(betas: ArrayLike, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample in ``n_steps`` jumps instead of ``T`` steps: the steps visited and their betas.

    The visited steps are ``n_steps`` evenly spaced ones of 0 .. T-1, always
    including 0 and T-1 (the data end and the noise end). The jump from step
    ``timesteps[i]`` to ``timesteps[i - 1]`` gets
    ``beta'_i = 1 - abar[timesteps[i]] / abar[timesteps[i - 1]]``, so that the
    products of the new betas are the old ``abar`` at the visited steps and
    :func:`p_step` with ``betas'`` and step ``i`` is the DDPM step between them
    (``diffusers``' DDPMScheduler with custom timesteps).

    Returns
    -------
    timesteps : ndarray of int of shape (n_steps,), increasing
    betas : ndarray of shape (n_steps,), float64
    """
    abar = alphas_bar(betas)
    n_steps = check_positive_int("n_steps", n_steps)
    if n_steps > len(abar):
        raise ValueError(f"n_steps must be at most the {len(abar)} steps of the schedule")
    if n_steps == 1:
        timesteps = np.array([len(abar) - 1])
    else:
        timesteps = np.round(np.linspace(0, len(abar) - 1, n_steps)).astype(np.int64)
    prev = np.r_[1.0, abar[timesteps[:-1]]]
    return timesteps, 1.0 - abar[timesteps] / prev
