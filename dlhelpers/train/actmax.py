"""Activation maximisation (notebook 12): the input a trained network likes most for one unit.

- :func:`maximise`: gradient *ascent* on the pixels (Adam), with the regularisers
  that make the result readable: random jitter, a small Gaussian blur every few
  steps, an L2 penalty and clamping to [0, 1] (Erhan et al., 2009; Yosinski et al.,
  2015, "Understanding neural networks through deep visualization");
- :func:`unit_activation`: how strongly an image excites that unit;
- :func:`class_probabilities`: the softmax of the logits on one image;
- :func:`starting_noise`: the seeded noise :func:`maximise` starts from.

A unit is a class logit (``layer=-1``, the head) or the mean activation of one
channel right after a conv layer (``layer`` = the index of an ``nn.Conv2d`` in an
``nn.Sequential``; 0 and 3 in :func:`~dlhelpers.train.models.lenet`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.train.batches import model_dtype_device
from dlhelpers.train.frozen import frozen
from dlhelpers.validate import check_finite_array, check_int, check_number

__all__ = ["class_probabilities", "maximise", "starting_noise", "unit_activation"]

#: Blur every this many steps: often enough to smooth, rarely enough to let detail grow.
BLUR_EVERY = 4


def _target(model: nn.Module, unit, layer) -> tuple[int, int, nn.Module | None]:
    """Check ``model``, ``layer`` and ``unit``; return them and the layers up to the conv (or None)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    layer = check_int("layer", layer, low=-1)
    if layer == -1:
        dtype, device = model_dtype_device(model)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            n_units = model(torch.zeros(1, 1, 28, 28, dtype=dtype, device=device)).shape[1]
        model.train(was_training)
        module = None
    else:
        convs = (
            [i for i, m in enumerate(model) if isinstance(m, nn.Conv2d)]
            if isinstance(model, nn.Sequential)
            else []
        )
        if layer not in convs:
            raise ValueError(
                f"layer={layer} is not -1 (the head) nor the index of a conv layer"
                f" (here: {', '.join(map(str, convs)) or 'none'})"
            )
        n_units = model[layer].out_channels
        module = model[: layer + 1]  # the layers up to the conv: what comes after is not needed
    unit = check_int("unit", unit)
    if not 0 <= unit < n_units:
        raise ValueError(f"unit={unit} is out of range for layer {layer}: 0..{n_units - 1}")
    return unit, layer, module


def _activation(model: nn.Module, x: torch.Tensor, unit, module: nn.Module | None):
    """The unit's value on the batch ``x`` (N, 1, 28, 28): a logit or a channel's mean.

    ``unit`` is one int for every image, or a tensor (N,) of one unit per image.
    ``module`` is None for the head, else the model's layers up to the conv layer (run
    alone: the layers after it cannot change its output, and skipping them is faster).
    """
    out = model(x) if module is None else module(x)  # (N, C) or (N, C, H, W)
    if isinstance(unit, torch.Tensor):
        out = out[torch.arange(len(x), device=out.device), unit]  # image i's unit i
    else:
        out = out[:, unit]
    return out if module is None else out.mean(dim=(1, 2))  # (N,)


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """A separable Gaussian blur of (N, 1, H, W) with edges replicated."""
    radius = max(1, math.ceil(2 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    x = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1))  # along the rows
    return F.conv2d(x, k.view(1, 1, -1, 1))  # along the columns


def starting_noise(seed: int = 0) -> np.ndarray:
    """The small seeded noise that :func:`maximise` starts from: (28, 28), float32, in [0, 0.1]."""
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    return (0.1 * torch.rand(28, 28, generator=gen)).numpy()


