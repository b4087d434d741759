"""A tiny transformer whose attention can be read (notebook 09), trained with the course's :func:`fit`.

:class:`TinyTransformer` maps token ids ``(B, T)`` to logits ``(B, T, V)``:
token embedding + positions, ``n_layers`` **pre-norm** blocks
(``x + attn(norm(x))``, then ``x + mlp(norm(x))``, as in GPT-2 and nanoGPT),
a final LayerNorm and a linear head. Each block is ``torch.nn.MultiheadAttention``
(its NumPy twin: :class:`~dlhelpers.scratch.attention.MultiheadAttention`) and
keeps the per-head weights of its last forward: :meth:`TinyTransformer.attention_maps`.
:func:`causal_self_attention` writes out, step by step, what a :class:`Block`'s attention does
with a causal mask, reading the block's weights by name (``dict(block.named_parameters())``):
the package's twin of what notebook 09's learner writes.

``fit`` trains it as it is: it hands the model the integer ids,
:func:`~dlhelpers.train.char_model.sequence_loss` flattens ``(B, T, V)``
against ``(B, T)``, and the ``"token_accuracy"`` metric
(:func:`~dlhelpers.train.metrics.token_hits`) reads the argmax over the last
axis (the ``"accuracy"`` metric refuses ``(B, T, V)`` logits)::

    torch.set_num_threads(1)
    X, Y = make_reversal(64 * 300, seed=0)
    torch.manual_seed(0)
    model = TinyTransformer(10, d_model=64, n_heads=4)
    fit(model, (X, Y), epochs=1, batch_size=64, loss_fn=sequence_loss, metrics="token_accuracy",
        optimizer=torch.optim.Adam(model.parameters(), 3e-3))
    token_accuracy(model, *make_reversal(1000, seed=1))       # > 0.99
    model(torch.as_tensor(X[:1])); maps = model.attention_maps()  # (1, 1, 4, 8, 8)
    antidiagonal_share(maps.mean(axis=2))                     # reversal reads T-1-t
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlhelpers.train.metrics import token_hits
from dlhelpers.validate import check_choice, check_positive_int

__all__ = [
    "POSITIONS",
    "Block",
    "check_heads",
    "TinyTransformer",
    "antidiagonal_share",
    "causal_self_attention",
    "sinusoidal_positions",
    "token_accuracy",
]

POSITIONS = ("sinusoidal", "learned", "none")


def sinusoidal_positions(length: int, dim: int) -> np.ndarray:
    """The fixed position codes of Vaswani et al. (2017), section 3.5.

    ``P[pos, 2i] = sin(pos / 10000**(2i / dim))`` and
    ``P[pos, 2i + 1] = cos(pos / 10000**(2i / dim))``: each pair of
    dimensions turns at its own rate, fast in the first, slow in the last.

    Parameters
    ----------
    length : int
        Number of positions.
    dim : int
        Size of each code (``d_model``); an odd ``dim`` ends on a sine.

    Returns
    -------
    ndarray of shape (length, dim), float64
    """
    length, dim = check_positive_int("length", length), check_positive_int("dim", dim)
    pos = np.arange(length)[:, None]  # (length, 1)
    i = np.arange(dim)[None, :]  # (1, dim)
    angle = pos / 10000.0 ** (2 * (i // 2) / dim)  # (length, dim)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle))


ATTENTION_PARAMETERS = (
    "attn.in_proj_weight",
    "attn.in_proj_bias",
    "attn.out_proj.weight",
    "attn.out_proj.bias",
)


def causal_self_attention(h: torch.Tensor, params, n_heads: int) -> torch.Tensor:
    """Multi-head causal self-attention written out, with the weights of a :class:`Block`.

    What ``block.attn(h, h, h, attn_mask=causal)`` computes (``torch.nn.MultiheadAttention``),
    step by step, as notebook 09's learner writes it: project to queries, keys and values,
    split into heads, scale the scores by ``1 / sqrt(d_k)``, set the future to ``-inf``
    *before* the softmax, mix the values, merge the heads, project out.

    Parameters
    ----------
    h : Tensor of shape (B, T, C)
    params : mapping of str to Tensor
        At least the four ``attn.*`` entries of ``dict(block.named_parameters())``:
        ``attn.in_proj_weight`` (3C, C), ``attn.in_proj_bias`` (3C,),
        ``attn.out_proj.weight`` (C, C), ``attn.out_proj.bias`` (C,).
    n_heads : int
        Must divide C; each head has ``d_k = C // n_heads`` channels.

    Returns
    -------
    Tensor of shape (B, T, C)
    """
    n_heads = check_positive_int("n_heads", n_heads)
    if not isinstance(h, torch.Tensor) or h.ndim != 3 or h.shape[-1] % n_heads:
        shape = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(
            f"h must be a tensor of shape (B, T, C) with C divisible by n_heads={n_heads}, got {shape}"
        )
    missing = [name for name in ATTENTION_PARAMETERS if name not in params]
    if missing:
        raise KeyError(f"params lacks {missing}: pass dict(block.named_parameters())")
    B, T, C = h.shape
    d_k = C // n_heads
    qkv = F.linear(h, params["attn.in_proj_weight"], params["attn.in_proj_bias"])  # (B, T, 3C)
    q, k, v = (
        a.view(B, T, n_heads, d_k).transpose(1, 2) for a in qkv.split(C, dim=-1)
    )  # (B, nh, T, d_k) each
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (B, nh, T, T)
    future = torch.ones(T, T, dtype=torch.bool, device=h.device).triu(1)
    weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)  # (B, nh, T, T)
    y = (weights @ v).transpose(1, 2).reshape(B, T, C)  # heads side by side again
    return F.linear(y, params["attn.out_proj.weight"], params["attn.out_proj.bias"])


def check_heads(d_model: int, n_heads: int) -> tuple[int, int]:
    """``(d_model, n_heads)`` checked: positive whole numbers, the width split evenly over the heads."""
    d_model = check_positive_int("d_model", d_model)
    n_heads = check_positive_int("n_heads", n_heads)
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
    return d_model, n_heads


class Block(nn.Module):
    """One pre-norm transformer block; ``weights`` holds its last attention, (B, heads, T, T).

    ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))`` with a GELU MLP.
    :func:`causal_self_attention` writes out what ``attn`` does with a causal mask.
    """

    def __init__(self, d_model: int, n_heads: int, dim_feedforward: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(
            nn.Linear(d_model, dim_feedforward), nn.GELU(), nn.Linear(dim_feedforward, d_model)
        )
        self.weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = self.norm1(x)  # (B, T, C)
        out, w = self.attn(
            h, h, h, attn_mask=mask, need_weights=True, average_attn_weights=False
        )  # (B, T, C), (B, heads, T, T)
        self.weights = w.detach()
        x = x + out
        return x + self.mlp(self.norm2(x))  # (B, T, C)


class TinyTransformer(nn.Module):
    """Embedding + positions -> ``n_layers`` pre-norm blocks -> LayerNorm -> linear head.

    Parameters
    ----------
    vocab : int
        ``V``, the number of token ids (10 for digits).
    d_model : int, default 64
        Width of every token's vector; must be divisible by ``n_heads``.
    n_heads : int, default 4
    n_layers : int, default 1
    max_len : int, default 64
        The longest sequence the positions cover.
    causal : bool, default False
        Position ``t`` sees only ``0..t`` (a language model); False lets every
        position see the whole input (an encoder, as reversal needs).
    positions : {"sinusoidal", "learned", "none"}, default "sinusoidal"
        Fixed codes (:func:`sinusoidal_positions`), a learned ``nn.Embedding``
        per position, or nothing: then attention cannot tell positions apart
        and reversal fails.
    dim_feedforward : int, optional
        Hidden width of each block's MLP; default ``4 * d_model``.
    """

    def __init__(
        self,
        vocab: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 1,
        max_len: int = 64,
        causal: bool = False,
        positions: str = "sinusoidal",
        dim_feedforward: int | None = None,
    ):
        super().__init__()
        self.vocab = check_positive_int("vocab", vocab)
        d_model, n_heads = check_heads(d_model, n_heads)
        positions = check_choice("positions", positions, POSITIONS)
        self.n_layers = check_positive_int("n_layers", n_layers)
        self.max_len = check_positive_int("max_len", max_len)
        ff = 4 * d_model if dim_feedforward is None else dim_feedforward
        ff = check_positive_int("dim_feedforward", ff)
        self.d_model, self.n_heads, self.causal, self.positions = (
            d_model,
            n_heads,
            bool(causal),
            positions,
        )
        self.embed = nn.Embedding(self.vocab, d_model)
        if positions == "learned":
            self.pos = nn.Embedding(self.max_len, d_model)
        elif positions == "sinusoidal":
            table = torch.as_tensor(
                sinusoidal_positions(self.max_len, d_model), dtype=torch.float32
            )
            self.register_buffer("pos_table", table, persistent=False)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, ff) for _ in range(self.n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, self.vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` : integer ids of shape (B, T) -> logits (B, T, V)."""
        if x.ndim != 2 or x.is_floating_point():
            raise ValueError(
                f"expected integer token ids of shape (B, T), got {x.dtype} of shape {tuple(x.shape)}"
            )
        T = x.shape[1]
        if T > self.max_len:
            raise ValueError(f"sequence length {T} is longer than max_len={self.max_len}")
        h = self.embed(x)  # (B, T, C)
        if self.positions == "learned":
            h = h + self.pos(torch.arange(T, device=x.device))  # (T, C) broadcast
        elif self.positions == "sinusoidal":
            h = h + self.pos_table[:T]
        # nn.MultiheadAttention's boolean mask: True means NOT allowed (the future)
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1) if self.causal else None
        for block in self.blocks:
            h = block(h, mask)
        return self.head(self.norm(h))  # (B, T, V)

    def attention_maps(self) -> np.ndarray:
        """Per-head attention weights of the last forward.

        Returns
        -------
        ndarray of shape (n_layers, B, n_heads, T, T), float64
            ``[l, b, h, q, k]``: how much query position ``q`` of sequence
            ``b`` reads key position ``k`` in head ``h`` of layer ``l``;
            each row (over ``k``) sums to 1. Pick one sequence for the
            attention explorer: ``maps[:, b]``.
        """
        if any(block.weights is None for block in self.blocks):
            raise RuntimeError("no attention yet: run the model on a batch first")
        return np.stack([b.weights.double().cpu().numpy() for b in self.blocks])


