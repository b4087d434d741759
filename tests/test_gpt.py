"""The GPT of notebook 15: its KV cache against the full forward, and generation with and without it."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.train.gpt import GPT, KVCache, generate_tokens  # noqa: E402

torch.set_num_threads(1)


def _model(n_layers: int = 2, seed: int = 0) -> GPT:
    torch.manual_seed(seed)
    return GPT(50, d_model=16, n_heads=4, n_layers=n_layers, max_len=64).eval()


def test_cached_steps_give_the_full_forward_in_float64():
    model = _model().double()
    x = torch.randint(0, 50, (3, 20))
    cache = KVCache(model.n_layers)
    with torch.no_grad():
        full = model(x)  # (3, 20, 50)
        parts = [
            model.step(x[:, :7], cache),
            model.step(x[:, 7:8], cache),
            model.step(x[:, 8:], cache),
        ]
    assert torch.allclose(torch.cat(parts, dim=1), full, atol=1e-10)
    assert cache.length == 20 and cache.keys[0].shape == (3, 4, 20, 4)
    assert cache.numel() == 2 * model.n_layers * 3 * 20 * 16  # keys and values x layers x B x T x C


def test_the_full_forward_is_causal():
    model = _model()
    x = torch.randint(0, 50, (1, 12))
    y = x.clone()
    y[0, 8:] = (y[0, 8:] + 1) % 50  # change the future
    with torch.no_grad():
        assert torch.allclose(model(x)[:, :8], model(y)[:, :8], atol=1e-6)


@pytest.mark.parametrize(
    "rule",
    [dict(greedy=True), dict(temperature=0.7), dict(top_k=5), dict(top_p=0.8), dict(top_p=1.0)],
)
def test_generation_with_and_without_the_cache_gives_the_same_tokens(rule):
    model = _model()
    a = generate_tokens(model, [1, 2, 3], 30, seed=3, use_cache=True, **rule)
    b = generate_tokens(model, [1, 2, 3], 30, seed=3, use_cache=False, **rule)
    assert a == b and len(a) == 30 and all(0 <= i < 50 for i in a)
    assert generate_tokens(model, [1], 0) == []


def test_seeds_and_rules_change_the_sample_and_the_global_state_is_untouched():
    model = _model()
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = generate_tokens(model, [4], 20, seed=0)
    assert torch.rand(1) == before
    assert a != generate_tokens(model, [4], 20, seed=1)
    greedy = generate_tokens(model, [4], 20, greedy=True, seed=0)
    assert greedy == generate_tokens(model, [4], 20, greedy=True, seed=5)
    assert generate_tokens(model, [4], 20, top_k=1, seed=2) == greedy  # top-1 is greedy


def test_gpt_trains_with_fit():
    from dlhelpers.train import fit
    from dlhelpers.train.char_model import sequence_loss, windows

    ids = np.tile(np.arange(10), 50)  # 0 1 2 ... 9 0 1 ...: the next token is certain
    model = GPT(10, d_model=16, n_heads=2, n_layers=1, max_len=32)
    history = fit(
        model,
        windows(ids, 16, 256, seed=0),
        epochs=3,
        batch_size=32,
        metrics=(),
        loss_fn=sequence_loss,
        optimizer=torch.optim.Adam(model.parameters(), 1e-2),
    )
    assert history.last("loss") < 0.3
    assert generate_tokens(model, [3, 4], 5, greedy=True) == [5, 6, 7, 8, 9]


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda m: GPT(10, d_model=10, n_heads=4), ValueError, "divisible"),
        (lambda m: GPT(0), ValueError, "vocab"),
        (lambda m: m(torch.zeros(1, 3)), ValueError, "integer token ids"),
        (lambda m: m(torch.zeros(1, 65, dtype=torch.long)), ValueError, "max_len"),
        (lambda m: m.step(torch.zeros(1, 2, dtype=torch.long), KVCache(1)), TypeError, "KVCache"),
        (lambda m: generate_tokens(m, [], 3), ValueError, "prompt"),
        (lambda m: generate_tokens(m, [1], 70), ValueError, "max_len"),
        (lambda m: generate_tokens(m, [50], 3), ValueError, "prompt id"),
        (lambda m: generate_tokens(m, [1], 3, top_p=0), ValueError, "top_p"),
        (lambda m: generate_tokens(m, [1], 3, top_p=1.5), ValueError, "top_p"),
        (lambda m: generate_tokens(m, [1], 3, top_k=0), ValueError, "top_k"),
        (lambda m: generate_tokens(m, [1], 3, temperature=-1), ValueError, "temperature"),
        (lambda m: generate_tokens(m, [1], -1), ValueError, "length"),
        (lambda m: generate_tokens(torch.nn.Linear(2, 2), [1], 3), TypeError, "GPT"),
    ],
)
def test_bad_input_is_refused_with_its_name(call, error, says):
    with pytest.raises(error, match=says):
        call(_model())
