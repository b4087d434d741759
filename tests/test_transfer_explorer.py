"""Notebook 11's transfer widget and learning-curve plot, without a browser."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlhelpers.explorers.few_labels import build_transfer_explorer, plot_transfer_curves  # noqa: E402
from dlhelpers.train.models import lenet  # noqa: E402

torch.set_num_threads(1)


def _digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Toy 10-class images: class c lights up row block c, under noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    X = rng.uniform(0, 0.6, size=(n, 1, 28, 28)).astype(np.float32)
    for i, c in enumerate(y):
        X[i, 0, 2 * c + 4 : 2 * c + 6, 4:24] += 0.5
    return X, y.astype(np.int64)


@pytest.fixture(scope="module")
def setting():
    torch.manual_seed(3)
    return lenet().eval(), _digits(60, 1), _digits(50, 2)


def _heights(ex) -> np.ndarray:
    return np.array([bar.get_height() for bar in ex.view.bars])


def test_a_change_retrains_and_redraws_the_bars(setting):
    ex = build_transfer_explorer(*setting, per_class=1, seeds=(0,), steps=5)
    assert set(ex.controls) == {"per_class", "freeze"}
    assert ex.controls["per_class"].continuous_update is False
    assert (ex.controls["per_class"].min, ex.controls["per_class"].max) == (1, 20)
    assert list(ex.controls["freeze"].options) == ["none", "conv", "conv+fc1", "all but head"]
    assert ex.status.value.startswith("1 labels per class: scratch ")
    assert "frozen conv" in ex.status.value and "fine-tuned" in ex.status.value
    before, picture, redraws = _heights(ex), ex.image.value, ex.redraws
    np.testing.assert_allclose(before, [100 * ex.view.results[m].mean() for m in ex.view.modes])
    ex.controls["per_class"].value = 5
    assert ex.redraws == redraws + 1 and ex.image.value != picture
    assert not np.array_equal(_heights(ex), before)
    assert ex.status.value.startswith("5 labels per class")
    kept = ex.view.results["scratch"].copy()
    ticks = [t.get_text() for t in ex.view.ax.get_xticklabels()]
    assert ticks[ex.view.modes.index("frozen")] == "frozen conv\n+ new head"
    ex.controls["freeze"].value = "all but head"
    assert "frozen all but head" in ex.status.value
    ticks = [t.get_text() for t in ex.view.ax.get_xticklabels()]
    assert ticks[ex.view.modes.index("frozen")] == "frozen all but head\n+ new head"
    np.testing.assert_array_equal(ex.view.results["scratch"], kept)  # scratch is not retrained
    assert all(r.shape == (1,) for r in ex.view.results.values())


def test_a_new_setting_shows_training_first_and_a_setting_seen_before_is_instant(
    setting, monkeypatch
):
    import dlhelpers.explorers.few_labels as few_labels

    calls = []
    real = few_labels.few_shot_curve

    def counted(*args, **kwargs):
        calls.append(tuple(kwargs["modes"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(few_labels, "few_shot_curve", counted)
    ex = build_transfer_explorer(*setting, per_class=1, seeds=(0, 1), steps=5)
    assert calls == [("scratch", "frozen", "finetune")]
    pictures = []
    ex.image.observe(lambda change: pictures.append(change["new"]), names="value")
    titles = []
    real_update = ex.view.update
    monkeypatch.setattr(
        ex.view, "update", lambda *a: (titles.append(ex.view.title.get_text()), real_update(*a))[1]
    )
    ex.controls["per_class"].value = 3
    # first the old bars dimmed and what is being trained, then the result: two pictures
    assert titles == ["training 6 networks: 3 labels per class..."]
    assert len(pictures) == 2 and pictures[0] != pictures[1]
    assert ex.view.bars[0].get_alpha() == 1.0 and ex.status.value.startswith("3 labels per class")
    ex.controls["freeze"].value = "all but head"  # only the frozen strategy depends on it
    assert calls[-1] == ("frozen",)
    n_calls, shown = len(calls), dict(ex.view.results)
    ex.controls["freeze"].value = "conv"
    ex.controls["per_class"].value = 1
    ex.controls["per_class"].value = 3
    assert len(calls) == n_calls  # every one of these settings was seen: nothing retrained
    for mode in ex.view.modes:
        if mode != "frozen":
            np.testing.assert_array_equal(ex.view.results[mode], shown[mode])


def test_plot_transfer_curves_draws_a_mean_and_a_band_per_mode():
    results = {
        "scratch": np.array([[0.5, 0.6], [0.7, 0.8]]),
        "finetune": np.array([[0.6, 0.7], [0.8, 0.9]]),
    }
    artists = plot_transfer_curves(results, [2, 5])
    line, band = artists["finetune"]
    np.testing.assert_allclose(line.get_ydata(), [65, 85])
    np.testing.assert_allclose(line.get_xdata(), [2, 5])
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(60) and ys.max() == pytest.approx(90)
    fig, ax = plt.subplots()
    assert plot_transfer_curves(results, [2, 5], ax=ax)["scratch"][0].axes is ax
    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"freeze": "fc2"}, "freeze"),
        ({"seeds": ()}, "seeds"),
        ({"seeds": (0, -1)}, r"seeds\[1\]"),
        ({"per_class": 2.5}, "whole number"),
    ],
)
def test_bad_arguments_are_refused(setting, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_transfer_explorer(*setting, **kwargs)


def test_bad_curve_results_are_refused():
    with pytest.raises(ValueError, match="shape"):
        plot_transfer_curves({"scratch": np.zeros((3, 2))}, [2, 5])
    with pytest.raises(ValueError, match="empty"):
        plot_transfer_curves({}, [2, 5])
