"""Exercises of notebook 15: a language model, from tokens to text."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    call_answer,
    compare_arrays,
    count_equal,
    exercise,
    not_numbers,
    number_close,
)
from dlhelpers.scratch.bpe import merge
from dlhelpers.scratch.sampling import top_p_probs

__all__ = []

# Token ids are compared exactly; a loss and probabilities with a tolerance. The merge step
# and the nucleus are judged against the package's twins (dlhelpers.scratch.bpe.merge,
# dlhelpers.scratch.sampling.top_p_probs), on inputs that change every argument.

_MERGE_CASES = (
    ([5, 1, 2, 1, 2, 7], (1, 2), 256),
    ([97, 97, 97], (97, 97), 300),  # 'aaa': only the first 'aa' merges
    ([97, 97, 97, 97, 97], (97, 97), 258),
    ([3, 4, 3, 4, 3], (4, 3), 261),
    ([9, 8, 7], (1, 2), 256),  # nothing to merge
    ([1, 2], (1, 2), 999),
)


def _ids(got, what: str) -> np.ndarray:
    if isinstance(got, str | bytes | dict | set) or not hasattr(got, "__len__"):
        raise Wrong(f"{what} is {a_type(got)}; expected a list of token ids.")
    reason = not_numbers(got)
    if reason is not None:
        raise Wrong(f"{what} {reason}; expected a list of token ids.")
    arr = np.asarray(got.detach() if hasattr(got, "detach") else got, dtype=float)
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
        raise Wrong(f"{what} is not a flat list of whole-number token ids.")
    return arr.astype(np.int64)


@exercise(
    "lm-bpe-merge",
    "Write merge_pair(ids, pair, new_id): ids with every occurrence of pair, left to right and "
    "not overlapping, replaced by new_id.",
    hint="Walk through ids with an index i: where ids[i] and ids[i + 1] are the pair, append "
    "new_id and jump two places; otherwise append ids[i] and move one place. The jump is what "
    "makes 'aaa' merge only once.",
    solution=r"""def merge_pair(ids, pair, new_id):
    "ids: list of ints; pair: (a, b); returns a new list with each (a, b) made new_id."
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
""",
)
def _merge(fn):
    for ids, pair, new_id in _MERGE_CASES:
        got = _ids(call_answer(fn, list(ids), pair, new_id), f"merge({ids}, {pair}, {new_id})")
        want = merge(ids, pair, new_id)
        if np.array_equal(got, want):
            continue
        if len(want) < len(ids) and np.array_equal(got, ids):
            raise Wrong(f"merge({ids}, {pair}, {new_id}) changed nothing: look for the pair.")
        if pair[0] == pair[1] and np.count_nonzero(got == new_id) > np.count_nonzero(
            want == new_id
        ):
            raise Wrong(
                f"merge({ids}, {pair}, {new_id}) merges overlapping pairs: once a pair is "
                "merged, both of its ids are used up; move past them."
            )
        if pair[0] == pair[1] and np.array_equal(
            got, np.asarray(merge(ids[::-1], pair, new_id))[::-1]
        ):
            raise Wrong(f"merge({ids}, {pair}, {new_id}) merges from the right: go left to right.")
        raise Wrong(
            f"merge({ids}, {pair}, {new_id}) gives {got.tolist()}, not what the merge step "
            "makes: each (a, b) side by side becomes one new_id, the rest stays in order."
        )
    return "right: one merge step, left to right; in 'aaa' only the first 'aa' merges."


@exercise(
    "lm-loss-per-char",
    "Write loss_per_char(loss_per_token, n_tokens, n_chars): the same text's loss in nats per "
    "character.",
    hint="The loss per token times the number of tokens is the loss of the whole text, in "
    "nats; share it out over its characters.",
    solution=r"""def loss_per_char(loss_per_token, n_tokens, n_chars):
    "Mean loss per token over n_tokens tokens of a text of n_chars characters -> nats per character."
    return loss_per_token * n_tokens / n_chars
