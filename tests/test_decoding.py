"""Decoding (notebook 09): top-k, greedy, temperature, and generate on a tiny model."""

from __future__ import annotations

import pytest
import torch

from dlhelpers.data.text import Corpus
from dlhelpers.train.char_model import CharLSTM
from dlhelpers.train.decoding import generate, next_token, top_k_filter
from dlhelpers.train.transformer import TinyTransformer

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _corpus() -> Corpus:
    return Corpus("abcab cabca bcabc " * 20)


def test_top_k_filter_keeps_the_k_largest():
    z = torch.tensor([0.5, 3.0, -1.0, 2.0, 1.0])
    out = top_k_filter(z, 2)
    assert torch.isinf(out).tolist() == [True, False, True, False, True]
    assert out[1] == 3.0 and out[3] == 2.0
    torch.testing.assert_close(top_k_filter(z, 5), z)
    torch.testing.assert_close(top_k_filter(z, 50), z)
    batch = top_k_filter(torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), 1)
    assert torch.isfinite(batch).tolist() == [[False, False, True], [True, False, False]]


def test_next_token_greedy_temperature_and_top_k():
    z = torch.tensor([0.0, 2.0, 1.0, -3.0])
    assert next_token(z, greedy=True) == 1
    gen = torch.Generator().manual_seed(0)
    cold = [next_token(z, temperature=0.01, generator=gen) for _ in range(50)]
    assert set(cold) == {1}  # a low temperature is (nearly) greedy
    gen = torch.Generator().manual_seed(0)
    top2 = {next_token(z, temperature=5.0, top_k=2, generator=gen) for _ in range(200)}
    assert top2 == {1, 2}  # a high temperature spreads the draws, top-k keeps them in the top 2
    gen = torch.Generator().manual_seed(0)
    hot = {next_token(z, temperature=5.0, generator=gen) for _ in range(200)}
    assert hot == {0, 1, 2, 3}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"temperature": 0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_k": 0}, "k"),
        ({"top_k": 1.5}, "k"),
    ],
)
def test_next_token_refuses_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        next_token(torch.zeros(4), **kwargs)


def test_generate_is_seeded_and_works_for_both_models():
    corpus = _corpus()
    torch.manual_seed(0)
    for model in (
        TinyTransformer(corpus.vocab_size, d_model=8, n_heads=2, max_len=16, causal=True),
        CharLSTM(corpus.vocab_size, embed_dim=4, hidden_size=8),
    ):
        state = torch.random.get_rng_state()
        a = generate(model, corpus, "abc", 30, temperature=1.2, top_k=3, seed=3)
        assert torch.equal(state, torch.random.get_rng_state())  # the global state is untouched
        assert len(a) == 30 and set(a) <= set(corpus.vocab)
        assert a == generate(model, corpus, "abc", 30, temperature=1.2, top_k=3, seed=3)
        greedy = generate(model, corpus, "abc", 30, greedy=True, seed=1)
        assert greedy == generate(model, corpus, "abc", 30, greedy=True, seed=2)
        assert generate(model, corpus, "abc", 0) == ""
        assert model.training  # the mode is put back


def test_generate_reads_at_most_max_len_tokens():
    corpus = _corpus()
    model = TinyTransformer(corpus.vocab_size, d_model=8, n_heads=2, max_len=8, causal=True)
    assert len(generate(model, corpus, "abcab cabca bca", 20)) == 20  # prompt longer than max_len


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("",), {}, "prompt"),
        (("a",), {"temperature": -1}, "temperature"),
        (("a",), {"top_k": 0}, "top_k"),
        (("a",), {"seed": -1}, "seed"),
        (("z",), {}, "vocabulary"),
    ],
)
def test_generate_refuses_bad_input(args, kwargs, match):
    corpus = _corpus()
    model = TinyTransformer(corpus.vocab_size, d_model=8, n_heads=2, causal=True)
    with pytest.raises(ValueError, match=match):
        generate(model, corpus, *args, 5, **kwargs)
    with pytest.raises(ValueError, match="length"):
        generate(model, corpus, "a", -1)
