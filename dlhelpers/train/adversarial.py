"""Adversarial examples (notebook 12): the fast gradient sign method and training against it.

- :func:`fgsm`: one step of size ``eps`` along the sign of the loss gradient
  (Goodfellow, Shlens & Szegedy, 2015), kept in the [0, 1] pixel range;
- :func:`pgd`: projected gradient descent (Madry et al., 2018), a stronger attack
  within the same budget: several smaller sign steps, each projected back to within
  ``eps`` of the image;
- :func:`flip_rate`: the share of correctly classified images whose prediction
  an attack (FGSM or PGD) of each size changes;
- :func:`adversarial_finetune`: training on a 50/50 mix of clean and FGSM images,
  on a copy of the model.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.train.batches import model_dtype_device
from dlhelpers.train.frozen import frozen
from dlhelpers.validate import (
    check_choice,
    check_int,
    check_number,
    check_positive_int,
    check_probability,
)

__all__ = ["adversarial_finetune", "ATTACKS", "fgsm", "flip_rate", "pgd"]

#: The attacks :func:`flip_rate` knows.
ATTACKS = ("fgsm", "pgd")


def _data(model: nn.Module, X, y) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    dtype, device = model_dtype_device(model)
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X.detach())
    y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y.detach())
    if X.ndim != 4 or len(X) == 0:
        raise ValueError(f"X must have shape (N, C, H, W) with N >= 1, not {tuple(X.shape)}")
    if y.shape != (len(X),) or y.dtype.is_floating_point or y.dtype == torch.bool:
        raise ValueError(f"y must be {len(X)} integer labels, not shape {tuple(y.shape)}")
    X = X.to(device=device, dtype=dtype)
    if not torch.isfinite(X).all():
        raise ValueError("X holds NaN or inf values: clean the images first")
    if X.min() < 0 or X.max() > 1:
        raise ValueError("X must hold pixels in [0, 1] (scale uint8 images by 1/255 first)")
    return X, y.to(device=device, dtype=torch.long)


def _step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """The FGSM image for a checked batch; the model's mode and parameter grads untouched."""
    x = x.detach().requires_grad_(True)
    with frozen(model, eval_mode=False):  # only d loss / d x is needed: no .grad on the weights
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
    return (x.detach() + eps * g.sign()).clamp(0.0, 1.0)


def fgsm(model: nn.Module, x, y, eps: float) -> torch.Tensor:
    """``clamp(x + eps * sign(d loss / d x), 0, 1)``, the loss being cross-entropy with labels ``y``.

    Parameters
    ----------
    model : nn.Module
        Maps (N, 1, 28, 28) images to logits; used in eval mode, mode restored.
    x : array_like of shape (N, 1, 28, 28)
        Pixels in [0, 1].
    y : array_like of shape (N,), int
        The true labels (the step climbs their loss).
    eps : float
        Largest change of a pixel, in [0, 1].

    Returns
    -------
    Tensor of shape (N, 1, 28, 28)
        Each pixel moved by at most ``eps`` and kept in [0, 1].
    """
    eps = check_probability("eps", eps)
    x, y = _data(model, x, y)
    with frozen(model):
        return _step(model, x, y, eps)


def _pgd(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int, alpha: float
) -> torch.Tensor:
    """PGD for a checked batch: ``steps`` sign steps of ``alpha``, each put back in the eps-box."""
    x_adv = x.detach()
    for _ in range(steps):
        x_adv = _step(model, x_adv, y, alpha)  # in [0, 1]
        x_adv = torch.minimum(torch.maximum(x_adv, x - eps), x + eps)  # stays in [0, 1] too
    return x_adv


def _steps_alpha(eps: float, steps: int, alpha: float | None) -> tuple[int, float]:
    steps = check_positive_int("steps", steps)
    if alpha is None:
        return steps, min(eps, 2.5 * eps / steps)
    return steps, check_probability("alpha", alpha)


