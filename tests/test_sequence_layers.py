"""NumPy Embedding and LayerNorm against torch.nn in float64, plus numerical gradients."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.scratch.gradcheck import gradcheck
from dlhelpers.scratch.layers import Embedding, LayerNorm

torch = pytest.importorskip("torch")
F64 = torch.float64
TOL = dict(rtol=1e-9, atol=1e-11)


def t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


@pytest.mark.parametrize(
    "num, dim, shape, padding_idx",
    [(1, 1, (1,), None), (10, 4, (3, 7), None), (5, 3, (2, 2, 6), 0), (65, 16, (4, 32), -1)],
)
def test_embedding_matches_torch(num, dim, shape, padding_idx, rng):
    ours = Embedding(num, dim, padding_idx, rng=rng)
    twin = torch.nn.Embedding(num, dim, padding_idx, dtype=F64)
    assert ours.padding_idx == twin.padding_idx
    if padding_idx is not None:
        np.testing.assert_array_equal(ours.weight.data[padding_idx], 0)
    twin.load_state_dict({k: t(v) for k, v in ours.state_dict().items()})
    idx = rng.integers(0, num, shape)
    idx.flat[0] = idx.flat[-1]  # a repeated index must add up
    out = ours(idx)
    out_t = twin(torch.tensor(idx))
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOL)
    g = rng.normal(size=out.shape)
    assert ours.backward(g) is None
    out_t.backward(t(g))
    np.testing.assert_allclose(ours.weight.grad, twin.weight.grad.numpy(), **TOL)
    ours.backward(g)  # accumulates
    np.testing.assert_allclose(ours.weight.grad, 2 * twin.weight.grad.numpy(), **TOL)


def test_embedding_init_and_numerical_gradient(rng):
    emb = Embedding(500, 40, rng=rng)
    assert abs(emb.weight.data.mean()) < 0.02 and abs(emb.weight.data.std() - 1) < 0.02
    small = Embedding(4, 3, rng=rng)
    idx = np.array([[0, 2, 2], [3, 0, 2]])
    g = rng.normal(size=(2, 3, 3))
    small(idx)
    small.backward(g)
    assert gradcheck(lambda _: small(idx), small.weight.data, small.weight.grad, grad_output=g)


def test_embedding_refuses_bad_indices():
    emb = Embedding(5, 2)
    with pytest.raises(
        IndexError, match=r"index 5 is out of range for Embedding\(5, 2\): .* 0 to 4"
    ):
        emb(np.array([[1, 5]]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        emb([-1])
    with pytest.raises(TypeError, match="integer indices, got float64"):
        emb([1.0])
    with pytest.raises(ValueError, match=r"padding_idx=5 must be in \[-5, 4\]"):
        Embedding(5, 2, padding_idx=5)
    emb([1, 2])
    with pytest.raises(ValueError, match=r"grad_output of shape \(2, 2\), got shape \(2, 3\)"):
        emb.backward(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        Embedding(3, 2).backward(np.zeros((1, 2)))


LN_CASES = [
    ((4, 8), 8, True, True),
    ((2, 5, 6), 6, True, False),
    ((3, 4, 5), (4, 5), True, True),
    ((7, 3), 3, False, True),
    ((1, 1), 1, True, True),
    ((2, 3, 16), 16, True, True),
]


@pytest.mark.parametrize("shape, normalized, affine, bias", LN_CASES)
def test_layernorm_matches_torch(shape, normalized, affine, bias, rng):
    ours = LayerNorm(normalized, elementwise_affine=affine, bias=bias)
    twin = torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias, dtype=F64)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in twin.named_parameters()]
    state = {k: rng.normal(size=v.shape) for k, v in ours.state_dict().items()}
    ours.load_state_dict(state)
    twin.load_state_dict({k: t(v) for k, v in state.items()})
    x = 3 * rng.normal(size=shape) + 1
    xt = t(x, True)
    out, out_t = ours(x), twin(xt)
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOL)
    g = rng.normal(size=out.shape)
    out_t.backward(t(g))
    np.testing.assert_allclose(ours.backward(g), xt.grad.numpy(), **TOL)
    params_t = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, params_t[name].grad.numpy(), **TOL, err_msg=name)


def test_layernorm_defaults_and_numerical_gradients(rng):
    ln = LayerNorm(5)
    np.testing.assert_array_equal(ln.weight.data, 1)
    np.testing.assert_array_equal(ln.bias.data, 0)
    y = ln(rng.normal(size=(3, 5)) * 10)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-5)  # biased variance, less eps
    ln.load_state_dict({"weight": rng.normal(size=5), "bias": rng.normal(size=5)})
    x = rng.normal(size=(2, 3, 5))
    g = rng.normal(size=x.shape)
    ln(x)
    dx = ln.backward(g)
    assert gradcheck(ln, x, dx, grad_output=g, rtol=1e-6, atol=1e-8)
    for name, p in ln.named_parameters():
        assert gradcheck(lambda _: ln(x), p.data, p.grad, grad_output=g), name


def test_layernorm_refuses_wrong_shapes():
    ln = LayerNorm((4, 5))
    with pytest.raises(
        ValueError, match=r"expected input of shape \(\*, 4, 5\), got shape \(3, 5, 4\)"
    ):
        ln(np.zeros((3, 5, 4)))
    with pytest.raises(ValueError, match=r"got shape \(5,\)"):
        ln(np.zeros(5))
    ln(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=r"grad_output of shape \(2, 4, 5\)"):
        ln.backward(np.zeros((4, 5)))
