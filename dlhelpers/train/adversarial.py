"""Adversarial examples (notebook 12): the fast gradient sign method and training against it.

- :func:`fgsm`: one step of size ``eps`` along the sign of the loss gradient
  (Goodfellow, Shlens & Szegedy, 2015), kept in the [0, 1] pixel range;
- :func:`flip_rate`: the share of correctly classified images whose prediction
  an FGSM step of each size changes;
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
from dlhelpers.validate import check_int, check_number, check_positive_int, check_probability

__all__ = ["adversarial_finetune", "fgsm", "flip_rate"]


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


def _predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(1)


def flip_rate(
    model: nn.Module, X, y, eps_values: Sequence[float], *, batch_size: int = 500
) -> np.ndarray:
    """Share of the correctly classified images whose prediction FGSM with each ``eps`` changes.

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
                flipped[k] += int((_predict(model, _step(model, xb, yb, eps)) != yb).sum())
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
) -> nn.Module:
    """A copy of ``model`` trained on a 50/50 mix of clean and FGSM images (Goodfellow et al., 2015).

    Each batch of ``batch_size`` images is attacked with the current weights;
    the loss is the mean of the clean and the adversarial cross-entropy. Adam
    with learning rate ``lr``; the order of the batches is drawn from ``seed``.

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
    net = copy.deepcopy(model)
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=gen).to(X.device)
        for i in range(0, len(X), batch_size):
            xb, yb = X[order[i : i + batch_size]], y[order[i : i + batch_size]]
            x_adv = _step(net, xb, yb, eps)
            loss = 0.5 * (F.cross_entropy(net(xb), yb) + F.cross_entropy(net(x_adv), yb))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    opt.zero_grad(set_to_none=True)
    return net.eval()
