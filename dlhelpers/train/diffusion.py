"""Denoising diffusion in torch (notebook 14): a time-conditioned denoiser, its training and sampling.

The NumPy reference of the process is :mod:`dlhelpers.scratch.diffusion`
(schedule, one-jump noising, one reverse step); here are its torch twins
(:func:`q_sample`, :func:`reverse_step`, the same math, checked against the
NumPy code in float64 by ``tests/test_train_diffusion.py``), a small MLP
that predicts the noise of 2-D points (:class:`PointDenoiser`), one training
loop for any denoiser (:func:`train_denoiser`, a fixed number of iterations
and a seed, so the same call gives the same model) and the sampler
(:func:`sample`, :func:`reverse_trajectory`), which runs the reverse process
with every step or with fewer (:func:`dlhelpers.scratch.diffusion.respace`).
The digit U-Net is in :mod:`dlhelpers.train.diffusion_digits`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import nn

from dlhelpers.scratch.diffusion import alphas_bar, respace
from dlhelpers.validate import check_int, check_number, check_positive_int

__all__ = [
    "PointDenoiser",
    "Trajectory",
    "denoising_field",
    "q_sample",
    "reverse_step",
    "reverse_trajectory",
    "sample",
    "time_features",
    "train_denoiser",
]


def time_features(t: torch.Tensor, steps: int, dim: int = 16) -> torch.Tensor:
    """Sinusoidal features of the time step: ``sin`` and ``cos`` of ``2 pi 2^k t / steps``.

    Parameters
    ----------
    t : LongTensor of shape (B,)
        Steps, 0 .. steps-1.
    steps : int
        The number of steps T of the process.
    dim : int
        Even; ``dim / 2`` frequencies 1, 2, 4, ... turns over the whole process.

    Returns
    -------
    Tensor of shape (B, dim), float32
    """
    freqs = 2.0 ** torch.arange(dim // 2, dtype=torch.float32)  # (dim/2,)
    angle = 2 * math.pi * (t.float()[:, None] / steps) * freqs  # (B, dim/2)
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1)  # (B, dim)


class PointDenoiser(nn.Module):
    """Predicts the noise in 2-D points: ``(x_t, t) -> eps``, an MLP on ``[x_t, features(t)]``.

    ``2 + time_dim -> width x depth (SiLU) -> 2``; ``steps`` is the T of the
    process it is trained for (the time features are scaled by it).
    """

    def __init__(self, steps: int, *, width: int = 128, depth: int = 3, time_dim: int = 16):
        super().__init__()
        self.steps = check_positive_int("steps", steps)
        self.time_dim = check_positive_int("time_dim", time_dim)
        sizes = [2 + time_dim] + [check_positive_int("width", width)] * check_positive_int(
            "depth", depth
        )
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.SiLU()]
        self.net = nn.Sequential(*layers, nn.Linear(sizes[-1], 2))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = torch.cat([x, time_features(t, self.steps, self.time_dim)], dim=1)  # (B, 2 + time_dim)
        return self.net(h)  # (B, 2)


def _per_row(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return values.reshape((-1,) + (1,) * (like.dim() - 1))


def q_sample(
    x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, abar: torch.Tensor
) -> torch.Tensor:
    """Torch twin of :func:`dlhelpers.scratch.diffusion.q_sample`: ``sqrt(abar[t]) x0 + sqrt(1 - abar[t]) noise``.

    ``x0``, ``noise`` of shape (B, ...); ``t`` a LongTensor of shape (B,); ``abar`` of shape (T,).
    """
    a = _per_row(abar[t], x0)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def reverse_step(
    x_t: torch.Tensor,
    t: int,
    eps: torch.Tensor,
    betas: torch.Tensor,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """Torch twin of :func:`dlhelpers.scratch.diffusion.p_step`: ``x_{t-1}`` from ``x_t`` and ``eps``.

    The same formula: the posterior mean given ``x0_hat = (x_t - sqrt(1 - abar_t) eps) /
    sqrt(abar_t)``, plus ``sqrt(beta_tilde_t) * noise`` when ``t > 0``. Computed in
    ``betas``' dtype (float64 in the sampler).
    """
    abar = torch.cumprod(1 - betas, dim=0)
    a_t, a_prev = abar[t], abar[t - 1] if t > 0 else torch.ones((), dtype=betas.dtype)
    x0 = (x_t - (1 - a_t).sqrt() * eps) / a_t.sqrt()
    mean = (a_prev.sqrt() * betas[t] * x0 + (1 - betas[t]).sqrt() * (1 - a_prev) * x_t) / (1 - a_t)
    if t == 0:
        return mean
    if noise is None:
        raise ValueError("noise is required for t > 0 (a standard normal draw of x_t's shape)")
    variance = torch.clamp(betas[t] * (1 - a_prev) / (1 - a_t), min=1e-20)
    return mean + variance.sqrt() * noise


def train_denoiser(
    model: nn.Module,
    data: ArrayLike,
    betas: ArrayLike,
    *,
    iterations: int = 3000,
    batch: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
    on_step=None,
) -> list[float]:
    """Train ``model(x_t, t)`` to predict the noise: the DDPM loss ``|eps - model(x_t, t)|^2``.

    Each iteration draws ``batch`` rows of ``data``, a step ``t`` for each (uniform
    over 0 .. T-1) and the noise, from ``seed``; seed torch before making the model.

    Parameters
    ----------
    model : nn.Module
        ``model(x_t, t)`` with ``t`` a LongTensor (B,); returns ``x_t``'s shape.
    data : array_like of shape (N, ...)
        The clean data, e.g. (N, 2) points or (N, 1, 14, 14) images.
    betas : array_like of shape (T,)
        From :func:`dlhelpers.scratch.diffusion.beta_schedule`.
    iterations, batch : int
    lr : float
        Adam's step size.
    seed : int
    on_step : callable, optional
        ``on_step(iteration)`` after each step (1-based), e.g. to save a checkpoint.

    Returns
    -------
    list of float
        The loss of every iteration.
    """
    iterations, batch = (
        check_positive_int("iterations", iterations),
        check_positive_int("batch", batch),
    )
    lr, seed = check_number("lr", lr, low=0, low_open=True), check_int("seed", seed, low=0)
    data = torch.as_tensor(np.asarray(data, dtype=np.float32))
    abar = torch.as_tensor(alphas_bar(betas), dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(iterations):
        x0 = data[torch.randint(len(data), (batch,), generator=gen)]  # (B, ...)
        t = torch.randint(len(abar), (batch,), generator=gen)  # (B,)
        noise = torch.randn(x0.shape, generator=gen)
        loss = F.mse_loss(model(q_sample(x0, t, noise, abar), t), noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(len(losses))
    model.eval()
    return losses


@dataclass
class Trajectory:
    """One run of the reverse process, every state kept.

    Attributes
    ----------
    states : ndarray of shape (n_steps + 1, n, ...)
        ``states[n_steps]`` is the starting noise, ``states[0]`` the samples;
        ``states[i]`` is the input of the step at ``timesteps[i - 1]``.
    eps : ndarray of shape (n_steps, n, ...)
        The model's noise prediction at each step: ``eps[i]`` at ``timesteps[i]``,
        from ``states[i + 1]``.
    timesteps : ndarray of int of shape (n_steps,)
        The training steps visited, increasing (all of 0 .. T-1 when ``n_steps = T``).
    levels : ndarray of shape (n_steps + 1,)
        ``abar`` of each state: 1 for the samples, ``abar[timesteps[i - 1]]`` for ``states[i]``.
    """

    states: np.ndarray
    eps: np.ndarray
    timesteps: np.ndarray
    levels: np.ndarray


@torch.no_grad()
def reverse_trajectory(
    model: nn.Module,
    betas: ArrayLike,
    n: int,
    *,
    n_steps: int | None = None,
    shape: tuple[int, ...] = (2,),
    seed: int = 0,
) -> Trajectory:
    """Run the reverse process from noise for ``n`` samples, keeping every state.

    With ``n_steps`` < T the process visits a subset of the training steps
    (:func:`dlhelpers.scratch.diffusion.respace`) and each reverse step jumps
    between them; with ``n_steps = T`` (default) it is the DDPM sampler. The
    state is kept in float64, the model sees float32, and each step is
    :func:`reverse_step`.
    """
    betas = np.asarray(betas, dtype=np.float64)
    n = check_positive_int("n", n)
    n_steps = (
        len(betas) if n_steps is None else check_int("n_steps", n_steps, low=1, high=len(betas))
    )
    timesteps, step_betas = respace(betas, n_steps)
    b = torch.as_tensor(step_betas)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    x = torch.randn((n, *shape), generator=gen, dtype=torch.float64)
    states, eps_all = [x], []
    for i in range(n_steps - 1, -1, -1):
        t = torch.full((n,), int(timesteps[i]), dtype=torch.long)
        eps = model(x.float(), t).double()
        noise = torch.randn(x.shape, generator=gen, dtype=torch.float64) if i > 0 else None
        x = reverse_step(x, i, eps, b, noise)
        states.append(x)
        eps_all.append(eps)
    levels = np.r_[1.0, alphas_bar(betas)[timesteps]]
    return Trajectory(
        states=torch.stack(states[::-1]).numpy(),
        eps=torch.stack(eps_all[::-1]).numpy(),
        timesteps=timesteps,
        levels=levels,
    )


def sample(
    model: nn.Module,
    betas: ArrayLike,
    n: int,
    *,
    n_steps: int | None = None,
    shape: tuple[int, ...] = (2,),
    seed: int = 0,
) -> np.ndarray:
    """``n`` samples of shape ``shape`` from the reverse process; see :func:`reverse_trajectory`."""
    return reverse_trajectory(model, betas, n, n_steps=n_steps, shape=shape, seed=seed).states[0]


@torch.no_grad()
def denoising_field(model: nn.Module, points: ArrayLike) -> np.ndarray:
    """The model's noise prediction at ``points`` (m, 2) for every step: shape (T, m, 2)."""
    x = torch.as_tensor(np.asarray(points, dtype=np.float32))
    steps = model.steps
    xs = x.repeat(steps, 1)  # (T * m, 2)
    t = torch.arange(steps).repeat_interleave(len(x))  # (T * m,)
    return model(xs, t).reshape(steps, len(x), 2).double().numpy()
