"""Exercises of notebook 14: diffusion models.

Every answer is compared with the package's NumPy reference
(:mod:`dlhelpers.scratch.diffusion`) on inputs that change every argument:
several schedules, steps, batch sizes and shapes.
"""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import Wrong, array_of_shape, call_answer, compare_arrays, exercise
from dlhelpers.scratch.diffusion import alphas_bar, beta_schedule, p_step, predict_x0, q_sample

__all__ = []


def _schedules() -> list[np.ndarray]:
    return [
        beta_schedule(100, "linear", beta_end=0.2),
        beta_schedule(50, "squaredcos_cap_v2"),
        beta_schedule(7, "linear", beta_start=0.05, beta_end=0.3),
    ]


def _looks_like(arr, candidates: dict, want: np.ndarray) -> str | None:
    """The hint of the first known mistake ``arr`` matches, unless it matches the right answer too."""
    if arr is None or (arr.shape == want.shape and np.allclose(arr, want, rtol=1e-6, atol=1e-9)):
        return None
    for text, value in candidates.items():
        if arr.shape == np.shape(value) and np.allclose(arr, value):
            return text
    return None


@exercise(
    "diff-alphas-bar",
    "Write alphas_bar_from(betas): the share of the signal's variance left after each step.",
    hint="each step keeps 1 - beta of the variance: multiply those factors up to and including step t.",
    solution=r"""def alphas_bar_from(betas):
    "abar[t] = product of (1 - betas[s]) for s = 0 .. t; same shape as betas."
    return np.cumprod(1 - betas)
""",
)
def _alphas_bar(fn):
    for betas in _schedules():
        got = call_answer(fn, betas.copy())
        want = alphas_bar(betas)
        arr = array_of_shape(got, want.shape)
        mistake = _looks_like(
            arr,
            {
                "that is the running product of the betas; each step keeps 1 - beta, not beta.": (
                    np.cumprod(betas)
                ),
                "that adds up the noise; the signal shrinks by a factor (1 - beta) per step: "
                "multiply.": 1 - np.cumsum(betas),
                "off by one step: abar[0] is after the first step, so it is already 1 - betas[0].": (
                    np.r_[1.0, want[:-1]]
                ),
                "abar is about the variance kept: no square root here.": np.sqrt(want),
            },
            want,
        )
        if mistake:
            raise Wrong(mistake)
        if np.ndim(got) == 0:
            raise Wrong(
                "one number for the whole schedule: return one abar per step (a running product)."
            )
        compare_arrays(got, want, what=f"abar for a schedule of {len(betas)} steps")
    return (
        "np.cumprod(1 - betas): abar falls from nearly 1 to nearly 0, and x_T is almost pure noise."
    )


def _noising_cases():
    rng = np.random.default_rng(14)
    cases = []
    for betas, shape, t in [
        (_schedules()[0], (6, 2), 0),
        (_schedules()[0], (6, 2), 99),
        (_schedules()[1], (5, 2), 17),
        (_schedules()[0], (4, 2), np.array([0, 3, 50, 99])),
        (_schedules()[1], (3, 1, 4, 4), np.array([2, 30, 49])),
        (_schedules()[2], (2, 3), 4),
    ]:
        x0, noise = rng.normal(size=shape), rng.normal(size=shape)
        cases.append((x0, t, noise, alphas_bar(betas), betas))
    return cases


def _scale(abar: np.ndarray, t, like: np.ndarray) -> np.ndarray:
    """abar[t] shaped (B, 1, ...) (or (1, 1, ...) for one step), to multiply ``like`` row by row."""
    return np.reshape(abar[t], (-1,) + (1,) * (like.ndim - 1))


def _call_per_row(fn, t, *args, advice: str):
    """``fn(*args)``; where ``t`` holds one step per row and that fails, say how to shape abar[t]."""
    try:
        return call_answer(fn, *args)
    except (ValueError, IndexError) as err:
        if np.ndim(t):
            raise Wrong(f"with one step per row (t = {t}) it fails ({err}): {advice}") from None
        raise


@exercise(
    "diff-q-sample",
    "Write noise_to(x0, t, noise, abar): x_t in one jump from the clean data x0.",
    hint="x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) noise; for a batch of steps, give abar[t] "
    "the shape (B, 1, ...) so that each row gets its own.",
    solution=r"""def noise_to(x0, t, noise, abar):
    "x_t = sqrt(abar[t]) * x0 + sqrt(1 - abar[t]) * noise; t an int or one step per row."
    a = np.reshape(abar[t], (-1,) + (1,) * (x0.ndim - 1))  # (B, 1, ...) or (1, 1, ...)
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise
""",
)
def _q_sample(fn):
    for x0, t, noise, abar, _ in _noising_cases():
        what = f"x_t for x0 of shape {x0.shape} at t = {t}"
        got = _call_per_row(
            fn,
            t,
            x0.copy(),
            t,
            noise.copy(),
            abar.copy(),
            advice="shape abar[t] as (B, 1, ...) so that it multiplies rows.",
        )
        want = q_sample(x0, t, noise, abar)
        a = _scale(abar, t, x0)
        mistake = _looks_like(
            array_of_shape(got, want.shape),
            {
                "the square roots are missing: abar is the variance kept, its square root the scale.": (
                    a * x0 + (1 - a) * noise
                ),
                "the noise's scale is sqrt(1 - abar), so that the variances add up to 1.": (
                    np.sqrt(a) * x0 + (1 - np.sqrt(a)) * noise
                ),
                "the data and the noise are swapped: sqrt(abar) multiplies x0.": (
                    np.sqrt(1 - a) * x0 + np.sqrt(a) * noise
                ),
            },
            want,
        )
        if mistake:
            raise Wrong(mistake)
        compare_arrays(got, want, what=what)
    return (
        "right: any step in one jump, for points and images alike. This is what training samples."
    )


