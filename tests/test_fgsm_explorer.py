"""Notebook 12's FGSM explorer, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from dlhelpers.explorers.fgsm import build_fgsm_explorer  # noqa: E402
from dlhelpers.train import lenet  # noqa: E402

torch.set_num_threads(1)
RNG = np.random.default_rng(0)
IMAGES = RNG.random((5, 28, 28)) ** 4  # mostly dark, like digits
LABELS = np.array([0, 1, 2, 3, 4])


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return lenet().eval()


def test_moving_eps_or_the_image_redraws(model):
    ex = build_fgsm_explorer(model, IMAGES, LABELS, eps=0.1)
    assert ex.status.value.startswith("eps 0.10: predicted ")
    before, adv, redraws = ex.image.value, ex.view.adversarial.get_array().copy(), ex.redraws
    ex.controls["eps"].value = 0.25
    assert ex.redraws == redraws + 1 and ex.image.value != before
    assert not np.array_equal(ex.view.adversarial.get_array(), adv)
    assert "eps 0.25" in ex.status.value
    assert np.abs(ex.view.adversarial.get_array() - IMAGES[0]).max() <= 0.25 + 1e-6
    ex.controls["index"].value = 3
    np.testing.assert_allclose(ex.view.input.get_array(), IMAGES[3])
    assert set(np.unique(ex.view.sign.get_array())) <= {-1.0, 0.0, 1.0}


def test_eps_zero_keeps_the_prediction(model):
    ex = build_fgsm_explorer(model, IMAGES[:, None], LABELS, eps=0.0, index=2)
    data = ex.view.data
    np.testing.assert_allclose(data.adversarial, IMAGES[2], atol=1e-6)
    np.testing.assert_allclose(data.before, data.after, atol=1e-6)
    b = int(data.before.argmax())
    assert f"predicted {b} ({data.before[b]:.2f}) -> {b} " in ex.status.value


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"images": np.ones((2, 5, 5))}, "shape"),
        ({"images": IMAGES * 255}, r"\[0, 1\]"),
        ({"labels": LABELS[:2]}, "labels"),
        ({"labels": LABELS.astype(float)}, "labels"),
        ({"eps": float("nan")}, "eps"),
        ({"index": 1.5}, "index"),
    ],
)
def test_bad_arguments_are_refused(model, kwargs, match):
    args = {"images": IMAGES, "labels": LABELS, **kwargs}
    with pytest.raises(ValueError, match=match):
        build_fgsm_explorer(model, args.pop("images"), args.pop("labels"), **args)


def test_a_model_that_is_not_a_module_is_refused():
    with pytest.raises(TypeError, match="Module"):
        build_fgsm_explorer("lenet", IMAGES, LABELS)