""",
)
def _per_char(fn):
    for loss, n_tokens, n_chars in [(3.5, 590, 1000), (2.0, 10, 40), (4.2, 300, 300)]:
        got = call_answer(fn, loss, n_tokens, n_chars)
        want = loss * n_tokens / n_chars
        if n_tokens != n_chars:
            wrong = loss * n_chars / n_tokens
            try:
                number_close(got, wrong, hint="")
            except Wrong:
                pass
            else:
                raise Wrong(
                    "that is the ratio upside down: with fewer tokens than characters, the "
                    "loss per character is smaller than the loss per token."
                )
        number_close(
            got,
            want,
            hint=f"(for loss_per_token={loss}, n_tokens={n_tokens}, n_chars={n_chars}) "
            "the total loss is the loss per token times the number of tokens.",
        )
    return (
        "right: nats per token x tokens per character = nats per character, whatever the tokenizer."
    )


def _nucleus_cases() -> list[tuple[np.ndarray, float]]:
    rng = np.random.default_rng(15)
    cases = [(rng.dirichlet(np.ones(8) * 0.5), p) for p in (0.5, 0.8, 0.95)]
    cases.append((np.array([0.4, 0.2, 0.2, 0.1, 0.1]), 0.5))  # a tie at the cut: both kept
    cases.append((np.array([0.4, 0.2, 0.2, 0.1, 0.1]), 0.7))
    cases.append((np.array([0.1, 0.6, 0.3]), 1.0))  # p = 1 keeps everything
    cases.append((np.array([0.05, 0.7, 0.25]), 0.6))  # the likeliest alone reaches p
    cases.append((np.array([0.25, 0.25, 0.25, 0.25]), 0.3))
    return cases


@exercise(
    "lm-top-p",
    "Write top_p(probs, p): keep the smallest set of likeliest tokens whose probability reaches p "
    "(ties with the last kept too), zero the rest, renormalise.",
    hint="Sort the probabilities from the largest down and add them up: a token is in the "
    "nucleus if the tokens ranked above it hold less than p. The smallest probability in the "
    "nucleus is the cut-off: keep every token at or above it (that keeps ties), zero the "
    "others, and divide by the sum of what is left.",
    solution=r"""def top_p(probs, p):
    "probs: (V,) probabilities; p in (0, 1]. Returns (V,): the nucleus renormalised, 0 elsewhere."
    ranked = np.sort(probs)[::-1]
    above = np.cumsum(ranked) - ranked  # the mass of the tokens ranked above each one
    cutoff = ranked[above < p - 1e-12].min()
    kept = np.where(probs >= cutoff, probs, 0.0)
    return kept / kept.sum()
""",
)
def _top_p(fn):
    for probs, p in _nucleus_cases():
        got = call_answer(fn, probs.copy(), p)
        want = top_p_probs(probs, p)
        arr = array_of_shape(got, want.shape)
        if arr is not None and not np.allclose(arr, want):
            kept = want > 0
            if np.allclose(arr, np.where(kept, probs, 0.0)):
                raise Wrong(
                    "the right tokens are kept, but divide by their sum so that they add up to 1."
                )
            if np.allclose(arr.sum(), 1) and np.count_nonzero(arr) < np.count_nonzero(want):
                raise Wrong(
                    f"for p={p} you keep too few tokens: keep going until the kept mass "
                    "reaches p (the token that crosses p is in), and keep tokens tied with "
                    "the last one kept."
                )
            if np.count_nonzero(arr) > np.count_nonzero(want):
                raise Wrong(
                    f"for p={p} you keep too many tokens: stop once the kept mass reaches p."
                )
        compare_arrays(got, want, what=f"top_p(probs, {p}) for probs {np.round(probs, 3).tolist()}")
    return "right: the nucleus adapts, a few tokens where the model is sure, many where it is not."


@exercise(
    "lm-kv-cache-numbers",
    "A GPT with 2 blocks of width d_model = 64 has read 100 tokens (batch 1): how many numbers "
    "does its KV cache hold?",
    hint="Every block keeps, for every token it has read, a key and a value, each a vector as "
    "wide as the model (the heads only cut it into pieces).",
    solution="cache_numbers = 2 * 2 * 100 * 64  # keys and values x blocks x tokens x width\n",
)
def _kv_numbers(answer):
    if answer in (12_800, 6_400):
        raise Wrong(
            f"{answer} leaves out a factor of 2: a key and a value per token, in each of the 2 blocks."
        )
    count_equal(
        answer,
        2 * 2 * 100 * 64,
        hint="count the keys and the values, in every block, for every token read, each as "
        "wide as d_model.",
    )
    return "right: 25,600 numbers, growing by 2 x 2 x 64 with every token; the time saved is recomputing them."