def pgd(model: nn.Module, x, y, eps: float, *, steps: int = 10, alpha: float | None = None):
    """Projected gradient descent: ``steps`` FGSM steps of size ``alpha``, kept within ``eps`` of ``x``.

    After each step every pixel is put back into ``[x - eps, x + eps]`` (the
    projection) and into [0, 1], so the attack has FGSM's budget but can turn
    where the loss bends. It starts at ``x`` itself (Madry et al. also start at
    a random point of the box). ``steps=1, alpha=eps`` is :func:`fgsm`.

    Parameters
    ----------
    eps : float
        Largest change of a pixel, in [0, 1].
    steps : int, default 10
    alpha : float, optional
        Size of each step; default ``min(eps, 2.5 * eps / steps)`` (Madry et al.'s rule).

    Returns
    -------
    Tensor of shape (N, 1, 28, 28)
    """
    eps = check_probability("eps", eps)
    steps, alpha = _steps_alpha(eps, steps, alpha)
    x, y = _data(model, x, y)
    with frozen(model):
        return _pgd(model, x, y, eps, steps, alpha)


def _predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(1)


def flip_rate(
    model: nn.Module,
    X,
    y,
    eps_values: Sequence[float],
    *,
    batch_size: int = 500,
    attack: str = "fgsm",
    steps: int = 10,
) -> np.ndarray:
    """Share of the correctly classified images whose prediction an attack of each ``eps`` changes.

    Parameters
    ----------
    attack : {"fgsm", "pgd"}
        One FGSM step, or :func:`pgd` with ``steps`` steps (and its default step size).

    Returns
    -------
    ndarray of shape (len(eps_values),), float64
        In [0, 1]; NaN where no image was classified correctly.
    """
    eps_values = [
        check_probability("eps", e)
        for e in np.atleast_1d(np.asarray(eps_values, dtype=object)).tolist()
    ]
    if not eps_values:
        raise ValueError("eps_values is empty: give at least one eps")
    batch_size = check_positive_int("batch_size", batch_size)
    attack = check_choice("attack", attack, ATTACKS)
    steps = check_positive_int("steps", steps)
    X, y = _data(model, X, y)
    was_training = model.training
    model.eval()
    flipped, correct = np.zeros(len(eps_values)), 0
    try:
        for i in range(0, len(X), batch_size):
            xb, yb = X[i : i + batch_size], y[i : i + batch_size]
            ok = _predict(model, xb) == yb
            if not ok.any():
                continue
            xb, yb = xb[ok], yb[ok]  # only images the model gets right can be flipped
            correct += len(yb)
            for k, eps in enumerate(eps_values):
                if attack == "fgsm":
                    x_adv = _step(model, xb, yb, eps)
                else:
                    x_adv = _pgd(model, xb, yb, eps, *_steps_alpha(eps, steps, None))
                flipped[k] += int((_predict(model, x_adv) != yb).sum())
    finally:
        model.train(was_training)
    return flipped / correct if correct else np.full(len(eps_values), np.nan)


def adversarial_finetune(
    model: nn.Module,
    X,
    y,
    *,
    eps: float,
    epochs: int = 1,
    lr: float = 1e-3,
    seed: int = 0,
    batch_size: int = 64,
    images_per_epoch: int | None = None,
) -> nn.Module:
    """A copy of ``model`` trained on a 50/50 mix of clean and FGSM images (Goodfellow et al., 2015).

    Each batch of ``batch_size`` images is attacked with the current weights;
    the loss is the mean of the clean and the adversarial cross-entropy. Adam
    with learning rate ``lr``; the order of the batches is drawn from ``seed``.
    ``images_per_epoch`` (default all) cuts each epoch to the first that many
    images of its shuffled order: a random part of the data, drawn from ``seed``.

    Returns
    -------
    nn.Module
        The trained copy, in eval mode; ``model`` itself is unchanged.
    """
    eps = check_probability("eps", eps)
    epochs, batch_size = (
        check_positive_int("epochs", epochs),
        check_positive_int("batch_size", batch_size),
    )
    lr, seed = check_number("lr", lr, low=0, low_open=True), check_int("seed", seed, low=0)
    X, y = _data(model, X, y)
    n = (
        len(X)
        if images_per_epoch is None
        else check_positive_int("images_per_epoch", images_per_epoch)
    )
    net = copy.deepcopy(model)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=gen)[:n].to(X.device)
        for i in range(0, len(order), batch_size):
            xb, yb = X[order[i : i + batch_size]], y[order[i : i + batch_size]]
            x_adv = _step(net, xb, yb, eps)
            loss = 0.5 * (F.cross_entropy(net(xb), yb) + F.cross_entropy(net(x_adv), yb))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    opt.zero_grad(set_to_none=True)
    return net.eval()
