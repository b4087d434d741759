"""Diffusion on small digits (notebook 14): a tiny U-Net denoiser and its shipped checkpoint.

:class:`TinyUNet` predicts the noise in 14 x 14 digit images (the MNIST
sample pooled 2 x 2, scaled to [-1, 1] by :func:`digit_data`), conditioned on
the time step; it trains with :func:`dlhelpers.train.diffusion.train_denoiser`
and samples with :func:`dlhelpers.train.diffusion.sample`. A longer run than
a notebook can afford is shipped as a checkpoint made by
``scripts/make_diffusion_checkpoint.py`` (seeded, on the offline MNIST
sample) and loaded by :func:`load_digit_denoiser`, which checks its SHA-256
and loads it with ``weights_only=True`` (tensors only, no pickled code).
"""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import nn

from dlhelpers.scratch.diffusion import beta_schedule
from dlhelpers.train.diffusion import time_features
from dlhelpers.validate import check_positive_int

__all__ = [
    "CHECKPOINT",
    "CHECKPOINT_SHA256",
    "DIGIT_RECIPE",
    "TinyUNet",
    "digit_betas",
    "digit_data",
    "load_digit_denoiser",
    "weights_digest",
]

#: How the checkpoint was made (``scripts/make_diffusion_checkpoint.py`` reads it too).
DIGIT_RECIPE = {
    "steps": 200,
    "schedule": "squaredcos_cap_v2",
    "channels": 32,
    "iterations": 6000,
    "batch": 64,
    "lr": 2e-3,
    "seed": 0,
}
#: The checkpoint, inside the package (``dlhelpers/data/checkpoints/``).
CHECKPOINT = "diffusion_digits.pt"
#: The SHA-256 of the weights themselves (:func:`weights_digest`): what a rerun of the script
#: on the same kind of machine reproduces. The file's own bytes are not reproducible (torch
#: writes a random serialization id into every file), so the file has its own checksum below.
WEIGHTS_SHA256 = "d329bc73ff6f22f201f2da141a6d1c56978975c64e6051bd9f33febe6d7993f9"
CHECKPOINT_SHA256 = "6df1f7fa8adad305d9ec63698b7ed00cba01d6be708862821bc89f2d17499799"


class TinyUNet(nn.Module):
    """A two-level U-Net for (B, 1, 14, 14) images: ``(x_t, t) -> eps`` of the same shape.

    14 x 14 with ``channels`` maps, down to 7 x 7 with twice as many, up again
    and joined with the 14 x 14 maps (the U's skip connection). The time step
    enters as sinusoidal features through a small MLP, added to both levels.
    """

    def __init__(self, steps: int, *, channels: int = 32, time_dim: int = 32):
        super().__init__()
        self.steps, self.time_dim = check_positive_int("steps", steps), time_dim
        c = check_positive_int("channels", channels)
        self.time = nn.Sequential(nn.Linear(time_dim, 64), nn.SiLU(), nn.Linear(64, 64))
        self.inc, self.enc = nn.Conv2d(1, c, 3, padding=1), nn.Conv2d(c, c, 3, padding=1)
        self.down = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)  # 14 -> 7
        self.mid = nn.Conv2d(2 * c, 2 * c, 3, padding=1)
        self.up = nn.ConvTranspose2d(2 * c, c, 2, stride=2)  # 7 -> 14
        self.dec, self.out = nn.Conv2d(2 * c, c, 3, padding=1), nn.Conv2d(c, 1, 3, padding=1)
        self.t1, self.t2 = nn.Linear(64, c), nn.Linear(64, 2 * c)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = F.silu(self.time(time_features(t, self.steps, self.time_dim)))  # (B, 64)
        h1 = F.silu(self.inc(x))  # (B, c, 14, 14)
        h1 = F.silu(self.enc(h1) + self.t1(e)[:, :, None, None])
        h2 = F.silu(self.down(h1))  # (B, 2c, 7, 7)
        h2 = F.silu(self.mid(h2) + self.t2(e)[:, :, None, None])
        u = F.silu(self.up(h2))  # (B, c, 14, 14)
        return self.out(F.silu(self.dec(torch.cat([u, h1], dim=1))))  # (B, 1, 14, 14)


def digit_data(images: ArrayLike) -> np.ndarray:
    """uint8 digits (n, 28, 28) to (n, 1, 14, 14) float32 in [-1, 1]: 2 x 2 means, then scaled."""
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (n, 28, 28), not {x.shape}")
    x = x.reshape(len(x), 14, 2, 14, 2).mean(axis=(2, 4)) / 255.0
    return (2 * x - 1)[:, None]


def digit_betas(steps: int | None = None) -> np.ndarray:
    """The schedule the checkpoint was trained with (cosine, :data:`DIGIT_RECIPE` steps)."""
    steps = DIGIT_RECIPE["steps"] if steps is None else check_positive_int("steps", steps)
    return beta_schedule(steps, DIGIT_RECIPE["schedule"])


def weights_digest(state: dict) -> str:
    """SHA-256 of a state dict's names, shapes and float32 values, in order: same weights, same digest."""
    h = hashlib.sha256()
    for name, tensor in state.items():
        h.update(f"{name}{tuple(tensor.shape)}".encode())
        h.update(tensor.detach().to(torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()


def load_digit_denoiser(path=None) -> TinyUNet:
    """The shipped :class:`TinyUNet`, its SHA-256 checked, loaded with ``weights_only=True``.

    ``path`` (default: the checkpoint in the package) is for tests. Raises
    ``ValueError`` if the file's checksum is not :data:`CHECKPOINT_SHA256`.
    """
    if path is None:
        ref = resources.files("dlhelpers.data") / "checkpoints" / CHECKPOINT
        with resources.as_file(ref) as found:
            return load_digit_denoiser(found)
    blob = open(path, "rb").read()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != CHECKPOINT_SHA256:
        raise ValueError(
            f"{path} has SHA-256 {digest[:12]}..., not the shipped checkpoint's "
            f"{CHECKPOINT_SHA256[:12]}...: remake it with scripts/make_diffusion_checkpoint.py"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = TinyUNet(DIGIT_RECIPE["steps"], channels=DIGIT_RECIPE["channels"])
    model.load_state_dict(state)
    return model.eval()
