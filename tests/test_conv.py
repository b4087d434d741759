"""NumPy convolution and pooling (functions and layers) against torch in float64."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlhelpers.scratch import (
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv2d_output_size,
    gradcheck,
    im2col,
    max_pool2d,
    max_pool2d_backward,
    receptive_field,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional
F64 = torch.float64
TOL = dict(rtol=1e-10, atol=1e-12)


def to_torch(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=F64, requires_grad=grad)


def _maybe_pair(rng, low, high):
    """An int, or (one time in three) a pair of ints, in [low, high]."""
    if rng.random() < 1 / 3:
        return tuple(int(v) for v in rng.integers(low, high + 1, 2))
    return int(rng.integers(low, high + 1))


def _as_pair(v):
    return v if isinstance(v, tuple) else (v, v)


def _conv_configs(count=48, seed=7):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        kernel = tuple(int(v) for v in rng.integers(1, 6, 2))  # mostly non-square
        kernel = kernel if rng.random() < 0.7 else kernel[0]
        stride, padding, dilation = (
            _maybe_pair(rng, 1, 3),
            _maybe_pair(rng, 0, 2),
            _maybe_pair(rng, 1, 2),
        )
        # the smallest input the dilated kernel fits, plus a few (odd sizes like 7 x 9)
        size = tuple(
            max(1, d * (k - 1) + 1 - 2 * p) + int(rng.integers(0, 7))
            for k, p, d in zip(_as_pair(kernel), _as_pair(padding), _as_pair(dilation), strict=True)
        )
        out.append(
            dict(
                n=int(rng.integers(1, 4)),
                c_in=int(rng.integers(1, 5)),
                c_out=int(rng.integers(1, 5)),
                size=size,
                kernel=kernel,
                stride=stride,
                padding=padding,
                dilation=dilation,
                bias=bool(rng.random() < 0.8),
            )
        )
    return out


def _pool_configs(count=40, seed=11):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        kernel = _maybe_pair(rng, 1, 4)
        k = _as_pair(kernel)
        padding = (int(rng.integers(0, k[0] // 2 + 1)), int(rng.integers(0, k[1] // 2 + 1)))
        padding = padding[0] if rng.random() < 0.5 else padding
        stride = None if rng.random() < 0.3 else _maybe_pair(rng, 1, 3)
        size = tuple(
            max(1, kk - 2 * p) + int(rng.integers(0, 7))
            for kk, p in zip(k, _as_pair(padding), strict=True)
        )
        out.append(
            dict(
                n=int(rng.integers(1, 4)),
                c=int(rng.integers(1, 5)),
                size=size,
                kernel=kernel,
                stride=stride,
                padding=padding,
            )
        )
    return out


CONV_CONFIGS = _conv_configs()
POOL_CONFIGS = _pool_configs()


def _conv_case(rng, cfg):
    k = _as_pair(cfg["kernel"])
    x = rng.normal(size=(cfg["n"], cfg["c_in"], *cfg["size"]))
    w = rng.normal(size=(cfg["c_out"], cfg["c_in"], *k))
    b = rng.normal(size=cfg["c_out"]) if cfg["bias"] else None
    settings = {key: cfg[key] for key in ("stride", "padding", "dilation")}
    return x, w, b, settings


@pytest.mark.parametrize("cfg", CONV_CONFIGS, ids=lambda c: str(tuple(c.values())))
def test_conv2d_matches_torch(rng, cfg):
    x, w, b, settings = _conv_case(rng, cfg)
    xt, wt = to_torch(x, True), to_torch(w, True)
    bt = None if b is None else to_torch(b, True)
    yt = F.conv2d(xt, wt, bt, **settings)
    y = conv2d(x, w, b, **settings)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL)
    g = rng.normal(size=y.shape)
    yt.backward(to_torch(g))
    gx, gw, gb = conv2d_backward(g, x, w, **settings)
    np.testing.assert_allclose(gx, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(gw, wt.grad.numpy(), **TOL)
    np.testing.assert_allclose(gb, g.sum(axis=(0, 2, 3)), **TOL)
    if bt is not None:
        np.testing.assert_allclose(gb, bt.grad.numpy(), **TOL)


@pytest.mark.parametrize("cfg", CONV_CONFIGS[:16], ids=lambda c: str(tuple(c.values())))
def test_im2col_matches_torch_unfold_and_makes_conv2d_one_product(rng, cfg):
    x, w, b, settings = _conv_case(rng, cfg)
    cols = im2col(x, w.shape[2:], **settings)
    np.testing.assert_allclose(cols, F.unfold(to_torch(x), w.shape[2:], **settings).numpy(), **TOL)
    y = conv2d(x, w, b, **settings)
    product = w.reshape(w.shape[0], -1) @ cols  # (N, C_out, Ho * Wo)
    np.testing.assert_allclose(
        product.reshape(y.shape) + (0 if b is None else b[:, None, None]), y, **TOL
    )


@pytest.mark.parametrize("cfg", CONV_CONFIGS[:12], ids=lambda c: str(tuple(c.values())))
def test_conv2d_layer_matches_torch_nn(rng, cfg):
    layer = Conv2d(
        cfg["c_in"],
        cfg["c_out"],
        cfg["kernel"],
        cfg["stride"],
        cfg["padding"],
        cfg["dilation"],
        bias=cfg["bias"],
        rng=rng,
    )
    twin = torch.nn.Conv2d(
        cfg["c_in"],
        cfg["c_out"],
        cfg["kernel"],
        cfg["stride"],
        cfg["padding"],
        cfg["dilation"],
        bias=cfg["bias"],
        dtype=F64,
    )
    twin.load_state_dict({k: to_torch(v) for k, v in layer.state_dict().items()})
    assert repr(layer) == repr(twin)
    x = rng.normal(size=(cfg["n"], cfg["c_in"], *cfg["size"]))
    xt = to_torch(x, True)
    y, yt = layer(x), twin(xt)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL)
    g = rng.normal(size=y.shape)
    gx = layer.backward(g)
    yt.backward(to_torch(g))
    np.testing.assert_allclose(gx, xt.grad.numpy(), **TOL)
    torch_params = dict(twin.named_parameters())
    assert [n for n, _ in layer.named_parameters()] == list(torch_params)
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), **TOL, err_msg=name)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("cfg", POOL_CONFIGS, ids=lambda c: str(tuple(c.values())))
def test_pools_match_torch(rng, cfg, kind):
    forward, backward, layer_cls, twin = {
        "max": (max_pool2d, max_pool2d_backward, MaxPool2d, F.max_pool2d),
        "avg": (avg_pool2d, avg_pool2d_backward, AvgPool2d, F.avg_pool2d),
    }[kind]
    settings = dict(kernel_size=cfg["kernel"], stride=cfg["stride"], padding=cfg["padding"])
    x = rng.normal(size=(cfg["n"], cfg["c"], *cfg["size"]))
    xt = to_torch(x, True)
    yt = twin(xt, **settings)
    y = forward(x, **settings)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), **TOL)
    g = rng.normal(size=y.shape)
    yt.backward(to_torch(g))
    np.testing.assert_allclose(backward(g, x, **settings), xt.grad.numpy(), **TOL)
    layer = layer_cls(**settings)
    np.testing.assert_allclose(layer(x), y, **TOL)
    np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), **TOL)


def test_conv2d_output_size_matches_torch():
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(200):
        size, k = int(rng.integers(1, 20)), int(rng.integers(1, 6))
        s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
        if d * (k - 1) + 1 > size + 2 * p:
            assert conv2d_output_size(size, k, s, p, d) <= 0
            continue
        out = F.conv2d(torch.zeros(1, 1, size, 1), torch.zeros(1, 1, k, 1), None, s, (p, 0), d)
        assert conv2d_output_size(size, k, s, p, d) == out.shape[2], (size, k, s, p, d)
        checked += 1
    assert checked > 100
    assert conv2d_output_size(28, 5, padding=2) == 28
    assert conv2d_output_size(14, 5) == 10
    with pytest.raises(ValueError, match="stride=0 must be at least 1"):
        conv2d_output_size(14, 5, stride=0)
    with pytest.raises(ValueError, match="size=14.5 is not a whole number"):
        conv2d_output_size(14.5, 5)


def test_gradcheck_conv2d_input_weight_bias(rng):
    x, w, b = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    settings = dict(stride=(2, 1), padding=1, dilation=(1, 2))
    g = rng.normal(size=conv2d(x, w, b, **settings).shape)
    gx, gw, gb = conv2d_backward(g, x, w, **settings)
    check = dict(grad_output=g, rtol=1e-6, atol=1e-8)
    assert gradcheck(lambda v: conv2d(v, w, b, **settings), x, gx, **check)
    assert gradcheck(lambda v: conv2d(x, v, b, **settings), w, gw, **check)
    assert gradcheck(lambda v: conv2d(x, w, v, **settings), b, gb, **check)


def test_gradcheck_conv2d_layer_parameters(rng):
    layer, x = Conv2d(2, 3, (2, 3), padding=(1, 0), rng=rng), rng.normal(size=(2, 2, 4, 5))
    g = rng.normal(size=layer(x).shape)
    gx = layer.backward(g)
    assert gradcheck(layer, x, gx, grad_output=g, rtol=1e-6, atol=1e-8)
    for p in layer.parameters():  # p.data is perturbed in place, so the closure sees it
        assert gradcheck(lambda _: layer(x), p.data, p.grad, grad_output=g, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "forward, backward",
    [(max_pool2d, max_pool2d_backward), (avg_pool2d, avg_pool2d_backward)],
)
@pytest.mark.parametrize(
    "settings", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)]
)
def test_gradcheck_pools(rng, forward, backward, settings):
    x = rng.normal(size=(2, 2, 5, 6))  # random: no ties, so max pooling is differentiable here
    g = rng.normal(size=forward(x, **settings).shape)
    gx = backward(g, x, **settings)
    assert gradcheck(lambda v: forward(v, **settings), x, gx, grad_output=g, rtol=1e-6, atol=1e-8)


def test_lenet_loads_a_torch_state_dict_one_to_one(rng):
    torch.manual_seed(0)
    nn = torch.nn
    twin = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    ).double()
    model = Sequential(
        Conv2d(1, 6, 5, padding=2),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(400, 120),
        ReLU(),
        Linear(120, 84),
        ReLU(),
        Linear(84, 10),
    )
    model.load_state_dict(twin.state_dict())
    assert list(model.state_dict()) == list(twin.state_dict())
    x = rng.normal(size=(3, 1, 28, 28))
    xt = to_torch(x, True)
    logits, logits_t = model(x), twin(xt)
    assert logits.shape == (3, 10)
    np.testing.assert_allclose(logits, logits_t.detach().numpy(), **TOL)
    g = rng.normal(size=logits.shape)
    gx = model.backward(g)
    logits_t.backward(to_torch(g))
    np.testing.assert_allclose(gx, xt.grad.numpy(), **TOL)
    for (name, p), (_, pt) in zip(model.named_parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), **TOL, err_msg=name)


def test_unbatched_input_like_torch(rng):
    x, w, b = rng.normal(size=(2, 7, 9)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    y = conv2d(x, w, b, padding=1)
    assert y.shape == (3, 7, 9)
    np.testing.assert_allclose(y, F.conv2d(to_torch(x), to_torch(w), to_torch(b), padding=1), **TOL)
    g = rng.normal(size=y.shape)
    gx, gw, gb = conv2d_backward(g, x, w, padding=1)
    batched = conv2d_backward(g[None], x[None], w, padding=1)
    assert gx.shape == x.shape
    for got, want in zip((gx[None], gw, gb), batched, strict=True):
        np.testing.assert_allclose(got, want, **TOL)
    layer = Conv2d(2, 3, 3, padding=1)
    assert layer(x).shape == (3, 7, 9) and layer.backward(g).shape == x.shape
    for cls, twin in ((MaxPool2d, F.max_pool2d), (AvgPool2d, F.avg_pool2d)):
        pool = cls(2)
        np.testing.assert_allclose(pool(x), twin(to_torch(x), 2), **TOL)
        assert pool.backward(np.ones((2, 3, 4))).shape == x.shape
    assert max_pool2d(x, 2).shape == avg_pool2d(x, 2).shape == (2, 3, 4)


def test_dtypes_float32_kept_ints_become_float64(rng):
    x, w = rng.normal(size=(2, 1, 6, 6)).astype(np.float32), np.ones((2, 1, 3, 3), np.float32)
    assert conv2d(x, w).dtype == np.float32
    g = np.ones((2, 2, 4, 4), np.float32)
    assert all(a.dtype == np.float32 for a in conv2d_backward(g, x, w))
    layer = Conv2d(1, 2, 3, dtype=np.float32)
    assert layer.weight.data.dtype == np.float32 and layer(x).dtype == np.float32
    assert layer.backward(g).dtype == np.float32 and layer.weight.grad.dtype == np.float32
    for f in (max_pool2d, avg_pool2d):
        assert f(x, 2).dtype == np.float32
        assert f(np.arange(16).reshape(1, 1, 4, 4), 2).dtype == np.float64
    y = conv2d(np.arange(16).reshape(1, 1, 4, 4), np.ones((1, 1, 2, 2), dtype=int))
    assert y.dtype == np.float64 and y[0, 0, 0, 0] == 0 + 1 + 4 + 5


def test_non_finite_input_allowed_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1], x[0, 0, 2, 3] = np.inf, np.nan
    w = np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(conv2d(x, w), F.conv2d(to_torch(x), to_torch(w)).numpy())
    for f, twin in ((max_pool2d, F.max_pool2d), (avg_pool2d, F.avg_pool2d)):
        np.testing.assert_array_equal(f(x, 2, 1), twin(to_torch(x), 2, 1).numpy())


def test_max_pool_tie_goes_to_the_first_maximum_like_torch():
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 3.0, 1.0]]]])
    xt = to_torch(x, True)
    F.max_pool2d(xt, 2, 1).backward(torch.ones(1, 1, 2, 2, dtype=F64))
    gx = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, 1)
    np.testing.assert_array_equal(gx, xt.grad.numpy())
    assert gx[0, 0, 0, 1] == 2 and gx[0, 0, 1, 2] == 1  # the first 3 of each window, row by row


def test_backward_accumulates_twice_doubles_grad(rng):
    layer, x = Conv2d(2, 3, 3, rng=rng), rng.normal(size=(2, 2, 5, 5))
    g = rng.normal(size=layer(x).shape)
    layer.backward(g)
    once = [p.grad.copy() for p in layer.parameters()]
    layer.backward(g)
    for p, first in zip(layer.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * first, **TOL)
    layer.zero_grad()
    assert all(p.grad is None for p in layer.parameters())


def test_conv2d_init_like_torch():
    layer = Conv2d(3, 8, (5, 3), rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(3 * 5 * 3)
    assert layer.weight.shape == (8, 3, 5, 3) and layer.bias.shape == (8,)
    for p in (layer.weight.data, layer.bias.data):
        assert p.dtype == np.float64 and bound * 0.8 < np.abs(p).max() <= bound
    twin = torch.nn.Conv2d(3, 8, (5, 3))
    assert float(twin.weight.detach().abs().max()) <= bound
    assert Conv2d(1, 2, 3, bias=False).bias is None


def test_reprs():
    for args, kw in [
        ((1, 6, 5), dict(padding=2)),
        ((6, 16, (3, 5)), dict(stride=2, dilation=2)),
        ((2, 2, 1), dict(bias=False)),
    ]:
        assert repr(Conv2d(*args, **kw)) == repr(torch.nn.Conv2d(*args, **kw))
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"


def _zeros(*shape):
    return np.zeros(shape)


BAD = [
    (
        lambda: conv2d(_zeros(1, 1, 2, 2), _zeros(1, 1, 3, 3)),
        r"padded input size per channel 2 x 2 .* kernel size 3 x 3",
    ),
    (
        lambda: conv2d(_zeros(1, 1, 4, 6), _zeros(1, 1, 3, 3), padding=(0, 1), dilation=2),
        r"padded input size per channel 4 x 8 .* kernel size 5 x 5",
    ),
    (
        lambda: conv2d(_zeros(2, 3, 5, 5), _zeros(8, 1, 3, 3)),
        r"weight of shape \(8, 1, 3, 3\) expects input with 1 channels, got input of shape "
        r"\(2, 3, 5, 5\) with 3 channels",
    ),
    (
        lambda: conv2d(_zeros(5, 5), _zeros(1, 1, 3, 3)),
        r"3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(5, 5\)",
    ),
    (lambda: conv2d(_zeros(1, 1, 1, 5, 5), _zeros(1, 1, 3, 3)), r"got shape \(1, 1, 1, 5, 5\)"),
    (lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(3, 3)), r"4-D weight .* got shape \(3, 3\)"),
    (
        lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(2, 1, 3, 3), _zeros(3)),
        r"bias must have shape \(2,\) for weight of shape \(2, 1, 3, 3\), got shape \(3,\)",
    ),
    (
        lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), stride=0),
        "stride=0 must be at least 1",
    ),
    (
        lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), dilation=(1, 0)),
        r"dilation\[1\]=0 must be at least 1",
    ),
    (
        lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), padding=-1),
        "padding=-1 must be at least 0",
    ),
    (
        lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), stride=1.5),
        "stride=1.5 is not a whole number",
    ),
    (
        lambda: conv2d(_zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3), padding=(1, 2, 3)),
        r"padding must be an int or a pair of ints, got \(1, 2, 3\)",
    ),
    (lambda: im2col(_zeros(1, 5, 5), 3), r"im2col expected a 4-D \(N, C, H, W\) input, got shape"),
    (lambda: im2col(_zeros(1, 1, 2, 2), 3), r"padded input size per channel 2 x 2"),
    (lambda: im2col(_zeros(1, 1, 5, 5), 3, stride=0), "stride=0 must be at least 1"),
    (lambda: Conv2d(1, 2, 2.5), "kernel_size=2.5 is not a whole number"),
    (lambda: Conv2d(0, 2, 3), "in_channels=0 must be at least 1"),
    (
        lambda: Conv2d(1, 2, 3)(_zeros(2, 3, 5, 5)),
        r"weight of shape \(2, 1, 3, 3\) expects input with 1 channels, got input of shape \(2, 3, 5, 5\)",
    ),
    (
        lambda: conv2d_backward(_zeros(1, 1, 4, 4), _zeros(1, 1, 5, 5), _zeros(1, 1, 3, 3)),
        r"grad_output of shape \(1, 1, 3, 3\) for input of shape \(1, 1, 5, 5\) and weight of shape "
        r"\(1, 1, 3, 3\), got shape \(1, 1, 4, 4\)",
    ),
    (
        lambda: max_pool2d(_zeros(1, 1, 5, 5), 3, padding=2),
        r"padding should be at most half of the kernel size, got padding=\(2, 2\) for kernel_size=\(3, 3\)",
    ),
    (
        lambda: avg_pool2d(_zeros(1, 1, 5, 5), (2, 4), padding=(2, 0)),
        r"padding=\(2, 0\) for kernel_size=\(2, 4\)",
    ),
    (lambda: MaxPool2d(3, padding=2), r"padding should be at most half .* padding=\(2, 2\)"),
    (
        lambda: max_pool2d(_zeros(1, 1, 2, 2), 3),
        r"padded input size per channel 2 x 2 .* kernel size 3 x 3",
    ),
    (
        lambda: avg_pool2d(_zeros(4, 4), 2),
        r"3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(4, 4\)",
    ),
    (lambda: max_pool2d(_zeros(1, 1, 4, 4), 2, stride=0), "stride=0 must be at least 1"),
    (
        lambda: max_pool2d_backward(_zeros(1, 1, 3, 3), _zeros(1, 1, 4, 4), 2),
        r"grad_output of shape \(1, 1, 2, 2\) for input of shape \(1, 1, 4, 4\), got shape \(1, 1, 3, 3\)",
    ),
]


@pytest.mark.parametrize("call, message", BAD, ids=[re.sub(r"\W+", " ", m)[:40] for _, m in BAD])
def test_bad_input_raises_naming_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backward_before_forward_and_bad_grad_shape():
    for layer in (Conv2d(1, 2, 3), MaxPool2d(2), AvgPool2d(2)):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(_zeros(1, 2, 2, 2))
        layer(_zeros(1, 1, 4, 4))
        with pytest.raises(ValueError, match=r"got shape \(1, 2, 3, 3\)"):
            layer.backward(_zeros(1, 2, 3, 3))


@pytest.mark.parametrize("cls", [Conv2d, MaxPool2d, AvgPool2d])
def test_layers_name_their_torch_twin_and_type_forward_backward(cls):
    assert f"Twin of ``torch.nn.{cls.__name__}``" in cls.__doc__
    for method in (cls.forward, cls.backward):
        assert "return" in method.__annotations__ and method.__doc__
        assert "shape" in method.__doc__


@pytest.mark.parametrize(
    "layers",
    [
        [(3, 1), (3, 1), (2, 2), (3, 1)],
        [(5, 1), (2, 2), (5, 1), (2, 2)],  # LeNet, with padding 2 on the first conv
        [(3, 2), (3, 2), (1, 1), (4, 3)],
        [(2, 1)],
    ],
)
def test_receptive_field_is_what_a_gradient_reaches(layers):
    stack = []
    for k, s in layers:  # all-ones convolutions and average pools: nothing cancels
        conv = Conv2d(1, 1, k, stride=s, bias=False)
        conv.weight.data[...] = 1.0
        stack.append(conv)
    net = Sequential(*stack)
    out = net(np.ones((1, 1, 48, 48)))
    g = np.zeros_like(out)
    g[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
    rows = np.flatnonzero(np.abs(net.backward(g)[0, 0]).sum(axis=1) > 0)
    assert receptive_field(layers) == rows[-1] - rows[0] + 1


def test_receptive_field_bad_layers():
    assert receptive_field([]) == 1
    with pytest.raises(ValueError, match=r"layers\[1\] must be a \(kernel_size, stride\) pair"):
        receptive_field([(3, 1), 3])
    with pytest.raises(ValueError, match=r"layers\[0\] stride=0"):
        receptive_field([(3, 0)])
