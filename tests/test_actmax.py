"""Activation maximisation (notebook 12): the image a trained LeNet likes most for one unit."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from dlhelpers.train import fit, lenet  # noqa: E402
from dlhelpers.train.actmax import (  # noqa: E402
    class_probabilities,
    maximise,
    starting_noise,
    unit_activation,
)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained():
    from dlhelpers.data.mnist import load_mnist

    m = load_mnist(offline=True, verbose=False)
    x = (m.x_train[:4000, None] / 255.0).astype(np.float32)
    torch.manual_seed(0)
    net = lenet()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    fit(net, (x, m.y_train[:4000]), epochs=1, optimizer=opt, loss_fn=nn.CrossEntropyLoss())
    return net.eval()


@pytest.mark.parametrize("unit", range(10))
def test_a_class_image_is_classified_as_its_class(trained, unit):
    image = maximise(trained, unit)
    assert image.shape == (28, 28) and image.min() >= 0 and image.max() <= 1
    probs = class_probabilities(trained, image)
    assert int(probs.argmax()) == unit
    assert probs[unit] > 0.5
    assert unit_activation(trained, image, unit) > unit_activation(trained, starting_noise(), unit)


@pytest.mark.parametrize("layer, unit", [(0, 2), (3, 7), (3, 15)])
def test_a_filter_image_excites_its_channel_more_than_the_noise(trained, layer, unit):
    image = maximise(trained, unit, layer=layer)
    noise = starting_noise()
    assert unit_activation(trained, image, unit, layer) > unit_activation(
        trained, noise, unit, layer
    )
    # and more than it excites the other channels of its layer, on average
    others = [unit_activation(trained, image, u, layer) for u in range(trained[layer].out_channels)]
    assert unit_activation(trained, image, unit, layer) >= np.median(others)


def test_the_model_is_left_as_it_was(trained):
    net = lenet().train()
    before = [p.detach().clone() for p in net.parameters()]
    maximise(net, 3, steps=5)
    maximise(net, 1, layer=3, steps=5)
    assert net.training
    assert all(p.grad is None and p.requires_grad for p in net.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    maximise(trained, 0, steps=3)
    assert not trained.training


def test_regularisers_change_the_result_and_seeds_repeat(trained):
    on = maximise(trained, 4)
    off = maximise(trained, 4, jitter=0, blur=0, l2=0)
    assert np.abs(on - off).mean() > 0.05
    np.testing.assert_array_equal(on, maximise(trained, 4))
    assert not np.array_equal(on, maximise(trained, 4, seed=1))
    # the raw ascent is noisier: neighbouring pixels differ more
    rough = np.abs(np.diff(off, axis=1)).mean()
    smooth = np.abs(np.diff(on, axis=1)).mean()
    assert smooth < rough
    np.testing.assert_allclose(maximise(trained, 4, steps=0), starting_noise())


def test_unit_activation_takes_a_batch(trained):
    batch = np.stack([starting_noise(0), starting_noise(1)])[:, None]
    out = unit_activation(trained, batch, 2)
    assert out.shape == (2,)
    assert out[0] == pytest.approx(unit_activation(trained, starting_noise(0), 2), abs=1e-5)


@pytest.mark.parametrize("layer, n", [(-1, 10), (0, 6), (3, 16)])
def test_a_batch_of_units_gives_each_unit_the_image_of_its_own_call(trained, layer, n):
    batch = maximise(trained, range(n), layer=layer, steps=30)
    assert batch.shape == (n, 28, 28) and batch.dtype == np.float32
    for unit in (0, n - 1):
        np.testing.assert_allclose(
            batch[unit], maximise(trained, unit, layer=layer, steps=30), atol=1e-5
        )
    assert maximise(trained, np.int64(2)).shape == (28, 28)  # a NumPy scalar is one unit


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"layer": 1}, "layer"),
        ({"layer": 11}, "layer"),
        ({"layer": "conv1"}, "layer"),
        ({"unit": 10}, "unit"),
        ({"unit": -1}, "unit"),
        ({"unit": []}, "empty"),
        ({"unit": [0, 10]}, "unit"),
        ({"unit": [0, 1.5]}, "unit"),
        ({"layer": 0, "unit": 6}, "unit"),
        ({"layer": 3, "unit": 16}, "unit"),
        ({"steps": -1}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"lr": 0}, "lr"),
        ({"jitter": -1}, "jitter"),
        ({"blur": float("nan")}, "blur"),
        ({"l2": -1.0}, "l2"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    args = {"unit": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        maximise(lenet(), args.pop("unit"), **args)


def test_other_bad_inputs_are_refused():
    with pytest.raises(TypeError, match="Module"):
        maximise("lenet", 0)
    with pytest.raises(ValueError, match="shape"):
        unit_activation(lenet(), np.zeros((5, 5)), 0)
