"""GAN losses in NumPy against torch's binary_cross_entropy_with_logits (float64), plus gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.scratch import gradcheck
from dlhelpers.scratch.gan_losses import bce_with_logits, discriminator_loss, generator_loss

torch = pytest.importorskip("torch")
F = torch.nn.functional
TOL = dict(rtol=1e-10, atol=1e-12)


def torch_bce(z, y):
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(zt, torch.tensor(np.broadcast_to(y, z.shape).copy()))
    loss.backward()
    return loss.item(), zt.grad.numpy()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("scale", [0.1, 3.0, 40.0])
def test_bce_matches_torch_values_and_gradients(seed, scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(7, 3)) * scale
    y = rng.uniform(size=(7, 3))
    loss, grad = bce_with_logits(z, y)
    want_loss, want_grad = torch_bce(z, y)
    np.testing.assert_allclose(loss, want_loss, **TOL)
    np.testing.assert_allclose(grad, want_grad, **TOL)


def test_discriminator_and_generator_losses_match_torch():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=16) * 2, rng.normal(size=16) * 2
    loss, g_real, g_fake = discriminator_loss(real, fake)
    r = torch.tensor(real, requires_grad=True)
    f = torch.tensor(fake, requires_grad=True)
    want = F.binary_cross_entropy_with_logits(r, torch.ones(16, dtype=torch.float64))
    want = want + F.binary_cross_entropy_with_logits(f, torch.zeros(16, dtype=torch.float64))
    want.backward()
    np.testing.assert_allclose(loss, want.item(), **TOL)
    np.testing.assert_allclose(g_real, r.grad.numpy(), **TOL)
    np.testing.assert_allclose(g_fake, f.grad.numpy(), **TOL)

    for kind, torch_loss in [
        ("non-saturating", lambda t: -torch.log(torch.sigmoid(t)).mean()),
        ("saturating", lambda t: torch.log(1 - torch.sigmoid(t)).mean()),
    ]:
        loss, grad = generator_loss(fake, kind)
        f = torch.tensor(fake, requires_grad=True)
        want = torch_loss(f)
        want.backward()
        np.testing.assert_allclose(loss, want.item(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grad, f.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kind", ["non-saturating", "saturating"])
def test_gradcheck(kind):
    z = np.random.default_rng(1).normal(size=5)
    gradcheck(lambda v: generator_loss(v, kind)[0], z, generator_loss(z, kind)[1])
    y = np.linspace(0, 1, 5)
    gradcheck(lambda v: bce_with_logits(v, y)[0], z, bce_with_logits(z, y)[1])
    fake = -z  # a new array: gradcheck perturbs z in place
    gradcheck(lambda v: discriminator_loss(v, fake)[0], z, discriminator_loss(z, fake)[1])


def test_saturating_gradient_vanishes_where_the_generator_is_losing():
    # D(G(z)) close to 0 (the discriminator wins): the saturating loss barely pushes
    fake = np.array([-8.0])
    assert abs(generator_loss(fake, "saturating")[1][0]) < 1e-3
    assert abs(generator_loss(fake, "non-saturating")[1][0]) > 0.99


def test_huge_logits_stay_finite():
    loss, grad = bce_with_logits(np.array([1e4, -1e4]), np.array([0.0, 1.0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(loss, 1e4)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: bce_with_logits([], 1.0), "empty"),
        (lambda: bce_with_logits([0.0], 2.0), "between 0 and 1"),
        (lambda: bce_with_logits([0.0], np.nan), "between 0 and 1"),
        (lambda: generator_loss([0.0], "minimax"), "kind"),
        (lambda: discriminator_loss([], [0.0]), "real_logits"),
    ],
)
def test_bad_input_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()
