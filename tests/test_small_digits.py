"""scikit-learn's 8x8 digits made MNIST-like, their split, and few-label draws (notebook 11)."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.data.small_digits import (
    few_labels,
    load_small_digits,
    split_small_digits,
    upsample_matrix,
)


def test_upsample_matrix_interpolates_linearly():
    M = upsample_matrix(8, 20)
    assert M.shape == (20, 8)
    np.testing.assert_allclose(M.sum(1), 1.0)
    ramp = np.arange(8.0)
    up = M @ ramp
    assert np.all(np.diff(up) >= 0) and up[0] == 0 and up[-1] == 7
    np.testing.assert_allclose(upsample_matrix(5, 5), np.eye(5))  # same size: unchanged


def test_load_small_digits_looks_like_mnist():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    X, y = load_small_digits()
    assert X.shape == (1797, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64 and set(y) == set(range(10))
    assert X.min() >= 0 and X.max() <= 1 and X.max() > 0.9
    # the digit sits in the centred 20x20 box, the 4-pixel border is empty
    assert X[:, :, :4].max() == 0 and X[:, :, -4:].max() == 0
    assert X[:, :, :, :4].max() == 0 and X[:, :, :, -4:].max() == 0
    # the box is the upsampled 8x8 image: block means follow the original's ink
    original = load_digits().images[0] / 16
    box = X[0, 0, 4:24, 4:24]
    assert np.corrcoef(box[::5, ::5].ravel(), original[::2, ::2].ravel())[0, 1] > 0.8
    small, _ = load_small_digits(size=14)
    assert small.shape == (1797, 1, 14, 14)


def test_split_small_digits_into_pool_and_held_out():
    X, y = np.arange(1797 * 2).reshape(1797, 2), np.arange(1797) % 10
    (Xp, yp), (Xh, yh) = split_small_digits(X, y)
    assert len(Xp) == len(yp) == 1000 and len(Xh) == len(yh) == 797
    seen = np.concatenate([Xp[:, 0], Xh[:, 0]]) // 2
    assert sorted(seen) == list(range(1797))  # a partition
    np.testing.assert_array_equal(yp, (Xp[:, 0] // 2) % 10)  # pairs stay together
    (again, _), _ = split_small_digits(X, y)
    np.testing.assert_array_equal(again, Xp)
    (other, _), _ = split_small_digits(X, y, seed=1)
    assert not np.array_equal(other, Xp)


def test_few_labels_draws_per_class_of_each_nested_by_seed():
    y = np.arange(300) % 10
    idx = few_labels(y, 5, seed=0)
    assert idx.dtype == np.int64 and len(idx) == 50 and len(set(idx)) == 50
    np.testing.assert_array_equal(np.bincount(y[idx]), np.full(10, 5))
    assert set(few_labels(y, 2, seed=0)) <= set(idx)  # more labels add to the fewer
    assert not np.array_equal(few_labels(y, 5, seed=1), idx)
    np.testing.assert_array_equal(few_labels(y, 5, seed=0), idx)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: few_labels(np.arange(30) % 10, 0, 0), ValueError, "at least 1"),
        (lambda: few_labels(np.arange(30) % 10, 4, 0), ValueError, "more than the pool"),
        (lambda: few_labels(np.arange(30) % 10, 2.5, 0), TypeError, "per_class=2.5 is not a whole"),
        (lambda: few_labels(np.zeros((2, 2)), 1, 0), ValueError, "1-D"),
        (lambda: split_small_digits(np.zeros((10, 2)), np.zeros(9)), ValueError, "same length"),
        (lambda: split_small_digits(np.zeros((10, 2)), np.zeros(10)), ValueError, "nothing"),
        (lambda: load_small_digits(size=4), ValueError, "at least 8"),
        (lambda: upsample_matrix(0, 3), ValueError, "at least 1"),
    ],
)
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()
