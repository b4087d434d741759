"""Notebook 15's judges: the specific hints for the typical mistakes."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import check


def test_merge_hints():
    said = check("lm-bpe-merge", lambda ids, pair, new_id: list(ids))
    assert said.status == "not yet" and "changed nothing" in said.message

    def right_to_left(ids, pair, new_id):
        ids, out, i = list(ids)[::-1], [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i + 1], ids[i]) == tuple(pair):
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        return out[::-1]

    said = check("lm-bpe-merge", right_to_left)
    assert said.status == "not yet" and "from the right" in said.message

    def no_jump(ids, pair, new_id):  # merges every overlapping pair: 'aaa' -> [Z, Z]
        hits = [i for i in range(len(ids) - 1) if (ids[i], ids[i + 1]) == tuple(pair)]
        out = [new_id if i in hits else x for i, x in enumerate(ids)]
        return [x for i, x in enumerate(out) if i - 1 not in hits or i in hits]

    said = check("lm-bpe-merge", no_jump)
    assert said.status == "not yet" and "overlapping" in said.message
    assert check("lm-bpe-merge", "[256, 97]").status == "not yet"


def test_loss_per_char_hints():
    said = check("lm-loss-per-char", lambda loss, t, c: loss * c / t)
    assert said.status == "not yet" and "upside down" in said.message
    said = check("lm-loss-per-char", lambda loss, t, c: loss)
    assert said.status == "not yet" and "total loss" in said.message


def test_top_p_hints():
    def unnormalised(probs, p):
        ranked = np.sort(probs)[::-1]
        cutoff = ranked[(np.cumsum(ranked) - ranked) < p - 1e-12].min()
        return np.where(probs >= cutoff, probs, 0.0)

    said = check("lm-top-p", unnormalised)
    assert said.status == "not yet" and "divide by their sum" in said.message

    def stops_short(probs, p):  # keeps tokens only while the mass stays under p
        ranked = np.sort(probs)[::-1]
        inside = np.cumsum(ranked) <= p
        inside[0] = True
        kept = np.where(probs >= ranked[inside].min(), probs, 0.0)
        return kept / kept.sum()

    said = check("lm-top-p", stops_short)
    assert said.status == "not yet" and "too few" in said.message
    said = check("lm-top-p", lambda probs, p: probs)
    assert said.status == "not yet" and "too many" in said.message


def test_kv_cache_hints():
    for wrong in (12_800, 6_400):
        said = check("lm-kv-cache-numbers", wrong)
        assert said.status == "not yet" and "factor of 2" in said.message
    assert check("lm-kv-cache-numbers", 25_600).status == "correct"
    assert check("lm-kv-cache-numbers", 25_601).status == "not yet"
