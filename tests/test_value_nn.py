"""Neuron, Layer and MLP of Values against torch (float64, copied weights) and central differences."""

import numpy as np
import pytest
import torch

from dlhelpers.scratch import Value, numerical_gradient
from dlhelpers.scratch.value_nn import MLP, Layer, Neuron, linear_params, load_linear_params


def _torch_twin(arrays):
    layers = []
    for i in range(0, len(arrays), 2):
        w = torch.tensor(arrays[i])
        lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(torch.tensor(arrays[i + 1]))
        layers += [lin, torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("n_in,sizes", [(3, [4, 2]), (2, [5, 3, 1]), (1, [1])])
def test_mlp_matches_torch_outputs_and_gradients(n_in, sizes):
    rng = np.random.default_rng(7)
    net = MLP(n_in, sizes, rng=rng)
    dims = [n_in, *sizes]
    arrays = []
    for a, b in zip(dims[:-1], dims[1:], strict=True):
        arrays += [rng.normal(size=(b, a)), rng.normal(size=b)]
    load_linear_params(net.parameters(), arrays)
    x = rng.normal(size=n_in)
    weights = rng.normal(size=sizes[-1])
    xs = [Value(v) for v in x]
    out = net(xs)
    loss = sum((w * o for w, o in zip(weights, out, strict=True)), Value(0.0))
    loss.backward()

    twin = _torch_twin(arrays)
    xt = torch.tensor(x, requires_grad=True)
    out_t = twin(xt)
    (out_t * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose([o.data for o in out], out_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose([v.grad for v in xs], xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    shapes = [a.shape for a in arrays]
    for got, p in zip(
        linear_params(net.parameters(), shapes, attr="grad"), twin.parameters(), strict=True
    ):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-10, atol=1e-14)
    for got, want in zip(linear_params(net.parameters(), shapes), arrays, strict=True):
        np.testing.assert_array_equal(got, want)


def test_mlp_gradients_match_central_differences():
    rng = np.random.default_rng(3)
    net = MLP(2, [3, 2], rng=rng)
    params = net.parameters()
    theta = np.array([p.data for p in params])
    x = [0.4, -1.1]

    def loss_at(t):
        for p, v in zip(params, t, strict=True):
            p.data = float(v)
        out = net(x)
        return (out[0] * out[1] + out[0] ** 2).data

    numeric = numerical_gradient(loss_at, theta.copy())
    for p, v in zip(params, theta, strict=True):
        p.data, p.grad = float(v), 0.0
    out = net(x)
    (out[0] * out[1] + out[0] ** 2).backward()
    np.testing.assert_allclose([p.grad for p in params], numeric, rtol=1e-6, atol=1e-9)


def test_neuron_layer_shapes_and_order():
    rng = np.random.default_rng(0)
    neuron = Neuron(3, activation=False, rng=rng)
    assert neuron.parameters()[-1] is neuron.b and len(neuron.parameters()) == 4
    out = neuron([1.0, 2.0, 3.0])
    want = sum(w.data * x for w, x in zip(neuron.w, [1, 2, 3], strict=True)) + neuron.b.data
    assert out.data == pytest.approx(want)
    layer = Layer(3, 2, rng=rng)
    assert len(layer([0.0, 1.0, 2.0])) == 2 and len(layer.parameters()) == 8
    assert len(MLP(784, [64, 32, 10], rng=rng).parameters()) == 52_650


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Neuron(0), "n_in"),
        (lambda: Layer(2, 1.5), "n_out"),
        (lambda: MLP(2, []), "sizes"),
        (lambda: MLP(2, "4"), "sizes"),
        (lambda: MLP(2, [4, 0]), "sizes"),
        (lambda: MLP(2, [3])([1.0, 2.0, 3.0]), "takes 2"),
        (lambda: MLP(2, [3])("ab"), "list of 2"),
        (lambda: load_linear_params(MLP(2, [3]).parameters(), [np.zeros((3, 2))]), "pairs"),
        (
            lambda: load_linear_params(MLP(2, [3]).parameters(), [np.zeros((3, 2)), np.zeros(2)]),
            "shapes",
        ),
        (
            lambda: load_linear_params(MLP(2, [3]).parameters(), [np.zeros((4, 2)), np.zeros(4)]),
            "9 parameters",
        ),
        (lambda: linear_params(MLP(2, [3]).parameters(), [(3, 2), (3,)], attr="w"), "attr"),
        (lambda: linear_params(MLP(2, [3]).parameters(), [(4, 2), (4,)]), "do not fill"),
    ],
)
def test_bad_input_says_what_is_wrong(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
