"""A character-level language model (notebook 08), trained with the course's one :func:`fit`.

:class:`CharLSTM` maps character ids ``(B, T)`` to next-character logits
``(B, T, V)`` (and its state, on request: :func:`sample` carries it from one
character to the next). ``fit`` trains it as it is, on windows cut by
:func:`windows` (integer ids, which ``fit`` keeps as they are), with
:func:`sequence_loss`, which flattens ``(B, T, V)`` and ``(B, T)``, and the
``"token_accuracy"`` metric::

    corpus = load_text()
    train_ids, val_ids = corpus.split(0.9)
    model = CharLSTM(corpus.vocab_size)
    fit(model, windows(train_ids, 64, 32 * 400, seed=0), epochs=1,
        optimizer=torch.optim.Adam(model.parameters(), 3e-3), loss_fn=sequence_loss,
        val=windows(val_ids, 64, 1024, seed=1), metrics=("token_accuracy",))
    sample(model, corpus, "The ", 200, temperature=0.5)

:func:`sample` and :func:`next_char_logits` feed the temperature explorer
(:mod:`dlhelpers.explorers.temperature`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.data.text import Corpus, random_windows
from dlhelpers.validate import check_choice, check_int, check_number, check_positive_int

__all__ = [
    "CharLSTM",
    "next_char_logits",
    "sample",
    "sequence_loss",
    "windows",
]

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


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
        self.cell = check_choice("cell", cell, CELLS)
        self.vocab_size = check_positive_int("vocab_size", vocab_size)
        embed_dim = check_positive_int("embed_dim", embed_dim)
        hidden_size = check_positive_int("hidden_size", hidden_size)
        self.embed = nn.Embedding(self.vocab_size, embed_dim)
        self.rnn = CELLS[self.cell](embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, self.vocab_size)

    def forward(self, x: torch.Tensor, state=None, *, return_state: bool = False):
        """``x`` : integer ids of shape (B, T) -> logits (B, T, V), or ``(logits, state)``.

        ``state`` is what the last call returned with ``return_state=True``
        (``(h, c)`` for the LSTM, ``h`` for the GRU, each (1, B, hidden));
        ``None`` starts from zeros. Without ``return_state`` the model is what
        :func:`~dlhelpers.train.fit` wants: ids in, logits out.
        """
        if x.is_floating_point():
            raise TypeError(f"x holds {x.dtype} values: give integer character ids")
        out, state = self.rnn(self.embed(x), state)  # (B, T, H)
        logits = self.head(out)  # (B, T, V)
        return (logits, state) if return_state else logits


def sequence_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every position, in nats per character.

    ``logits`` : (B, T, V); ``y`` : (B, T) int. An untrained model gives about ``ln V``.
    """
    if logits.shape[:-1] != y.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match targets {tuple(y.shape)}")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1).long())


def windows(ids, seq_len: int, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random windows of ``ids`` and their shifted targets, for ``fit``.

    Returns ``X, Y``, ndarrays of shape (n, seq_len), int64, from
    :func:`~dlhelpers.data.text.random_windows` with ``seed``.
    """
    n, seq_len = check_positive_int("n", n), check_positive_int("seq_len", seq_len)
    return random_windows(ids, n, seq_len, check_int("seed", seed, low=0))


def _prompt_ids(model: CharLSTM, corpus: Corpus, prompt: str) -> torch.Tensor:
    """The prompt's ids (1, len(prompt)), after checking that model and corpus share a vocabulary."""
    if not isinstance(model, CharLSTM):
        raise TypeError(f"model must be a CharLSTM, not {type(model).__name__}")
    if model.vocab_size != corpus.vocab_size:
        raise ValueError(
            f"the model reads {model.vocab_size} characters but the corpus has "
            f"{corpus.vocab_size}: sample with the corpus the model was trained on"
        )
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
    logits, state = model(ids.to(_device(model)), return_state=True)  # (1, T, V)
    return logits[0, -1], state


def next_char_logits(model: CharLSTM, corpus: Corpus, prompt: str) -> np.ndarray:
    """The model's logits for the character after ``prompt``: ndarray of shape (V,), float64.

    An empty prompt gives zeros (every first character equally likely).
    """
    was_training = model.training
    model.eval()
    try:
        logits, _ = _read(model, _prompt_ids(model, corpus, prompt))
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
        On a prompt character outside the vocabulary, a corpus whose
        vocabulary is not the model's, ``temperature`` <= 0 or not finite, or
        ``length`` < 0.
    """
    temperature = check_number("temperature", temperature, low=0, low_open=True)
    length = check_int("length", length, low=0)
    ids = _prompt_ids(model, corpus, prompt)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    was_training = model.training
    model.eval()
    out: list[int] = []
    try:
        with torch.no_grad():
            logits, state = _read(model, ids)  # (V,)
            for _ in range(length):
                probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
                out.append(nxt)
                step = torch.tensor([[nxt]], device=_device(model))  # (1, 1)
                logits, state = model(step, state, return_state=True)
                logits = logits[0, -1]
    finally:
        model.train(was_training)
    return corpus.decode(np.array(out, dtype=np.int64))
