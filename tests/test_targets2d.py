"""2-D target distributions for the GAN of notebook 10."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.data.targets2d import (
    EXTENT,
    MODE_STD,
    TARGETS,
    histogram2d,
    js_divergence,
    mode_centres,
    sample_target,
)


@pytest.mark.parametrize("name", TARGETS)
def test_shapes_seed_and_extent(name):
    X = sample_target(name, 500, seed=3)
    assert X.shape == (500, 2) and X.dtype == np.float64
    assert np.array_equal(X, sample_target(name, 500, seed=3))
    assert not np.array_equal(X, sample_target(name, 500, seed=4))
    x0, x1, y0, y1 = EXTENT
    assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 < X[:, 1].min() and X[:, 1].max() < y1


def test_mixture_centres_and_spread():
    ring = mode_centres("ring")
    assert ring.shape == (8, 2) and np.allclose(np.linalg.norm(ring, axis=1), 2.0)
    grid = mode_centres("grid")
    assert grid.shape == (25, 2) and set(grid[:, 0]) == {-2.0, -1.0, 0.0, 1.0, 2.0}
    for name, centres in [("ring", ring), ("grid", grid)]:
        X = sample_target(name, 4000)
        d = np.linalg.norm(X[:, None] - centres[None], axis=2)
        assert np.all(d.min(axis=1) < 5 * MODE_STD[name])  # every point sits on a mode
        counts = np.bincount(d.argmin(axis=1), minlength=len(centres))
        assert counts.min() > 0.5 * len(X) / len(centres)  # and every mode is used


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="name='donut' is not one of the choices: ring, grid"):
        sample_target("donut", 10)
    with pytest.raises(ValueError, match="n="):
        sample_target("ring", 0)
    with pytest.raises(ValueError, match="n="):
        sample_target("ring", 2.5)
    with pytest.raises(ValueError, match="no modes"):
        mode_centres("spiral")
    with pytest.raises(ValueError, match="shape"):
        histogram2d(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="differ in shape"):
        js_divergence(np.ones(4), np.ones(5))


def test_histogram_sums_to_one_and_clips():
    h = histogram2d(np.array([[0.0, 0.0], [10.0, -10.0]]), bins=4)
    assert h.shape == (4, 4) and h.sum() == pytest.approx(1.0)
    assert h[0, -1] == 0.5  # the far point lands in the border cell (low y, high x)


def test_js_divergence_bounds():
    a = histogram2d(sample_target("ring", 5000, seed=0))
    b = histogram2d(sample_target("ring", 5000, seed=1))
    c = histogram2d(sample_target("grid", 5000, seed=0))
    assert js_divergence(a, a) == 0.0
    assert js_divergence(a, b) < 0.05 < js_divergence(a, c) <= 1.0
    assert js_divergence([1, 0], [0, 1]) == pytest.approx(1.0)
