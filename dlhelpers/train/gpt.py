"""A small GPT over byte-pair tokens, with a KV cache (notebook 15).

:class:`GPT` is a decoder-only transformer: token embedding + sinusoidal positions,
``n_layers`` of the package's pre-norm :class:`~dlhelpers.train.transformer.Block`
(notebook 09) under a causal mask, a final LayerNorm and a linear head. It maps ids
``(B, T)`` to next-token logits ``(B, T, V)`` and trains with the course's ``fit`` and
:func:`~dlhelpers.train.char_model.sequence_loss`, like notebook 09's
:class:`~dlhelpers.train.transformer.TinyTransformer`.

Generating ``n`` tokens without a cache runs the whole sequence through the model at every
step: step ``t`` recomputes the keys and values of all ``t`` earlier tokens, which never
change (the mask keeps the past from seeing the future). A **KV cache** keeps them:
:meth:`GPT.step` takes only the new tokens, computes their queries, keys and values with the
block's own weights (what ``block.attn`` computes, written out as in
:func:`~dlhelpers.train.transformer.causal_self_attention`), appends the keys and values to the
:class:`KVCache` and attends over everything cached. :func:`generate_tokens` does either::

    model = GPT(vocab=456, d_model=64, n_heads=4, n_layers=2, max_len=512)
    ids = generate_tokens(model, prompt_ids, 100, top_p=0.9, seed=0, use_cache=True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.train.decoding import top_k_filter, top_p_filter
from dlhelpers.train.transformer import Block, check_heads, sinusoidal_positions
from dlhelpers.validate import check_int, check_number, check_positive_int

__all__ = ["GPT", "KVCache", "generate_tokens"]


class KVCache:
    """The keys and values of every token seen so far, one ``(k, v)`` pair per layer.

    ``keys[l]`` and ``values[l]`` have shape (B, n_heads, T_seen, d_k); ``length`` is
    ``T_seen``, the position the next token takes.
    """

    def __init__(self, n_layers: int):
        self.keys: list[torch.Tensor | None] = [None] * check_positive_int("n_layers", n_layers)
        self.values: list[torch.Tensor | None] = [None] * n_layers

    @property
    def length(self) -> int:
        return 0 if self.keys[0] is None else int(self.keys[0].shape[2])

    def numel(self) -> int:
        """How many numbers the cache holds (keys and values of every layer)."""
        return sum(t.numel() for t in (*self.keys, *self.values) if t is not None)


def _cached_attention(block: Block, h: torch.Tensor, cache: KVCache, layer: int) -> torch.Tensor:
    """``block.attn`` on the new positions ``h`` (B, t, C), reading and extending the cache."""
    attn = block.attn
    B, t, C = h.shape
    nh = attn.num_heads
    d_k = C // nh
    qkv = F.linear(h, attn.in_proj_weight, attn.in_proj_bias)  # (B, t, 3C)
    q, k, v = (
        a.view(B, t, nh, d_k).transpose(1, 2) for a in qkv.split(C, dim=-1)
    )  # (B, nh, t, d_k)
    if cache.keys[layer] is not None:
        k = torch.cat([cache.keys[layer], k], dim=2)  # (B, nh, T_seen + t, d_k)
        v = torch.cat([cache.values[layer], v], dim=2)
    cache.keys[layer], cache.values[layer] = k, v
    T = k.shape[2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (B, nh, t, T)
    # new position i sits at T - t + i and may read keys 0 .. T - t + i
    future = torch.ones(t, T, dtype=torch.bool, device=h.device).triu(T - t + 1)
    weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    y = (weights @ v).transpose(1, 2).reshape(B, t, C)  # (B, t, C)
    return attn.out_proj(y)


class GPT(nn.Module):
    """Decoder-only transformer: embedding + sinusoidal positions -> causal blocks -> head.

    Parameters
    ----------
    vocab : int
        ``V``, the number of token ids (``256 + n_merges`` for byte-level BPE).
    d_model : int, default 64
        Must be divisible by ``n_heads``.
    n_heads : int, default 4
    n_layers : int, default 2
    max_len : int, default 512
        The longest sequence the positions cover (train on shorter windows, generate up to it).
    """

    def __init__(
        self,
        vocab: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 2,
        max_len: int = 512,
    ):
        super().__init__()
        self.vocab = check_positive_int("vocab", vocab)
        d_model, n_heads = check_heads(d_model, n_heads)
        self.n_layers = check_positive_int("n_layers", n_layers)
        self.max_len = check_positive_int("max_len", max_len)
        self.d_model, self.n_heads = d_model, n_heads
        self.embed = nn.Embedding(self.vocab, d_model)
        table = torch.as_tensor(sinusoidal_positions(self.max_len, d_model), dtype=torch.float32)
        self.register_buffer("pos_table", table, persistent=False)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, 4 * d_model) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, self.vocab)

    def _check_ids(self, x: torch.Tensor, start: int) -> None:
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.is_floating_point():
            got = (
                f"{x.dtype} of shape {tuple(x.shape)}"
                if isinstance(x, torch.Tensor)
                else type(x).__name__
            )
            raise ValueError(f"expected integer token ids of shape (B, T), got {got}")
        if start + x.shape[1] > self.max_len:
            raise ValueError(
                f"position {start + x.shape[1] - 1} is beyond max_len={self.max_len}: "
                "make the model with a larger max_len or generate fewer tokens"
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : integer ids of shape (B, T) -> logits (B, T, V), every position at once."""
        self._check_ids(x, 0)
        T = x.shape[1]
        h = self.embed(x) + self.pos_table[:T]  # (B, T, C)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)  # True: the future
        for block in self.blocks:
            h = block(h, mask)
        return self.head(self.norm(h))  # (B, T, V)

    def step(self, x: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """Logits (B, t, V) for the new ids ``x`` (B, t) that follow what ``cache`` holds.

        The new tokens' keys and values are appended to ``cache``; the positions of ``x``
        start at ``cache.length``. Equal to ``self(all_ids)[:, -t:]`` up to round-off.
        """
        if not isinstance(cache, KVCache) or len(cache.keys) != self.n_layers:
            raise TypeError(f"cache must be a KVCache({self.n_layers}) for this model")
        start = cache.length
        self._check_ids(x, start)
        h = self.embed(x) + self.pos_table[start : start + x.shape[1]]  # (B, t, C)
        for layer, block in enumerate(self.blocks):
            h = h + _cached_attention(block, block.norm1(h), cache, layer)
            h = h + block.mlp(block.norm2(h))
        return self.head(self.norm(h))  # (B, t, V)


def _draw(logits: torch.Tensor, greedy, temperature, top_k, top_p, generator) -> int:
    """One id from logits (V,), as :func:`~dlhelpers.train.decoding.next_token` with top-p."""
    logits = logits.double()
    if greedy:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator))


