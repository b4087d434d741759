"""Notebook 08's temperature explorer, with a fake model, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")


import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlhelpers.explorers.temperature import (  # noqa: E402
    apply_temperature,
    build_temperature_explorer,
    char_label,
    coverage,
    entropy,
)

VOCAB = list(" \nabcdefghijklmnopqrstuvwxyz<&")
LOGITS = np.linspace(-2.0, 3.0, len(VOCAB))[::-1].copy()  # ' ' likeliest, '&' least
LOGITS[0] += 1.0  # a clear favourite, one nat ahead


def fake_generate(temperature: float, length: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    ids = rng.choice(len(VOCAB), size=length, p=apply_temperature(LOGITS, temperature))
    return "".join(VOCAB[i] for i in ids)


def test_apply_temperature():
    softmax = np.exp(LOGITS) / np.exp(LOGITS).sum()
    np.testing.assert_allclose(apply_temperature(LOGITS, 1.0), softmax)
    cold = apply_temperature(LOGITS, 0.05)
    assert cold[np.argmax(LOGITS)] > 0.99
    hot = apply_temperature(LOGITS, 1e6)
    np.testing.assert_allclose(hot, 1 / len(VOCAB), rtol=1e-4)
    big = apply_temperature([1000.0, 999.0], 1.0)  # no overflow
    np.testing.assert_allclose(big, [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))])


@pytest.mark.parametrize("t", [0, -1.0, float("nan"), float("inf"), "hot", True])
def test_bad_temperature_is_refused(t):
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(LOGITS, t)
    if isinstance(t, float | int) and not isinstance(t, bool) and t <= 0:
        # the explorer's rule for a number out of the slider's range: clamped, and said
        with pytest.warns(UserWarning, match=r"temperature=.* is outside 0.1..3; starting at 0.1"):
            ex = build_temperature_explorer(fake_generate, LOGITS, VOCAB, temperature=t)
        assert ex.controls["temperature"].value == pytest.approx(0.1)
        return
    with pytest.raises(ValueError, match="temperature"):
        build_temperature_explorer(fake_generate, LOGITS, VOCAB, temperature=t)


def test_bad_logits_and_vocab_are_refused():
    with pytest.raises(ValueError, match="30 values"):
        build_temperature_explorer(fake_generate, LOGITS, VOCAB[:-1])
    with pytest.raises(ValueError, match="shape"):
        apply_temperature(np.zeros((2, 3)), 1.0)
    with pytest.raises(ValueError, match="finite"):
        apply_temperature([0.0, np.nan], 1.0)
    with pytest.raises(TypeError, match="generate"):
        build_temperature_explorer("abc", LOGITS, VOCAB)


def test_entropy_coverage_and_labels():
    assert entropy([1.0, 0.0]) == 0.0
    assert entropy(np.full(4, 0.25)) == pytest.approx(np.log(4))
    assert (
        coverage([0.6, 0.3, 0.1]) == 2
        and coverage([0.5, 0.3, 0.2]) == 3
        and coverage([0.05] * 20) == 18
    )
    assert [char_label(c) for c in " \n\tx\x00"] == ["␣", "⏎", "⇥", "x", "\\x00"]


def test_the_slider_changes_the_bars_and_the_text():
    ex = build_temperature_explorer(fake_generate, LOGITS, VOCAB, temperature=1.0, length=200)
    labels = [t.get_text() for t in ex.view.ax.get_xticklabels()]
    assert labels[:3] == ["␣", "⏎", "a"] and labels[-1] == "other" and len(labels) == 13
    heights = [b.get_height() for b in ex.view.bars]
    assert sum(heights) == pytest.approx(1.0)
    before, text, redraws = ex.image.value, ex.status.value, ex.redraws
    ex.controls["temperature"].value = 0.1
    assert ex.redraws == redraws + 1 and ex.image.value != before and ex.status.value != text
    assert ex.view.bars[0].get_height() > 0.99
    assert "T = 0.10" in ex.status.value and "nats" in ex.status.value
    assert "1 of 30 characters hold 90 %" in ex.status.value
    text = ex.status.value
    ex.controls["seed"].value = 5  # another sample at the same temperature
    ex.controls["temperature"].value = 3.0
    assert ex.status.value != text
    assert ex.view.bars[0].get_height() < 0.2


def test_the_sample_is_html_escaped_in_a_pre():
    ex = build_temperature_explorer(
        lambda t, n, s: "if a < b & c:\n    x", LOGITS, VOCAB, prompt="<p>"
    )
    status = ex.status.value
    assert "a &lt; b &amp; c:" in status and "<b>&lt;p&gt;</b>" in status
    assert "<pre" in status and "pre-wrap" in status
    assert "'<p>'" in ex.view.title.get_text()


def test_the_bars_are_sent_before_the_sample_and_drawn_once(monkeypatch):
    import dlhelpers.explorers.base as base

    ex = build_temperature_explorer(fake_generate, LOGITS, VOCAB, temperature=1.0)
    events = []
    ex.image.observe(lambda _change: events.append("picture"), names="value")
    ex.status.observe(lambda _change: events.append("status"), names="value")
    real_png = base.figure_png
    monkeypatch.setattr(
        base, "figure_png", lambda *a, **k: (events.append("render"), real_png(*a, **k))[1]
    )
    ex.controls["temperature"].value = 0.5
    # the sample does not touch the figure: one render, the picture before the status
    assert events == ["render", "picture", "status"]
