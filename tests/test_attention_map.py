"""Notebook 09's attention-map explorer, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlhelpers.explorers.attention_map import (  # noqa: E402
    MEAN,
    build_attention_explorer,
    head_map,
    top_key,
)
from dlhelpers.scratch.attention import MultiheadAttention  # noqa: E402

TOKENS = list("86523001")
T = len(TOKENS)


def _maps(n_layers=2, n_heads=3, length=T, seed=0) -> np.ndarray:
    """Row-normalised random weights, (n_layers, n_heads, T, T)."""
    w = np.random.default_rng(seed).random((n_layers, n_heads, length, length)) ** 4
    return w / w.sum(axis=-1, keepdims=True)


MAPS = _maps()


def test_a_control_change_redraws():
    ex = build_attention_explorer(MAPS, TOKENS, query=2)
    before, redraws = ex.image.value, ex.redraws
    ex.controls["head"].value = "head 1"
    assert ex.redraws == redraws + 1
    assert ex.image.value != before
    np.testing.assert_allclose(ex.view.image.get_array(), MAPS[0, 1])
    np.testing.assert_allclose(ex.view.heights(), MAPS[0, 1, 2])


def test_the_query_slider_moves_the_outline_and_the_bars():
    ex = build_attention_explorer(MAPS, TOKENS, layer=1, head=2, query=0)
    for q in (3, 7):
        ex.controls["query"].value = q
        assert ex.view.outline.get_visible() and ex.view.outline.get_y() == q - 0.5
        np.testing.assert_allclose(ex.view.heights(), MAPS[1, 2, q])
        k, w = top_key(MAPS[1, 2, q])
        assert f"query {q} ('{TOKENS[q]}') looks mostly at key {k} ('{TOKENS[k]}')" in (
            ex.status.value
        )
        assert f"{w:.2f}" in ex.status.value
    ex.controls["query"].value = "all"
    assert not ex.view.outline.get_visible()
    np.testing.assert_allclose(ex.view.heights(), MAPS[1, 2].mean(axis=0))
    assert "all 8 queries" in ex.status.value


def test_mean_of_heads_is_the_mean():
    ex = build_attention_explorer(MAPS, TOKENS, head="mean", query=4)
    assert ex.controls["head"].value == MEAN
    np.testing.assert_allclose(ex.view.image.get_array(), MAPS[0].mean(axis=0))
    np.testing.assert_allclose(ex.view.heights(), MAPS[0, :, 4].mean(axis=0))
    ex.controls["layer"].value = 1
    np.testing.assert_allclose(ex.view.image.get_array(), MAPS[1].mean(axis=0))
    np.testing.assert_allclose(head_map(MAPS, 1, "mean").sum(axis=-1), 1)


def test_one_layer_has_no_layer_control_and_labels_name_the_rows():
    maps = _maps(n_layers=1)
    ex = build_attention_explorer(maps, TOKENS, labels=TOKENS[::-1], query=1)
    assert set(ex.controls) == {"head", "query"}
    assert [t.get_text() for t in ex.view.ax_map.get_yticklabels()] == TOKENS[::-1]
    assert [t.get_text() for t in ex.view.ax_map.get_xticklabels()] == TOKENS
    assert f"query 1 ('{TOKENS[::-1][1]}')" in ex.status.value


def test_several_inputs_of_different_lengths():
    short = _maps(length=5, seed=1)
    ex = build_attention_explorer({"long": (MAPS, TOKENS), "short": (short, list("abcde"))})
    assert list(ex.controls["input"].options) == ["long", "short"]
    ex.controls["query"].value = 6
    redraws = ex.redraws
    ex.controls["input"].value = "short"
    assert ex.redraws == redraws + 1  # the slider's new range and the input: one redraw
    assert list(ex.controls["query"].options) == ["all", 0, 1, 2, 3, 4]
    assert ex.controls["query"].value == "all"
    np.testing.assert_allclose(ex.view.image.get_array(), short[0, 0])
    assert len(ex.view.bars) == 5
    ex.controls["query"].value = 4
    np.testing.assert_allclose(ex.view.heights(), short[0, 0, 4])


def test_maps_from_the_numpy_multihead_attention():
    x = np.random.default_rng(0).normal(size=(1, T, 8))
    mha = MultiheadAttention(8, 2, batch_first=True, rng=np.random.default_rng(0))
    _, w = mha(x, x, x, average_attn_weights=False)  # (1, 2, T, T)
    ex = build_attention_explorer(w, TOKENS, query=0)  # the batch axis stands for one layer
    np.testing.assert_allclose(ex.view.heights(), w[0, 0, 0])


@pytest.mark.parametrize(
    "maps, tokens, kwargs, match",
    [
        (MAPS[0], TOKENS, {}, r"\(n_layers, n_heads, T, T\), got \(3, 8, 8\)"),
        (MAPS[None], TOKENS, {}, r"maps\[:, b\]"),
        (MAPS[..., :7], TOKENS, {}, "shape"),
        (MAPS, TOKENS[:7], {}, "tokens has 7 entries but maps of shape"),
        (MAPS, TOKENS, {"labels": ["a"]}, "labels has 1 entries"),
        (MAPS, None, {}, "tokens"),
        (MAPS * 2, TOKENS, {}, "sum to 1"),
        (np.where(MAPS > 0.5, np.nan, MAPS), TOKENS, {}, "NaN"),
        (MAPS, TOKENS, {"layer": 0.5}, "layer"),
        (MAPS, TOKENS, {"head": 3}, "head"),
        (MAPS, TOKENS, {"query": 8}, "query"),
        ({}, None, {}, "empty"),
        ({"a": (MAPS, TOKENS), "b": (_maps(n_heads=2), TOKENS)}, None, {}, "same"),
        ({"a": MAPS}, None, {}, "pair"),
        ({"a": (MAPS, TOKENS)}, TOKENS, {}, "in the dict"),
    ],
)
def test_bad_input_is_refused(maps, tokens, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_attention_explorer(maps, tokens, **kwargs)
