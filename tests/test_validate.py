"""dlhelpers.validate: the one home of argument checks, tried with every family of bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlhelpers.validate import (
    ArgumentTypeError,
    check_choice,
    check_finite_array,
    check_int,
    check_number,
    check_positive_int,
    check_probability,
    check_real_array,
    check_seed,
)

NOT_NUMBERS = ["1e-3", None, [1.0], np.array([1.0, 2.0]), {"lr": 1}, 1 + 0j, True, np.bool_(True)]


@pytest.mark.parametrize(
    "good", [1e-3, np.float32(1e-3), np.float64(1e-3), np.array(1e-3), torch.tensor(1e-3)]
)
def test_number_accepts_numpy_and_torch_scalars(good):
    out = check_number("lr", good, low=0, low_open=True)
    assert type(out) is float and math.isclose(out, 1e-3, rel_tol=1e-6)


@pytest.mark.parametrize("bad", NOT_NUMBERS)
def test_number_refuses_what_is_not_a_real_number(bad):
    with pytest.raises(ArgumentTypeError, match="lr="):
        check_number("lr", bad)
    # the same error is a TypeError and a ValueError, so either `except` catches it
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, np.float32("nan"), torch.tensor(math.nan)]
)
def test_nan_and_inf_never_pass(bad):
    with pytest.raises(ValueError, match="finite"):
        check_number("lr", bad)
    with pytest.raises(ValueError, match="lr="):
        check_int("lr", bad)


@pytest.mark.parametrize(
    ("kw", "value", "message"),
    [
        ({"low": 0, "low_open": True}, 0.0, "above 0"),
        ({"low": 0}, -1e-9, "at least 0"),
        ({"high": 1, "high_open": True}, 1.0, "below 1"),
        ({"low": 0, "high": 1}, 1.5, r"in \[0, 1\]"),
        ({"low": 0, "high": 1, "low_open": True}, 0, r"in \(0, 1\]"),
    ],
)
def test_number_range_is_named(kw, value, message):
    with pytest.raises(ValueError, match=message):
        check_number("x", value, **kw)


def test_int_takes_numpy_ints_and_whole_floats_and_refuses_fractions():
    assert check_positive_int("batch_size", np.int64(32)) == 32
    assert check_positive_int("batch_size", 32.0) == 32
    assert type(check_int("n", np.uint8(3))) is int
    for bad in (0, -5, np.int32(-1)):
        with pytest.raises(ValueError, match="at least 1"):
            check_positive_int("batch_size", bad)
    for bad in (2.5, "32", True, 3 + 0j):
        with pytest.raises(ArgumentTypeError, match="batch_size="):
            check_positive_int("batch_size", bad)
    with pytest.raises(ValueError, match=r"layers=5 must be in \[0, 4\]"):
        check_int("layers", 5, low=0, high=4)


def test_probability_and_seed():
    assert check_probability("p", np.float32(0.5)) == 0.5
    assert check_probability("p", 0) == 0.0
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        check_probability("p", 1.0, open_ends=True)
    assert check_seed("seed", None) is None
    assert check_seed("seed", np.int64(7)) == 7
    for bad in (-1, 2**32):
        with pytest.raises(ValueError, match="seed="):
            check_seed("seed", bad)


def test_choice_names_the_argument_and_the_choices_and_returns_the_option():
    assert check_choice("lr", np.float64(0.1), (0.01, 0.1)) == 0.1
    assert check_choice("activation", "relu", ["relu", "tanh"]) == "relu"
    with pytest.raises(
        ValueError, match="activation='sigmoid' is not one of the choices: relu, tanh"
    ):
        check_choice("activation", "sigmoid", ["relu", "tanh"])
    for bad in ("1", True, [1], np.array([1, 2])):  # text, bool and arrays never match a number
        with pytest.raises(ValueError, match="not one of the choices"):
            check_choice("n", bad, (1, 2))


def test_finite_array_counts_nan_and_inf_and_refuses_empty_complex_and_text():
    out = check_finite_array("X", [[1, 2], [3, 4]])
    assert out.dtype == np.float64
    assert check_finite_array("X", np.zeros(3, np.float32)).dtype == np.float32
    with pytest.raises(
        ValueError, match=r"X holds 1 NaN and 1 infinite values \(first at index \(0, 1\)\)"
    ):
        check_finite_array("X", [[1, np.nan], [np.inf, 0]])
    with pytest.raises(ValueError, match="empty"):
        check_finite_array("X", [])
    assert check_finite_array("X", [], allow_empty=True).size == 0
    for bad, what in (([1j], "complex"), (["1"], "text"), ([object()], "objects")):
        with pytest.raises(ArgumentTypeError, match=what):
            check_finite_array("X", bad)


def test_real_array_keeps_the_dtype_and_refuses_complex_text_and_objects():
    assert check_real_array("x", np.zeros(2, np.float16)).dtype == np.float16
    assert check_real_array("x", [True]).dtype == np.bool_
    for bad, what in (([1j], "x holds complex"), (["1"], "x holds text"), ([None], "objects")):
        with pytest.raises(ArgumentTypeError, match=what):
            check_real_array("x", bad)
