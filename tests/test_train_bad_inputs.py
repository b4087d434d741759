"""Bad input across train/, one family at a time over every function it concerns.

- a count below its minimum (``batch_size=0``, ``steps=-5``, ``epochs=-1``, ``n=0``) is refused,
  never trained on silently;
- NaN in the images or inputs is refused with one line, never turned into a score;
- an option name that is not on the menu is refused with the choices;
- NumPy scalars are accepted wherever a Python number is (``lr=np.float32(1e-3)``).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from dlhelpers.data.text import Corpus  # noqa: E402
from dlhelpers.train import evaluate, fit, lenet, predict, predict_proba  # noqa: E402
from dlhelpers.train.actmax import class_probabilities, maximise, unit_activation  # noqa: E402
from dlhelpers.train.adversarial import adversarial_finetune, fgsm, flip_rate  # noqa: E402
from dlhelpers.train.attribution import (  # noqa: E402
    integrated_gradients,
    occlusion,
    saliency,
    smoothgrad,
)
from dlhelpers.train.callbacks import EarlyStopping  # noqa: E402
from dlhelpers.train.char_model import CharLSTM, sample, windows  # noqa: E402
from dlhelpers.train.distributed import train_data_parallel, train_single_process  # noqa: E402
from dlhelpers.train.flops import matmul_peak, scaling, time_per_step  # noqa: E402
from dlhelpers.train.gan import GanTrainer  # noqa: E402
from dlhelpers.train.gan_digits import DigitGenerator, interpolate, train_digit_gan  # noqa: E402
from dlhelpers.train.schedules import scheduled_learning_rates  # noqa: E402
from dlhelpers.train.transfer import adapt, few_shot_curve, pretrain, train_steps  # noqa: E402
from dlhelpers.train.transformer import TinyTransformer, token_accuracy  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))


def points(n=20):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)).astype(np.float32), rng.integers(0, 2, n)


def images(n=20, nan=False):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (n, 1, 28, 28)).astype(np.float32)
    if nan:
        X[n // 2, 0, 3, 4] = np.nan
    return X, np.arange(n) % 10


def run_fit(data=None, **kw):
    model = net()
    settings = dict(epochs=1, optimizer=torch.optim.Adam(model.parameters()))
    data = points() if data is None else data
    return fit(model, data, loss_fn=nn.CrossEntropyLoss(), **{**settings, **kw})


CORPUS = Corpus("hello world " * 20)
IDS = CORPUS.encode(CORPUS.text)
LENET = lenet()


def few_shot(**kw):
    return few_shot_curve(LENET, images(20), images(10), **{"per_class": 1, "steps": 1, **kw})


COUNTS = {
    "fit batch_size": lambda v: run_fit(batch_size=v),
    "fit epochs": lambda v: run_fit(epochs=v),
    "fit check_every": lambda v: run_fit(check_every=v),
    "evaluate batch_size": lambda v: evaluate(net(), points(), nn.CrossEntropyLoss(), batch_size=v),
    "predict batch_size": lambda v: predict(net(), points()[0], batch_size=v),
    "predict_proba batch_size": lambda v: predict_proba(net(), points()[0], batch_size=v),
    "train_steps steps": lambda v: train_steps(adapt(LENET, "frozen", seed=0), *images(), v),
    "train_steps batch_size": lambda v: train_steps(
        adapt(LENET, "frozen", seed=0), *images(), 1, batch_size=v
    ),
    "pretrain epochs": lambda v: pretrain(*images(), epochs=v),
    "few_shot_curve steps": lambda v: few_shot_curve(LENET, images(20), images(10), steps=v),
    "few_shot_curve per_class": lambda v: few_shot(per_class=v),
    "few_shot_curve batch_size": lambda v: few_shot(batch_size=v),
    "GanTrainer batch": lambda v: GanTrainer(batch=v),
    "GanTrainer.step n": lambda v: GanTrainer(batch=8).step(v),
    "GanTrainer.samples n": lambda v: GanTrainer(batch=8).samples(v),
    "train_digit_gan iterations": lambda v: train_digit_gan(
        np.zeros((4, 28, 28), np.uint8), iterations=v
    ),
    "train_digit_gan batch": lambda v: train_digit_gan(
        np.zeros((4, 28, 28), np.uint8), iterations=1, batch=v
    ),
    "maximise steps": lambda v: maximise(LENET, 0, steps=v - 1),  # 0 steps is the noise itself
    "adversarial_finetune epochs": lambda v: adversarial_finetune(
        LENET, *images(), eps=0.1, epochs=v
    ),
    "adversarial_finetune batch_size": lambda v: adversarial_finetune(
        LENET, *images(), eps=0.1, batch_size=v
    ),
    "flip_rate batch_size": lambda v: flip_rate(LENET, *images(), [0.1], batch_size=v),
    "smoothgrad n": lambda v: smoothgrad(LENET, *images(2), n=v),
    "integrated_gradients steps": lambda v: integrated_gradients(LENET, *images(2), steps=v),
    "occlusion window": lambda v: occlusion(LENET, *images(2), window=v),
    "train_data_parallel world_size": lambda v: train_data_parallel(v),
    "train_data_parallel epochs": lambda v: train_data_parallel(2, epochs=v),
    "train_data_parallel batch_size": lambda v: train_data_parallel(2, batch_size=v),
    "train_single_process epochs": lambda v: train_single_process(epochs=v),
    "windows n": lambda v: windows(IDS, 8, v),
    "sample length": lambda v: sample(CharLSTM(CORPUS.vocab_size), CORPUS, "he", v - 1),
    "token_accuracy batch_size": lambda v: token_accuracy(
        TinyTransformer(10), np.zeros((2, 3), int), np.zeros((2, 3), int), batch_size=v
    ),
    "time_per_step steps": lambda v: time_per_step(nn.Linear(2, 2), torch.zeros(1, 2), steps=v),
    "matmul_peak n": lambda v: matmul_peak(v),
    "scaling values": lambda v: scaling("width", [v]),
    "scheduled_learning_rates epochs": lambda v: scheduled_learning_rates(
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1), lr=0.1, epochs=v
    ),
    "interpolate steps": lambda v: interpolate(DigitGenerator(4), np.zeros(4), np.ones(4), v + 1),
}


@pytest.mark.parametrize("value", [0, -5])
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_counts_below_the_minimum_are_refused(name, value):
    with pytest.raises(ValueError, match=r"must be (at least|in \[)"):
        COUNTS[name](value)


NAN_INPUTS = {
    "fit": lambda: run_fit((np.full((20, 2), np.nan, np.float32), np.zeros(20, int))),
    "fit val": lambda: run_fit(val=(np.full((5, 2), np.nan, np.float32), np.zeros(5, int))),
    "evaluate": lambda: evaluate(LENET, images(nan=True), nn.CrossEntropyLoss()),
    "predict": lambda: predict(LENET, images(nan=True)[0]),
    "pretrain": lambda: pretrain(*images(nan=True), epochs=1),
    "train_steps": lambda: train_steps(adapt(LENET, "frozen", seed=0), *images(nan=True), 1),
    "few_shot_curve pool": lambda: few_shot_curve(
        LENET, images(20, nan=True), images(10), per_class=1, steps=1
    ),
    "few_shot_curve held_out": lambda: few_shot_curve(
        LENET, images(20), images(10, nan=True), per_class=1, steps=1
    ),
    "fgsm": lambda: fgsm(LENET, *images(nan=True), 0.1),
    "flip_rate": lambda: flip_rate(LENET, *images(nan=True), [0.1]),
    "adversarial_finetune": lambda: adversarial_finetune(LENET, *images(nan=True), eps=0.1),
    "saliency": lambda: saliency(LENET, *images(nan=True)),
    "unit_activation": lambda: unit_activation(LENET, images(nan=True)[0], 0),
    "class_probabilities": lambda: class_probabilities(LENET, images(nan=True)[0][10, 0]),
    "train_single_process": lambda: train_single_process(data=images(nan=True)),
    "train_data_parallel": lambda: train_data_parallel(2, data=images(nan=True)),
}


@pytest.mark.parametrize("name", sorted(NAN_INPUTS))
def test_nan_inputs_are_refused_in_one_line(name):
    with pytest.raises(ValueError, match="NaN") as err:
        NAN_INPUTS[name]()
    assert len(str(err.value).splitlines()) == 1


MENUS = {
    "fit metrics": (lambda: run_fit(metrics="acc"), "metric='acc'"),
    "EarlyStopping mode": (lambda: EarlyStopping(mode="best"), "mode='best'"),
    "CharLSTM cell": (lambda: CharLSTM(5, cell="rnn"), "cell='rnn'"),
    "TinyTransformer positions": (lambda: TinyTransformer(5, positions="rope"), "positions="),
    "integrated_gradients method": (
        lambda: integrated_gradients(LENET, *images(1), method="simpson"),
        "method='simpson'",
    ),
    "adapt mode": (lambda: adapt(LENET, "transfer", seed=0), "mode='transfer'"),
    "adapt freeze_up_to": (
        lambda: adapt(LENET, "frozen", seed=0, freeze_up_to="fc2"),
        "freeze_up_to='fc2'",
    ),
    "few_shot_curve modes": (lambda: few_shot(modes=("frozen", "x")), "modes='x'"),
    "GanTrainer target": (lambda: GanTrainer(target="donut"), "target='donut'"),
    "GanTrainer loss": (lambda: GanTrainer(loss="hinge"), "loss='hinge'"),
    "train_data_parallel model": (lambda: train_data_parallel(model="resnet"), "model='resnet'"),
    "scaling parameter": (lambda: scaling("height", [1]), "parameter='height'"),
    "scaling config": (lambda: scaling("width", [1], dpeth=3), "config name='dpeth'"),
}


@pytest.mark.parametrize("name", sorted(MENUS))
def test_an_unknown_option_is_refused_with_the_choices(name):
    call, match = MENUS[name]
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert "is not one of the choices" in str(err.value)


def test_numpy_scalars_are_accepted_everywhere():
    i, f = np.int64, np.float32
    history = run_fit(epochs=i(1), batch_size=i(8), seed=i(1), validation_split=f(0.25))
    assert history.epoch == [1]
    assert evaluate(net(), points(), nn.CrossEntropyLoss(), batch_size=i(4))["loss"] > 0
    adapted = adapt(LENET, "finetune", seed=i(0), lr=f(1e-3), body_lr_scale=f(0.5))
    train_steps(adapted, *images(), i(1), batch_size=i(8), seed=i(2))
    GanTrainer(batch=i(8), g_lr=f(1e-3), d_lr=f(1e-3), seed=i(0)).step(i(1))
    assert maximise(LENET, i(3), steps=i(1), lr=f(0.1), blur=f(0.5), l2=f(1e-3)).shape == (28, 28)
    fgsm(LENET, *images(2), f(0.1))
    smoothgrad(LENET, *images(1), n=i(2), sigma=f(0.1), seed=i(0))
    occlusion(LENET, *images(1), window=i(14), stride=i(14), baseline=f(0.0))
    adversarial_finetune(LENET, *images(8), eps=f(0.1), epochs=i(1), lr=f(1e-3), batch_size=i(8))
    assert scheduled_learning_rates(
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1), lr=f(0.1), epochs=i(2)
    ) == pytest.approx([0.1, 0.01])
    assert len(sample(CharLSTM(CORPUS.vocab_size), CORPUS, "he", i(3), temperature=f(0.7))) == 3
