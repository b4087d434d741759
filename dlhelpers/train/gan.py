"""A GAN on 2-D points (notebook 10): generator, discriminator and a steppable trainer.

:class:`GanTrainer` is the pure part of the GAN Lab explorer
(:mod:`dlhelpers.explorers.gan_lab`): it holds a :class:`Generator`, a
:class:`Discriminator`, their Adam optimizers and a pool of real points from
:func:`dlhelpers.data.targets2d.sample_target`, trains a few iterations per
:meth:`~GanTrainer.step`, and measures itself (modes covered, a Jensen-Shannon
estimate). It draws nothing. When a loss or the generated points turn NaN or
infinite it stops training and says so in :attr:`~GanTrainer.diverged`; its
measures then read NaN, never a finite number. The digit GAN is in
:mod:`dlhelpers.train.gan_digits`.

One iteration of the game is :func:`gan_step`: a :func:`discriminator_step`
on real and (detached) generated points, then a :func:`generator_step` with
the non-saturating loss. Notebook 10's learner writes it and the exercise
checks it against this one; :class:`GanTrainer` takes the same two steps.
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
    mode_shares,
    sample_target,
)
from dlhelpers.validate import (
    check_choice,
    check_int,
    check_number,
    check_positive_int,
    check_probability,
)

__all__ = [
    "GAN_LOSSES",
    "Discriminator",
    "GanTrainer",
    "Generator",
    "discriminator_step",
    "gan_step",
    "generator_step",
    "trace_modes",
]

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


def _check_step_args(networks: dict, optimizers: dict, tensors: dict) -> None:
    """One clear line when a step gets something other than modules, optimizers, batches."""
    for name, value in networks.items():
        if not isinstance(value, nn.Module):
            raise TypeError(f"{name} must be a torch.nn.Module, not {type(value).__name__}")
    for name, value in optimizers.items():
        if not isinstance(value, torch.optim.Optimizer):
            raise TypeError(f"{name} must be a torch optimizer, not {type(value).__name__}")
    for name, value in tensors.items():
        if not isinstance(value, torch.Tensor) or value.ndim < 1 or len(value) == 0:
            raise TypeError(
                f"{name} must be a non-empty batch (a torch.Tensor), one row per sample"
            )


def discriminator_step(
    discriminator: nn.Module, d_opt: torch.optim.Optimizer, real: torch.Tensor, fake: torch.Tensor
) -> float:
    """One update of the discriminator; returns its loss ``L_D``.

    ``L_D = BCE(D(real), 1) + BCE(D(fake), 0)``, each a mean over its batch
    (binary cross-entropy on logits, :func:`torch.nn.functional.binary_cross_entropy_with_logits`):
    ``2 ln 2`` when D says 1/2 everywhere. ``fake`` is detached here, so no
    gradient reaches the generator that made it.

    Parameters
    ----------
    discriminator : nn.Module
        Points ``(B, ...)`` to logits ``(B,)``.
    d_opt : torch.optim.Optimizer
        The discriminator's optimizer.
    real, fake : Tensor of shape (B_real, ...) and (B_fake, ...)
    """
    _check_step_args(
        {"discriminator": discriminator}, {"d_opt": d_opt}, {"real": real, "fake": fake}
    )
    logits = discriminator(torch.cat([real, fake.detach()]))  # (B_real + B_fake,)
    real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
    loss = F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    d_opt.zero_grad()
    loss.backward()
    d_opt.step()
    return loss.item()


def generator_step(
    generator: nn.Module,
    discriminator: nn.Module,
    g_opt: torch.optim.Optimizer,
    z: torch.Tensor,
    *,
    loss: str = "non-saturating",
) -> float:
    """One update of the generator against ``discriminator``; returns its loss.

    ``loss="non-saturating"``: ``-mean log D(G(z))`` (the usual one, BCE with
    the label "real"); ``"saturating"``: ``mean log(1 - D(G(z)))``, the
    minimax loss, whose gradient vanishes while D wins. Only ``g_opt`` steps:
    the backward pass also leaves gradients on D's parameters, which the next
    :func:`discriminator_step` zeroes before it uses its own.
    """
    loss = check_choice("loss", loss, GAN_LOSSES)
    _check_step_args(
        {"generator": generator, "discriminator": discriminator}, {"g_opt": g_opt}, {"z": z}
    )
    logits = discriminator(generator(z))  # (B,)
    if loss == "non-saturating":
        value = F.softplus(-logits).mean()  # -log D(G(z)) = -log sigmoid(s) = softplus(-s)
    else:
        value = -F.softplus(logits).mean()  # log(1 - D(G(z))) = -softplus(s)
    g_opt.zero_grad()
    value.backward()
    g_opt.step()
    return value.item()


def gan_step(
    generator: nn.Module,
    discriminator: nn.Module,
    g_opt: torch.optim.Optimizer,
    d_opt: torch.optim.Optimizer,
    real: torch.Tensor,
    z: torch.Tensor,
    *,
    loss: str = "non-saturating",
) -> tuple[float, float]:
    """One iteration of the GAN game: a discriminator step, then a generator step.

    The discriminator learns to tell ``real`` from ``G(z)`` (the fake batch
    detached, so the generator is left alone), then the generator, through
    the *updated* discriminator and from the same noise ``z``, learns to make
    D say "real". Notebook 10's exercise ``gan-step`` is checked against it.

    Parameters
    ----------
    generator, discriminator : nn.Module
        Noise ``(B, noise_dim)`` to samples; samples to logits ``(B,)``.
    g_opt, d_opt : torch.optim.Optimizer
        Their optimizers.
    real : Tensor of shape (B_real, ...)
    z : Tensor of shape (B, noise_dim)
    loss : {"non-saturating", "saturating"}

    Returns
    -------
    (d_loss, g_loss) : tuple of float
    """
    _check_step_args(
        {"generator": generator, "discriminator": discriminator},
        {"g_opt": g_opt, "d_opt": d_opt},
        {"real": real, "z": z},
    )
    with torch.no_grad():
        fake = generator(z)  # (B, ...): no graph, the D step must not reach G
    d_loss = discriminator_step(discriminator, d_opt, real, fake)
    g_loss = generator_step(generator, discriminator, g_opt, z, loss=loss)
    return d_loss, g_loss


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
    diverged : str or None
        None while training is sound; once a loss or the generated points
        turn NaN or infinite, one line saying where (and :meth:`step` no
        longer trains until :meth:`reset`).
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
        self.target = check_choice("target", target, TARGETS)
        self.loss = check_choice("loss", loss, GAN_LOSSES)
        self.seed = check_int("seed", seed, low=0)
        self.noise_dim, self.g_width, self.d_width, self.depth, self.d_steps, self.batch = (
            check_positive_int(name, value)
            for name, value in [
                ("noise_dim", noise_dim),
                ("g_width", g_width),
                ("d_width", d_width),
                ("depth", depth),
                ("d_steps", d_steps),
                ("batch", batch),
            ]
        )
        self.g_lr = check_number("g_lr", g_lr, low=0, low_open=True)
        self.d_lr = check_number("d_lr", d_lr, low=0, low_open=True)
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
        self.diverged: str | None = None

    def noise(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise vectors, uniform on [-1, 1]^noise_dim; shape (n, noise_dim)."""
        g = self._rng if generator is None else generator
        return 2 * torch.rand(n, self.noise_dim, generator=g) - 1

    def _d_step(self) -> float:
        idx = torch.randint(len(self._real), (self.batch,), generator=self._rng)
        with torch.no_grad():
            fake = self.generator(self.noise(self.batch))  # (B, 2)
        return discriminator_step(self.discriminator, self.d_opt, self._real[idx], fake)

    def _g_step(self) -> float:
        z = self.noise(self.batch)  # fresh noise, as the original algorithm draws
        return generator_step(self.generator, self.discriminator, self.g_opt, z, loss=self.loss)

    def step(self, n: int = 1) -> float:
        """``n`` generator iterations, each after ``d_steps`` discriminator steps; the last G loss.

        Stops early, with :attr:`diverged` set, when a loss turns NaN or
        infinite; after that it trains no more (NaN weights stay NaN) and
        returns NaN until :meth:`reset`.
        """
        for _ in range(check_positive_int("n", n)):
            if self.diverged is not None:
                return float("nan")
            for _ in range(self.d_steps):
                d_loss = self._d_step()
            g_loss = self._g_step()
            self.iteration += 1
            self.history["iteration"].append(self.iteration)
            self.history["d_loss"].append(d_loss)
            self.history["g_loss"].append(g_loss)
            if not (np.isfinite(d_loss) and np.isfinite(g_loss)):
                self.diverged = (
                    f"the GAN diverged at iteration {self.iteration} (D loss {d_loss:.3g}, "
                    f"G loss {g_loss:.3g}): lower the learning rates and reset"
                )
        return self.history["g_loss"][-1]

    # --- looking at it ---------------------------------------------------------------

    @torch.no_grad()
    def samples(self, n: int = 500) -> np.ndarray:
        """The generator's points for the first ``n`` (<= 2000) of a fixed set of noise; (n, 2)."""
        n = check_int("n", n, low=1, high=len(self._fixed_noise))
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
        n = check_int("n", n, low=2)
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
        threshold = check_probability("threshold", threshold)
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
        NaN when the generator has diverged (a point is NaN or infinite):
        a histogram would drop those points and score the rest.
        """
        fake = self.samples(2000)
        if not np.isfinite(fake).all():
            if self.diverged is None:
                self.diverged = (
                    f"the generator's points are NaN or infinite at iteration {self.iteration}"
                )
            return float("nan")
        return js_divergence(self._real_hist, histogram2d(fake, extent=EXTENT))


def trace_modes(trainer: GanTrainer, *, blocks: int, every: int, n_samples: int = 500) -> dict:
    """Train ``blocks`` times ``every`` iterations, looking at the generator after each block.

    Parameters
    ----------
    trainer : GanTrainer
        On a target with modes (ring or grid); it keeps training from where it is.
    blocks, every : int
        How many looks, and generator iterations between two looks.
    n_samples : int, default 500
        Generated points kept per look (from the trainer's fixed noise), for plots.

    Returns
    -------
    dict
        ``"iteration"`` (list of int); ``"modes"`` (list of tuples: the indices
        of the modes covered, as :meth:`GanTrainer.modes_covered` counts them);
        ``"spread"`` (list of float: the mean standard deviation of 2,000
        generated points along x and y; a collapsed generator's is small);
        ``"samples"`` (list of arrays of shape (n_samples, 2)).
    """
    if not isinstance(trainer, GanTrainer) or trainer.n_modes is None:
        raise TypeError("trace_modes needs a GanTrainer on a target with modes (ring or grid)")
    blocks, every = check_positive_int("blocks", blocks), check_positive_int("every", every)
    n_samples = check_int("n_samples", n_samples, low=1, high=2000)
    centres, std = mode_centres(trainer.target), MODE_STD[trainer.target]
    out: dict[str, list] = {"iteration": [], "modes": [], "spread": [], "samples": []}
    for _ in range(blocks):
        trainer.step(every)
        points = trainer.samples(2000)
        shares = mode_shares(points, centres, std)
        out["iteration"].append(trainer.iteration)
        out["modes"].append(tuple(int(i) for i in np.flatnonzero(shares >= 0.02)))
        out["spread"].append(float(points.std(axis=0).mean()))
        out["samples"].append(points[:n_samples])
    return out
