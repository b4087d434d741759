"""Exercises of notebook 12: inside the black box."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    call_answer,
    compare_arrays,
    exercise,
)

__all__ = []

# The attributions and the adversarial images are real-valued: compared with compare_arrays'
# tolerance. Integrated gradients is judged against Captum on small float64 models.


def _small_models():
    """Two small float64 CNNs with different weights, for (1, 6, 6) images and 5 classes."""
    import torch
    from torch import nn

    models = []
    for seed in (3, 4):
        torch.manual_seed(seed)
        net = nn.Sequential(
            nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5)
        ).double()
        models.append(net.eval().requires_grad_(False))
    return models


def _path_integral(
    model, x, target, baseline, alphas, weights, *, start=None, prob=False, every_target=False
):
    """(x - baseline) * sum_k w_k grad f(start + a_k (x - start)): IG and its typical slips."""
    import torch

    start = baseline if start is None else start
    total = torch.zeros_like(x)
    for a, w in zip(alphas, weights, strict=True):
        point = (start + float(a) * (x - start)).requires_grad_(True)
        out = model(point)
        out = out.softmax(1) if prob else out
        rows = slice(None) if every_target else torch.arange(len(x))  # [:, target]: (N, N)
        (g,) = torch.autograd.grad(out[rows, target].sum(), point)
        total += float(w) * g
    return (x - baseline) * total


def _ig_slips(model, x, target, baseline, steps) -> list[tuple[np.ndarray, str]]:
    """What the typical mistakes give, each with its hint."""
    k, m = np.arange(steps), steps
    right, mean = (k + 1) / m, np.full(m, 1 / m)
    ig = _path_integral(model, x, target, baseline, right, mean)
    slips = [
        (
            _path_integral(model, x, target, baseline, k / m, mean),
            "your points start at the baseline and stop one step short of x: take "
            "alpha = k / steps for k = 1, ..., steps (the right end of each piece).",
        ),
        (
            _path_integral(model, x, target, baseline, (k + 0.5) / m, mean),
            "that is the midpoint rule; this exercise takes the right ends, alpha = k / steps "
            "for k = 1, ..., steps, as Captum's riemann_right does.",
        ),
        (
            ig * m,
            "that is m times too large: average the gradients (divide their sum by steps).",
        ),
        (
            ig / (x - baseline).where(x != baseline, 1.0),
            "that is the average gradient alone: multiply it by (x - baseline) at the end.",
        ),
        (
            ig * x / (x - baseline).where(x != baseline, 1.0),
            "you multiplied by x; the formula has (x - baseline): it differs when the baseline "
            "is not black.",
        ),
        (
            _path_integral(model, x, target, baseline, right, mean, start=0 * x),
            "your path starts at a black image; it must start at the baseline: "
            "baseline + alpha * (x - baseline).",
        ),
        (
            _path_integral(model, x, target, baseline, right, mean, prob=True),
            "that explains the softmax probability; take the gradient of the target's *logit*, "
            "the model's raw output.",
        ),
        (
            _path_integral(model, x, target, baseline, right, mean, every_target=True),
            "each image's gradient mixes in the logits of the other images' targets: indexing the "
            "output with [:, target] takes N logits from every image. Take one per image, its own "
            "target's (index rows and targets together).",
        ),
    ]
    return [(s.detach().numpy(), hint) for s, hint in slips]


_IG_CASES = (  # (model, images, targets, baseline value, steps): every argument changes
    (0, 3, (0, 2, 1), 0.0, 8),
    (1, 3, (4, 3, 3), 0.3, 5),
    (0, 2, (1, 4), 0.0, 12),
)


@exercise(
    "bb-integrated-gradients",
    "Write my_integrated_gradients(model, x, target, baseline, steps): integrated gradients as a "
    "right Riemann sum, checked against Captum's IntegratedGradients (method='riemann_right').",
    hint="For k = 1, ..., steps, take the point baseline + (k / steps) * (x - baseline), make it "
    "require gradients, and get the gradient of the target logits (one per image: index the "
    "model's output by row and target, then sum) with torch.autograd.grad. Average those "
    "gradients and multiply by (x - baseline).",
    solution=r"""def my_integrated_gradients(model, x, target, baseline, steps):
    "x, baseline: images (N, 1, H, W); target: (N,) classes. Returns attributions like x."
    total = torch.zeros_like(x)
    for k in range(1, steps + 1):
        point = (baseline + k / steps * (x - baseline)).requires_grad_(True)
        logits = model(point)[torch.arange(len(x)), target]  # (N,): each image's target logit
        total += torch.autograd.grad(logits.sum(), point)[0]
    return (x - baseline) * total / steps
""",
)
def _integrated_gradients(fn):
    import captum.attr
    import torch

    models = _small_models()
    gen = torch.Generator().manual_seed(12)
    for which, n, targets, base, steps in _IG_CASES:
        model, target = models[which], torch.tensor(targets)
        x = torch.rand(n, 1, 6, 6, generator=gen, dtype=torch.float64)
        baseline = torch.full_like(x, base)
        got = call_answer(fn, model, x.clone(), target.clone(), baseline.clone(), steps)
        if isinstance(got, tuple):
            raise Wrong(f"your function returns {a_type(got)}; return only the attributions.")
        want = captum.attr.IntegratedGradients(model).attribute(
            x, baselines=baseline, target=target, n_steps=steps, method="riemann_right"
        )
        want = want.detach().numpy()
        arr = array_of_shape(got, want.shape)
        if arr is not None and not np.allclose(arr, want, rtol=1e-6, atol=1e-9):
            for slip, hint in _ig_slips(model, x, target, baseline, steps):
                if np.allclose(arr, slip, rtol=1e-6, atol=1e-9):
                    raise Wrong(hint)
        compare_arrays(
            got, want, what=f"your attributions ({n} images, {steps} steps, baseline {base})"
        )
    return (
        "your Riemann sum equals Captum's IntegratedGradients (riemann_right) on every image, "
        "for two models, two baselines and three step counts."
    )


@exercise(
    "bb-fgsm-step",
    "Write fgsm_step(x, grad, eps): x moved by eps along the sign of the loss gradient, kept in [0, 1].",
    hint="np.sign(grad) is +1 where the loss rises with the pixel and -1 where it falls: move every "
    "pixel eps that way, then keep the result a valid image with np.clip.",
    solution=r"""def fgsm_step(x, grad, eps):
    "x: image (values in [0, 1]); grad: dL/dx; eps: the step. Returns the adversarial image."
    return np.clip(x + eps * np.sign(grad), 0, 1)
