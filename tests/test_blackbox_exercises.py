"""The exercise checks of notebook 12: stub, typical mistakes, wrong types, NaN, right."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check


def fgsm_step(x, grad, eps):
    return np.clip(x + eps * np.sign(grad), 0, 1)


def stub(x, grad, eps): ...


RIGHT = {
    "bb-fgsm-step": fgsm_step,
    "bb-linear-flops": 3_211_264,
    "bb-conv-flops": 235_200,
    "bb-allreduce-bytes": 210_600,
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    assert check(key, ...).status == "not attempted"
    assert check(key, RIGHT[key]).status == "correct"
    for bad in ("1", True, float("nan"), [1, 2]):
        assert check(key, bad).status == "not yet", (key, bad)
    if callable(RIGHT[key]):
        assert check(key, stub).status == "not attempted"


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("bb-fgsm-step", lambda x, g, e: np.clip(x - e * np.sign(g), 0, 1), "uphill"),
        ("bb-fgsm-step", lambda x, g, e: x + e * np.sign(g), "clip"),
        ("bb-fgsm-step", lambda x, g, e: np.clip(x + e * g, 0, 1), "sign"),
        ("bb-fgsm-step", lambda x, g, e: x, "off at"),
        ("bb-linear-flops", 1_605_632, "multiply-adds"),
        ("bb-linear-flops", 100_352, "one image"),
        ("bb-linear-flops", 5, "784 products"),
        ("bb-conv-flops", 117_600, "multiply-adds"),
        ("bb-conv-flops", 300, "slides"),
        ("bb-conv-flops", 7, "products"),
        ("bb-allreduce-bytes", 52_650, "4 bytes"),
        ("bb-allreduce-bytes", 421_200, "not 8"),
        ("bb-allreduce-bytes", 3, "4 bytes each"),
    ],
)
def test_typical_mistakes_get_a_hint(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback
