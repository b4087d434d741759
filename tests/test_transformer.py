"""Notebook 09's tiny transformer: shapes, attention maps, masks, positions, training through fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlhelpers.data.sequences import make_reversal
from dlhelpers.train import fit
from dlhelpers.train.char_model import sequence_loss
from dlhelpers.train.transformer import (
    TinyTransformer,
    antidiagonal_share,
    sinusoidal_positions,
    token_accuracy,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.mark.parametrize("positions", ["sinusoidal", "learned", "none"])
def test_shapes_and_attention_rows_sum_to_one(positions):
    torch.manual_seed(0)
    model = TinyTransformer(7, d_model=16, n_heads=4, n_layers=2, max_len=12, positions=positions)
    x = torch.randint(0, 7, (3, 5))
    assert model(x).shape == (3, 5, 7)
    maps = model.attention_maps()
    assert maps.shape == (2, 3, 4, 5, 5) and maps.dtype == np.float64
    np.testing.assert_allclose(maps.sum(axis=-1), 1, atol=1e-5)
    assert (maps >= 0).all()
    # fit hands the model the integer ids as they are; int32 ids work as int64 ones
    torch.testing.assert_close(model(x.int()), model(x))


def test_untrained_loss_is_about_ln_vocab():
    torch.manual_seed(0)
    model = TinyTransformer(10, d_model=16, n_heads=2)
    X, Y = make_reversal(256, seed=0)
    with torch.no_grad():
        loss = float(sequence_loss(model(torch.as_tensor(X)), torch.as_tensor(Y)))
    assert abs(loss - math.log(10)) < 0.6


def test_causal_mask_blocks_the_future():
    torch.manual_seed(0)
    model = TinyTransformer(5, d_model=8, n_heads=2, n_layers=2, causal=True)
    x = torch.randint(0, 5, (2, 6))
    out = model(x)
    maps = model.attention_maps()  # (2, 2, 2, 6, 6)
    above = np.triu(np.ones((6, 6), dtype=bool), 1)
    assert (maps[..., above] == 0).all()
    np.testing.assert_allclose(maps.sum(axis=-1), 1, atol=1e-5)
    assert maps[0, 0, 0, 0, 0] == pytest.approx(1.0)  # the first query sees only itself
    # changing the last token changes no earlier output
    x2 = x.clone()
    x2[:, -1] = (x2[:, -1] + 1) % 5
    torch.testing.assert_close(model(x2)[:, :-1], out[:, :-1])


def test_encoder_sees_the_future():
    torch.manual_seed(0)
    model = TinyTransformer(5, d_model=8, n_heads=2)
    model(torch.randint(0, 5, (2, 6)))
    above = np.triu(np.ones((6, 6), dtype=bool), 1)
    assert (model.attention_maps()[..., above] > 0).all()


def test_sinusoidal_positions_values():
    P = sinusoidal_positions(50, 6)
    assert P.shape == (50, 6)
    pos = np.arange(50)
    for i in range(3):
        rate = 10000 ** (2 * i / 6)
        np.testing.assert_allclose(P[:, 2 * i], np.sin(pos / rate))
        np.testing.assert_allclose(P[:, 2 * i + 1], np.cos(pos / rate))
    np.testing.assert_allclose(P[0], [0, 1, 0, 1, 0, 1])
    assert sinusoidal_positions(3, 5).shape == (3, 5)
    np.testing.assert_allclose(sinusoidal_positions(3, 5)[:, 4], np.sin(np.arange(3) / 10000**0.8))


def test_antidiagonal_share():
    T = 5
    assert antidiagonal_share(np.eye(T)[::-1]) == pytest.approx(1.0)
    assert antidiagonal_share(np.eye(T)) == pytest.approx(1 / T)  # only the middle
    assert antidiagonal_share(np.full((2, 3, T, T), 1 / T)) == pytest.approx(1 / T)
    with pytest.raises(ValueError, match="T, T"):
        antidiagonal_share(np.ones((3, 4)))


def test_reversal_is_learned_through_fit_and_reads_the_anti_diagonal():
    X, Y = make_reversal(64 * 120, seed=0)
    X_test, Y_test = make_reversal(500, seed=1)
    torch.manual_seed(0)
    model = TinyTransformer(10)
    history = fit(
        model,
        (X, Y),
        epochs=1,
        batch_size=64,
        optimizer=torch.optim.Adam(model.parameters(), 3e-3),
        loss_fn=sequence_loss,
        metrics=("token_accuracy",),
    )
    assert 0 < history.history["token_accuracy"][0] <= 1
    assert token_accuracy(model, X_test, Y_test) > 0.95
    model(torch.as_tensor(X_test[:100]))
    assert antidiagonal_share(model.attention_maps().mean(axis=2)) > 0.4  # 1/8 if uniform
    assert not model.training  # fit leaves it in eval mode; token_accuracy keeps the mode


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"d_model": 10, "n_heads": 4}, "divisible"),
        ({"vocab": 0}, "vocab=0 must be at least 1"),
        ({"n_layers": 0}, "n_layers"),
        ({"n_heads": 2.5}, "n_heads"),
        ({"positions": "rotary"}, "positions"),
        ({"max_len": -1}, "max_len"),
        ({"dim_feedforward": 0}, "dim_feedforward"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TinyTransformer(**{"vocab": 10, **kwargs})


def test_bad_calls_are_refused():
    model = TinyTransformer(10, d_model=8, n_heads=2, max_len=4)
    with pytest.raises(RuntimeError, match="run the model"):
        model.attention_maps()
    with pytest.raises(ValueError, match="max_len=4"):
        model(torch.zeros(1, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="integer token ids"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="batch_size=0 must be at least 1"):
        token_accuracy(model, np.zeros((2, 3), int), np.zeros((2, 3), int), batch_size=0)
    assert (
        token_accuracy(model, np.zeros((2, 3), int), np.zeros((2, 3), int), batch_size=np.int64(1))
        >= 0
    )
    with pytest.raises(ValueError, match="one shape"):
        token_accuracy(model, np.zeros((2, 3), int), np.zeros((2, 4), int))
    with pytest.raises(ValueError, match="do not match"):
        sequence_loss(torch.zeros(2, 3, 10), torch.zeros(2, 4, dtype=torch.long))


def _double_block(C=8, n_heads=2, seed=0):
    from dlhelpers.train.transformer import Block

    torch.manual_seed(seed)
    block = Block(C, n_heads, 4 * C).double()
    with torch.no_grad():
        for name, param in block.named_parameters():
            if name.endswith("bias"):
                param.normal_(0.0, 0.3)
    return block


@pytest.mark.parametrize("B, T, C, n_heads", [(2, 5, 8, 2), (1, 7, 12, 3), (3, 1, 8, 8)])
def test_causal_self_attention_is_the_blocks_attention_outputs_and_gradients(B, T, C, n_heads):
    from dlhelpers.train.transformer import causal_self_attention

    block = _double_block(C, n_heads)
    h = torch.randn(B, T, C, dtype=torch.float64, requires_grad=True)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    want, _ = block.attn(h, h, h, attn_mask=future, need_weights=False)
    params = {n: p.detach().clone().requires_grad_() for n, p in block.named_parameters()}
    h2 = h.detach().clone().requires_grad_()
    got = causal_self_attention(h2, params, n_heads)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    g = torch.randn_like(want)
    attn = [n for n in params if n.startswith("attn.")]
    want_grads = torch.autograd.grad(
        (want * g).sum(), [h, *(dict(block.named_parameters())[n] for n in attn)]
    )
    got_grads = torch.autograd.grad((got * g).sum(), [h2, *(params[n] for n in attn)])
    for a, b in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_causal_self_attention_and_block_pass_a_numerical_gradient_check():
    from dlhelpers.train.transformer import causal_self_attention

    block = _double_block(8, 2)
    params = {n: p.detach().clone().requires_grad_() for n, p in block.named_parameters()}
    h = torch.randn(2, 4, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda h, w: causal_self_attention(h, {**params, "attn.in_proj_weight": w}, 2),
        (h, params["attn.in_proj_weight"]),
    )
    mask = torch.ones(4, 4, dtype=torch.bool).triu(1)
    assert torch.autograd.gradcheck(lambda x: block(x, mask), (h,))


def test_causal_self_attention_sees_no_future():
    from dlhelpers.train.transformer import causal_self_attention

    block = _double_block(8, 2)
    params = dict(block.named_parameters())
    h = torch.randn(1, 6, 8, dtype=torch.float64)
    h2 = h.clone()
    h2[:, -1] += 1.0
    with torch.no_grad():
        a, b = causal_self_attention(h, params, 2), causal_self_attention(h2, params, 2)
    torch.testing.assert_close(a[:, :-1], b[:, :-1])
    assert not torch.allclose(a[:, -1], b[:, -1])


def test_causal_self_attention_refuses_bad_input():
    from dlhelpers.train.transformer import causal_self_attention

    params = dict(_double_block(8, 2).named_parameters())
    with pytest.raises(ValueError, match="divisible by n_heads=3"):
        causal_self_attention(torch.zeros(1, 4, 8, dtype=torch.float64), params, 3)
    with pytest.raises(ValueError, match="n_heads"):
        causal_self_attention(torch.zeros(1, 4, 8), params, 0)
    with pytest.raises(ValueError, match="shape"):
        causal_self_attention(np.zeros((1, 4, 8)), params, 2)
    with pytest.raises(KeyError, match="attn.out_proj.bias"):
        causal_self_attention(
            torch.zeros(1, 4, 8, dtype=torch.float64),
            {k: v for k, v in params.items() if k != "attn.out_proj.bias"},
            2,
        )
