"""The exercise checks of notebook 13: stub, typical mistakes, wrong types, right."""

from __future__ import annotations

import pytest

from dlhelpers.checks import check, load_exercises


def linear_flops(batch, n_in, n_out):
    return 2 * batch * n_in * n_out


def conv_flops(batch, c_in, c_out, kernel, h_out, w_out):
    return 2 * batch * c_out * h_out * w_out * c_in * kernel * kernel


def stub(*args): ...


RIGHT = {
    "compute-linear-flops": linear_flops,
    "compute-conv-flops": conv_flops,
    "compute-allreduce-bytes": 210_600,
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    assert check(key, ...).status == "not attempted"
    assert check(key, RIGHT[key]).status == "correct"
    for bad in ("1", True, float("nan"), [1, 2]):
        assert check(key, bad).status == "not yet", (key, bad)
    if callable(RIGHT[key]):
        assert check(key, stub).status == "not attempted"
        assert check(key, lambda *a: float("nan")).status == "not yet"
        assert check(key, lambda *a: 2.5).status == "not yet"


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("compute-linear-flops", lambda b, i, o: b * i * o, "multiply-adds"),
        ("compute-linear-flops", lambda b, i, o: 2 * i * o, "one row"),
        ("compute-linear-flops", lambda b, i, o: 2 * b * i * o + b * o, "bias"),
        ("compute-linear-flops", lambda b, i, o: 5, "n_in products"),
        ("compute-conv-flops", lambda b, ci, co, k, h, w: b * co * h * w * ci * k * k, "2 FLOPs"),
        ("compute-conv-flops", lambda b, ci, co, k, h, w: 2 * b * co * ci * k * k, "slides"),
        ("compute-conv-flops", lambda b, ci, co, k, h, w: 2 * b * co * h * w * k * k, "c_in"),
        ("compute-conv-flops", lambda b, ci, co, k, h, w: 2 * co * h * w * ci * k * k, "one image"),
        ("compute-conv-flops", lambda b, ci, co, k, h, w: 7, "window"),
        ("compute-allreduce-bytes", 52_650, "4 bytes"),
        ("compute-allreduce-bytes", 421_200, "8 bytes per parameter"),
        ("compute-allreduce-bytes", 3, "4 bytes each"),
    ],
)
def test_typical_mistakes_get_a_hint(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback


def test_the_functions_agree_with_the_package_and_every_hint_gives_no_code():
    from dlhelpers.train.flops import conv_flops as package_conv
    from dlhelpers.train.flops import linear_flops as package_linear

    assert package_linear(32, 784, 64) == linear_flops(32, 784, 64)
    assert package_conv(2, 3, 4, 5, 6, 7) == conv_flops(2, 3, 4, 5, 6, 7)
    for key in RIGHT:
        found = load_exercises()[key]
        assert found.hint and "return" not in found.hint
