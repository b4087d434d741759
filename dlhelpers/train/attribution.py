"""Which pixels made the model say that? Attribution maps on torch autograd (notebook 12).

- :func:`saliency`: the gradient of the target logit with respect to the input pixels
  (Simonyan et al., 2014), the twin of ``captum.attr.Saliency``;
- :func:`smoothgrad`: saliency averaged over noisy copies of the input (Smilkov et al.,
  2017), the twin of ``captum.attr.NoiseTunnel(Saliency)`` with ``nt_type="smoothgrad"``;
- :func:`integrated_gradients`: gradients summed along the straight path from a baseline
  (Sundararajan et al., 2017), with the completeness gap; ``captum.attr.IntegratedGradients``;
- :func:`occlusion`: how much the target logit drops when a window of pixels is blanked
  out (Zeiler & Fergus, 2014); ``captum.attr.Occlusion``;
- :func:`randomize_weights` and :func:`randomisation_test`: the sanity check of Adebayo
  et al. (2018): a map that barely changes when the weights are random says little about
  what the model learned; :func:`edges`, a map that ignores the model, fails it.

Every function takes images ``x`` of shape (N, 1, 28, 28) and targets of shape (N,), puts
the model in eval mode and back, leaves no gradients on its parameters, and returns
float64 NumPy arrays of the images' shape.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.train.batches import model_dtype_device
from dlhelpers.train.frozen import frozen
from dlhelpers.validate import check_choice, check_int, check_number, check_positive_int

__all__ = [
    "edges",
    "integrated_gradients",
    "occlusion",
    "randomisation_test",
    "randomize_weights",
    "saliency",
    "smoothgrad",
]

#: The integration rules :func:`integrated_gradients` knows, named as in Captum.
METHODS = ("riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid", "gausslegendre")


def _inputs(model: nn.Module, x, target) -> tuple[torch.Tensor, torch.Tensor]:
    """Checked copies of ``x`` (model dtype, no grad history) and ``target`` (int64)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    dtype, device = model_dtype_device(model)
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x.detach())
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"x must have shape (N, C, H, W) with N >= 1, not {tuple(x.shape)}")
    x = x.to(device=device, dtype=dtype)
    if not torch.isfinite(x).all():
        raise ValueError("x holds NaN or inf values")
    t = torch.as_tensor(np.asarray(target) if not isinstance(target, torch.Tensor) else target)
    if t.ndim == 0:
        t = t.expand(len(x))
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.shape != (len(x),):
        raise ValueError(f"target must be {len(x)} integer class indices, not {target!r}")
    return x, t.to(device=device, dtype=torch.long)


def _target_logits(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return model(x).gather(1, target[:, None])[:, 0]  # (N,)


def _grad(model: nn.Module, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """d logit_target / d x for every image of ``x`` at once (the logits are independent)."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(_target_logits(model, x, target).sum(), x)
    return g  # (N, C, H, W)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float64)


def saliency(model: nn.Module, x, target, *, abs: bool = True) -> np.ndarray:  # noqa: A002
    """|d logit_target / d x|, or the signed gradient with ``abs=False``.

    Parameters
    ----------
    model : nn.Module
        Maps (N, 1, 28, 28) images to (N, n_classes) logits.
    x : array_like of shape (N, 1, 28, 28)
    target : array_like of shape (N,), int
        The class whose logit is explained, per image.
    abs : bool, default True
        Captum's ``Saliency.attribute(abs=...)``.

    Returns
    -------
    ndarray of shape (N, 1, 28, 28), float64
    """
    x, t = _inputs(model, x, target)
    with frozen(model):
        g = _grad(model, x, t)
    return _numpy(g.abs() if abs else g)


def smoothgrad(
    model: nn.Module, x, target, *, n: int = 25, sigma: float = 0.15, seed: int = 0
) -> np.ndarray:
    """Saliency (absolute gradients) averaged over ``n`` copies of ``x`` plus Gaussian noise.

    The noise is drawn in Captum's order (each image repeated ``n`` times, one
    ``randn`` of shape (N * n, C, H, W) times ``sigma``) from a generator seeded
    with ``seed``, so ``torch.manual_seed(seed)`` before
    ``NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad", nt_samples=n,
    stdevs=sigma, target=target)`` draws the same noise.

    Parameters
    ----------
    sigma : float, default 0.15
        Standard deviation of the noise, in pixel units (15 % of the [0, 1] range).

    Returns
    -------
    ndarray of shape (N, 1, 28, 28), float64
    """
    x, t = _inputs(model, x, target)
    n, sigma = check_positive_int("n", n), check_number("sigma", sigma, low=0)
    gen = torch.Generator(device=x.device).manual_seed(check_int("seed", seed, low=0))
    noisy = x.repeat_interleave(n, dim=0)  # (N * n, C, H, W): image 0 n times, then image 1...
    noise = torch.randn(noisy.shape, generator=gen, device=x.device, dtype=x.dtype)
    with frozen(model):
        g = _grad(model, noisy + sigma * noise, t.repeat_interleave(n))
    return _numpy(g.abs().reshape(len(x), n, *x.shape[1:]).mean(1))


def _rule(method: str, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Points ``alphas`` in [0, 1] and weights summing to 1, as Captum's approximation methods."""
    k = np.arange(steps)
    if method in ("riemann_right", "riemann_left", "riemann_middle"):
        # the Riemann sums: equal weights 1/steps at the right ends, left ends or midpoints
        shift = {"riemann_right": 1.0, "riemann_left": 0.0, "riemann_middle": 0.5}[method]
        return (k + shift) / steps, np.full(steps, 1.0 / steps)
    if method == "riemann_trapezoid":
        alphas = np.linspace(0.0, 1.0, steps)
        # the trapezoid rule: weights sum to 1. Captum 0.9 uses 1/steps (sum 1 - 1/steps),
        # so its trapezoid attributions are ours times (steps - 1) / steps
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2
        return alphas, weights
    nodes, w = np.polynomial.legendre.leggauss(steps)
    return 0.5 * (1 + nodes), 0.5 * w


def integrated_gradients(
    model: nn.Module,
    x,
    target,
    *,
    baseline=None,
    steps: int = 50,
    method: str = "gausslegendre",
) -> tuple[np.ndarray, np.ndarray]:
    """(x - baseline) times the gradient averaged along the straight path from baseline to x.

    Parameters
    ----------
    baseline : array_like broadcastable to x, optional
        The "absence of signal"; default all zeros (a black image).
    steps : int, default 50
        Points on the path (at least 2 for the trapezoid rule).
    method : {"gausslegendre", "riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid"}
        The quadrature, as Captum names it; Gauss-Legendre is Captum's default.
        ``"riemann_right"`` is the sum notebook 12's exercise writes: the mean gradient
        at ``baseline + k / steps * (x - baseline)`` for ``k = 1 .. steps``.
        The trapezoid weights sum to 1 here; Captum's sum to ``1 - 1/steps``.

    Returns
    -------
    attributions : ndarray of shape (N, 1, 28, 28), float64
    delta : ndarray of shape (N,), float64
        Completeness gap ``attributions.sum() - (f(x) - f(baseline))`` per image, with
        ``f`` the target logit: near 0 when ``steps`` is large enough.
    """
    x, t = _inputs(model, x, target)
    method = check_choice("method", method, METHODS)
    steps = check_int("steps", steps, low=2 if method == "riemann_trapezoid" else 1)
    if baseline is None:
        base = torch.zeros_like(x)
    else:
        base = torch.as_tensor(
            np.asarray(baseline) if not isinstance(baseline, torch.Tensor) else baseline
        )
        try:
            base = torch.broadcast_to(base.to(x), x.shape).clone()
        except RuntimeError:
            raise ValueError(
                f"baseline of shape {tuple(base.shape)} does not fit x of shape {tuple(x.shape)}"
            ) from None
        if not torch.isfinite(base).all():
            raise ValueError("baseline holds NaN or inf values")
    alphas, weights = _rule(method, steps)
    total = torch.zeros_like(x)
    with frozen(model):
        for a, w in zip(alphas, weights, strict=True):  # one batch per step: N images
            total += float(w) * _grad(model, base + float(a) * (x - base), t)
        with torch.no_grad():
            gap = _target_logits(model, x, t) - _target_logits(model, base, t)  # (N,)
    attr = _numpy((x - base) * total)
    return attr, attr.reshape(len(attr), -1).sum(1) - _numpy(gap)