""",
)
def _fgsm_step(fn):
    rng = np.random.default_rng(12)
    for shape, eps in (((4, 6), 0.1), ((2, 1, 5, 5), 0.3), ((3, 7), 0.05)):
        x, grad = rng.uniform(size=shape), rng.normal(size=shape)  # new x, grad and eps each time
        x.flat[:3] = [0.0, 1.0, 0.99]  # pixels at the edges of [0, 1]
        got = call_answer(fn, x.copy(), grad.copy(), eps)
        want = np.clip(x + eps * np.sign(grad), 0, 1)
        arr = array_of_shape(got, want.shape)
        if arr is not None:
            if np.allclose(arr, np.clip(x - eps * np.sign(grad), 0, 1)):
                raise Wrong(
                    "that steps down the loss (making the answer *more* right); attack uphill."
                )
            if np.allclose(arr, x + eps * np.sign(grad)):
                raise Wrong(
                    "some pixels leave [0, 1]: clip the result (np.clip) so it is still an image."
                )
            if np.allclose(arr, np.clip(x + eps * grad, 0, 1)):
                raise Wrong(
                    "FGSM uses only the gradient's sign, so every pixel moves by exactly eps."
                )
        compare_arrays(got, want, what=f"your adversarial image for eps={eps}")
    return (
        "every pixel moves by eps, in the direction that raises the loss: faint, and often enough."
    )


def _pgd_want(x_adv, x, grad, alpha, eps):
    return np.clip(np.clip(x_adv + alpha * np.sign(grad), x - eps, x + eps), 0, 1)


def _pgd_slips(x_adv, x, grad, alpha, eps) -> list[tuple[np.ndarray, str]]:
    step = x_adv + alpha * np.sign(grad)
    return [
        (
            np.clip(step, 0, 1),
            "some pixels end more than eps away from the original image x: after the step, "
            "clip into [x - eps, x + eps] around x (the projection).",
        ),
        (
            np.clip(step, x - eps, x + eps),
            "some pixels leave [0, 1]: clip into [0, 1] as well, so it is still an image.",
        ),
        (
            _pgd_want(x_adv, x, -grad, alpha, eps),
            "that steps down the loss (making the answer *more* right); attack uphill.",
        ),
        (
            np.clip(np.clip(x_adv + alpha * grad, x - eps, x + eps), 0, 1),
            "like FGSM, each step uses only the gradient's sign: every pixel moves by alpha.",
        ),
        (
            _pgd_want(x, x, grad, alpha, eps),
            "step from x_adv (where the attack has got to), not from the original x.",
        ),
        (
            _pgd_want(x_adv, x, grad, eps, eps),
            "each step moves by alpha (a fraction of eps), not by eps.",
        ),
    ]


@exercise(
    "bb-pgd-step",
    "Write pgd_step(x_adv, x, grad, alpha, eps): one PGD step from x_adv, projected back within "
    "eps of x and into [0, 1].",
    hint="Take an FGSM step of size alpha from x_adv; then clip every pixel into "
    "[x - eps, x + eps] (np.clip takes arrays as bounds), and into [0, 1].",
    solution=r"""def pgd_step(x_adv, x, grad, alpha, eps):
    "x_adv: the attack so far; x: the original image; grad: dL/dx at x_adv. Returns the next x_adv."
    stepped = x_adv + alpha * np.sign(grad)
    return np.clip(np.clip(stepped, x - eps, x + eps), 0, 1)
""",
)
def _pgd_step(fn):
    rng = np.random.default_rng(21)
    for shape, alpha, eps in (((4, 6), 0.04, 0.1), ((2, 1, 5, 5), 0.1, 0.3), ((3, 7), 0.02, 0.05)):
        x = rng.uniform(size=shape)
        x.flat[:2] = [0.0, 1.0]  # pixels at the edges of [0, 1]
        x_adv = np.clip(x + rng.uniform(-eps, eps, size=shape), 0, 1)  # an attack under way
        x_adv.flat[2:4] = np.clip(x.flat[2:4] + [eps, -eps], 0, 1)  # two on the box's faces
        grad = rng.normal(size=shape)
        grad.flat[2:4] = [1.0, -1.0]  # pushing those two out of the box
        got = call_answer(fn, x_adv.copy(), x.copy(), grad.copy(), alpha, eps)
        want = _pgd_want(x_adv, x, grad, alpha, eps)
        arr = array_of_shape(got, want.shape)
        if arr is not None and not np.allclose(arr, want):
            for slip, hint in _pgd_slips(x_adv, x, grad, alpha, eps):
                if np.allclose(arr, slip):
                    raise Wrong(hint)
        compare_arrays(got, want, what=f"your next x_adv for alpha={alpha}, eps={eps}")
    return (
        "a step of alpha uphill, then back into the eps-box around x and into [0, 1]: "
        "repeat it and you have PGD."
    )
