"""The GAN Lab explorer of notebook 10: training, drawing and controls, without a browser."""

from __future__ import annotations

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.explorers.gan_lab import build_gan_lab  # noqa: E402


@pytest.fixture
def lab():
    torch.set_num_threads(1)
    return build_gan_lab(steps_per_tick=10)


def test_first_picture_and_status(lab):
    assert lab.trainer.iteration == 0 and lab.image.value
    assert lab.status.value.startswith("iteration <b>0</b>")
    assert "modes " in lab.status.value and "/8 · JS " in lab.status.value
    assert list(lab.controls) == ["target", "noise_dim", "width", "g_lr", "d_lr", "d_steps", "loss"]


def test_step_advances_and_changes_the_picture(lab):
    image, fake = lab.image.value, lab.view.fake.get_offsets().copy()
    lab.step_button.click()
    assert lab.trainer.iteration == 10
    assert lab.image.value != image
    assert not np.array_equal(lab.view.fake.get_offsets(), fake)
    status = lab.status.value
    assert "iteration <b>10</b>" in status and "D loss" in status and "G loss" in status
    assert "modes " in status and "/8" in status and "JS " in status
    assert len(lab.view.d_line.get_xdata()) == 10


def test_reset_goes_back_to_zero(lab):
    image0 = lab.image.value
    lab.step()
    lab.play.playing = True
    lab.reset_button.click()
    assert lab.trainer.iteration == 0 and lab.play.playing is False
    assert lab.image.value == image0  # same weights, same picture


@pytest.mark.parametrize(
    "name, value",
    [
        ("target", "grid"),
        ("noise_dim", 3),
        ("width", 32),
        ("g_lr", 3e-3),
        ("d_lr", 1e-4),
        ("d_steps", 2),
        ("loss", "saturating"),
    ],
)
def test_a_setting_change_resets(lab, name, value):
    lab.step()
    old, image = lab.trainer, lab.image.value
    lab.controls[name].value = value
    assert lab.trainer is not old and lab.trainer.iteration == 0
    assert lab.image.value != image
    if name == "target":
        assert lab.trainer.target == "grid" and "/25" in lab.status.value
    if name == "noise_dim":
        assert lab.trainer.noise_dim == 3
    if name == "loss":
        assert lab.trainer.loss == "saturating"


def test_play_ticks_train(lab):
    lab.play.interval = 1  # no tick is dropped as backlog
    for tick in range(1, 4):
        lab.play.value = tick
        time.sleep(0.002)
    assert lab.trainer.iteration == 30
    lab.play.value = 0  # the stop button rewinds: not a tick
    assert lab.trainer.iteration == 30


def test_backlog_ticks_are_dropped(lab):
    lab.play.interval = 10_000
    lab.play.value = 1
    lab.play.value = 2
    assert lab.trainer.iteration == 10


def test_spiral_has_no_mode_count():
    lab = build_gan_lab(target="spiral")
    assert "modes" not in lab.status.value and "JS " in lab.status.value


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="target='donut' is not one of the choices: ring"):
        build_gan_lab(target="donut")
    with pytest.raises(ValueError, match="loss='hinge' is not one of the choices"):
        build_gan_lab(loss="hinge")
    with pytest.raises(ValueError, match="g_lr=0.002 is not one of the choices"):
        build_gan_lab(g_lr=2e-3)
    with pytest.raises(ValueError, match="width=50 is not one of the choices"):
        build_gan_lab(width=50)
    with pytest.raises(ValueError, match="d_steps=1.5 is not a whole number"):
        build_gan_lab(d_steps=1.5)
    with pytest.warns(UserWarning, match="steps_per_tick=0 is outside 1..10000; starting at 1"):
        assert build_gan_lab(steps_per_tick=0).per_tick == 1
    with pytest.warns(UserWarning, match="d_steps=9 is outside 1..5; starting at 5"):
        assert build_gan_lab(d_steps=9).trainer.d_steps == 5


def test_summary_is_stable_text(lab):
    text = repr(lab)
    assert text.startswith("GanLab(target=ring, noise_dim=2, width=64, g_lr=0.001")
    bundle = lab._repr_mimebundle_()
    assert bundle["text/plain"] == text and bundle["image/png"]


def test_a_diverged_generator_says_so_and_keeps_the_last_good_state(lab, monkeypatch):
    from dlhelpers.train.gan import GanTrainer

    lab.step()
    good = lab.trainer.iteration
    real_step = GanTrainer.step

    def poisoned(self, n=1):
        real_step(self, n)
        with torch.no_grad():
            for p in self.generator.parameters():
                p.fill_(float("nan"))

    monkeypatch.setattr(GanTrainer, "step", poisoned)
    lab.play.playing = True
    lab.step()
    status = lab.status.value
    assert "diverged" in status and "the generator's samples are NaN" in status
    assert "JS" not in status and "modes" not in status  # no number made from NaN points
    assert lab.trainer.iteration == good and np.isfinite(lab.trainer.samples(100)).all()
    assert lab.play.playing is False and lab.problem
    lab.step()  # nothing more to train until a reset
    assert lab.trainer.iteration == good
    monkeypatch.undo()
    lab.reset()
    assert not lab.problem and "diverged" not in lab.status.value
    lab.step()
    assert lab.trainer.iteration == lab.per_tick


def test_a_run_that_is_already_nan_is_not_scored(lab):
    with torch.no_grad():
        for p in lab.trainer.generator.parameters():
            p.fill_(float("nan"))
    lab.refresh()
    assert lab.status.value.startswith("<b style='color:#c00'>diverged</b>")
    assert "JS 0.00" not in lab.status.value
