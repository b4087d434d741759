"""A small GAN that draws digits (notebook 10): two MLPs and a seeded training loop.

The 2-D GAN of the same notebook is in :mod:`dlhelpers.train.gan`; this is
the same game on 28 x 28 images: :class:`DigitGenerator` turns noise into an
image through ``tanh`` (pixels in [-1, 1], so the real images are scaled to
[-1, 1] too), :class:`DigitDiscriminator` scores an image, and
:func:`train_digit_gan` plays the game with the non-saturating loss and Adam
(betas 0.5, 0.999), keeping samples from fixed noise as it goes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dlhelpers.validate import check_int, check_number, check_positive_int

__all__ = ["DigitDiscriminator", "DigitGenerator", "interpolate", "train_digit_gan"]


class DigitGenerator(nn.Module):
    """Noise ``(B, noise_dim)`` to images ``(B, 28, 28)`` in [-1, 1]: an MLP ending in tanh."""

    def __init__(self, noise_dim: int = 64, hidden: Sequence[int] = (256,)):
        super().__init__()
        self.noise_dim = check_positive_int("noise_dim", noise_dim)
        sizes = [noise_dim, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.Linear(sizes[-1], 784), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, 28, 28)  # (B, 28, 28)


class DigitDiscriminator(nn.Module):
    """Images ``(B, 28, 28)`` in [-1, 1] to one logit each ``(B,)``."""

    def __init__(self, hidden: Sequence[int] = (256,)):
        super().__init__()
        sizes = [784, *hidden]
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers, nn.Linear(sizes[-1], 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(len(x), 784)).squeeze(1)  # (B,)


def _to_unit(images: torch.Tensor) -> np.ndarray:
    return ((images.detach() + 1) / 2).clamp(0, 1).numpy()


def train_digit_gan(
    images: np.ndarray,
    *,
    iterations: int = 2000,
    batch: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    noise_dim: int = 64,
    snapshots: Sequence[int] = (0, 250, 500, 1000, 2000),
    n_samples: int = 16,
    g_hidden: Sequence[int] = (256,),
    d_hidden: Sequence[int] = (256,),
) -> tuple[DigitGenerator, dict[int, np.ndarray], dict[str, list]]:
    """Train a digit GAN on ``images`` for a fixed number of iterations.

    The defaults (one hidden layer of 256 on each side, about 220k and 200k
    parameters) draw speckled but mostly recognisable digits after 2,000
    iterations, about 10 s on one thread with the 4,000-image offline sample.

    Parameters
    ----------
    images : ndarray of shape (N, 28, 28), uint8
        The real digits (pixels 0..255), scaled here to [-1, 1]; other dtypes
        are refused (floats in [0, 1] would be scaled wrong).
    iterations, batch, n_samples, noise_dim : int, at least 1
        Generator steps (each after one discriminator step), real and fake images per
        step, images per snapshot, length of the generator's Gaussian noise.
    lr, seed : float, int
        Adam's step size for both networks; seeds the weights, the batches and the
        noise (same seed and thread count, same run).
    snapshots : sequence of int
        Iterations (0 = untrained) at which to keep samples from a fixed noise.
    g_hidden, d_hidden : sequence of int
        Hidden layer widths of the generator and the discriminator.

    Returns
    -------
    generator : DigitGenerator, in eval mode
    snapshots : dict of int to ndarray of shape (n_samples, 28, 28)
        Samples from the same noise at each requested iteration, pixels in [0, 1].
    history : dict of str to list
        ``"iteration"``, ``"d_loss"``, ``"g_loss"``, and ``"d_real"``,
        ``"d_fake"`` (D's mean probability of "real" on each batch). If a loss
        turns NaN or infinite, training stops there (one printed line says
        so): the history ends with that NaN, and no later snapshot is kept.
    """
    real = torch.as_tensor(_check_images(images), dtype=torch.float32) / 127.5 - 1  # in [-1, 1]
    counts = dict(iterations=iterations, batch=batch, n_samples=n_samples, noise_dim=noise_dim)
    iterations, batch, n_samples, noise_dim = (check_positive_int(*kv) for kv in counts.items())
    lr, seed = check_number("lr", lr, low=0, low_open=True), check_int("seed", seed, low=0)
    wanted = sorted({check_int("snapshots", s) for s in snapshots})
    if wanted and not 0 <= wanted[0] <= wanted[-1] <= iterations:
        raise ValueError(f"snapshots must lie in 0..{iterations}, not {list(snapshots)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G, D = DigitGenerator(noise_dim, g_hidden), DigitDiscriminator(d_hidden)
    fixed = torch.randn(n_samples, noise_dim, generator=torch.Generator().manual_seed(seed + 1))
    kept, history = _Game(G, D, lr, batch, seed).run(real, iterations, wanted, fixed)
    return G.eval(), kept, history


def _check_images(images) -> np.ndarray:
    """``images`` as (N, 28, 28) uint8: floats would be scaled as if they were 0..255."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) < 1:
        raise ValueError(f"images must have shape (N, 28, 28), not {images.shape}")
    if images.dtype != np.uint8:
        raise TypeError(
            f"images must be uint8 grey levels 0..255 (as load_mnist gives them), not "
            f"{images.dtype}: convert floats in [0, 1] with (255 * images).round().astype(np.uint8)"
        )
    return images


class _Game:
    """One round of the GAN game on digits: a D step on real and fake images, then a G step."""

    KEYS = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, G, D, lr: float, batch: int, seed: int):
        self.G, self.D, self.batch = G, D, batch
        self.rng = torch.Generator().manual_seed(seed)  # the batches and the noise
        self.g_opt = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
        self.ones, self.zeros = torch.ones(batch), torch.zeros(batch)

    def run(self, real: torch.Tensor, iterations: int, wanted: list[int], fixed: torch.Tensor):
        """``iterations`` rounds, samples of ``fixed`` noise at the ``wanted`` ones; stops at a NaN loss."""
        kept: dict[int, np.ndarray] = {}
        history: dict[str, list] = {k: [] for k in ("iteration", *self.KEYS)}
        for i in range(iterations + 1):
            if i:
                history["iteration"].append(i)
                for key, value in self.play(real).items():
                    history[key].append(value)
                if not (np.isfinite(history["d_loss"][-1]) and np.isfinite(history["g_loss"][-1])):
                    print(
                        f"the GAN diverged at iteration {i}: its losses became NaN or infinite; "
                        "stopped there (lower lr)"
                    )
                    break
            if i in wanted:
                with torch.no_grad():
                    kept[i] = _to_unit(self.G(fixed))
        return kept, history

    def play(self, real: torch.Tensor) -> dict[str, float]:
        """One iteration; the losses and D's mean probability of "real" on each batch."""
        G, D, batch = self.G, self.D, self.batch
        x = real[torch.randint(len(real), (batch,), generator=self.rng)]  # (B, 28, 28)
        fake = G(torch.randn(batch, G.noise_dim, generator=self.rng))  # (B, 28, 28)
        real_logits, fake_logits = D(x), D(fake.detach())
        d_loss = F.binary_cross_entropy_with_logits(
            real_logits, self.ones
        ) + F.binary_cross_entropy_with_logits(fake_logits, self.zeros)
        self.d_opt.zero_grad()
        d_loss.backward()
        self.d_opt.step()
        g_loss = F.softplus(-D(fake)).mean()  # non-saturating: -log D(G(z))
        self.g_opt.zero_grad()
        g_loss.backward()
        self.g_opt.step()
        return {
            "d_loss": d_loss.item(),
            "g_loss": g_loss.item(),
            "d_real": torch.sigmoid(real_logits).mean().item(),
            "d_fake": torch.sigmoid(fake_logits).mean().item(),
        }


@torch.no_grad()
def interpolate(generator: DigitGenerator, z0, z1, steps: int = 8) -> np.ndarray:
    """Images along the straight line from noise ``z0`` to ``z1``; (steps, 28, 28) in [0, 1]."""
    z0 = torch.as_tensor(np.asarray(z0), dtype=torch.float32).reshape(-1)
    z1 = torch.as_tensor(np.asarray(z1), dtype=torch.float32).reshape(-1)
    if z0.shape != z1.shape or len(z0) != generator.noise_dim:
        raise ValueError(
            f"z0 and z1 must both have {generator.noise_dim} numbers, not {len(z0)} and {len(z1)}"
        )
    steps = check_int("steps", steps, low=2)
    t = torch.linspace(0, 1, steps)[:, None]  # (steps, 1)
    return _to_unit(generator((1 - t) * z0 + t * z1))
