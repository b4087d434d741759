"""Byte-pair encoding from scratch against Hugging Face ``tokenizers`` trained on the same text."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dlhelpers.scratch.bpe import (
    byte_level_chars,
    byte_level_rank,
    decode,
    encode,
    merge,
    most_frequent_pair,
    pair_counts,
    train_bpe,
    vocab_bytes,
)

tokenizers = pytest.importorskip("tokenizers")


def _text(start: int, stop: int) -> str:
    import pydoc_data.topics

    return "".join(pydoc_data.topics.topics.values())[start:stop]


def _twin(text: str, n_merges: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=256 + n_merges,
        min_frequency=0,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([text], trainer=trainer)
    return tok


def test_the_same_merges_and_the_same_encoding_as_tokenizers():
    text, n = _text(0, 12_000), 120
    merges, ids = train_bpe(text, n, tie_rank=byte_level_rank())
    twin = _twin(text, n)
    chars, table = byte_level_chars(), vocab_bytes(merges)

    def shown(i):
        return "".join(chars[b] for b in table[i])

    theirs = json.loads(twin.to_str())["model"]["merges"]
    assert [[shown(a), shown(b)] for a, b in merges] == theirs
    # their ids: the bytes in byte-level character order, then the merges in order
    to_theirs = np.concatenate([byte_level_rank(), 256 + np.arange(n)])
    held_out = _text(12_000, 14_000)
    assert list(to_theirs[encode(held_out, merges)]) == twin.encode(held_out).ids
    assert np.array_equal(encode(text, merges), ids)
    assert len(ids) < 0.6 * len(text.encode())  # it compresses


@pytest.mark.parametrize(
    "text", ["", "a", "aaaa", "héllo wörld ✓ 😀", "\x00\xff\n\t", "ab" * 50, _text(0, 3000)]
)
def test_every_text_round_trips(text):
    merges, _ = train_bpe(_text(0, 5000), 60)
    assert decode(encode(text, merges), merges) == text


def test_the_merge_step():
    assert pair_counts([1, 1, 1]) == {(1, 1): 2}  # overlapping pairs each count
    assert list(merge([1, 1, 1], (1, 1), 9)) == [9, 1]  # but merge left to right, once
    assert list(merge([1, 1, 1, 1], (1, 1), 9)) == [9, 9]
    assert list(merge([5, 1, 2, 1, 2, 7], (1, 2), 256)) == [5, 256, 256, 7]
    assert list(merge([3], (1, 2), 256)) == [3] and list(merge([], (1, 2), 256)) == []
    counts = {(2, 3): 4, (1, 9): 4, (0, 0): 1}
    assert most_frequent_pair(counts) == (1, 9)  # a tie goes to the smaller pair
    assert most_frequent_pair(counts, tie_rank=np.array([0, 9, 1, 2, 3, 4, 5, 6, 7, 8])) == (2, 3)


def test_training_stops_when_nothing_repeats():
    merges, ids = train_bpe("abcdef", 10)
    assert merges == [] and len(ids) == 6


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda: train_bpe(b"bytes", 3), TypeError, "str"),
        (lambda: train_bpe("abc", -1), ValueError, "n_merges"),
        (lambda: train_bpe("abc", 2.5), ValueError, "n_merges"),
        (lambda: encode(None, []), TypeError, "str"),
        (lambda: merge([1.5, 2.0], (1, 2), 3), TypeError, "integer"),
        (lambda: merge([-1, 2], (1, 2), 3), ValueError, "negative"),
        (lambda: merge([1, 2], (1, -2), 3), ValueError, "pair"),
        (lambda: most_frequent_pair({}), ValueError, "no pair"),
        (lambda: decode([300], []), ValueError, "vocabulary of 256"),
        (lambda: vocab_bytes([(1, 300)]), ValueError, "later"),
    ],
)
def test_bad_input_is_refused_with_its_name(call, error, says):
    with pytest.raises(error, match=says):
        call()


def test_numpy_integers_are_token_ids():
    assert list(
        merge(np.array([1, 2], dtype=np.int32), (np.int64(1), np.int8(2)), np.uint16(7))
    ) == [7]
