"""Notebook 15's decoding explorer, with fake logits and a fake sampler, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlhelpers.explorers.decoding import build_decoding_explorer, token_labels  # noqa: E402
from dlhelpers.scratch.sampling import decoding_probs  # noqa: E402

LABELS = [f"t{i}" for i in range(40)]
LOGITS = np.linspace(3.0, -3.0, 40)  # t0 likeliest


def fake_generate(method, temperature, top_k, top_p, seed):
    probs = decoding_probs(LOGITS, method, temperature=temperature, top_k=top_k, top_p=top_p)
    ids = np.random.default_rng(seed).choice(40, size=5, p=probs).tolist()
    return ids, " ".join(LABELS[i] for i in ids) + " <&>"


def _dark(ex) -> list[float]:
    return [b.get_height() for b in ex.view.kept_bars]


def test_the_rule_changes_the_bars_the_cut_and_the_text():
    ex = build_decoding_explorer(
        LOGITS, LABELS, fake_generate, prompt="<p>", method="top-k", top_k=3
    )
    assert np.count_nonzero(_dark(ex)) == 3 and ex.view.cut.get_visible()
    assert ex.view.cut.get_xdata()[0] == pytest.approx(2.5)
    assert "draws from 3 of 40 tokens" in ex.status.value and "&lt;&amp;&gt;" in ex.status.value
    assert "<b>&lt;p&gt;</b>" in ex.status.value
    before, text = ex.image.value, ex.status.value
    ex.controls["method"].value = "top-p"
    assert ex.image.value != before and ex.status.value != text
    ex.controls["top_p"].value = 1.0
    assert not ex.view.cut.get_visible()  # p = 1 cuts nothing
    ex.controls["method"].value = "greedy"
    assert _dark(ex)[0] == pytest.approx(1.0) and sum(_dark(ex)[1:]) == 0
    assert "draws from 1 of 40" in ex.status.value
    star = ex.view.star.get_xdata()
    assert list(star) == [0]  # greedy draws the likeliest, starred


def test_temperature_moves_the_model_bars_and_top_p_adapts():
    ex = build_decoding_explorer(
        LOGITS, LABELS, fake_generate, method="top-p", top_p=0.9, temperature=0.5
    )
    cold = [b.get_height() for b in ex.view.model_bars]
    n_cold = int(ex.status.value.split("draws from ")[1].split()[0])
    ex.controls["temperature"].value = 2.0
    hot = [b.get_height() for b in ex.view.model_bars]
    n_hot = int(ex.status.value.split("draws from ")[1].split()[0])
    assert hot[0] < cold[0] and n_hot > n_cold


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match="labels"):
        build_decoding_explorer(LOGITS, LABELS[:-1], fake_generate)
    with pytest.raises(ValueError, match="logits"):
        build_decoding_explorer(np.zeros((2, 3)), LABELS, fake_generate)
    with pytest.raises(TypeError, match="generate"):
        build_decoding_explorer(LOGITS, LABELS, "not a function")
    with pytest.raises(TypeError, match="bytes"):
        token_labels(["text"])


def test_token_labels_are_visible():
    assert token_labels([b" the", b"\n\n", b"\xe2\x80", "é".encode(), b"\t"]) == [
        "␣the",
        "⏎⏎",
        "\\xe2\\x80",
        "é",
        "⇥",
    ]
