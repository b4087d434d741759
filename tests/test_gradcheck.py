"""The one central-difference check: passes right gradients, names the worst wrong element."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.scratch import GradcheckError, Linear, gradcheck, numerical_gradient


def cube_sum(x):
    return float(np.sum(x**3))


def test_numerical_gradient_of_a_scalar_function_any_shape(rng):
    x = rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(numerical_gradient(cube_sum, x), 3 * x**2, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_with_grad_output_is_what_a_layer_backward_returns(rng):
    layer = Linear(4, 3)
    x, g = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    layer(x)
    gx = layer.backward(g)
    np.testing.assert_allclose(numerical_gradient(layer, x, grad_output=g), gx, rtol=1e-6)


def test_input_is_restored_and_parameters_can_be_read_through_a_closure(rng):
    layer = Linear(2, 2)
    x, g = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    w = layer.weight.data.copy()
    layer(x)
    layer.zero_grad()
    layer.backward(g)
    assert gradcheck(lambda _: layer(x), layer.weight.data, layer.weight.grad, grad_output=g)
    np.testing.assert_array_equal(layer.weight.data, w)


def test_right_gradient_passes(rng):
    x = rng.normal(size=7)
    assert gradcheck(cube_sum, x, 3 * x**2) is True


def test_wrong_gradient_fails_naming_the_worst_element(rng):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    wrong = 3 * x**2
    wrong[1, 0] += 0.5
    with pytest.raises(GradcheckError, match=r"index \(1, 0\): analytic 27\.5, numerical 27\.0"):
        gradcheck(cube_sum, x, wrong)
    assert issubclass(GradcheckError, AssertionError)


@pytest.mark.parametrize("where", ["analytic", "function"])
def test_nan_never_passes(where):
    x = np.array([1.0, 2.0])
    grad = 3 * x**2
    f = cube_sum
    if where == "analytic":
        grad[0] = np.nan
    else:
        f = lambda x: np.nan  # noqa: E731
        grad = np.full(2, np.nan)
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(f, x, grad)


def test_float32_input_is_refused_with_a_clear_error():
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="needs a float64 array, got float32 of shape \\(3,\\)"):
        gradcheck(cube_sum, x, 3 * x**2)


def test_lists_are_promoted_to_float64():
    assert gradcheck(cube_sum, [1, 2], [3.0, 12.0])


def test_shapes_that_do_not_match_are_refused():
    with pytest.raises(
        ValueError, match=r"gradient has shape \(3,\) but the input has shape \(2,\)"
    ):
        gradcheck(cube_sum, np.ones(2), np.ones(3))
    with pytest.raises(
        ValueError, match=r"grad_output has shape \(2,\) but f\(x\) has shape \(3,\)"
    ):
        numerical_gradient(lambda x: np.ones(3) * x.sum(), np.ones(2), grad_output=np.ones(2))
    with pytest.raises(ValueError, match="needs grad_output="):
        numerical_gradient(lambda x: x, np.ones(2))


def test_batched_matches_the_surface_helper(rng):
    pts = rng.normal(size=(6, 2))

    def f(p):
        return p[..., 0] ** 2 + 3 * p[..., 1]

    want = np.c_[2 * pts[:, 0], np.full(6, 3.0)]
    np.testing.assert_allclose(numerical_gradient(f, pts, batched=True), want, atol=1e-7)
