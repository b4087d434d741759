"""The character language model of notebook 08: shapes, loss, training through fit, sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlhelpers.data.text import Corpus
from dlhelpers.train import fit
from dlhelpers.train.char_model import (
    CharLSTM,
    next_char_logits,
    sample,
    sequence_loss,
    windows,
)

CORPUS = Corpus("hello world, " * 40)
pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_shapes_and_state(cell):
    torch.manual_seed(0)
    model = CharLSTM(11, embed_dim=5, hidden_size=7, cell=cell)
    x = torch.randint(0, 11, (3, 4))
    logits, state = model(x, return_state=True)
    assert logits.shape == (3, 4, 11)
    torch.testing.assert_close(model(x), logits)  # what fit sees: the logits alone
    h = state[0] if cell == "lstm" else state
    assert h.shape == (1, 3, 7)
    # carrying the state over equals running the whole sequence at once
    first, state = model(x[:, :2], return_state=True)
    second = model(x[:, 2:], state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), logits)
    with pytest.raises(TypeError, match="integer character ids"):
        model(x.float())


def test_untrained_loss_is_about_ln_v():
    torch.manual_seed(0)
    model = CharLSTM(CORPUS.vocab_size)
    x, y = windows(CORPUS.encode(CORPUS.text), 16, 8, seed=0)
    loss = sequence_loss(model(torch.as_tensor(x)), torch.as_tensor(y))
    assert abs(loss.item() - math.log(CORPUS.vocab_size)) < 0.1
    with pytest.raises(ValueError, match="do not match"):
        sequence_loss(torch.zeros(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


def test_fit_trains_a_tiny_model_to_overfit_a_repeated_text():
    torch.manual_seed(0)
    ids = CORPUS.encode(CORPUS.text)
    model = CharLSTM(CORPUS.vocab_size, embed_dim=8, hidden_size=32)
    history = fit(
        model,
        windows(ids, 16, 32 * 150, seed=0),
        epochs=1,
        optimizer=torch.optim.Adam(model.parameters(), 1e-2),
        loss_fn=sequence_loss,
        val=windows(ids, 16, 64, seed=1),
        metrics=("token_accuracy",),
    )
    assert history.batch_losses[0] > 2.0
    assert history.history["val_loss"][-1] < 0.3
    assert history.history["val_token_accuracy"][-1] > 0.9
    assert sample(model, CORPUS, "hello", 7, temperature=0.1) == " world,"


def test_sample_is_seeded_and_stays_in_the_vocabulary():
    torch.manual_seed(0)
    model = CharLSTM(CORPUS.vocab_size, embed_dim=4, hidden_size=8)
    model.train()
    state = torch.random.get_rng_state()
    a = sample(model, CORPUS, "he", 50, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)  # global random state untouched
    assert model.training  # mode put back
    assert a == sample(model, CORPUS, "he", 50, seed=3)
    assert a != sample(model, CORPUS, "he", 50, seed=4)
    assert len(a) == 50 and set(a) <= set(CORPUS.vocab)
    assert len(sample(model, CORPUS, "", 5)) == 5
    assert sample(model, CORPUS, "h", 0) == ""


def test_next_char_logits():
    torch.manual_seed(0)
    model = CharLSTM(CORPUS.vocab_size, embed_dim=4, hidden_size=8)
    logits = next_char_logits(model, CORPUS, "hel")
    assert logits.shape == (CORPUS.vocab_size,) and logits.dtype == np.float64
    want = model(torch.as_tensor(CORPUS.encode("hel"))[None])[0, -1]
    np.testing.assert_allclose(logits, want.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(next_char_logits(model, CORPUS, ""), 0.0)


@pytest.mark.parametrize(
    "prompt, length, temperature, match",
    [
        ("hex", 5, 1.0, "'x'"),
        ("he", 5, 0.0, "temperature"),
        ("he", 5, -1.0, "temperature"),
        ("he", 5, float("nan"), "temperature"),
        ("he", 5, "hot", "temperature"),
        ("he", -1, 1.0, "length"),
        ("he", 2.5, 1.0, "length"),
    ],
)
def test_sample_refuses_bad_arguments(prompt, length, temperature, match):
    model = CharLSTM(CORPUS.vocab_size, embed_dim=4, hidden_size=8)
    with pytest.raises(ValueError, match=match):
        sample(model, CORPUS, prompt, length, temperature=temperature)


def test_model_refuses_bad_settings():
    with pytest.raises(ValueError, match="cell"):
        CharLSTM(10, cell="rnn")
    with pytest.raises(ValueError, match="hidden_size"):
        CharLSTM(10, hidden_size=0)
    with pytest.raises(ValueError, match="prompt"):
        next_char_logits(CharLSTM(CORPUS.vocab_size), CORPUS, "?")


def test_a_model_and_a_corpus_of_different_vocabularies_are_refused():
    other = Corpus("abc" * 20)
    model = CharLSTM(CORPUS.vocab_size, embed_dim=4, hidden_size=8)
    for call in (
        lambda: sample(model, other, "a", 3),
        lambda: next_char_logits(model, other, "a"),
    ):
        with pytest.raises(
            ValueError, match=f"reads {CORPUS.vocab_size} characters but the corpus has 3"
        ):
            call()


def test_numpy_scalars_are_accepted():
    model = CharLSTM(np.int64(CORPUS.vocab_size), embed_dim=np.int32(4), hidden_size=np.int64(8))
    text = sample(model, CORPUS, "he", np.int64(4), temperature=np.float32(0.5), seed=np.int64(1))
    assert len(text) == 4
    X, Y = windows(CORPUS.encode(CORPUS.text), np.int64(8), np.int32(3), seed=np.int64(0))
    assert X.shape == Y.shape == (3, 8)
    with pytest.raises(ValueError, match="n=0 must be at least 1"):
        windows(CORPUS.encode(CORPUS.text), 8, 0)
