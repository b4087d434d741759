"""Exercises of notebook 10: generative adversarial networks."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    array_of_shape,
    as_count,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    number_close,
)

__all__ = []

# D(x), the loss and the gradient are real-valued (a tolerance); the number of modes is a
# count (exact).


@exercise(
    "gan-optimal-d",
    "Write optimal_discriminator(p_data, p_g): the best D(x) for densities p_data(x) and p_g(x).",
    solution=r"""def optimal_discriminator(p_data, p_g):
    "D*(x) from the densities p_data(x) and p_g(x), arrays of the same shape."
    return p_data / (p_data + p_g)
""",
)
def _optimal(fn):
    rng = np.random.default_rng(10)
    for shape in ((50,), (4, 3), (1,)):  # new densities, and shapes, at each call
        p_data, p_g = rng.uniform(0.01, 2, size=shape), rng.uniform(0.01, 2, size=shape)
        got = call_answer(fn, p_data.copy(), p_g.copy())
        want = p_data / (p_data + p_g)
        arr = array_of_shape(got, want.shape)
        if arr is not None:
            if np.allclose(arr, p_g / (p_data + p_g)):
                raise Wrong(
                    "that is the probability of *generated*; D(x) is the probability that x is real."
                )
            if np.allclose(arr, p_data / p_g):
                raise Wrong(
                    "a probability must stay between 0 and 1: divide by the total density, "
                    "not by p_g."
                )
        compare_arrays(got, want, what=f"your D(x) for densities of shape {shape}")
    return "p_data / (p_data + p_g): 1/2 everywhere once the generator matches the data."


@exercise(
    "gan-equilibrium-loss",
    "At the end of the game D(x) = 1/2 for every x. What is the discriminator's loss -log D(x) - log(1 - D(G(z)))?",
    solution=r"""equilibrium_loss = -np.log(0.5) - np.log(1 - 0.5)  # a number
""",
)
def _equilibrium(answer):
    value = as_number(answer)
    if np.isclose(value, np.log(2)):
        raise Wrong("that is one of the two terms; the loss adds the real and the generated part.")
    if np.isclose(value, 1.0) or np.isclose(value, 0.5):
        raise Wrong("the loss is a log-likelihood: take -log of the probabilities 1/2.")
    number_close(
        answer,
        2 * np.log(2),
        hint="-log(1/2) for the real points plus -log(1 - 1/2) for the generated.",
    )
    return (
        "2 ln 2 = 1.386: a discriminator that can only guess. Watch for this value in the curves."
    )


@exercise(
    "gan-generator-gradient",
    "Write generator_gradient(d, kind): d loss / d logit for the generator, given D(G(z)) = d.",
    solution=r"""def generator_gradient(d, kind):
    "d loss / d logit for one generated sample with D(G(z)) = d."
    if kind == "saturating":
        return -d  # d/ds log(1 - sigmoid(s)) = -sigmoid(s)
    return -(1 - d)  # d/ds -log(sigmoid(s)) = -(1 - sigmoid(s))
""",
)
def _generator_gradient(fn):
    for d in (0.01, 0.3, 0.5, 0.9):
        for kind, want in (("saturating", -d), ("non-saturating", -(1 - d))):
            got = call_answer(fn, d, kind)
            value = as_number(got, what=f"generator_gradient({d}, {kind!r})")
            if np.isclose(value, want, rtol=1e-6, atol=1e-9):
                continue
            if np.isclose(value, -want):
                raise Wrong(
                    f"generator_gradient({d}, {kind!r}) has the wrong sign: the loss falls as D rises."
                )
            if kind == "saturating" and np.isclose(value, -1 / (1 - d)):
                raise Wrong(
                    "that is the derivative with respect to D; the network outputs a logit s with "
                    "D = sigmoid(s), so multiply by dD/ds = D (1 - D)."
                )
            raise Wrong(
                f"generator_gradient({d}, {kind!r}) gave {value:g}, which is not it. Differentiate "
                "log(1 - sigmoid(s)) and -log(sigmoid(s)) with respect to the logit s."
            )
    return "-D for the saturating loss (nothing when D is near 0), -(1 - D) for the non-saturating one."


def _covered(samples, centres, radius):
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1)  # (n, k)
    return int((dist.min(axis=0) <= radius).sum())


@exercise(
    "gan-mode-count",
    "Write modes_covered(samples, centres, radius): how many centres have a sample within radius.",
    solution=r"""def modes_covered(samples, centres, radius):
    "How many of the k centres have a sample within radius."
    dist = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)  # (n, k)
    return int((dist.min(axis=0) <= radius).sum())
""",
)
def _mode_count(fn):
    rng = np.random.default_rng(4)
    angles = np.arange(8) * np.pi / 4
    ring = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (8, 2)
    five = ring[:5] * 1.5  # other centres, so that a function must read its argument
    cases = [  # (samples, centres, radius): each argument changes from one case to another
        (ring[[0, 0, 3]] + rng.normal(scale=0.05, size=(3, 2)), ring, 0.3),  # two, one twice
        (ring + rng.normal(scale=0.05, size=(8, 2)), ring, 0.3),  # all eight
        (rng.normal(scale=0.1, size=(50, 2)), ring, 0.3),  # none: all in the middle
        (ring[[1, 2]] + 0.4, ring, 0.6),  # two, only with the wider radius
        (five[[0, 4]] + rng.normal(scale=0.05, size=(2, 2)), five, 0.3),  # two of five
    ]
    for samples, centres, radius in cases:
        got = call_answer(fn, samples.copy(), centres.copy(), radius)
        value = as_count(got, what="your count")
        want = _covered(samples, centres, radius)
        if value == want:
            continue
        if value == len(samples) and want != len(samples):
            raise Wrong(
                "you counted samples near a centre; count the centres that have one (each once)."
            )
        raise Wrong(f"for {len(samples)} samples you counted {value:g} modes, which is not it.")
    return "a simple, honest measure: mode collapse shows as this count dropping."
