"""Notebook 14's exercise judges: the hints for typical mistakes, right answers, stubs."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import check


def _reshape(abar, t, x):
    return np.reshape(abar[t], (-1,) + (1,) * (x.ndim - 1))


def test_alphas_bar_hints():
    assert check("diff-alphas-bar", lambda b: np.cumprod(1 - b)).status == "correct"
    said = check("diff-alphas-bar", lambda b: np.cumprod(b))
    assert said.status == "not yet" and "1 - beta" in said.message
    said = check("diff-alphas-bar", lambda b: 1 - np.cumsum(b))
    assert "multiply" in said.message
    said = check("diff-alphas-bar", lambda b: np.r_[1.0, np.cumprod(1 - b)[:-1]])
    assert "off by one" in said.message
    said = check("diff-alphas-bar", lambda b: np.prod(1 - b))
    assert said.status == "not yet" and "one number" in said.message
    assert check("diff-alphas-bar", lambda b: ...).status == "not attempted"


def test_q_sample_hints():
    def right(x0, t, noise, abar):
        a = _reshape(abar, t, x0)
        return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise

    assert check("diff-q-sample", right).status == "correct"

    def no_sqrt(x0, t, noise, abar):
        a = _reshape(abar, t, x0)
        return a * x0 + (1 - a) * noise

    assert "square roots" in check("diff-q-sample", no_sqrt).message

    def swapped(x0, t, noise, abar):
        a = _reshape(abar, t, x0)
        return np.sqrt(1 - a) * x0 + np.sqrt(a) * noise

    assert "swapped" in check("diff-q-sample", swapped).message

    def no_rows(x0, t, noise, abar):  # works for one t, fails for one per row
        return np.sqrt(abar[t]) * x0 + np.sqrt(1 - abar[t]) * noise

    said = check("diff-q-sample", no_rows)
    assert said.status == "not yet" and "(B, 1, ...)" in said.message


def test_predict_x0_hints():
    def right(x_t, t, eps, abar):
        a = _reshape(abar, t, x_t)
        return (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a)

    assert check("diff-predict-x0", right).status == "correct"

    def undivided(x_t, t, eps, abar):
        return x_t - np.sqrt(1 - _reshape(abar, t, x_t)) * eps

    assert "divide by sqrt(abar)" in check("diff-predict-x0", undivided).message


def test_reverse_step_hints():
    def make(variance_of, noise_at_zero=False):
        def step(x_t, t, eps, betas, noise):
            abar = np.cumprod(1 - betas)
            a_prev = abar[t - 1] if t > 0 else 1.0
            x0 = (x_t - np.sqrt(1 - abar[t]) * eps) / np.sqrt(abar[t])
            mean = np.sqrt(a_prev) * betas[t] * x0 + np.sqrt(1 - betas[t]) * (1 - a_prev) * x_t
            mean = mean / (1 - abar[t])
            if t == 0 and not noise_at_zero:
                return mean
            return mean + variance_of(betas[t], a_prev, abar[t]) * noise

        return step

    posterior = lambda b, ap, a: np.sqrt(b * (1 - ap) / (1 - a))  # noqa: E731
    assert check("diff-reverse-step", make(posterior)).status == "correct"
    said = check("diff-reverse-step", make(lambda b, ap, a: np.sqrt(b)))
    assert "not beta_t" in said.message
    said = check("diff-reverse-step", make(lambda b, ap, a: b * (1 - ap) / (1 - a)))
    assert "square root" in said.message
    said = check("diff-reverse-step", make(lambda b, ap, a: np.sqrt(b), noise_at_zero=True))
    assert "t = 0" in said.message