def maximise(
    model: nn.Module,
    unit: int,
    *,
    layer: int = -1,
    steps: int = 100,
    lr: float = 0.1,
    jitter: int = 2,
    blur: float = 0.5,
    l2: float = 1e-3,
    seed: int = 0,
) -> np.ndarray:
    """The image that excites one unit most: gradient ascent on ``activation - l2 * ||x||^2``.

    Parameters
    ----------
    model : nn.Module
        Maps (N, 1, 28, 28) images to logits (e.g. :func:`~dlhelpers.train.models.lenet`).
        Used in eval mode, mode restored; its parameters get no gradients.
    unit : int, or a sequence of int
        A class (``layer=-1``) or a channel of the conv layer ``layer``. A sequence
        ascends one image per unit in one batch: the images do not interact, so each
        is the one a call of its own gives (to float rounding), in a fraction of the time.
    layer : int, default -1
        -1 for the head's logits, or the index of an ``nn.Conv2d`` in an
        ``nn.Sequential`` (its output before the ReLU: the channel's mean is maximised).
    steps : int, default 100
        Adam steps, >= 0 (0 returns the starting noise).
    lr : float, default 0.1
        Adam's learning rate, > 0.
    jitter : int, default 2
        Each step the image is rolled by up to this many pixels in both directions,
        so no single pixel pattern can win (0 = off).
    blur : float, default 0.5
        Sigma of a Gaussian blur applied every :data:`BLUR_EVERY` steps (0 = off).
    l2 : float, default 1e-3
        Weight of the penalty on the squared norm of the image (0 = off).
    seed : int, default 0
        Seed of the starting noise (:func:`starting_noise`) and of the jitter.

    Returns
    -------
    ndarray of shape (28, 28), or (len(unit), 28, 28) for a sequence, float32
        Pixels in [0, 1].
    """
    one, which, layer, module = _units(model, unit, layer)
    steps, jitter = check_int("steps", steps, low=0), check_int("jitter", jitter, low=0)
    seed, lr = check_int("seed", seed, low=0), check_number("lr", lr, low=0, low_open=True)
    blur, l2 = check_number("blur", blur, low=0), check_number("l2", l2, low=0)
    dtype, device = model_dtype_device(model)
    which = which if one else which.to(device)
    x = torch.as_tensor(starting_noise(seed), dtype=dtype, device=device)[None, None]
    x = x.repeat(1 if one else len(which), 1, 1, 1).requires_grad_(True)  # (n, 1, 28, 28)
    gen = torch.Generator().manual_seed(seed + 1)
    shifts = torch.randint(-jitter, jitter + 1, (steps, 2), generator=gen).tolist()
    with frozen(model):  # only d activation / d x is wanted
        _ascend(model, x, which, module, shifts, lr=lr, blur=blur, l2=l2)
    out = x.detach()[:, 0].cpu().numpy().astype(np.float32)
    return out[0] if one else out


def _units(model: nn.Module, unit, layer) -> tuple[bool, Any, int, nn.Module | None]:
    """(one unit?, the unit or a tensor of them, layer, module) for :func:`maximise`, checked."""
    if isinstance(unit, str) or np.ndim(unit) == 0:  # a str is refused as a unit by _target
        unit, layer, module = _target(model, unit, layer)
        return True, unit, layer, module
    units = [_target(model, u, layer) for u in unit]
    if not units:
        raise ValueError("unit is an empty sequence: give at least one unit")
    return False, torch.tensor([u for u, _, _ in units]), units[0][1], units[0][2]


def _ascend(model, x, unit, module, shifts, *, lr: float, blur: float, l2: float) -> None:
    """Adam steps on ``x`` in place, one per ``(dy, dx)`` jitter: the loop of :func:`maximise`."""
    opt = torch.optim.Adam([x], lr=lr, maximize=True)
    for step, (dy, dx) in enumerate(shifts):
        seen = torch.roll(x, (dy, dx), dims=(2, 3)) if dy or dx else x
        objective = _activation(model, seen, unit, module).sum() - l2 * (x**2).sum()
        opt.zero_grad(set_to_none=True)
        objective.backward()
        opt.step()
        with torch.no_grad():
            if blur and (step + 1) % BLUR_EVERY == 0:
                x.copy_(_blur(x, blur))
            x.clamp_(0.0, 1.0)


def _image(model: nn.Module, x) -> torch.Tensor:
    """``x`` as a (N, 1, 28, 28) batch in the model's dtype; NaN or inf refused."""
    dtype, device = model_dtype_device(model)
    x = check_finite_array("x", x.detach().cpu() if isinstance(x, torch.Tensor) else x)
    x = torch.as_tensor(x, dtype=dtype, device=device)
    if x.shape == (28, 28):
        x = x[None, None]
    if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
        raise ValueError(f"x must have shape (28, 28) or (N, 1, 28, 28), not {tuple(x.shape)}")
    return x


def unit_activation(model: nn.Module, x, unit: int, layer: int = -1) -> float | np.ndarray:
    """How strongly ``x`` excites the unit that :func:`maximise` would maximise.

    Parameters
    ----------
    x : array_like of shape (28, 28) or (N, 1, 28, 28)

    Returns
    -------
    float, or ndarray of shape (N,) for a batch
        The class logit (``layer=-1``) or the channel's mean activation.
    """
    unit, layer, module = _target(model, unit, layer)
    batch = np.ndim(x) == 4
    xt = _image(model, x)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = _activation(model, xt, unit, module).cpu().numpy()
    finally:
        model.train(was_training)
    return out if batch else float(out[0])


def class_probabilities(model: nn.Module, x) -> np.ndarray:
    """The softmax of the logits on one image ``x`` of shape (28, 28): ndarray of shape (n_classes,)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    xt = _image(model, x)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return torch.softmax(model(xt), dim=1)[0].cpu().numpy()
    finally:
        model.train(was_training)
