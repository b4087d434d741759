"""A character-level language model (notebook 08), trained with the course's one :func:`fit`.

:class:`CharLSTM` maps character ids ``(B, T)`` to next-character logits
``(B, T, V)``. ``fit`` expects ``model(x) -> logits`` and a ``loss_fn``, so
the notebook trains it through :class:`ForFit` (drops the state, turns the
float batch ``fit`` makes back into ids) on windows cut by :func:`windows`,
with :func:`sequence_loss`, which flattens ``(B, T, V)`` and ``(B, T)``::

    corpus = load_text()
    train_ids, val_ids = corpus.split(0.9)
    model = CharLSTM(corpus.vocab_size)
    fit(ForFit(model), windows(train_ids, 64, 32 * 400, seed=0), epochs=1,
        optimizer=torch.optim.Adam(model.parameters(), 3e-3), loss_fn=sequence_loss,
        val=windows(val_ids, 64, 1024, seed=1), metrics=(char_accuracy,))
    sample(model, corpus, "The ", 200, temperature=0.5)

:func:`sample` and :func:`next_char_logits` feed the temperature explorer
(:mod:`dlhelpers.explorers.temperature`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.data.text import Corpus, random_windows

__all__ = [
    "CharLSTM",
    "ForFit",
    "char_accuracy",
    "next_char_logits",
    "sample",
    "sequence_loss",
    "windows",
]

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class CharLSTM(nn.Module):
    """Embedding -> one LSTM (or GRU) layer -> linear read-out, one logit per character.

    Parameters
    ----------
    vocab_size : int
        ``V``, e.g. ``corpus.vocab_size``.
    embed_dim : int, default 48
    hidden_size : int, default 128
    cell : {"lstm", "gru"}, default "lstm"
        The recurrent layer, ``torch.nn.LSTM`` or ``torch.nn.GRU`` (``batch_first``);
        their NumPy twins are in :mod:`dlhelpers.scratch.recurrent`.
    """

    def __init__(
        self, vocab_size: int, embed_dim: int = 48, hidden_size: int = 128, cell: str = "lstm"
    ):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell={cell!r} is not one of the choices: {', '.join(CELLS)}")
        self.vocab_size = _positive_int("vocab_size", vocab_size)
        self.cell = cell
        self.embed = nn.Embedding(vocab_size, _positive_int("embed_dim", embed_dim))
        self.rnn = CELLS[cell](
            embed_dim, _positive_int("hidden_size", hidden_size), batch_first=True
        )
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x: torch.Tensor, state=None):
        """``x`` : int64 tensor of shape (B, T) -> ``(logits (B, T, V), state)``.

        ``state`` is what the last call returned (``(h, c)`` for the LSTM,
        ``h`` for the GRU, each (1, B, hidden)); ``None`` starts from zeros.
        """
        out, state = self.rnn(self.embed(x), state)  # (B, T, H)
        return self.head(out), state  # (B, T, V)


class ForFit(nn.Module):
    """``model(x) -> logits`` for :func:`~dlhelpers.train.fit`: drops the state, casts the ids.

    ``fit`` converts ``X`` to the model's float dtype; ids below 2**24 come
    back exactly with ``.long()``. Shares its parameters with ``model``.
    """

    def __init__(self, model: CharLSTM):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.long())[0]  # (B, T, V)


def sequence_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every position, in nats per character.

    ``logits`` : (B, T, V); ``y`` : (B, T) int. An untrained model gives about ``ln V``.
    """
    if logits.shape[:-1] != y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match targets {tuple(y.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1).long())


def char_accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A ``fit`` metric: per window, the fraction of next characters guessed (summed over the batch).

    ``fit`` divides the sum by the number of windows, so the history holds
    the mean per-character accuracy.
    """
    return (logits.argmax(dim=-1) == y).float().mean(dim=-1).sum()


def windows(ids, seq_len: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random windows of ``ids`` and their shifted targets, for ``fit``.

    Returns ``X, Y``, ndarrays of shape (n, seq_len), int64, from
    :func:`~dlhelpers.data.text.random_windows` with ``seed``.
    """
    return random_windows(ids, _positive_int("n", n), seq_len, seed)


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be finite and > 0, got {temperature}")
    return float(temperature)


def _prompt_ids(corpus: Corpus, prompt: str) -> torch.Tensor:
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, not {type(prompt).__name__}")
    try:
        ids = corpus.encode(prompt)
    except ValueError as err:
        raise ValueError(f"prompt: {err}; the model knows only its corpus' characters") from None
    return torch.as_tensor(ids).reshape(1, -1)  # (1, len(prompt))


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def _read(model: CharLSTM, ids: torch.Tensor):
    """Run the prompt through; return the last logits (V,) and the state (zeros if no prompt)."""
    if ids.shape[1] == 0:  # no prompt: the zero state, every first character equally likely
        return torch.zeros(model.vocab_size, device=_device(model)), None
    logits, state = model(ids.to(_device(model)))  # (1, T, V)
    return logits[0, -1], state


def next_char_logits(model: CharLSTM, corpus: Corpus, prompt: str) -> np.ndarray:
    """The model's logits for the character after ``prompt``: ndarray of shape (V,), float64.

    An empty prompt gives zeros (every first character equally likely).
    """
    was_training = model.training
    model.eval()
    try:
        logits, _ = _read(model, _prompt_ids(corpus, prompt))
    finally:
        model.train(was_training)
    return logits.double().cpu().numpy()


def sample(
    model: CharLSTM,
    corpus: Corpus,
    prompt: str,
    length: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
) -> str:
    """``length`` characters drawn one at a time from softmax(logits / temperature), after ``prompt``.

    Returns the new characters only (not the prompt). Seeded with its own
    ``torch.Generator``: the same seed gives the same text, and the global
    random state is untouched. Runs without gradients in eval mode and puts
    the model's mode back. Low temperatures approach the argmax; high ones
    approach uniform noise.

    Raises
    ------
    ValueError
        On a prompt character outside the vocabulary, ``temperature`` <= 0 or
        not finite, or ``length`` < 0.
    """
    temperature = _check_temperature(temperature)
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be an integer >= 0, got {length!r}")
    ids = _prompt_ids(corpus, prompt)
    generator = torch.Generator().manual_seed(int(seed))
    was_training = model.training
    model.eval()
    out: list[int] = []
    try:
        with torch.no_grad():
            logits, state = _read(model, ids)  # (V,)
            for _ in range(int(length)):
                probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
                out.append(nxt)
                step = torch.tensor([[nxt]], device=_device(model))  # (1, 1)
                logits, state = model(step, state)
                logits = logits[0, -1]
    finally:
        model.train(was_training)
    return corpus.decode(np.array(out, dtype=np.int64))