def occlusion(
    model: nn.Module, x, target, *, window: int = 4, stride: int = 2, baseline: float = 0.0
) -> np.ndarray:
    """Drop of the target logit when a ``window`` x ``window`` patch is set to ``baseline``.

    Each pixel gets the mean drop over the windows that cover it, as
    ``captum.attr.Occlusion(model).attribute(x, sliding_window_shapes=(1, window, window),
    strides=(1, stride, stride), baselines=baseline, target=target)`` gives.

    Returns
    -------
    ndarray of shape (N, 1, 28, 28), float64
        Positive where hiding the pixels lowers the logit (they spoke for the class).
    """
    x, t = _inputs(model, x, target)
    H, W = x.shape[-2:]
    window, stride = check_positive_int("window", window), check_positive_int("stride", stride)
    if window > min(H, W):
        raise ValueError(f"window={window} is larger than the {H}x{W} images")
    if stride > window:
        raise ValueError(f"stride={stride} > window={window} would leave pixels never hidden")
    baseline = check_number("baseline", baseline)
    total, count = torch.zeros_like(x), torch.zeros_like(x)
    with frozen(model), torch.no_grad():
        clean = _target_logits(model, x, t)  # (N,)
        # Captum's positions: the last window may hang over the edge (and is cut there)
        rows = range(0, -(-(H - window) // stride) * stride + 1, stride)
        cols = range(0, -(-(W - window) // stride) * stride + 1, stride)
        for i in rows:
            for j in cols:
                hidden = x.clone()
                hidden[..., i : i + window, j : j + window] = baseline
                drop = clean - _target_logits(model, hidden, t)
                total[..., i : i + window, j : j + window] += drop[:, None, None, None]
                count[..., i : i + window, j : j + window] += 1
    return _numpy(total / count.clamp(min=1))


def randomize_weights(model: nn.Module, seed: int = 0) -> nn.Module:
    """A copy of ``model`` with every layer re-initialised (``reset_parameters``) from ``seed``.

    The model randomisation test of Adebayo et al. (2018): an attribution method
    that draws the same map for the random copy is showing the input, not the model.
    The input model is not changed.
    """
    seed = check_int("seed", seed, low=0)
    clone = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for layer in clone.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
    return clone


def edges(model: nn.Module, x, target) -> np.ndarray:
    """A "map" that ignores the model: the size of the image's own gradient (Sobel filters).

    The control of :func:`randomisation_test`: it comes out the same for any
    weights, trained or random, so the test must fail it. ``model`` and
    ``target`` are checked like every other method's, then not used.

    Returns
    -------
    ndarray of shape (N, C, H, W), float64
        ``sqrt(gx**2 + gy**2)`` per pixel, zero padding at the border.
    """
    x, _ = _inputs(model, x, target)
    sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=x.dtype, device=x.device)
    kernels = torch.stack([sobel, sobel.T])[:, None]  # (2, 1, 3, 3): d/dx and d/dy
    g = F.conv2d(x.reshape(-1, 1, *x.shape[-2:]), kernels, padding=1)  # (N * C, 2, H, W)
    return _numpy(g.pow(2).sum(1).sqrt().reshape(x.shape))


def randomisation_test(
    method: Callable[[nn.Module, torch.Tensor, torch.Tensor], np.ndarray],
    model: nn.Module,
    x,
    target,
    *,
    seeds: Sequence[int] = (0, 1, 2),
) -> np.ndarray:
    """How alike ``method``'s maps are for ``model`` and for copies with random weights.

    The model randomisation test of Adebayo et al. (2018): for each seed, a copy of
    ``model`` re-initialised by :func:`randomize_weights`; per image, the correlation
    between the absolute values of the two maps (their test ranks the absolute values;
    the plain correlation of the magnitudes tells the same story here), averaged over
    the images. Near 1: the map does not depend on what the model learned.

    Parameters
    ----------
    method : callable
        ``method(model, x, target)`` returning maps of shape (N, C, H, W), like
        :func:`saliency` or :func:`edges`.
    seeds : sequence of int
        One random copy per seed.

    Returns
    -------
    ndarray of shape (len(seeds),), float64
        The mean correlation over the images, one per random copy.
    """
    if not callable(method):
        raise TypeError(f"method must be a function (model, x, target) -> maps, not {method!r}")
    seeds = [check_int("seeds", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    trained = np.abs(np.asarray(method(model, x, target), dtype=np.float64))
    result = []
    for seed in seeds:
        other = np.abs(np.asarray(method(randomize_weights(model, seed), x, target), np.float64))
        if other.shape != trained.shape:
            raise ValueError(f"method gave maps of shape {other.shape}, then {trained.shape}")
        result.append(np.mean([_corr(a, b) for a, b in zip(trained, other, strict=True)]))
    return np.array(result)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two maps; 0 when either is constant (no pattern to share)."""
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    scale = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / scale) if scale > 0 else 0.0