@exercise(
    "diff-predict-x0",
    "Write x0_from_eps(x_t, t, eps, abar): the clean data implied by a noise prediction.",
    hint="solve x_t = sqrt(abar[t]) x0 + sqrt(1 - abar[t]) eps for x0.",
    solution=r"""def x0_from_eps(x_t, t, eps, abar):
    "The x0 that, noised with eps to step t, gives x_t."
    a = np.reshape(abar[t], (-1,) + (1,) * (x_t.ndim - 1))
    return (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a)
""",
)
def _predict_x0(fn):
    for x0, t, noise, abar, _ in _noising_cases():
        x_t = q_sample(x0, t, noise, abar)
        got = _call_per_row(
            fn, t, x_t.copy(), t, noise.copy(), abar.copy(), advice="shape abar[t] as (B, 1, ...)."
        )
        want = predict_x0(x_t, t, noise, abar)
        a = _scale(abar, t, x0)
        mistake = _looks_like(
            array_of_shape(got, want.shape),
            {
                "you took the noise away but did not undo the shrinking: divide by sqrt(abar).": (
                    x_t - np.sqrt(1 - a) * noise
                ),
                "the noise must be subtracted, not added.": (x_t + np.sqrt(1 - a) * noise)
                / np.sqrt(a),
            },
            want,
        )
        if mistake:
            raise Wrong(mistake)
        compare_arrays(got, want, what=f"x0 for x_t of shape {x_t.shape} at t = {t}")
    return (
        "right: with the true noise you get x0 back exactly; with a model's guess, its best guess."
    )


@exercise(
    "diff-reverse-step",
    "Write reverse_step(x_t, t, eps, betas, noise): one step of the reverse process, x_t to x_{t-1}.",
    hint="first x0_hat from eps; then the mean mixes x0_hat and x_t with the weights given; "
    "add sqrt(variance) * noise only when t > 0, and use abar[t - 1] = 1 at t = 0.",
    solution=r"""def reverse_step(x_t, t, eps, betas, noise):
    "x_{t-1} from x_t and the predicted noise eps, at step t (an int)."
    abar = np.cumprod(1 - betas)
    a_t = abar[t]
    a_prev = abar[t - 1] if t > 0 else 1.0
    x0_hat = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    mean = (np.sqrt(a_prev) * betas[t] * x0_hat + np.sqrt(1 - betas[t]) * (1 - a_prev) * x_t) / (
        1 - a_t
    )
    if t == 0:
        return mean
    variance = betas[t] * (1 - a_prev) / (1 - a_t)
    return mean + np.sqrt(variance) * noise
""",
)
def _reverse_step(fn):
    for x0, t, noise, abar, betas in _noising_cases():
        rng = np.random.default_rng(int(np.sum(np.atleast_1d(t))))
        eps, z = rng.normal(size=x0.shape), rng.normal(size=x0.shape)
        x_t = q_sample(x0, t, noise, abar)
        for step in sorted({0, 1, int(np.max(t)), len(betas) - 1}):
            got = call_answer(fn, x_t.copy(), step, eps.copy(), betas.copy(), z.copy())
            want = p_step(x_t, step, eps, betas, z if step > 0 else None)
            arr = array_of_shape(got, want.shape)
            a_prev = abar[step - 1] if step > 0 else 1.0
            variance = betas[step] * (1 - a_prev) / (1 - abar[step])
            mean = want - np.sqrt(variance) * z if step > 0 else want
            mistake = _looks_like(
                arr,
                {
                    "at t = 0 the step returns the mean: no noise is added on the last step.": (
                        want + np.sqrt(betas[0]) * z if step == 0 else np.full(want.shape, np.nan)
                    ),
                    "the added noise has the variance sigma^2 of the text, beta_t (1 - abar_{t-1}) / "
                    "(1 - abar_t), not beta_t.": mean + np.sqrt(betas[step]) * z
                    if step > 0
                    else np.full(want.shape, np.nan),
                    "that is the variance, not the standard deviation: multiply the noise by its "
                    "square root.": mean + variance * z
                    if step > 0
                    else np.full(want.shape, np.nan),
                },
                want,
            )
            if mistake:
                raise Wrong(mistake)
            compare_arrays(
                got, want, what=f"x_(t-1) at step t = {step} for x_t of shape {x_t.shape}"
            )
    return "right: this step, repeated from t = T-1 down to 0, turns noise into samples."
