"""FGSM, flip rates and adversarial fine-tuning (notebook 12)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from dlhelpers.train import fit, lenet  # noqa: E402
from dlhelpers.train.adversarial import adversarial_finetune, fgsm, flip_rate  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits():
    from dlhelpers.data.mnist import load_mnist

    m = load_mnist(offline=True, verbose=False)
    x_train = (m.x_train[:1000, None] / 255.0).astype(np.float32)
    x_test = (m.x_test[:300, None] / 255.0).astype(np.float32)
    return x_train, m.y_train[:1000], x_test, m.y_test[:300]


@pytest.fixture(scope="module")
def small_model(digits):
    x_train, y_train, _, _ = digits
    torch.manual_seed(0)
    net = lenet()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    fit(
        net,
        (x_train, y_train),
        epochs=2,
        optimizer=opt,
        loss_fn=nn.CrossEntropyLoss(),
        batch_size=32,
    )
    return net.eval()


@pytest.mark.parametrize("eps", [0.0, 0.05, 0.3])
def test_fgsm_moves_each_pixel_at_most_eps_and_stays_in_range(small_model, digits, eps):
    _, _, x, y = digits
    adv = fgsm(small_model, x[:20], y[:20], eps).numpy()
    assert adv.shape == (20, 1, 28, 28)
    assert np.abs(adv - x[:20]).max() <= eps + 1e-6
    assert adv.min() >= 0 and adv.max() <= 1
    if eps:
        assert np.abs(adv - x[:20]).max() == pytest.approx(eps, abs=1e-6)
    else:
        np.testing.assert_array_equal(adv, x[:20])


def test_fgsm_leaves_the_model_as_it_was(digits):
    _, _, x, y = digits
    net = lenet().train()
    fgsm(net, x[:4], y[:4], 0.1)
    assert net.training and all(p.grad is None and p.requires_grad for p in net.parameters())


def test_the_flip_rate_rises_with_eps(small_model, digits):
    _, _, x, y = digits
    rates = flip_rate(small_model, x, y, [0.0, 0.05, 0.1, 0.2, 0.3], batch_size=128)
    assert rates.shape == (5,) and rates[0] == 0
    assert np.all(np.diff(rates) >= 0) and rates[-1] > rates[1] + 0.3


def test_adversarial_finetune_returns_a_new_model_and_lowers_the_flip_rate(small_model, digits):
    x_train, y_train, x, y = digits
    before = [p.clone() for p in small_model.parameters()]
    tough = adversarial_finetune(small_model, x_train, y_train, eps=0.2, epochs=1)
    assert tough is not small_model and not tough.training
    assert all(torch.equal(a, b) for a, b in zip(before, small_model.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(before, tough.parameters(), strict=True))
    eps = [0.1, 0.2]
    assert (flip_rate(tough, x, y, eps) < flip_rate(small_model, x, y, eps)).all()


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan"), "0.1", True, None])
def test_bad_eps_is_refused(small_model, digits, eps):
    _, _, x, y = digits
    with pytest.raises(ValueError, match="eps"):
        fgsm(small_model, x[:2], y[:2], eps)
    with pytest.raises(ValueError, match="eps"):
        flip_rate(small_model, x[:2], y[:2], [0.1, eps])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, x, y: fgsm(m, x[0], y[:1], 0.1), "shape"),
        (lambda m, x, y: fgsm(m, x[:2] * 255, y[:2], 0.1), r"\[0, 1\]"),
        (lambda m, x, y: fgsm(m, x[:2], y[:3], 0.1), "labels"),
        (lambda m, x, y: flip_rate(m, x, y, []), "empty"),
        (lambda m, x, y: flip_rate(m, x, y, [0.1], batch_size=0), "batch_size"),
        (lambda m, x, y: adversarial_finetune(m, x, y, eps=0.1, epochs=0), "epochs"),
        (lambda m, x, y: adversarial_finetune(m, x, y, eps=0.1, lr=0), "lr"),
        (lambda m, x, y: adversarial_finetune(m, x, y, eps=0.1, images_per_epoch=0), "images_per"),
    ],
)
def test_bad_arguments_are_refused(small_model, digits, call, match):
    _, _, x, y = digits
    with pytest.raises(ValueError, match=match):
        call(small_model, x, y)


def test_pgd_stays_in_the_box_and_is_stronger_than_fgsm(small_model, digits):
    from dlhelpers.train.adversarial import pgd

    _, _, x, y = digits
    xt = torch.as_tensor(x[:64])
    adv = pgd(small_model, xt, y[:64], 0.1, steps=5)
    assert (adv - xt).abs().max() <= 0.1 + 1e-6 and adv.min() >= 0 and adv.max() <= 1
    one = pgd(small_model, xt, y[:64], 0.1, steps=1, alpha=0.1)
    assert torch.equal(one, fgsm(small_model, xt, y[:64], 0.1))
    eps = [0.05, 0.1]
    stronger = flip_rate(small_model, x, y, eps, attack="pgd", steps=5)
    assert (stronger >= flip_rate(small_model, x, y, eps)).all() and stronger[1] > 0


@pytest.mark.parametrize(
    "kw, match",
    [({"attack": "cw"}, "attack"), ({"attack": "pgd", "steps": 0}, "steps")],
)
def test_bad_attacks_are_refused(small_model, digits, kw, match):
    _, _, x, y = digits
    with pytest.raises(ValueError, match=match):
        flip_rate(small_model, x[:4], y[:4], [0.1], **kw)


def test_images_per_epoch_trains_on_a_part_of_the_data(small_model, digits):
    x_train, y_train, _, _ = digits
    part = adversarial_finetune(small_model, x_train, y_train, eps=0.1, images_per_epoch=64)
    again = adversarial_finetune(small_model, x_train, y_train, eps=0.1, images_per_epoch=64)
    full = adversarial_finetune(small_model, x_train[:64], y_train[:64], eps=0.1)
    for a, b in zip(part.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not all(
        torch.equal(a, b) for a, b in zip(part.parameters(), full.parameters(), strict=True)
    )
