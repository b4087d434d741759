"""Top-p (nucleus) and top-k on one distribution: NumPy (scratch/sampling.py) against torch (train/decoding.py)."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.scratch.sampling import decoding_probs, softmax, top_k_probs, top_p_probs

torch = pytest.importorskip("torch")

from dlhelpers.train.decoding import top_k_filter, top_p_filter  # noqa: E402


def test_the_nucleus_by_hand():
    probs = np.array([0.1, 0.4, 0.2, 0.2, 0.1])
    np.testing.assert_allclose(top_p_probs(probs, 0.4), [0, 1, 0, 0, 0])  # 0.4 alone reaches 0.4
    np.testing.assert_allclose(top_p_probs(probs, 0.5), [0, 0.5, 0.25, 0.25, 0])  # the tie is kept
    np.testing.assert_allclose(top_p_probs(probs, 0.81), probs)  # 0.8 < 0.81: the 0.1s (tied) join
    np.testing.assert_allclose(top_p_probs(probs, 1.0), probs)
    assert np.count_nonzero(top_p_probs(np.array([0.0, 0.7, 0.3]), 1.0)) == 2
    np.testing.assert_allclose(top_k_probs(probs, 1), [0, 1, 0, 0, 0])
    np.testing.assert_allclose(top_k_probs(probs, 2), [0, 0.5, 0.25, 0.25, 0])  # ties with the k-th


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.9, 0.99, 1.0])
def test_numpy_and_torch_keep_the_same_nucleus(p):
    rng = np.random.default_rng(0)
    for _ in range(20):
        logits = rng.normal(size=30) * 2
        logits[3] = logits[7]  # a tie
        kept = top_p_filter(torch.from_numpy(logits), p)
        theirs = torch.softmax(kept, dim=-1).numpy()
        np.testing.assert_allclose(top_p_probs(softmax(logits), p), theirs, atol=1e-12)
    batch = torch.from_numpy(rng.normal(size=(4, 30)))
    rows = torch.stack([top_p_filter(row, p) for row in batch])
    assert torch.equal(top_p_filter(batch, p), rows)


def test_the_rules_of_the_explorer():
    z = np.array([2.0, 1.0, 0.5, -1.0])
    assert decoding_probs(z, "greedy").tolist() == [1, 0, 0, 0]
    np.testing.assert_allclose(decoding_probs(z, "temperature", temperature=2.0), softmax(z / 2))
    assert np.count_nonzero(decoding_probs(z, "top-k", top_k=2)) == 2
    np.testing.assert_allclose(decoding_probs(z, "top-p", top_p=1.0), softmax(z))
    hot = decoding_probs(z, "top-p", temperature=5.0, top_p=0.6)
    cold = decoding_probs(z, "top-p", temperature=0.3, top_p=0.6)
    assert np.count_nonzero(hot) > np.count_nonzero(cold) == 1
    k = torch.softmax(top_k_filter(torch.from_numpy(z / 0.7), 3), -1).numpy()
    np.testing.assert_allclose(decoding_probs(z, "top-k", temperature=0.7, top_k=3), k)


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda: top_p_probs([0.5, 0.5], 0), ValueError, "p"),
        (lambda: top_p_probs([0.5, 0.5], 1.2), ValueError, "p"),
        (lambda: top_p_probs([0.5, 0.6], 0.5), ValueError, "probability distribution"),
        (lambda: top_p_probs([[0.5, 0.5]], 0.5), ValueError, "1-D"),
        (lambda: top_k_probs([0.5, 0.5], 0), ValueError, "k"),
        (lambda: top_p_filter(torch.zeros(3), float("nan")), ValueError, "p"),
        (lambda: decoding_probs([1.0, 2.0], "beam"), ValueError, "method"),
        (lambda: decoding_probs([1.0, np.inf], "greedy"), ValueError, "logits"),
        (lambda: softmax([1.0, 2.0], 0), ValueError, "temperature"),
    ],
)
def test_bad_input_is_refused_with_its_name(call, error, says):
    with pytest.raises(error, match=says):
        call()
