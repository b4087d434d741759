"""NumPy attention against torch in float64: F.scaled_dot_product_attention and nn.MultiheadAttention."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlhelpers.scratch.attention import (
    MultiheadAttention,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from dlhelpers.scratch.gradcheck import gradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional
F64 = torch.float64
TOL = dict(rtol=1e-9, atol=1e-11)


def t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def _sdpa_configs(n: int, seed: int = 0) -> list[dict]:
    r = np.random.default_rng(seed)
    leads = [(), (3,), (2, 3), (2, 1)]
    masks = ["none", "bool", "float", "causal", "bool_broadcast"]
    return [
        dict(
            lead=leads[i % len(leads)],
            L=int(r.integers(1, 7)),
            S=int(r.integers(1, 7)),
            E=int(r.integers(1, 6)),
            Ev=int(r.integers(1, 6)),
            mask=masks[i % len(masks)],
            scale=None if i % 3 else float(r.uniform(0.1, 2)),
        )
        for i in range(n)
    ]


SDPA = _sdpa_configs(20)


def _bool_mask(rng, shape):
    mask = rng.random(shape) < 0.6
    mask[..., 0] = True  # every query sees at least one key: torch and we agree anyway, but keep it
    return mask


@pytest.mark.parametrize("cfg", SDPA, ids=[f"cfg{i}" for i in range(len(SDPA))])
def test_sdpa_matches_torch(cfg, rng):
    lead, L, S = cfg["lead"], cfg["L"], cfg["S"]
    q = rng.normal(size=lead + (L, cfg["E"]))
    k = rng.normal(size=lead[1:] + (S, cfg["E"]))  # fewer leading dims: broadcast
    v = rng.normal(size=lead[1:] + (S, cfg["Ev"]))
    kw = {"scale": cfg["scale"]}
    if cfg["mask"] == "bool":
        kw["attn_mask"] = _bool_mask(rng, (L, S))
    elif cfg["mask"] == "bool_broadcast":
        kw["attn_mask"] = _bool_mask(rng, lead + (L, S))
    elif cfg["mask"] == "float":
        kw["attn_mask"] = rng.normal(size=(L, S))
    elif cfg["mask"] == "causal":
        kw["is_causal"] = True
    out, w = scaled_dot_product_attention(q, k, v, return_weights=True, **kw)
    qt, kt, vt = t(q, True), t(k, True), t(v, True)
    tkw = {key: t(val) if key == "attn_mask" else val for key, val in kw.items()}
    out_t = F.scaled_dot_product_attention(qt, kt, vt, **tkw)
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, **TOL)
    g = rng.normal(size=out.shape)
    out_t.backward(t(g))
    grads = scaled_dot_product_attention_backward(g, q, k, v, w, scale=cfg["scale"])
    for ours, theirs, name in zip(grads, (qt, kt, vt), "qkv", strict=True):
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours, theirs.grad.numpy(), **TOL, err_msg=name)


def test_sdpa_without_weights_and_causal_weights(rng):
    q, k, v = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    out, w = scaled_dot_product_attention(q, k, v, is_causal=True, return_weights=True)
    np.testing.assert_array_equal(w[np.triu_indices(4, 1)], 0.0)  # no peeking ahead
    np.testing.assert_allclose(out[0], v[0], **TOL)  # the first query sees only the first key
    np.testing.assert_array_equal(scaled_dot_product_attention(q, k, v, is_causal=True), out)


def test_sdpa_query_that_may_see_nothing_gets_zeros_like_torch(rng):
    q, k, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out, w = scaled_dot_product_attention(q, k, v, mask, return_weights=True)
    np.testing.assert_array_equal(w[1], 0.0)
    np.testing.assert_allclose(
        out, F.scaled_dot_product_attention(t(q), t(k), t(v), t(mask)), **TOL
    )
    float_mask = np.where(mask, 0.0, -np.inf)
    np.testing.assert_array_equal(scaled_dot_product_attention(q, k, v, float_mask), out)


def test_sdpa_numerical_gradients(rng):
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 3))
    mask = rng.normal(size=(3, 5))
    out, w = scaled_dot_product_attention(q, k, v, mask, return_weights=True)
    g = rng.normal(size=out.shape)
    dq, dk, dv = scaled_dot_product_attention_backward(g, q, k, v, w)
    f = lambda _: scaled_dot_product_attention(q, k, v, mask)
    for x, dx in ((q, dq), (k, dk), (v, dv)):
        assert gradcheck(f, x, dx, grad_output=g, rtol=1e-6, atol=1e-8)


def test_sdpa_refuses_bad_arguments(rng):
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    with pytest.raises(
        ValueError, match=r"got query \(2, 3, 4\), key \(2, 5, 3\), value \(2, 5, 6\)"
    ):
        scaled_dot_product_attention(q, np.zeros((2, 5, 3)), v)
    with pytest.raises(ValueError, match=r"value \(2, 4, 6\)"):
        scaled_dot_product_attention(q, k, np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match=r"query \(3, 3, 4\)"):
        scaled_dot_product_attention(np.zeros((3, 3, 4)), k, v)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(3, 4\) does not broadcast"):
        scaled_dot_product_attention(q, k, v, np.ones((3, 4), bool))
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal=True"):
        scaled_dot_product_attention(q, k, v, np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match="dropout_p=0.1"):
        scaled_dot_product_attention(q, k, v, dropout_p=0.1)
    out, w = scaled_dot_product_attention(q, k, v, return_weights=True)
    with pytest.raises(
        ValueError, match=r"grad_output of shape \(2, 3, 4\) does not match .* \(2, 3, 6\)"
    ):
        scaled_dot_product_attention_backward(np.zeros((2, 3, 4)), q, k, v, w)
    with pytest.raises(ValueError, match=r"weights of shape \(2, 5, 3\)"):
        scaled_dot_product_attention_backward(out, q, k, v, np.zeros((2, 5, 3)))


# --- multi-head attention ----------------------------------------------------------------


def _mha_configs(n: int, seed: int = 1) -> list[dict]:
    r = np.random.default_rng(seed)
    masks = [
        "none",
        "attn_bool",
        "attn_float",
        "attn_3d",
        "pad_bool",
        "pad_float",
        "both",
        "causal",
    ]
    out = []
    for i in range(n):
        h = int(r.choice([1, 2, 4]))
        out.append(
            dict(
                h=h,
                E=h * int(r.integers(1, 4)),
                L=int(r.integers(1, 6)),
                S=int(r.integers(1, 6)),
                N=int(r.integers(1, 4)),
                batch_first=bool(i % 2),
                batched=i % 5 != 3,
                bias=i % 3 != 2,
                mask=masks[i % len(masks)],
                need_weights=i % 4 != 1,
                average=i % 3 != 1,
                self_attention=i % 6 == 0,
            )
        )
    return out


MHA = _mha_configs(24)


def _mha_masks(cfg, rng) -> dict:
    N, h, L, S, kind = cfg["N"], cfg["h"], cfg["L"], cfg["S"], cfg["mask"]
    lead = (N * h,) if cfg["batched"] else (h,)
    pad_shape = (N, S) if cfg["batched"] else (S,)
    kw = {}
    if kind in ("attn_bool", "both"):
        kw["attn_mask"] = ~_bool_mask(rng, (L, S))  # True blocks, in nn.MultiheadAttention
    if kind == "attn_float":
        kw["attn_mask"] = rng.normal(size=(L, S))
    if kind == "attn_3d":
        kw["attn_mask"] = rng.normal(size=lead + (L, S))
    if kind in ("pad_bool", "both"):
        kw["key_padding_mask"] = ~_bool_mask(rng, pad_shape)
    if kind == "pad_float":
        kw["key_padding_mask"] = rng.normal(size=pad_shape)
    if kind == "causal":
        kw["attn_mask"] = np.triu(np.ones((L, S), bool), 1)
        kw["is_causal"] = True
    return kw


@pytest.mark.parametrize("cfg", MHA, ids=[f"cfg{i}" for i in range(len(MHA))])
def test_multihead_attention_matches_torch(cfg, rng):
    E, h, L, S, N = cfg["E"], cfg["h"], cfg["L"], cfg["S"], cfg["N"]
    if cfg["self_attention"]:
        S = L
    bf, bias = cfg["batch_first"], cfg["bias"]
    ours = MultiheadAttention(E, h, bias=bias, batch_first=bf, rng=rng)
    twin = torch.nn.MultiheadAttention(E, h, bias=bias, batch_first=bf, dtype=F64)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in twin.named_parameters()]
    ours.load_state_dict({k: rng.normal(size=v.shape) for k, v in ours.state_dict().items()})
    twin.load_state_dict({k: t(v) for k, v in ours.state_dict().items()})

    def shape(T):
        return ((N, T, E) if bf else (T, N, E)) if cfg["batched"] else (T, E)

    q = rng.normal(size=shape(L))
    k, v = (
        (q, q) if cfg["self_attention"] else (rng.normal(size=shape(S)), rng.normal(size=shape(S)))
    )
    kw = _mha_masks(dict(cfg, S=S), rng)
    kw.update(need_weights=cfg["need_weights"], average_attn_weights=cfg["average"])
    tkw = {key: t(val) if isinstance(val, np.ndarray) else val for key, val in kw.items()}
    out, w = ours(q, k, v, **kw)
    if cfg["self_attention"]:
        xt = t(q, True)
        out_t, w_t = twin(xt, xt, xt, **tkw)
    else:
        qt, kt, vt = t(q, True), t(k, True), t(v, True)
        out_t, w_t = twin(qt, kt, vt, **tkw)
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOL)
    assert (w is None) == (w_t is None)
    if w is not None:
        assert w.shape == tuple(w_t.shape)
        np.testing.assert_allclose(w, w_t.detach().numpy(), **TOL)
    g = rng.normal(size=out.shape)
    out_t.backward(t(g))
    grads = ours.backward(g)
    if cfg["self_attention"]:
        np.testing.assert_allclose(sum(grads), xt.grad.numpy(), **TOL)
    else:
        for ours_g, theirs, name in zip(grads, (qt, kt, vt), "qkv", strict=True):
            np.testing.assert_allclose(ours_g, theirs.grad.numpy(), **TOL, err_msg=name)
    params_t = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, params_t[name].grad.numpy(), **TOL, err_msg=name)


def test_multihead_init_follows_torch(rng):
    ours, twin = MultiheadAttention(8, 2, rng=rng), torch.nn.MultiheadAttention(8, 2)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in twin.state_dict().items()
    }
    np.testing.assert_array_equal(ours.in_proj_bias.data, 0)
    np.testing.assert_array_equal(ours.out_proj.bias.data, 0)
    bound = np.sqrt(6 / (8 + 24))
    assert bound / 2 < np.abs(ours.in_proj_weight.data).max() <= bound
    assert [n for n, _ in MultiheadAttention(4, 1, bias=False).named_parameters()] == [
        "in_proj_weight",
        "out_proj.weight",
    ]


def test_multihead_numerical_gradients(rng):
    mha = MultiheadAttention(4, 2, batch_first=True, rng=rng)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4))
    mask = np.zeros((3, 5), bool)
    mask[:, -1] = True
    out = mha(q, k, v, attn_mask=mask)[0]
    g = rng.normal(size=out.shape)
    mha.zero_grad()
    grads = mha.backward(g)
    f = lambda _: mha(q, k, v, attn_mask=mask)[0]
    for x, dx in zip((q, k, v), grads, strict=True):
        assert gradcheck(f, x, dx, grad_output=g, rtol=1e-6, atol=1e-8)
    for name, p in mha.named_parameters():
        try:
            gradcheck(f, p.data, p.grad, grad_output=g, rtol=1e-6, atol=1e-8)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None


def test_multihead_refuses_bad_arguments(rng):
    mha = MultiheadAttention(4, 2, rng=rng)
    x = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads \(4\)"):
        MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="dropout=0.1"):
        MultiheadAttention(4, 2, 0.1)
    with pytest.raises(ValueError, match=r"expected query \(L, N, E\) .* got query \(3, 2, 5\)"):
        mha(np.zeros((3, 2, 5)), x, x)
    with pytest.raises(ValueError, match=r"key \(3, 1, 4\), value \(3, 2, 4\)"):
        mha(x, np.zeros((3, 1, 4)), x)
    with pytest.raises(
        ValueError, match=r"attn_mask must have shape \(3, 3\) or \(4, 3, 3\), got shape \(2, 3\)"
    ):
        mha(x, x, x, attn_mask=np.zeros((2, 3), bool))
    with pytest.raises(
        ValueError, match=r"key_padding_mask must have shape \(2, 3\), got shape \(3, 2\)"
    ):
        mha(x, x, x, key_padding_mask=np.zeros((3, 2), bool))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        MultiheadAttention(4, 2).backward(x)
    mha(x, x, x)
    with pytest.raises(
        ValueError, match=r"grad_output of shape \(3, 2, 4\), got shape \(2, 3, 4\)"
    ):
        mha.backward(np.zeros((2, 3, 4)))


@pytest.mark.parametrize("need_weights", [False, True])
def test_multihead_is_causal_is_a_hint_as_in_torch(need_weights, rng):
    # torch trusts the hint when it can use its fused path (no weights, no padding mask)
    # and then ignores attn_mask; otherwise it applies attn_mask as given. Mirror both.
    ours = MultiheadAttention(6, 3, batch_first=True, rng=rng)
    twin = torch.nn.MultiheadAttention(6, 3, batch_first=True, dtype=F64)
    twin.load_state_dict({k: t(v) for k, v in ours.state_dict().items()})
    x = rng.normal(size=(2, 5, 6))
    not_causal = np.zeros((5, 5))
    out, _ = ours(x, x, x, attn_mask=not_causal, is_causal=True, need_weights=need_weights)
    out_t, _ = twin(
        t(x), t(x), t(x), attn_mask=t(not_causal), is_causal=True, need_weights=need_weights
    )
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOL)
    causal = np.triu(np.ones((5, 5), bool), 1)
    expected = ours(x, x, x, attn_mask=causal)[0] if not need_weights else ours(x, x, x)[0]
    np.testing.assert_allclose(out, expected, **TOL)
