"""Byte-pair encoding from scratch: learn merges on text, encode, decode.

NumPy only. Text is UTF-8 bytes, so every string round-trips and the first
256 token ids are the bytes themselves. Training repeats one step: count every
adjacent pair of ids (:func:`pair_counts`), take the most frequent
(:func:`most_frequent_pair`) and replace it everywhere, left to right, by a new
id (:func:`merge`): merge ``k`` makes id ``256 + k``. Encoding new text replays
the merges in the order they were learned; decoding joins the bytes back.

The twin is Hugging Face ``tokenizers``: a ``models.BPE`` trained by
``trainers.BpeTrainer`` with every byte in its alphabet
(``pre_tokenizers.ByteLevel(use_regex=False)``, so that the whole text is one
piece, as here). Its ids for the 256 bytes are in the order of the printable
characters GPT-2 maps the bytes to (:func:`byte_level_chars`), and it breaks
ties between equally frequent pairs by the smaller pair of those ids; pass
``tie_rank=byte_level_rank()`` to break them the same way and learn the same
merges. ``tests/test_bpe.py`` compares the merges and the encodings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhelpers.validate import check_int

__all__ = [
    "byte_level_chars",
    "byte_level_rank",
    "decode",
    "encode",
    "merge",
    "most_frequent_pair",
    "pair_counts",
    "train_bpe",
    "vocab_bytes",
]

Pair = tuple[int, int]


def byte_level_chars() -> list[str]:
    """The printable character GPT-2's byte-level BPE shows for each byte 0..255."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    kept += list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in kept:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def byte_level_rank() -> np.ndarray:
    """``rank[b]``: the id ``tokenizers`` gives byte ``b`` (its character's place in sorted order)."""
    chars = byte_level_chars()
    order = sorted(range(256), key=lambda b: chars[b])
    rank = np.empty(256, dtype=np.int64)
    rank[order] = np.arange(256)
    return rank


def _ids(name: str, ids) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise TypeError(f"{name} must be a 1-D sequence of integer token ids, not {ids.dtype}")
    if ids.size and ids.min() < 0:
        raise ValueError(f"{name} holds a negative token id")
    return ids.astype(np.int64)


def pair_counts(ids: Sequence[int]) -> dict[Pair, int]:
    """How often each adjacent pair occurs in ``ids`` (overlapping pairs each count: 'aaa' has 2)."""
    ids = _ids("ids", ids)
    if len(ids) < 2:
        return {}
    width = int(ids.max()) + 1
    codes, counts = np.unique(ids[:-1] * width + ids[1:], return_counts=True)
    return {(int(c // width), int(c % width)): int(n) for c, n in zip(codes, counts, strict=True)}


def most_frequent_pair(counts: dict[Pair, int], tie_rank: np.ndarray | None = None) -> Pair:
    """The pair with the largest count; ties go to the smallest pair (of ``tie_rank`` ids)."""
    if not counts:
        raise ValueError("there is no pair to merge: the text is shorter than two tokens")

    def rank(i: int) -> int:
        return int(tie_rank[i]) if tie_rank is not None and i < len(tie_rank) else i

    return min(counts, key=lambda p: (-counts[p], rank(p[0]), rank(p[1])))


def merge(ids: Sequence[int], pair: Pair, new_id: int) -> np.ndarray:
    """``ids`` with every occurrence of ``pair``, left to right and not overlapping, made ``new_id``."""
    ids = _ids("ids", ids)
    a, b = (check_int("pair", p, low=0) for p in pair)
    new_id = check_int("new_id", new_id, low=0)
    hits = np.flatnonzero((ids[:-1] == a) & (ids[1:] == b)) if len(ids) > 1 else ids[:0]
    if a == b and len(hits):  # in 'aaa' only the first 'aa' merges
        keep, last = [], -2
        for i in hits:
            if i > last + 1:
                keep.append(i)
                last = i
        hits = np.asarray(keep)
    out = ids.copy()
    out[hits] = new_id
    drop = np.zeros(len(ids), dtype=bool)
    drop[hits + 1] = True
    return out[~drop]


def train_bpe(
    text: str, n_merges: int, *, tie_rank: np.ndarray | None = None
) -> tuple[list[Pair], np.ndarray]:
    """Learn ``n_merges`` merges on ``text``: ``(merges, ids)``, ids being ``text`` encoded.

    Stops early when no pair occurs twice (a merge would not shorten anything).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    n_merges = check_int("n_merges", n_merges, low=0)
    ids = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
    merges: list[Pair] = []
    for k in range(n_merges):
        counts = pair_counts(ids)
        if not counts or max(counts.values()) < 2:
            break
        pair = most_frequent_pair(counts, tie_rank)
        ids = merge(ids, pair, 256 + k)
        merges.append(pair)
    return merges, ids


def encode(text: str, merges: Sequence[Pair]) -> np.ndarray:
    """Token ids of ``text``: its UTF-8 bytes, then every merge in the order it was learned."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    ids = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
    for k, pair in enumerate(merges):
        ids = merge(ids, pair, 256 + k)
    return ids


def vocab_bytes(merges: Sequence[Pair]) -> list[bytes]:
    """The bytes each id stands for: ids 0..255 the bytes, id 256 + k the join of merge k."""
    table = [bytes([b]) for b in range(256)]
    for k, (a, b) in enumerate(merges):
        if a >= 256 + k or b >= 256 + k:
            raise ValueError(f"merge {k} uses an id made later: {(a, b)}")
        table.append(table[a] + table[b])
    return table


def decode(ids: Sequence[int], merges: Sequence[Pair]) -> str:
    """The text of token ids (invalid UTF-8, from a cut-off sequence, shows as U+FFFD)."""
    ids = _ids("ids", ids)
    table = vocab_bytes(merges)
    if ids.size and ids.max() >= len(table):
        raise ValueError(f"id {int(ids.max())} is not in a vocabulary of {len(table)}")
    return b"".join(table[i] for i in ids).decode("utf-8", errors="replace")
