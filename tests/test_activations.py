"""NumPy activations vs torch: values and autograd gradients in float64."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlhelpers import scratch
from dlhelpers.scratch import gradcheck

SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (2, 1, 3, 5)]
EXTREMES = np.array(
    [-1e4, -1000.0, -745.0, -40.0, -1.0, -1e-12, 0.0, 1e-12, 1.0, 40.0, 709.0, 1000.0, 1e4]
)

# name -> (numpy f, numpy f', torch f)
ELEMENTWISE = {
    "relu": (scratch.relu, scratch.relu_grad, torch.relu),
    "sigmoid": (scratch.sigmoid, scratch.sigmoid_grad, torch.sigmoid),
    "tanh": (scratch.tanh, scratch.tanh_grad, torch.tanh),
    "leaky_relu": (scratch.leaky_relu, scratch.leaky_relu_grad, F.leaky_relu),
    "gelu": (scratch.gelu, scratch.gelu_grad, F.gelu),
    "gelu_tanh": (
        lambda x: scratch.gelu(x, approximate="tanh"),
        lambda x: scratch.gelu_grad(x, approximate="tanh"),
        lambda t: F.gelu(t, approximate="tanh"),
    ),
    "leaky_relu_0.2": (
        lambda x: scratch.leaky_relu(x, 0.2),
        lambda x: scratch.leaky_relu_grad(x, 0.2),
        lambda t: F.leaky_relu(t, 0.2),
    ),
}


def torch_value_and_grad(fn, x: np.ndarray):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = fn(t)
    y.sum().backward()
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", SHAPES)
def test_elementwise_matches_torch(name, shape, rng):
    f, df, tf = ELEMENTWISE[name]
    x = rng.normal(scale=4.0, size=shape)
    want_y, want_dy = torch_value_and_grad(tf, x)
    np.testing.assert_allclose(f(x), want_y, rtol=1e-13, atol=1e-15)
    # atol: the tanh-GELU slope cancels (1 + tanh ~ 0) in its left tail, where
    # one ulp of difference between NumPy's and torch's tanh shows up as 1e-15.
    np.testing.assert_allclose(df(x), want_dy, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_extreme_inputs_are_exact_and_silent(name):
    f, df, tf = ELEMENTWISE[name]
    want_y, want_dy = torch_value_and_grad(tf, EXTREMES)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        y, dy = f(EXTREMES), df(EXTREMES)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dy))
    # atol=1e-300: sigmoid(-745) is the subnormal 5e-324 here, 0.0 in torch.
    np.testing.assert_allclose(y, want_y, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(dy, want_dy, rtol=1e-12, atol=1e-300)


def test_sigmoid_saturates_exactly():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert scratch.sigmoid(-1000.0) == 0.0
        assert scratch.sigmoid(1000.0) == 1.0
        assert scratch.sigmoid(0.0) == 0.5
        assert scratch.sigmoid_grad(0.0) == 0.25


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu", "gelu", "gelu_tanh"])
def test_derivative_matches_central_difference(name, rng):
    f, df, _ = ELEMENTWISE[name]
    x = rng.uniform(-6, 6, size=200)
    x = x[np.abs(x) > 1e-3]  # ReLU's kink at 0 has no derivative
    assert gradcheck(
        lambda p: f(p[:, 0]), x[:, None], df(x)[:, None], batched=True, rtol=1e-6, atol=1e-8
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_is_kept_and_ints_become_float64(dtype):
    for name, (f, df, _) in ELEMENTWISE.items():
        assert f(np.ones(3, dtype=dtype)).dtype == dtype, name
        assert df(np.ones(3, dtype=dtype)).dtype == dtype, name
        assert f(np.arange(3)).dtype == np.float64, name


@pytest.mark.parametrize(
    "shape,dim", [((5,), -1), ((4, 10), -1), ((4, 10), 0), ((2, 3, 6), 1), ((1, 1), -1)]
)
def test_softmax_and_backward_match_torch(shape, dim, rng):
    x = rng.normal(scale=3.0, size=shape)
    g = rng.normal(size=shape)
    t = torch.tensor(x, requires_grad=True)
    y = torch.softmax(t, dim)
    (y * torch.tensor(g)).sum().backward()
    ours = scratch.softmax(x, dim)
    np.testing.assert_allclose(ours, y.detach().numpy(), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(
        scratch.softmax_backward(g, ours, dim), t.grad.numpy(), rtol=1e-11, atol=1e-14
    )
    np.testing.assert_allclose(
        scratch.log_softmax(x, dim),
        torch.log_softmax(torch.tensor(x), dim).numpy(),
        rtol=1e-13,
        atol=1e-13,
    )


def test_softmax_of_huge_logits_is_exact_and_silent():
    logits = np.array([[1e4, 1e4 - 1.0, -1e4], [1e4, 1e4, 1e4], [-1e4, 0.0, 1e4]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        p = scratch.softmax(logits)
        logp = scratch.log_softmax(logits)
    want = torch.softmax(torch.tensor(logits), -1).numpy()
    np.testing.assert_allclose(p, want, rtol=1e-14, atol=0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(p[1], [1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(
        logp, torch.log_softmax(torch.tensor(logits), -1).numpy(), rtol=1e-14
    )


def test_softmax_backward_matches_numerical_jacobian(rng):
    x = rng.normal(size=6)
    g = rng.normal(size=6)
    analytic = scratch.softmax_backward(g, scratch.softmax(x))
    assert gradcheck(scratch.softmax, x, analytic, grad_output=g, rtol=1e-6, atol=1e-9)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        scratch.gelu(1.0, approximate="fast")


def test_activation_registry_pairs_functions_with_their_derivatives():
    assert list(scratch.ACTIVATIONS) == ["relu", "sigmoid", "tanh", "leaky_relu", "gelu"]
    for f, df in scratch.ACTIVATIONS.values():
        assert f.__name__ + "_grad" == df.__name__


@pytest.mark.parametrize("name", scratch.activations.__all__)
def test_each_activation_is_typed_and_documents_shapes(name):
    fn = getattr(scratch.activations, name)
    assert "torch" in fn.__doc__  # names its twin (or the torch function it differentiates)
    assert fn.__annotations__["return"] == "np.ndarray"
    assert "shape" in fn.__doc__ or ":func:" in fn.__doc__  # shapes, or points to who has them
