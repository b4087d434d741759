"""The 2-D GAN trainer of notebook 10 (and the digit GAN)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.data.targets2d import (  # noqa: E402
    MODE_STD,
    count_modes,  # noqa: E402
    mode_centres,
)
from dlhelpers.train.gan import Discriminator, GanTrainer, Generator  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_network_shapes():
    assert Generator(noise_dim=3)(torch.zeros(5, 3)).shape == (5, 2)
    assert Discriminator()(torch.zeros(5, 2)).shape == (5,)
    linears = [m for m in Generator(2, 16, depth=3).net if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears] == [16, 16, 16, 2]


def test_trainer_outputs_have_their_shapes():
    t = GanTrainer("grid", noise_dim=3, batch=64)
    t.step(2)
    assert t.iteration == 2 and len(t.history["d_loss"]) == len(t.history["g_loss"]) == 2
    assert t.samples(100).shape == (100, 2)
    assert t.field(np.linspace(-3, 3, 7), np.linspace(-3, 3, 5)).shape == (5, 7)
    p = t.field(np.zeros(1), np.zeros(1))
    assert 0 < p.item() < 1
    assert t.noise_map(6).shape == (6, 6, 2)
    assert t.n_modes == 25 and 0 <= t.modes_covered() <= 25
    assert 0 <= t.divergence() <= 1
    assert GanTrainer("spiral").modes_covered() is None


def test_same_seed_same_run_and_reset():
    a, b = GanTrainer(seed=5, batch=64), GanTrainer(seed=5, batch=64)
    a.step(20)
    b.step(20)
    assert a.history == b.history
    assert np.array_equal(a.samples(50), b.samples(50))
    first = a.history["g_loss"][:5]
    a.reset()
    assert a.iteration == 0 and a.history["g_loss"] == []
    a.step(5)
    assert a.history["g_loss"] == first
    c = GanTrainer(seed=6, batch=64)
    c.step(20)
    assert c.history != a.history


def test_samples_use_fixed_noise():
    t = GanTrainer(batch=64)
    assert np.array_equal(t.samples(200), t.samples(200))
    before = t.samples(200)
    t.step(3)
    assert not np.array_equal(before, t.samples(200))


def test_a_short_run_covers_modes_and_lowers_the_divergence():
    t = GanTrainer("ring", seed=0)
    js0, modes0 = t.divergence(), t.modes_covered()
    t.step(800)
    assert t.modes_covered() >= max(6, modes0 + 4)
    assert t.divergence() < 0.7 * js0


def test_count_modes_on_exact_centres():
    for name in ("ring", "grid"):
        centres = mode_centres(name)
        k = len(centres)
        assert count_modes(np.repeat(centres, 10, axis=0), centres, MODE_STD[name]) == k
        assert count_modes(np.repeat(centres[:3], 10, axis=0), centres, MODE_STD[name]) == 3
    far = np.full((50, 2), 10.0)
    assert count_modes(far, mode_centres("ring"), MODE_STD["ring"]) == 0


def test_noise_map_of_one_dimensional_noise_is_a_line():
    grid = GanTrainer(noise_dim=1).noise_map(5)
    assert np.allclose(grid[0], grid[-1])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(target="donut"), "target='donut' is not one of the choices"),
        (dict(loss="wasserstein"), "loss='wasserstein' is not one of the choices"),
        (dict(g_lr=-1e-3), "g_lr=-0.001 must be above 0"),
        (dict(d_lr=0.0), "d_lr=0 must be above 0"),
        (dict(d_steps=0), "d_steps=0 must be at least 1"),
        (dict(noise_dim=1.5), "noise_dim=1.5 is not a whole number"),
        (dict(batch=True), "batch=True is a bool"),
        (dict(g_lr=float("nan")), "g_lr=nan is not a number"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GanTrainer(**kwargs)


def test_samples_argument_is_checked():
    with pytest.raises(ValueError, match=r"n=5000 must be in \[1, 2000\]"):
        GanTrainer().samples(5000)


# --- the digit GAN ---------------------------------------------------------------

from dlhelpers.train.gan_digits import (  # noqa: E402
    DigitDiscriminator,
    DigitGenerator,
    interpolate,
    train_digit_gan,
)


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    images = np.zeros((40, 28, 28), dtype=np.uint8)
    images[:, 8:20, 12:16] = rng.integers(150, 256, size=(40, 12, 4))  # strokes of "1"
    return images


def test_digit_networks_shapes_and_range():
    G, D = DigitGenerator(noise_dim=8), DigitDiscriminator()
    images = G(torch.randn(5, 8))
    assert images.shape == (5, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert D(images).shape == (5,)


def test_train_digit_gan_returns_snapshots_and_history(digits):
    G, snaps, history = train_digit_gan(
        digits, iterations=12, batch=8, noise_dim=8, snapshots=(0, 5, 12), n_samples=6
    )
    assert isinstance(G, DigitGenerator) and not G.training
    assert sorted(snaps) == [0, 5, 12]
    assert all(s.shape == (6, 28, 28) and 0 <= s.min() and s.max() <= 1 for s in snaps.values())
    assert not np.array_equal(snaps[0], snaps[12])
    assert history["iteration"] == list(range(1, 13))
    assert set(history) == {"iteration", "d_loss", "g_loss", "d_real", "d_fake"}
    assert all(np.isfinite(history["d_loss"]))


def test_train_digit_gan_is_seeded(digits):
    kw = dict(iterations=6, batch=8, noise_dim=8, snapshots=(6,), n_samples=4)
    _, a, ha = train_digit_gan(digits, seed=1, **kw)
    _, b, hb = train_digit_gan(digits, seed=1, **kw)
    _, c, _ = train_digit_gan(digits, seed=2, **kw)
    assert np.array_equal(a[6], b[6]) and ha == hb
    assert not np.array_equal(a[6], c[6])


def test_interpolate_runs_from_z0_to_z1():
    G = DigitGenerator(noise_dim=4).eval()
    z0, z1 = np.zeros(4), np.ones(4)
    path = interpolate(G, z0, z1, steps=5)
    assert path.shape == (5, 28, 28)
    with torch.no_grad():
        end = ((G(torch.ones(1, 4)) + 1) / 2).numpy()[0]
    assert np.allclose(path[-1], end, atol=1e-6)
    with pytest.raises(ValueError, match="must both have 4 numbers"):
        interpolate(G, np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="steps=1 must be"):
        interpolate(G, z0, z1, steps=1)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1e-3), "lr=-0.001 must be above 0"),
        (dict(iterations=0), "iterations=0 must be"),
        (dict(batch=2.5), "batch=2.5 is not a whole number"),
        (dict(snapshots=(0, 50)), "snapshots must lie in 0..10"),
    ],
)
def test_train_digit_gan_refuses_bad_arguments(digits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        train_digit_gan(digits, **{"iterations": 10, **kwargs})
    with pytest.raises(ValueError, match="images must have shape"):
        train_digit_gan(np.zeros((4, 8, 8), dtype=np.uint8), iterations=1)


def test_a_diverging_2d_gan_says_so_and_never_scores_a_number():
    trainer = GanTrainer(g_lr=1e6, d_lr=1e6, seed=0)
    with torch.no_grad():  # a generator that diverged: NaN weights
        for p in trainer.generator.parameters():
            p.fill_(float("nan"))
    loss = trainer.step(3)
    assert np.isnan(loss) and "diverged at iteration 1" in trainer.diverged
    assert trainer.iteration == 1  # it stopped training
    assert np.isnan(trainer.divergence())
    trainer.reset()
    assert trainer.diverged is None and np.isfinite(trainer.step(1))
    with pytest.raises(ValueError, match="n=-5 must be at least 1"):
        trainer.step(-5)
    with pytest.raises(ValueError, match="n=0 must be at least 1"):
        trainer.step(0)


def test_a_diverging_digit_gan_stops_and_says_so(digits, capsys):
    _, snaps, history = train_digit_gan(
        digits, iterations=10, batch=8, noise_dim=8, lr=1e30, snapshots=(0, 10), n_samples=2
    )
    out = capsys.readouterr().out
    assert history["iteration"] == [1] and np.isnan(history["g_loss"][-1])
    assert "diverged at iteration 1" in out and sorted(snaps) == [0]


def test_digit_gan_refuses_float_or_nan_images(digits):
    with pytest.raises(TypeError, match="uint8"):
        train_digit_gan(digits / 255.0, iterations=1)
    with pytest.raises(TypeError, match="uint8"):
        train_digit_gan(np.full((4, 28, 28), np.nan), iterations=1)


def test_numpy_scalars_are_accepted(digits):
    trainer = GanTrainer(batch=np.int64(16), g_lr=np.float32(1e-3), seed=np.int64(1))
    assert np.isfinite(trainer.step(np.int64(2)))
    _, snaps, _ = train_digit_gan(
        digits,
        iterations=np.int64(2),
        batch=np.int32(4),
        lr=np.float32(1e-3),
        noise_dim=np.int64(4),
        snapshots=(np.int64(2),),
        n_samples=np.int64(2),
    )
    assert snaps[2].shape == (2, 28, 28)


# --- one step of the game: the package twin of notebook 10's exercise -----------------

from dlhelpers.data.targets2d import mode_shares  # noqa: E402
from dlhelpers.train.gan import (  # noqa: E402
    discriminator_step,
    gan_step,
    generator_step,
    trace_modes,
)


def _tiny_pair(seed=0, width=3):
    torch.manual_seed(seed)
    return Generator(2, width, depth=1).double(), Discriminator(width, depth=1).double()


def _batch(seed=0, n=6):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, 2, generator=g, dtype=torch.float64) + 1
    z = 2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1
    return real, z


def _losses(G, D, real, z):
    """L_D and L_G written out from their formulas, with log-sigmoids."""
    ls = torch.nn.functional.logsigmoid
    d_loss = -ls(D(real)).mean() - ls(-D(G(z))).mean()  # log(1 - sigmoid(s)) = logsigmoid(-s)
    return d_loss, -ls(D(G(z))).mean()


def test_gan_step_is_the_written_out_step_in_float64():
    G, D = _tiny_pair()
    G2, D2 = _tiny_pair()
    real, z = _batch()
    g_opt, d_opt = (torch.optim.SGD(n.parameters(), lr=0.1) for n in (G, D))
    d_loss, g_loss = gan_step(G, D, g_opt, d_opt, real, z)
    want_d, _ = _losses(G2, D2, real, z)
    grads = torch.autograd.grad(want_d, list(D2.parameters()))
    with torch.no_grad():
        for p, grad in zip(D2.parameters(), grads, strict=True):
            p -= 0.1 * grad
    _, want_g = _losses(G2, D2, real, z)  # through the updated D
    grads = torch.autograd.grad(want_g, list(G2.parameters()))
    with torch.no_grad():
        for p, grad in zip(G2.parameters(), grads, strict=True):
            p -= 0.1 * grad
    assert np.isclose(d_loss, want_d.item(), rtol=1e-12) and np.isclose(g_loss, want_g.item())
    for a, b in zip(
        [*G.parameters(), *D.parameters()], [*G2.parameters(), *D2.parameters()], strict=True
    ):
        assert torch.allclose(a, b, rtol=1e-12, atol=1e-14)


def _numerical_grad(loss_of, params, h=1e-6):
    out = []
    for p in params:
        g = torch.zeros_like(p)
        flat, gflat = p.data.view(-1), g.view(-1)
        for i in range(flat.numel()):
            old = flat[i].item()
            flat[i] = old + h
            up = loss_of()
            flat[i] = old - h
            down = loss_of()
            flat[i] = old
            gflat[i] = (up - down) / (2 * h)
        out.append(g)
    return out


@pytest.mark.parametrize("which", ["discriminator", "generator"])
def test_each_half_steps_along_the_numerical_gradient(which):
    G, D = _tiny_pair(seed=3)
    real, z = _batch(seed=4)
    net = D if which == "discriminator" else G
    before = [p.detach().clone() for p in net.parameters()]
    with torch.no_grad():
        fake = G(z)
        pick = 0 if which == "discriminator" else 1
        numeric = _numerical_grad(lambda: _losses(G, D, real, z)[pick].item(), net.parameters())
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    if which == "discriminator":
        discriminator_step(D, opt, real, fake)
    else:
        generator_step(G, D, opt, z)
    for b, p, g in zip(before, net.parameters(), numeric, strict=True):
        assert torch.allclose(b - p.detach(), g, rtol=1e-6, atol=1e-8)


def test_discriminator_step_leaves_the_generator_alone_and_the_saturating_loss():
    G, D = _tiny_pair()
    real, z = _batch()
    fake = G(z)  # with a graph: the step must detach it
    discriminator_step(D, torch.optim.SGD(D.parameters(), lr=0.1), real, fake)
    assert all(p.grad is None for p in G.parameters())
    loss = generator_step(G, D, torch.optim.SGD(G.parameters(), lr=0.1), z, loss="saturating")
    assert loss < 0  # log(1 - D) is negative


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda G, D, o, r, z: gan_step("G", D, o, o, r, z), "generator must be a torch.nn.Module"),
        (lambda G, D, o, r, z: gan_step(G, D, "adam", o, r, z), "g_opt must be a torch optimizer"),
        (
            lambda G, D, o, r, z: gan_step(G, D, o, o, r.numpy(), z),
            "real must be a non-empty batch",
        ),
        (lambda G, D, o, r, z: gan_step(G, D, o, o, r, z, loss="wgan"), "loss='wgan' is not one"),
    ],
)
def test_gan_step_bad_input(call, message):
    G, D = _tiny_pair()
    real, z = _batch()
    opt = torch.optim.SGD(D.parameters(), lr=0.1)
    with pytest.raises((TypeError, ValueError), match=message):
        call(G, D, opt, real, z)


def test_trace_modes_looks_after_every_block():
    trace = trace_modes(GanTrainer("ring", seed=0, batch=64), blocks=3, every=5, n_samples=40)
    assert trace["iteration"] == [5, 10, 15]
    assert all(isinstance(m, tuple) and all(0 <= i < 8 for i in m) for m in trace["modes"])
    assert all(s > 0 for s in trace["spread"]) and trace["samples"][0].shape == (40, 2)
    with pytest.raises(TypeError, match="target with modes"):
        trace_modes(GanTrainer("spiral"), blocks=1, every=1)
    with pytest.raises(ValueError, match="blocks=0 must be at least 1"):
        trace_modes(GanTrainer("ring"), blocks=0, every=1)


def test_mode_shares_and_count_modes_agree():
    centres = mode_centres("ring")
    points = np.repeat(centres[:3], [10, 5, 1], axis=0)  # 16 points on three modes
    shares = mode_shares(points, centres, MODE_STD["ring"])
    assert np.allclose(shares, [10 / 16, 5 / 16, 1 / 16, 0, 0, 0, 0, 0])
    assert count_modes(points, centres, MODE_STD["ring"], threshold=0.1) == 2
    assert np.isnan(mode_shares(np.full((2, 2), np.nan), centres, 0.1)).all()
