"""The losses of a GAN in plain NumPy, on logits, with their gradients (notebook 10).

Taught in ``10_generative_adversarial_networks.ipynb``. Everything is built on
one stable binary cross-entropy on logits, the twin of
``torch.nn.functional.binary_cross_entropy_with_logits`` (mean reduction)::

    bce(z, y) = mean( max(z, 0) - z y + log(1 + exp(-|z|)) )      # = -[y log s(z) + (1-y) log(1-s(z))]
    d bce / d z = (sigmoid(z) - y) / n

With ``D = sigmoid(logit)`` the discriminator's probability that a point is real:

- discriminator: ``bce(real_logits, 1) + bce(fake_logits, 0)``, i.e. ``-log D(x) - log(1 - D(G(z)))``;
- generator, saturating (the original minimax game): ``log(1 - D(G(z)))``, minimised;
- generator, non-saturating (what everyone uses): ``-log D(G(z))``, i.e. ``bce(fake_logits, 1)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import sigmoid
from dlhelpers.validate import check_choice

__all__ = ["GENERATOR_LOSSES", "bce_with_logits", "discriminator_loss", "generator_loss"]

GENERATOR_LOSSES = ("non-saturating", "saturating")


def _logits(z: ArrayLike, name: str) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.size == 0:
        raise ValueError(f"{name} is empty: a loss needs at least one logit")
    return z


def bce_with_logits(logits: ArrayLike, targets: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy on logits and its gradient. Twin of ``F.binary_cross_entropy_with_logits``.

    Parameters
    ----------
    logits : array_like of shape (n,) or any shape
    targets : array_like of logits' shape (or a scalar), values in [0, 1]

    Returns
    -------
    loss : float
    grad : ndarray of logits' shape
        ``d loss / d logits = (sigmoid(logits) - targets) / n``.
    """
    z = _logits(logits, "logits")
    y = np.broadcast_to(np.asarray(targets, dtype=np.float64), z.shape)
    if np.any((y < 0) | (y > 1)) or not np.all(np.isfinite(y)):
        raise ValueError("targets must be probabilities between 0 and 1")
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))  # stable for any |z|
    return float(loss.mean()), (sigmoid(z) - y) / z.size


def discriminator_loss(
    real_logits: ArrayLike, fake_logits: ArrayLike
) -> tuple[float, np.ndarray, np.ndarray]:
    """``-mean log D(x) - mean log(1 - D(G(z)))`` and its gradients on both sets of logits.

    Returns
    -------
    loss : float
    grad_real : ndarray of real_logits' shape
    grad_fake : ndarray of fake_logits' shape
    """
    real, g_real = bce_with_logits(_logits(real_logits, "real_logits"), 1.0)
    fake, g_fake = bce_with_logits(_logits(fake_logits, "fake_logits"), 0.0)
    return real + fake, g_real, g_fake


def generator_loss(
    fake_logits: ArrayLike, kind: str = "non-saturating"
) -> tuple[float, np.ndarray]:
    """The generator's loss on the discriminator's logits for generated points, and its gradient.

    Parameters
    ----------
    fake_logits : array_like
        The discriminator's logits ``D`` sees for ``G(z)``.
    kind : {"non-saturating", "saturating"}
        ``-mean log D(G(z))`` or ``mean log(1 - D(G(z)))``.

    Returns
    -------
    loss : float
    grad : ndarray of fake_logits' shape
    """
    kind = check_choice("kind", kind, GENERATOR_LOSSES)
    z = _logits(fake_logits, "fake_logits")
    if kind == "non-saturating":
        return bce_with_logits(z, 1.0)
    loss, grad = bce_with_logits(z, 0.0)  # -mean log(1 - D): minimising log(1 - D) is its negative
    return -loss, -grad
