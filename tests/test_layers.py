"""NumPy layers and losses against torch.nn in float64, plus numerical gradients."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlhelpers.env import set_seed
from dlhelpers.scratch import (
    Dropout,
    Flatten,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    gradcheck,
)
from dlhelpers.scratch.losses import CrossEntropyLoss, MSELoss, cross_entropy, mse

torch = pytest.importorskip("torch")
F64 = torch.float64
TOL = dict(rtol=1e-10, atol=1e-12)


def to_torch(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=F64, requires_grad=grad)


def torch_twin(module: Module):
    """The torch.nn twin of a NumPy module, with the same weights."""
    if isinstance(module, Sequential):
        twin = torch.nn.Sequential(*(torch_twin(m) for m in module))
    elif isinstance(module, Linear):
        twin = torch.nn.Linear(
            module.in_features, module.out_features, bias=module.bias is not None, dtype=F64
        )
    else:
        twin = {
            ReLU: torch.nn.ReLU,
            Sigmoid: torch.nn.Sigmoid,
            Tanh: torch.nn.Tanh,
            Flatten: torch.nn.Flatten,
        }[type(module)]()
    if isinstance(module, (Sequential, Linear)):
        twin.load_state_dict({k: to_torch(v) for k, v in module.state_dict().items()})
    return twin


def compare_with_torch(module: Module, x: np.ndarray, rng):
    """Forward, input gradient and parameter gradients of ``module`` vs its torch twin."""
    twin = torch_twin(module)
    y = module(x)
    xt = to_torch(x, grad=True)
    yt = twin(xt)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL)
    g = rng.normal(size=y.shape)
    module.zero_grad()
    gx = module.backward(g)
    yt.backward(to_torch(g))
    np.testing.assert_allclose(gx, xt.grad.numpy(), **TOL)
    torch_params = dict(twin.named_parameters())
    assert [n for n, _ in module.named_parameters()] == list(torch_params)
    for name, p in module.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), **TOL, err_msg=name)


def check_numerical(module: Module, x: np.ndarray, rng):
    """Gradients of ``sum(g * module(x))`` wrt x and every parameter vs central differences."""
    g = rng.normal(size=module(x).shape)
    module(x)
    module.zero_grad()
    gx = module.backward(g)
    assert gradcheck(module, x, gx, grad_output=g, rtol=1e-6, atol=1e-8)
    for name, p in module.named_parameters():
        # p.data is perturbed in place, so the closure sees each change
        try:
            gradcheck(lambda _: module(x), p.data, p.grad, grad_output=g, rtol=1e-6, atol=1e-8)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None


SHAPES = [(1, 1, 1), (1, 5, 3), (7, 3, 4), (32, 13, 9)]


@pytest.mark.parametrize("n, n_in, n_out", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(rng, n, n_in, n_out, bias):
    layer = Linear(n_in, n_out, bias=bias, rng=rng)
    assert layer.weight.shape == (n_out, n_in)
    compare_with_torch(layer, rng.normal(size=(n, n_in)), rng)


def test_linear_extra_leading_dims(rng):
    compare_with_torch(Linear(4, 3, rng=rng), rng.normal(size=(2, 5, 4)), rng)


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh])
@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (2, 3, 4)])
def test_activation_layers_match_torch(rng, cls, shape):
    compare_with_torch(cls(), 5 * rng.normal(size=shape), rng)


def test_activation_layers_extreme_inputs(rng):
    x = np.array([[-1e4, -30.0, 0.5, 30.0, 1e4]])
    for cls in (Sigmoid, Tanh, ReLU):
        compare_with_torch(cls(), x, rng)


def test_flatten_matches_torch(rng):
    compare_with_torch(Flatten(), rng.normal(size=(2, 3, 4, 5)), rng)
    assert Flatten()(np.zeros((2, 3, 4))).shape == (2, 12)
    assert Flatten(0)(np.zeros((2, 3, 4))).shape == (24,)


@pytest.mark.parametrize("sizes", [(784, 64, 32, 10), (3, 5, 1), (2, 1, 2), (6, 8, 8, 3)])
@pytest.mark.parametrize("act", [ReLU, Sigmoid, Tanh])
def test_sequential_mlp_matches_torch(rng, sizes, act):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=False):
        layers += [Linear(a, b, rng=rng), act()]
    model = Sequential(*layers[:-1])
    compare_with_torch(model, rng.normal(size=(5, sizes[0])), rng)


def test_primer_network_parameter_count_and_names():
    model = Sequential(Linear(784, 64), ReLU(), Linear(64, 32), ReLU(), Linear(32, 10))
    assert sum(p.numel() for p in model.parameters()) == 52_650
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    twin = torch.nn.Sequential(
        torch.nn.Linear(784, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 10),
    )
    assert names == [n for n, _ in twin.named_parameters()]
    assert sum(p.numel() for p in twin.parameters()) == 52_650


def test_state_dict_roundtrip_from_torch(rng):
    twin = torch.nn.Sequential(
        torch.nn.Linear(4, 3, dtype=F64), torch.nn.Tanh(), torch.nn.Linear(3, 2, dtype=F64)
    )
    model = Sequential(Linear(4, 3), Tanh(), Linear(3, 2))
    model.load_state_dict(twin.state_dict())  # torch tensors are accepted directly
    x = rng.normal(size=(6, 4))
    np.testing.assert_allclose(model(x), twin(to_torch(x)).detach().numpy(), **TOL)
    state = model.state_dict()
    state["0.weight"][:] = 0  # a copy: the model is unchanged
    assert np.any(model[0].weight.data != 0)
    with pytest.raises(KeyError, match="missing keys"):
        model.load_state_dict({"0.weight": state["0.weight"]})
    with pytest.raises(ValueError, match=r"0.bias has shape \(3,\), got shape \(4,\)"):
        model.load_state_dict({**state, "0.bias": np.zeros(4)})


def test_linear_init_like_torch():
    layer = Linear(100, 50, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(100)
    for p in (layer.weight.data, layer.bias.data):
        assert p.dtype == np.float64
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.9 * bound  # spread over the whole range
    twin = torch.nn.Linear(100, 50)
    assert float(twin.weight.detach().abs().max()) <= bound
    assert Linear(3, 2, dtype=np.float32).weight.data.dtype == np.float32


def test_linear_init_reproducible_with_set_seed():
    set_seed(3, threads=None)
    a = Linear(5, 4).weight.data
    set_seed(3, threads=None)
    b = Linear(5, 4).weight.data
    np.testing.assert_array_equal(a, b)
    assert np.any(Linear(5, 4).weight.data != a)


@pytest.mark.parametrize(
    "module, x",
    [
        (Linear(3, 4), (2, 3)),
        (Linear(1, 1), (1, 1)),
        (Linear(2, 3, bias=False), (4, 2)),
        (Sigmoid(), (2, 3)),
        (Tanh(), (3, 2)),
        (ReLU(), (2, 5)),
        (Sequential(Linear(3, 4), Tanh(), Linear(4, 2), Sigmoid()), (5, 3)),
    ],
)
def test_numerical_gradients(rng, module, x):
    x = rng.normal(size=x)
    if isinstance(module, ReLU):
        x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink
    for name, p in module.named_parameters():
        p.data[...] = rng.normal(size=p.shape)
        assert name
    check_numerical(module, x, rng)


def test_backward_accumulates_and_zero_grad_sets_none(rng):
    layer = Linear(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert layer.weight.grad is None
    layer(x)
    layer.backward(g)
    once = layer.weight.grad.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None
    layer.backward(g)
    layer.zero_grad(set_to_none=False)
    assert np.all(layer.weight.grad == 0)


def test_sequential_container_api(rng):
    model = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng))
    assert len(model) == 3
    assert isinstance(model[0], Linear) and isinstance(model[-1], Linear)
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    assert model.parameters()[0] is model[0].weight
    assert model.parameters()[1] is model[0].bias
    assert "(0): Linear(in_features=3, out_features=4, bias=True)" in repr(model)
    assert model.eval() is model and not model[0].training
    assert model.train().training and model[2].training
    with pytest.raises(TypeError, match="argument 1"):
        Sequential(Linear(2, 2), np.tanh)


def test_dropout_train_and_eval(rng):
    drop = Dropout(0.25, rng=rng)
    x = np.ones((200, 50))
    y = drop(x)
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(drop.backward(x), y)  # same mask
    drop.eval()
    np.testing.assert_array_equal(drop(x), x)
    with pytest.raises(ValueError):
        Dropout(1.5)


# --- losses ------------------------------------------------------------------


CE_CASES = [((1, 2), 1.0), ((5, 3), 1.0), ((16, 10), 3.0), ((7, 4), 1e4)]


@pytest.mark.parametrize("shape, scale", CE_CASES)
def test_cross_entropy_matches_torch(rng, shape, scale):
    logits = scale * rng.normal(size=shape)
    target = rng.integers(0, shape[1], size=shape[0])
    lt = to_torch(logits, grad=True)
    loss_t = torch.nn.functional.cross_entropy(lt, torch.tensor(target))
    loss_t.backward()
    assert np.isfinite(cross_entropy(logits, target))
    np.testing.assert_allclose(cross_entropy(logits, target), loss_t.item(), **TOL)
    loss_fn = CrossEntropyLoss()
    value = loss_fn(logits, target)
    assert isinstance(value, float)
    np.testing.assert_allclose(value, loss_t.item(), **TOL)
    np.testing.assert_allclose(loss_fn.backward(), lt.grad.numpy(), **TOL)


@pytest.mark.parametrize("shape", [(1,), (5, 3), (4, 2, 3)])
def test_mse_matches_torch(rng, shape):
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    pt = to_torch(pred, grad=True)
    loss_t = torch.nn.functional.mse_loss(pt, to_torch(target))
    loss_t.backward()
    np.testing.assert_allclose(mse(pred, target), loss_t.item(), **TOL)
    loss_fn = MSELoss()
    np.testing.assert_allclose(loss_fn(pred, target), loss_t.item(), **TOL)
    np.testing.assert_allclose(loss_fn.backward(), pt.grad.numpy(), **TOL)


def test_losses_numerical_gradients(rng):
    logits, target = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])
    ce = CrossEntropyLoss()
    ce(logits, target)
    assert gradcheck(lambda z: ce(z, target), logits, ce.backward(), rtol=1e-6, atol=1e-9)
    pred, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    m = MSELoss()
    m(pred, y)
    assert gradcheck(lambda z: m(z, y), pred, m.backward(), rtol=1e-6, atol=1e-9)


def test_training_step_end_to_end_matches_torch(rng):
    """Loss -> backward through a Sequential -> gradients, as in notebook 05."""
    model = Sequential(Linear(6, 5, rng=rng), ReLU(), Linear(5, 3, rng=rng))
    twin = torch_twin(model)
    x, y = rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)
    loss_fn = CrossEntropyLoss()
    loss = loss_fn(model(x), y)
    model.zero_grad()
    model.backward(loss_fn.backward())
    loss_t = torch.nn.functional.cross_entropy(twin(to_torch(x)), torch.tensor(y))
    loss_t.backward()
    np.testing.assert_allclose(loss, loss_t.item(), **TOL)
    for (name, p), (_, pt) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), **TOL, err_msg=name)


# --- clear errors ------------------------------------------------------------


def test_linear_bad_input_shape_message():
    layer = Linear(784, 64)
    with pytest.raises(ValueError) as err:
        layer(np.zeros((32, 785)))
    assert str(err.value) == (
        "Linear(784, 64) expected input with last dimension 784, got shape (32, 785)"
    )
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        layer(np.float64(1.0))


def test_bad_grad_shape_and_order_messages(rng):
    layer = Linear(3, 2)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 2)))
    layer(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"grad_output of shape \(4, 2\), got shape \(4, 3\)"):
        layer.backward(np.zeros((4, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        CrossEntropyLoss().backward()


def test_loss_bad_input_messages():
    with pytest.raises(ValueError, match=r"target of shape \(4,\).*got shape \(3,\)"):
        cross_entropy(np.zeros((4, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\), got shape \(4,\)"):
        cross_entropy(np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\(3, 1\) and \(3,\)"):
        mse(np.zeros((3, 1)), np.zeros(3))


def test_parameter_basics():
    p = Parameter([[1, 2], [3, 4]])
    assert p.shape == (2, 2) and p.numel() == 4 and p.data.dtype == np.float64
    assert p.grad is None
    p.accumulate(np.ones((2, 2)))
    p.accumulate(np.ones((2, 2)))
    assert np.all(p.grad == 2)


@pytest.mark.parametrize("x", [np.float64(3.0), np.ones(3)])
def test_flatten_refuses_inputs_without_its_dims(x):
    with pytest.raises(ValueError, match=rf"got shape {re.escape(str(np.shape(x)))}"):
        Flatten()(x)


@pytest.mark.parametrize(
    "dtype,want",
    [
        (np.int8, np.float64),
        (np.bool_, np.float64),
        (np.float16, np.float64),
        (np.float32, np.float32),
        (np.float64, np.float64),
    ],
)
def test_parameter_dtype_keeps_small_updates(dtype, want):
    p = Parameter(np.ones(2, dtype=dtype))
    assert p.data.dtype == want
    if want == np.float64:
        p.data -= 1e-8
        assert (p.data != 1.0).all()


@pytest.mark.parametrize(
    "cls", [Linear, ReLU, Sigmoid, Tanh, Flatten, Dropout, Sequential, CrossEntropyLoss, MSELoss]
)
def test_layers_name_their_torch_twin_and_type_forward_backward(cls):
    assert f"Twin of ``torch.nn.{cls.__name__}``" in cls.__doc__
    for method in (cls.forward, cls.backward):
        assert "return" in method.__annotations__ and method.__doc__
        assert "shape" in method.__doc__ or "as :func:" in method.__doc__