@torch.no_grad()
def token_accuracy(model: nn.Module, X, Y, *, batch_size: int = 1024) -> float:
    """Fraction of output tokens equal to the targets (``argmax`` of the logits).

    Parameters
    ----------
    model : nn.Module
        ``model(ids (B, T)) -> logits (B, T, V)``; run in eval mode, its mode put back.
    X, Y : array_like of shape (n, T), int
    batch_size : int, default 1024

    Returns
    -------
    float
        The mean over sequences of :func:`~dlhelpers.train.metrics.token_hits` (every
        sequence has ``T`` tokens, so also the share of all tokens).
    """
    batch_size = check_positive_int("batch_size", batch_size)
    X, Y = torch.as_tensor(np.asarray(X)), torch.as_tensor(np.asarray(Y))
    if X.shape != Y.shape or X.ndim != 2 or len(X) == 0:
        raise ValueError(
            f"X and Y must have one shape (n, T) with n >= 1, got {tuple(X.shape)}, {tuple(Y.shape)}"
        )
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        hits = sum(
            float(token_hits(model(X[i : i + batch_size].to(device)).cpu(), Y[i : i + batch_size]))
            for i in range(0, len(X), batch_size)
        )
    finally:
        model.train(was_training)
    return hits / len(X)


def antidiagonal_share(maps) -> float:
    """Mean attention weight on the anti-diagonal: query ``t`` reading key ``T - 1 - t``.

    Parameters
    ----------
    maps : array_like of shape (..., T, T)
        Attention weights, rows summing to 1 (e.g. ``model.attention_maps()``,
        or its mean over heads ``.mean(axis=2)``).

    Returns
    -------
    float
        1.0 when every query reads exactly its mirror position (what reversal
        needs), ``1 / T`` for uniform attention.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim < 2 or maps.shape[-1] != maps.shape[-2]:
        raise ValueError(f"maps must have shape (..., T, T), got {maps.shape}")
    flipped = maps[..., ::-1]  # the anti-diagonal becomes the diagonal
    return float(np.diagonal(flipped, axis1=-2, axis2=-1).mean())