def _checked_prompt(model, prompt, length, temperature, top_k, top_p) -> tuple[list[int], int]:
    """The prompt as a list of ids and the length, after checking every argument of :func:`generate_tokens`."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, not {type(model).__name__}")
    length = check_int("length", length, low=0)
    check_number("temperature", temperature, low=0, low_open=True)
    if top_k is not None:
        check_positive_int("top_k", top_k)
    if top_p is not None:
        check_number("top_p", top_p, low=0, low_open=True, high=1)
    ids = [check_int("prompt id", i, low=0, high=model.vocab - 1) for i in prompt]
    if not ids:
        raise ValueError("prompt must hold at least one token id")
    if len(ids) + length > model.max_len:
        raise ValueError(f"{len(ids)} + {length} tokens is longer than max_len={model.max_len}")
    return ids, length


@torch.no_grad()
def generate_tokens(
    model: GPT,
    prompt: Sequence[int],
    length: int,
    *,
    greedy: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int = 0,
    use_cache: bool = True,
) -> list[int]:
    """``length`` new token ids after ``prompt``, with or without a :class:`KVCache`.

    Parameters
    ----------
    model : GPT
    prompt : sequence of int
        At least one id; ``len(prompt) + length`` at most ``model.max_len``.
    length : int
        Tokens to add (0 or more).
    greedy : bool, default False
        Take the argmax; the other settings are then ignored.
    temperature : float, default 1.0
        Positive; divides the logits, then ``top_k`` and ``top_p`` cut them.
    top_k : int, optional
        Keep the ``top_k`` largest logits (:func:`~dlhelpers.train.decoding.top_k_filter`).
    top_p : float, optional
        Keep the nucleus of mass ``top_p`` (:func:`~dlhelpers.train.decoding.top_p_filter`).
    seed : int, default 0
        Seeds a private ``torch.Generator``; the global random state is untouched.
    use_cache : bool, default True
        Feed one new token a step through :meth:`GPT.step`; False runs the whole sequence
        through :meth:`GPT.forward` at every step. Both give the same tokens.

    Returns
    -------
    list of int
        The new ids only.
    """
    ids, length = _checked_prompt(model, prompt, length, temperature, top_k, top_p)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        cache = KVCache(model.n_layers) if use_cache else None
        fresh = ids
        for _ in range(length):
            x = torch.as_tensor(fresh if use_cache else ids, device=device)[None]  # (1, T)
            logits = model.step(x, cache) if use_cache else model(x)
            ids.append(_draw(logits[0, -1].cpu(), greedy, temperature, top_k, top_p, generator))
            fresh = ids[-1:]
    finally:
        model.train(was_training)
    return ids[len(ids) - length :]
