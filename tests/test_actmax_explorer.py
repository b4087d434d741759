"""Notebook 12's activation-maximisation explorer, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from dlhelpers.explorers.actmax import build_actmax_explorer  # noqa: E402
from dlhelpers.train import lenet  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return lenet().eval()


def test_a_control_change_redraws(model):
    ex = build_actmax_explorer(model, unit=3)
    assert ex.status.value.startswith("class 3: probability ")
    assert ex.status.value.endswith("on this image · 100 steps")
    before, image, redraws = ex.image.value, ex.view.image.get_array().copy(), ex.redraws
    ex.controls["unit"].value = 5
    assert ex.redraws == redraws + 1 and ex.image.value != before
    assert not np.array_equal(ex.view.image.get_array(), image)
    assert ex.status.value.startswith("class 5: ")
    before = ex.image.value
    ex.controls["regularisation"].value = 0.0
    assert ex.image.value != before
    probs = ex.view.data.probs
    assert probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-5)


def test_the_unit_range_follows_the_layer(model):
    ex = build_actmax_explorer(model, unit=9)
    assert ex.controls["unit"].max == 9
    redraws = ex.redraws
    ex.controls["layer"].value = "conv1"
    assert ex.redraws == redraws + 1  # one redraw, although the unit moved too
    assert ex.controls["unit"].max == 5 and ex.controls["unit"].value == 5
    assert ex.status.value.startswith("conv1 filter 5: mean activation ")
    assert all(not bar.get_visible() for bar in ex.view.probs)
    assert all(bar.get_visible() for bar in ex.view.acts)
    assert ex.view.acts[1].get_height() == pytest.approx(ex.view.data.activation)
    assert ex.view.data.activation > ex.view.data.start
    ex.controls["layer"].value = "conv2"
    assert ex.controls["unit"].max == 15
    ex.controls["unit"].value = 12
    assert ex.status.value.startswith("conv2 filter 12: ")
    ex.controls["layer"].value = "class"
    assert ex.controls["unit"].max == 9 and ex.controls["unit"].value == 9


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer": "fc1"}, "layer"),
        ({"unit": 1.5}, "unit"),
        ({"regularisation": float("nan")}, "regularisation"),
        ({"steps": "many"}, "steps"),
    ],
)
def test_bad_arguments_are_refused(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_actmax_explorer(model, **kwargs)


def test_a_model_that_is_not_a_module_is_refused():
    with pytest.raises(TypeError, match="Module"):
        build_actmax_explorer("lenet")


def test_one_ascent_serves_every_unit_and_a_new_setting_shows_that_it_works(model, monkeypatch):
    import dlhelpers.explorers.actmax as actmax
    from dlhelpers.train.actmax import maximise

    calls = []

    def counted(m, unit, **kwargs):
        calls.append((tuple(unit), kwargs["layer"]))
        return maximise(m, unit, **kwargs)

    monkeypatch.setattr(actmax, "maximise", counted)
    ex = build_actmax_explorer(model, unit=3, steps=10)
    assert calls == [(tuple(range(10)), -1)]  # every class in one batch
    for unit in (0, 9, 4):
        ex.controls["unit"].value = unit
    assert len(calls) == 1 and ex.status.value.startswith("class 4: ")
    np.testing.assert_allclose(
        ex.view.data.image, maximise(model, 4, steps=10, jitter=2, blur=0.5, l2=1e-3), atol=1e-5
    )
    pictures = []
    ex.image.observe(lambda change: pictures.append(change["new"]), names="value")
    ex.controls[
        "layer"
    ].value = "conv2"  # a new layer: the picture dims and says so, then the result
    assert calls[-1] == (tuple(range(16)), 3) and len(pictures) == 2
    assert ex.view.image.get_alpha() == 1.0 and ex.status.value.startswith("conv2 filter")
    ex.controls["layer"].value = "class"
    assert len(calls) == 2  # seen before: no new ascent
