"""The synthetic sequence tasks of notebook 09: reversal and sorting."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.data.sequences import make_reversal, make_sorting


def test_reversal_reverses_each_row():
    X, Y = make_reversal(50, length=6, vocab=7, seed=3)
    assert X.shape == Y.shape == (50, 6)
    assert X.dtype == Y.dtype == np.int64
    np.testing.assert_array_equal(Y, X[:, ::-1])
    assert X.min() >= 0 and X.max() <= 6
    assert len(np.unique(X)) == 7  # every token appears
    assert Y.flags["C_CONTIGUOUS"]


def test_sorting_sorts_each_row_and_shares_the_inputs():
    X, Y = make_sorting(40, seed=1)
    assert X.shape == Y.shape == (40, 8)
    assert (np.diff(Y, axis=1) >= 0).all()
    np.testing.assert_array_equal(np.sort(X, axis=1), Y)
    np.testing.assert_array_equal(X, make_reversal(40, seed=1)[0])


def test_seeded_and_private():
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    a, _ = make_reversal(10, seed=5)
    b, _ = make_reversal(10, seed=5)
    c, _ = make_reversal(10, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n=0 must be at least 1"),
        ({"n": 2.5}, "n=2.5 is not a whole number"),
        ({"n": True}, "is a bool"),
        ({"n": 4, "length": 0}, "length=0 must be at least 1"),
        ({"n": 4, "vocab": 1}, "vocab=1 must be at least 2"),
        ({"n": 4, "seed": -1}, r"seed=-1 must be in \[0, 4294967295\]"),
        ({"n": 4, "seed": "a"}, "seed='a' is not a whole number"),
    ],
)
@pytest.mark.parametrize("make", [make_reversal, make_sorting])
def test_bad_arguments_are_refused(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make(**kwargs)
