"""Notebook 12's attribution maps on torch autograd, checked against Captum (an optional test dependency)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
captum_attr = pytest.importorskip("captum.attr")

from torch import nn  # noqa: E402

from dlhelpers.train import fit, lenet  # noqa: E402
from dlhelpers.train.attribution import (  # noqa: E402
    integrated_gradients,
    occlusion,
    randomize_weights,
    saliency,
    smoothgrad,
)

torch.set_num_threads(1)


def _corr(a, b) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


@pytest.fixture(scope="module")
def digits():
    from dlhelpers.data.mnist import load_mnist

    m = load_mnist(offline=True, verbose=False)
    x_train = (m.x_train[:, None] / 255.0).astype(np.float32)  # (4000, 1, 28, 28)
    x_test = (m.x_test[:8, None] / 255.0).astype(np.float32)  # (8, 1, 28, 28)
    return x_train, m.y_train, torch.from_numpy(x_test), torch.as_tensor(m.y_test[:8])


@pytest.fixture(scope="module")
def trained(digits):
    x_train, y_train, _, _ = digits
    torch.manual_seed(0)
    net = lenet()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    fit(
        net,
        (x_train, y_train),
        epochs=3,
        optimizer=opt,
        loss_fn=nn.CrossEntropyLoss(),
        batch_size=64,
    )
    return net


@pytest.fixture(scope="module")
def random_net():
    torch.manual_seed(1)
    return lenet()


def test_saliency_matches_captum(trained, digits):
    _, _, x, y = digits
    for signed in (True, False):
        ours = saliency(trained, x, y, abs=signed)
        theirs = captum_attr.Saliency(trained).attribute(
            x.clone().requires_grad_(), target=y, abs=signed
        )
        assert ours.shape == (8, 1, 28, 28) and ours.dtype == np.float64
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-7)
        assert (ours >= 0).all() == signed


def test_smoothgrad_draws_captums_noise(trained, digits):
    # Compared: the maps themselves. Captum draws its noise from torch's global
    # generator, ours from a generator with the same seed, in the same order.
    _, _, x, y = digits
    ours = smoothgrad(trained, x, y, n=10, sigma=0.15, seed=3)
    torch.manual_seed(3)
    tunnel = captum_attr.NoiseTunnel(captum_attr.Saliency(trained))
    theirs = tunnel.attribute(x.clone(), nt_type="smoothgrad", nt_samples=10, stdevs=0.15, target=y)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-6)
    assert _corr(ours, theirs.detach().numpy()) > 0.999
    assert not np.allclose(ours, saliency(trained, x, y))  # the noise did something
    np.testing.assert_array_equal(ours, smoothgrad(trained, x, y, n=10, sigma=0.15, seed=3))


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid"])
def test_integrated_gradients_match_captum_and_are_complete(trained, digits, method):
    _, _, x, y = digits
    ours, delta = integrated_gradients(trained, x, y, steps=50, method=method)
    ig = captum_attr.IntegratedGradients(trained)
    theirs, their_delta = ig.attribute(
        x.clone(), target=y, n_steps=50, method=method, return_convergence_delta=True
    )
    theirs = theirs.detach().numpy()
    if method == "riemann_trapezoid":
        # Captum 0.9's trapezoid weights sum to 1 - 1/steps, ours to 1 (the rule itself)
        theirs = theirs * 50 / 49
    else:
        np.testing.assert_allclose(delta, their_delta.detach().numpy(), atol=1e-4)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    assert _corr(ours, theirs) > 0.999
    with torch.no_grad():
        gap = (trained(x) - trained(torch.zeros_like(x))).gather(1, y[:, None])[:, 0].numpy()
    assert (np.abs(delta) < 0.01 * np.abs(gap)).all()


def test_integrated_gradients_with_a_baseline(random_net, digits):
    _, _, x, y = digits
    base = torch.full_like(x, 0.5)
    ours, _ = integrated_gradients(random_net, x, y, baseline=0.5, steps=20)
    theirs = captum_attr.IntegratedGradients(random_net).attribute(
        x.clone(), baselines=base, target=y, n_steps=20
    )
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("window, stride", [(4, 2), (5, 3)])
def test_occlusion_matches_captum(random_net, trained, digits, window, stride):
    _, _, x, y = digits
    for net in (random_net, trained):
        ours = occlusion(net, x[:3], y[:3], window=window, stride=stride)
        theirs = captum_attr.Occlusion(net).attribute(
            x[:3].clone(),
            sliding_window_shapes=(1, window, window),
            strides=(1, stride, stride),
            baselines=0,
            target=y[:3],
        )
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-5)
        assert _corr(ours, theirs.detach().numpy()) > 0.999


def test_mode_is_restored_and_no_gradients_are_left(trained, digits):
    _, _, x, y = digits
    net = lenet()  # fit leaves the last batch's .grad behind: start clean
    net.train()
    saliency(net, x, y)
    smoothgrad(net, x, y, n=2)
    integrated_gradients(net, x, y, steps=3)
    occlusion(net, x[:1], y[:1])
    assert net.training
    assert all(p.grad is None and p.requires_grad for p in net.parameters())
    net.eval()
    saliency(net, x, y)
    assert not net.training


def test_randomised_weights_change_the_saliency(trained, digits):
    _, _, x, y = digits
    clone = randomize_weights(trained, seed=0)
    assert all(
        not torch.equal(a, b) for a, b in zip(clone.parameters(), trained.parameters(), strict=True)
    )
    same = randomize_weights(trained, seed=0)
    assert all(
        torch.equal(a, b) for a, b in zip(clone.parameters(), same.parameters(), strict=True)
    )
    r = np.mean(
        [
            _corr(
                saliency(trained, x[i : i + 1], y[i : i + 1]),
                saliency(clone, x[i : i + 1], y[i : i + 1]),
            )
            for i in range(8)
        ]
    )
    assert abs(r) < 0.5  # measured: see the report; the trained model's own maps agree at 1.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, x, y: saliency(m, x[0], y), "shape"),
        (lambda m, x, y: saliency(m, x, y[:3]), "target"),
        (lambda m, x, y: saliency(m, x, y.float()), "target"),
        (lambda m, x, y: saliency(m, x * np.nan, y), "NaN"),
        (lambda m, x, y: smoothgrad(m, x, y, n=0), "n=0 must"),
        (lambda m, x, y: smoothgrad(m, x, y, sigma=-1.0), "sigma"),
        (
            lambda m, x, y: integrated_gradients(m, x, y, steps=1, method="riemann_trapezoid"),
            "steps",
        ),
        (lambda m, x, y: integrated_gradients(m, x, y, method="simpson"), "method"),
        (lambda m, x, y: integrated_gradients(m, x, y, baseline=np.zeros(3)), "baseline"),
        (lambda m, x, y: occlusion(m, x, y, window=0), "window"),
        (lambda m, x, y: occlusion(m, x, y, window=29), "larger"),
        (lambda m, x, y: occlusion(m, x, y, window=3, stride=4), "stride"),
        (lambda m, x, y: randomize_weights(m, seed=1.5), "seed"),
    ],
)
def test_bad_arguments_are_refused(random_net, digits, call, match):
    _, _, x, y = digits
    with pytest.raises(ValueError, match=match):
        call(random_net, x, y)


@pytest.mark.parametrize("method", ["riemann_right", "riemann_left", "riemann_middle"])
def test_riemann_sums_match_captum(random_net, digits, method):
    _, _, x, y = digits
    net = random_net.double()
    try:
        xd = x.double()
        ours, _ = integrated_gradients(net, xd, y, baseline=0.2, steps=16, method=method)
        theirs = captum_attr.IntegratedGradients(net).attribute(
            xd.clone(), baselines=torch.full_like(xd, 0.2), target=y, n_steps=16, method=method
        )
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    finally:
        random_net.float()


def test_the_right_riemann_sum_gets_complete_as_steps_grow(trained, digits):
    _, _, x, y = digits
    gaps = [
        np.abs(integrated_gradients(trained, x, y, steps=m, method="riemann_right")[1]).max()
        for m in (4, 16, 64)
    ]
    assert gaps[0] > gaps[1] > gaps[2]


def test_edges_ignore_the_model_and_fail_the_randomisation_test(trained, digits):
    from dlhelpers.train.attribution import edges, randomisation_test

    _, _, x, y = digits
    e = edges(trained, x, y)
    assert e.shape == x.shape and (e >= 0).all() and e.max() > 0
    np.testing.assert_array_equal(e, edges(lenet(), x, y))
    assert np.allclose(randomisation_test(edges, trained, x, y, seeds=(0, 1)), 1.0)
    r = randomisation_test(saliency, trained, x, y, seeds=(0, 1, 2))
    assert r.shape == (3,) and (r < 0.6).all()
    with pytest.raises(ValueError, match="seeds"):
        randomisation_test(saliency, trained, x, y, seeds=())
    with pytest.raises(TypeError, match="method"):
        randomisation_test("saliency", trained, x, y)
