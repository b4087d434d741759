"""A GAN on 2-D points (notebook 10): generator, discriminator and a steppable trainer.

:class:`GanTrainer` is the pure part of the GAN Lab explorer
(:mod:`dlhelpers.explorers.gan_lab`): it holds a :class:`Generator`, a
:class:`Discriminator`, their Adam optimizers and a pool of real points from
:func:`dlhelpers.data.targets2d.sample_target`, trains a few iterations per
:meth:`~GanTrainer.step`, and measures itself (modes covered, a Jensen-Shannon
estimate). It draws nothing. The digit GAN is in :mod:`dlhelpers.train.gan_digits`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlhelpers.data.targets2d import (
    EXTENT,
    MODE_STD,
    TARGETS,
    count_modes,
    histogram2d,
    js_divergence,
    mode_centres,
    sample_target,
)

__all__ = ["GAN_LOSSES", "Discriminator", "GanTrainer", "Generator"]

GAN_LOSSES = ("non-saturating", "saturating")


def _mlp(n_in: int, width: int, depth: int, n_out: int) -> nn.Sequential:
    sizes = [n_in] + [width] * depth
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], n_out))


class Generator(nn.Module):
    """Noise ``(B, noise_dim)`` to points ``(B, 2)``: an MLP of ``depth`` ReLU layers."""

    def __init__(self, noise_dim: int = 2, width: int = 64, depth: int = 2):
        super().__init__()
        self.noise_dim = noise_dim
        self.net = _mlp(noise_dim, width, depth, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)  # (B, 2)


class Discriminator(nn.Module):
    """Points ``(B, 2)`` to one logit each ``(B,)``: positive means "looks real"."""

    def __init__(self, width: int = 64, depth: int = 2):
        super().__init__()
        self.net = _mlp(2, width, depth, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)  # (B,)


def _positive(name: str, value, *, integer: bool = False) -> None:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value <= 0 or (integer and value != int(value)):
        kind = "a whole number >= 1" if integer else "a number above 0"
        raise ValueError(f"{name}={value!r} must be {kind}")


class GanTrainer:
    """A 2-D GAN that trains a few iterations at a time.

    Parameters
    ----------
    target : str
        One of :data:`dlhelpers.data.targets2d.TARGETS`.
    noise_dim, g_width, d_width, depth : int
        The noise (uniform on [-1, 1]^noise_dim, as GAN Lab) and the two MLPs.
    g_lr, d_lr : float
        Adam step sizes, betas (0.5, 0.999) as in DCGAN.
    d_steps : int
        Discriminator steps before each generator step.
    loss : {"non-saturating", "saturating"}
        The generator's loss: ``-log D(G(z))`` (the usual one) or the
        minimax ``log(1 - D(G(z)))``, whose gradient vanishes while D wins.
    batch : int
        Real and fake points per step.
    seed : int
        Seeds the weights, the noise and the real batches: same seed, same run.

    Attributes
    ----------
    iteration : int
        Generator steps since the last :meth:`reset`.
    history : dict of str to list
        ``"iteration"``, ``"d_loss"`` and ``"g_loss"`` (each the loss its
        network minimises), one entry per generator step.
    """

    def __init__(
        self,
        target: str = "ring",
        *,
        noise_dim: int = 2,
        g_width: int = 64,
        d_width: int = 64,
        depth: int = 2,
        g_lr: float = 1e-3,
        d_lr: float = 1e-3,
        d_steps: int = 1,
        loss: str = "non-saturating",
        batch: int = 256,
        seed: int = 0,
    ):
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
        if loss not in GAN_LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(GAN_LOSSES)}")
        for name, value in [("noise_dim", noise_dim), ("g_width", g_width), ("d_width", d_width)]:
            _positive(name, value, integer=True)
        _positive("depth", depth, integer=True)
        _positive("d_steps", d_steps, integer=True)
        _positive("batch", batch, integer=True)
        _positive("g_lr", g_lr)
        _positive("d_lr", d_lr)
        self.target, self.loss, self.seed = target, loss, seed
        self.noise_dim, self.g_width, self.d_width, self.depth = noise_dim, g_width, d_width, depth
        self.g_lr, self.d_lr, self.d_steps, self.batch = g_lr, d_lr, d_steps, batch
        self.real = sample_target(target, 20_000, seed=seed)
        self._real = torch.as_tensor(self.real, dtype=torch.float32)
        self._real_hist = histogram2d(self.real)
        self.reset()

    def reset(self) -> None:
        """Back to iteration 0 with the same initial weights, noise and batches."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.generator = Generator(self.noise_dim, self.g_width, self.depth)
            self.discriminator = Discriminator(self.d_width, self.depth)
        betas = (0.5, 0.999)
        self.g_opt = torch.optim.Adam(self.generator.parameters(), lr=self.g_lr, betas=betas)
        self.d_opt = torch.optim.Adam(self.discriminator.parameters(), lr=self.d_lr, betas=betas)
        self._rng = torch.Generator().manual_seed(self.seed)
        self._fixed_noise = self.noise(2000, generator=torch.Generator().manual_seed(self.seed + 1))
        self.iteration = 0
        self.history: dict[str, list] = {"iteration": [], "d_loss": [], "g_loss": []}

    def noise(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise vectors, uniform on [-1, 1]^noise_dim; shape (n, noise_dim)."""
        g = self._rng if generator is None else generator
        return 2 * torch.rand(n, self.noise_dim, generator=g) - 1

    def _d_step(self) -> float:
        idx = torch.randint(len(self._real), (self.batch,), generator=self._rng)
        real = self._real[idx]  # (B, 2)
        with torch.no_grad():
            fake = self.generator(self.noise(self.batch))  # (B, 2)
        logits = self.discriminator(torch.cat([real, fake]))  # (2B,)
        labels = torch.cat([torch.ones(self.batch), torch.zeros(self.batch)])
        # Mean over real and fake: log 4 = 1.386 when D says 0.5 everywhere.
        loss = 2 * F.binary_cross_entropy_with_logits(logits, labels)
        self.d_opt.zero_grad()
        loss.backward()
        self.d_opt.step()
        return loss.item()

    def _g_step(self) -> float:
        logits = self.discriminator(self.generator(self.noise(self.batch)))
        if self.loss == "non-saturating":
            loss = F.softplus(-logits).mean()  # -log D(G(z))
        else:
            loss = -F.softplus(logits).mean()  # log(1 - D(G(z)))
        self.g_opt.zero_grad()
        loss.backward()  # D's gradients too, but d_opt zeroes them before its next step
        self.g_opt.step()
        return loss.item()

    def step(self, n: int = 1) -> float:
        """``n`` generator iterations, each after ``d_steps`` discriminator steps; the last G loss."""
        for _ in range(n):
            for _ in range(self.d_steps):
                d_loss = self._d_step()
            g_loss = self._g_step()
            self.iteration += 1
            self.history["iteration"].append(self.iteration)
            self.history["d_loss"].append(d_loss)
            self.history["g_loss"].append(g_loss)
        return self.history["g_loss"][-1] if self.history["g_loss"] else float("nan")

    # --- looking at it ---------------------------------------------------------------

    @torch.no_grad()
    def samples(self, n: int = 500) -> np.ndarray:
        """The generator's points for the first ``n`` (<= 2000) of a fixed set of noise; (n, 2)."""
        if not 1 <= n <= len(self._fixed_noise):
            raise ValueError(f"n must be between 1 and {len(self._fixed_noise)}, not {n}")
        return self.generator(self._fixed_noise[:n]).numpy().astype(float)

    @torch.no_grad()
    def field(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """D's probability that a point is real on the grid ``xs`` x ``ys``; (len(ys), len(xs))."""
        gx, gy = np.meshgrid(xs, ys)
        grid = torch.as_tensor(np.c_[gx.ravel(), gy.ravel()], dtype=torch.float32)
        p = torch.sigmoid(self.discriminator(grid)).numpy()
        return p.reshape(len(ys), len(xs)).astype(float)

    @torch.no_grad()
    def noise_map(self, n: int = 11) -> np.ndarray:
        """Where G sends a regular ``n`` x ``n`` grid of noise; (n, n, 2).

        The grid spans [-1, 1] in the first two noise coordinates (the other
        coordinates are 0); with ``noise_dim=1`` the rows are all the same line.
        Row ``i`` and column ``j`` of the result, drawn as lines, are the
        warped grid of GAN Lab.
        """
        t = torch.linspace(-1, 1, n)
        z = torch.zeros(n, n, self.noise_dim)
        z[..., 0] = t[None, :]
        if self.noise_dim > 1:
            z[..., 1] = t[:, None]
        return self.generator(z.reshape(-1, self.noise_dim)).reshape(n, n, 2).numpy().astype(float)

    def modes_covered(self, threshold: float = 0.02) -> int | None:
        """Centres with at least ``threshold`` of 2,000 generated points within 3 std (ring, grid).

        ``None`` for targets without separate modes (spiral, moons).
        """
        if self.target not in MODE_STD:
            return None
        centres = mode_centres(self.target)
        return count_modes(self.samples(2000), centres, MODE_STD[self.target], threshold)

    @property
    def n_modes(self) -> int | None:
        return len(mode_centres(self.target)) if self.target in MODE_STD else None

    def divergence(self) -> float:
        """Jensen-Shannon divergence in bits between real and generated points.

        Estimated from 30 x 30 histograms over [-3, 3]^2 of 20,000 real points
        and 2,000 generated ones; 0 is a perfect match, 1 no overlap at all.
        With 2,000 points even a perfect generator scores about 0.05 to 0.1.
        """
        return js_divergence(self._real_hist, histogram2d(self.samples(2000), extent=EXTENT))
