"""Decoding: turn a language model's next-token logits into text, greedily or by sampling (notebook 09).

A language model gives, after a prompt, logits over the ``V`` tokens. Decoding picks one
token, appends it, and asks again:

- **greedy**: always the most likely token (deterministic; it tends to repeat itself);
- **temperature** ``tau``: sample from ``softmax(logits / tau)``; ``tau < 1`` sharpens the
  distribution towards greedy, ``tau > 1`` flattens it towards uniform noise;
- **top-k**: sample only among the ``k`` most likely tokens (the others get probability 0),
  after the temperature.

:func:`generate` works for any model that maps ids ``(1, T)`` to logits ``(1, T, V)``,
:class:`~dlhelpers.train.transformer.TinyTransformer` and
:class:`~dlhelpers.train.char_model.CharLSTM` alike: it runs the model on the last
``context`` tokens at every step (no cache; a transformer cannot see further back than its
positions reach). :func:`~dlhelpers.train.char_model.sample` is the LSTM's faster sampler,
which carries the LSTM's state instead::

    text = generate(model, corpus, "The ", 200, temperature=0.8, top_k=5, seed=0)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from dlhelpers.data.text import Corpus
from dlhelpers.validate import check_int, check_number, check_positive_int

__all__ = ["generate", "next_token", "top_k_filter", "top_p_filter"]


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """``logits`` with all but the ``k`` largest set to ``-inf`` (ties with the k-th kept).

    Parameters
    ----------
    logits : Tensor of shape (..., V)
    k : int
        At least 1; ``k >= V`` keeps everything.

    Returns
    -------
    Tensor of logits' shape
    """
    k = check_positive_int("k", k)
    if k >= logits.shape[-1]:
        return logits.clone()
    kth = logits.topk(k, dim=-1).values[..., -1:]  # (..., 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """``logits`` with all but the **nucleus** of probability mass ``p`` set to ``-inf`` (top-p).

    The nucleus is the smallest set of the most likely tokens whose softmax probabilities add
    up to at least ``p`` (Holtzman et al., 2020); a token tied with the least likely one kept is
    kept too, as :func:`top_k_filter` keeps ties. ``p = 1`` keeps everything. The NumPy twin,
    on probabilities, is :func:`dlhelpers.scratch.sampling.top_p_probs`.

    Parameters
    ----------
    logits : Tensor of shape (..., V)
    p : float
        In (0, 1].

    Returns
    -------
    Tensor of logits' shape
    """
    p = check_number("p", p, low=0, low_open=True, high=1)
    probs = torch.softmax(logits.double(), dim=-1)  # (..., V)
    sorted_probs = probs.sort(dim=-1, descending=True).values
    before = sorted_probs.cumsum(dim=-1) - sorted_probs  # mass of the tokens ranked above
    # a token is in the nucleus if the tokens above it do not yet reach p
    inside = before < p - 1e-12
    smallest = sorted_probs.masked_fill(~inside, float("inf")).min(dim=-1, keepdim=True).values
    return logits.masked_fill(probs < smallest, float("-inf"))


def next_token(
    logits: torch.Tensor,
    *,
    greedy: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> int:
    """One token id from one position's ``logits`` (V,): the argmax, or a draw.

    Parameters
    ----------
    logits : Tensor of shape (V,)
    greedy : bool, default False
        Take the argmax; ``temperature`` and ``top_k`` are then ignored.
    temperature : float, default 1.0
        Positive; the logits are divided by it before the softmax.
    top_k : int, optional
        Draw only among the ``top_k`` most likely tokens.
    generator : torch.Generator, optional
        The source of the draw (seed it for the same text every time).
    """
    temperature = check_number("temperature", temperature, low=0, low_open=True)
    if logits.ndim != 1:
        raise ValueError(f"logits must have shape (V,), got {tuple(logits.shape)}")
    logits = logits.detach().double().cpu()
    if greedy:
        return int(logits.argmax())
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    probs = torch.softmax(logits / temperature, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))


@torch.no_grad()
def generate(
    model: nn.Module,
    corpus: Corpus,
    prompt: str,
    length: int,
    *,
    greedy: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
    context: int | None = None,
) -> str:
    """``length`` new characters after ``prompt``, one :func:`next_token` at a time.

    Parameters
    ----------
    model : nn.Module
        ``model(ids (1, T)) -> logits (1, T, V)``, ``V == corpus.vocab_size``; run in eval mode.
    corpus, prompt : Corpus, str
        The prompt has at least one character, all in the corpus' vocabulary.
    length : int
        Characters to add (0 or more).
    greedy, temperature, top_k : see :func:`next_token`
    seed : int, default 0
        Seeds a private ``torch.Generator``: the global random state is untouched.
    context : int, optional
        How many of the last tokens the model reads; default ``model.max_len`` if it has
        one, else all of them.

    Returns
    -------
    str
        The new characters only (not the prompt).
    """
    length = check_int("length", length, low=0)
    check_number("temperature", temperature, low=0, low_open=True)
    if top_k is not None:
        check_positive_int("top_k", top_k)
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty str")
    ids = list(corpus.encode(prompt))
    context = getattr(model, "max_len", None) if context is None else context
    context = len(ids) + length if context is None else check_positive_int("context", context)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    was_training = model.training
    model.eval()
    try:
        for _ in range(length):
            logits = _last_logits(model, ids[-context:], corpus.vocab_size)
            ids.append(
                next_token(
                    logits, greedy=greedy, temperature=temperature, top_k=top_k, generator=generator
                )
            )
    finally:
        model.train(was_training)
    return corpus.decode(np.array(ids[len(ids) - length :], dtype=np.int64))


def _last_logits(model: nn.Module, ids: list[int], vocab_size: int) -> torch.Tensor:
    """The model's logits (V,) for the token after ``ids``."""
    window = torch.as_tensor(ids, device=next(model.parameters()).device)[None]  # (1, T)
    logits = model(window)[0, -1]  # (V,)
    if logits.shape[-1] != vocab_size:
        raise ValueError(
            f"the model has {logits.shape[-1]} outputs but the corpus {vocab_size} characters"
        )
    return logits
