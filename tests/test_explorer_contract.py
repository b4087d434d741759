"""The one contract of every explorer, checked over all of them at once.

Every ``build_x(..., settings=None, **overrides)`` takes its settings by name and
answers bad ones the same way: a value of the wrong kind, NaN, infinity or a menu
value not offered raises ``ValueError`` naming the setting; a number out of range
is clamped with a notice in the status line; NumPy scalars are accepted. Every
control can be moved to either end of its range and the picture redraws.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import fields

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.data import make_blobs, make_line  # noqa: E402
from dlhelpers.explorers.activation import ActivationSettings, build_activation_explorer  # noqa: E402
from dlhelpers.explorers.actmax import ActmaxSettings, build_actmax_explorer  # noqa: E402
from dlhelpers.explorers.attention_map import AttentionSettings, build_attention_explorer  # noqa: E402
from dlhelpers.explorers.backprop import BackpropSettings, build_backprop_explorer  # noqa: E402
from dlhelpers.explorers.conv_geometry import (  # noqa: E402
    ConvGeometrySettings,
    build_conv_geometry_explorer,
)
from dlhelpers.explorers.cost import CostSettings, build_cost_explorer  # noqa: E402
from dlhelpers.explorers.decoding import DecodingSettings, build_decoding_explorer  # noqa: E402
from dlhelpers.explorers.descent import DescentSettings, build_descent_explorer  # noqa: E402
from dlhelpers.explorers.few_labels import TransferSettings, build_transfer_explorer  # noqa: E402
from dlhelpers.explorers.fgsm import FgsmSettings, build_fgsm_explorer  # noqa: E402
from dlhelpers.explorers.filters import FilterSettings, build_filter_explorer  # noqa: E402
from dlhelpers.explorers.fitting import FitSettings, build_fit_explorer  # noqa: E402
from dlhelpers.explorers.gan_lab import GanLabSettings, build_gan_lab  # noqa: E402
from dlhelpers.explorers.gradient_flow import (  # noqa: E402
    GradientFlowSettings,
    build_gradient_flow_explorer,
)
from dlhelpers.explorers.line import LineSettings, build_line_explorer  # noqa: E402
from dlhelpers.explorers.neuron import NeuronSettings, build_neuron_explorer  # noqa: E402
from dlhelpers.explorers.playground import PlaygroundSettings, build_playground  # noqa: E402
from dlhelpers.explorers.predictions import PredictionSettings, build_prediction_explorer  # noqa: E402
from dlhelpers.explorers.reverse_process import ReverseSettings, build_reverse_explorer  # noqa: E402
from dlhelpers.explorers.temperature import TemperatureSettings, build_temperature_explorer  # noqa: E402
from dlhelpers.scratch.diffusion import beta_schedule  # noqa: E402
from dlhelpers.train.diffusion import PointDenoiser  # noqa: E402
from dlhelpers.train.models import lenet  # noqa: E402
from dlhelpers.validate import show_value  # noqa: E402

torch.set_num_threads(1)
RNG = np.random.default_rng(0)
X_LINE, Y_LINE = make_line(20, slope=2.0, intercept=-1.0, seed=0)
X_BLOBS, Y_BLOBS = make_blobs(60, seed=0)
DIGITS = RNG.uniform(0, 1, size=(12, 28, 28))
LABELS = np.arange(12) % 10
PROBA = RNG.dirichlet(np.ones(10), size=12)
MAPS = RNG.random((2, 2, 5, 5))
MAPS /= MAPS.sum(-1, keepdims=True)
VOCAB = list("abcde")
torch.manual_seed(0)
NET = lenet().eval()
DENOISERS = {"linear": PointDenoiser(20, width=8), "cosine": PointDenoiser(20, width=8)}
SCHEDULES = {
    "linear": beta_schedule(20, "linear", beta_end=0.3),
    "cosine": beta_schedule(20, "squaredcos_cap_v2"),
}
POOL = (RNG.uniform(0, 1, size=(210, 1, 28, 28)).astype(np.float32), np.arange(210) % 10)


def _generate(t: float, n: int, seed: int) -> str:
    return "abc"[seed % 3] * min(n, 5)


#: name -> (builder taking overrides, its settings class, overrides that keep it quick)
EXPLORERS = {
    "line": (lambda **o: build_line_explorer(X_LINE, Y_LINE, **o), LineSettings, {}),
    "activation": (build_activation_explorer, ActivationSettings, {}),
    "neuron": (lambda **o: build_neuron_explorer(X_BLOBS, Y_BLOBS, **o), NeuronSettings, {}),
    "backprop": (build_backprop_explorer, BackpropSettings, {}),
    "predictions": (
        lambda **o: build_prediction_explorer(DIGITS, LABELS, PROBA, **o),
        PredictionSettings,
        {},
    ),
    "fitting": (build_fit_explorer, FitSettings, {"steps": 5}),
    "descent": (build_descent_explorer, DescentSettings, {}),
    "playground": (build_playground, PlaygroundSettings, {"n_samples": 40}),
    "filters": (
        lambda **o: build_filter_explorer({"a": DIGITS[0], "b": DIGITS[1]}, **o),
        FilterSettings,
        {},
    ),
    "conv_geometry": (
        lambda **o: build_conv_geometry_explorer(DIGITS[0, ::2, ::2], **o),
        ConvGeometrySettings,
        {},
    ),
    "gradient_flow": (build_gradient_flow_explorer, GradientFlowSettings, {}),
    "temperature": (
        lambda **o: build_temperature_explorer(_generate, np.arange(5.0), VOCAB, **o),
        TemperatureSettings,
        {},
    ),
    "attention_map": (
        lambda **o: build_attention_explorer(MAPS, list("12345"), **o),
        AttentionSettings,
        {},
    ),
    "gan_lab": (build_gan_lab, GanLabSettings, {"steps_per_tick": 2}),
    "decoding": (
        lambda **o: build_decoding_explorer(
            np.arange(5.0), VOCAB, lambda *a: ([a[-1] % 5], "abc"), **o
        ),
        DecodingSettings,
        {},
    ),
    "few_labels": (
        lambda **o: build_transfer_explorer(NET, POOL, POOL, **o),
        TransferSettings,
        {"seeds": (0,), "steps": 1},
    ),
    "actmax": (lambda **o: build_actmax_explorer(NET, **o), ActmaxSettings, {"steps": 2}),
    "fgsm": (lambda **o: build_fgsm_explorer(NET, DIGITS, LABELS, **o), FgsmSettings, {}),
    "cost": (build_cost_explorer, CostSettings, {}),
    "reverse_process": (
        lambda **o: build_reverse_explorer(DENOISERS, SCHEDULES, X_BLOBS, **o),
        ReverseSettings,
        {"n": 20},
    ),
}


def _build(name: str, **overrides):
    build, _, quick = EXPLORERS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the clamping notices
        return build(**{**quick, **overrides})


def _bad_values(spec) -> list:
    """The wrong values for one setting, by the kind of control it has."""
    if spec.convert is not None:
        return ["text", float("nan")] if spec.choices is None else ["no such thing", 2.5, True]
    if spec.choices is not None:
        return ["no such thing", float("nan"), True]
    bad = [float("nan"), float("inf"), -float("inf"), "text", True, [1.0]]
    return bad if spec.optional else [*bad, None]


CASES = [
    pytest.param(name, f.name, bad, id=f"{name}-{f.name}-{bad!r}")
    for name, (_, settings, _) in EXPLORERS.items()
    for f in fields(settings)
    for bad in _bad_values(f.metadata["spec"])
    if not (f.name == "prompt" and bad == "text")
]


@pytest.mark.parametrize("name, field, bad", CASES)
def test_a_bad_setting_raises_one_line_naming_it(name, field, bad):
    with pytest.raises(ValueError) as info:
        _build(name, **{field: bad})
    message = str(info.value)
    assert field in message and "\n" not in message
    if isinstance(bad, str) and bad == "no such thing":
        assert "is not one of the choices" in message


@pytest.mark.parametrize("name", EXPLORERS)
def test_the_settings_are_keywords_and_nothing_else(name):
    build, settings, _ = EXPLORERS[name]
    with pytest.raises(TypeError, match="unknown setting colour; the settings are: "):
        _build(name, colour="red")
    with pytest.raises(TypeError, match=f"settings must be a {settings.__name__}"):
        _build(name, settings="bowl")


def _numpy(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return np.int64(value) if isinstance(value, int) else np.float32(value)


@pytest.mark.parametrize("name", EXPLORERS)
def test_numpy_scalars_are_accepted_as_plain_values(name):
    _, settings, quick = EXPLORERS[name]
    defaults = {**settings().values(), **quick}
    given = {k: _numpy(v) for k, v in defaults.items() if not isinstance(v, tuple)}
    ex = _build(name, **given)
    for key, control in ex.controls.items():
        assert not isinstance(control.value, np.generic), key
    assert bytes(ex.image.value).startswith(b"\x89PNG")


def _beyond(spec):
    """A value past the top of a bounded number setting (None: nothing to clamp)."""
    if spec.choices is not None or spec.convert is not None or spec.high is None:
        return None
    high = 10.0**spec.high if spec.log else spec.high
    return int(high) + 7 if spec.integer else high * 3 + 7


@pytest.mark.parametrize("name", EXPLORERS)
def test_out_of_range_numbers_are_clamped_and_said(name):
    _, settings, _ = EXPLORERS[name]
    beyond = {f.name: _beyond(f.metadata["spec"]) for f in fields(settings)}
    beyond = {k: v for k, v in beyond.items() if v is not None and k != "n_samples"}
    if not beyond:
        pytest.skip("no bounded number")
    with pytest.warns(UserWarning, match="is outside"):
        s = settings(**beyond)
    for key, value in beyond.items():
        spec = settings.spec(key)
        top = 10.0**spec.high if spec.log else spec.high
        assert math.isclose(getattr(s, key), top), key
        assert any(n.startswith(f"{key}={show_value(value)} is outside") for n in s.notices), key
    ex = _build(name, **{k: v for k, v in beyond.items() if k in _build(name).controls})
    assert "is outside" in ex.status.value


def _ends(control) -> list:
    if hasattr(control, "options") and not hasattr(control, "min"):
        values = list(getattr(control, "_options_values", control.options))
        return [values[0], values[-1]]
    if hasattr(control, "base"):  # a log slider: min and max are exponents
        return [control.base**control.min, control.base**control.max]
    return [control.min, control.max]


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_redraws_at_both_ends(name):
    ex = _build(name)
    for key, control in ex.controls.items():
        for value in _ends(control):
            redraws, moved = ex.redraws, control.value != value
            control.value = value
            assert control.value == value or math.isclose(control.value, value), key
            assert ex.redraws == redraws + moved, key  # one redraw per change, none without
            assert bytes(ex.image.value).startswith(b"\x89PNG"), key
            assert ex.status.value, key


@pytest.mark.parametrize("name, counter", [("playground", "epoch"), ("gan_lab", "iteration")])
def test_steppable_explorers_share_step_and_reset(name, counter):
    ex = _build(name)
    progress = (lambda: ex.model.epoch) if name == "playground" else (lambda: ex.trainer.iteration)
    png = bytes(ex.image.value)
    assert ex.step() is None and progress() == ex.per_tick
    assert ex.step(np.int64(3)) is None and progress() == ex.per_tick + 3
    assert bytes(ex.image.value) != png
    for bad in (0, -5, 2.5, float("nan"), "1", True):
        with pytest.raises(ValueError, match="n="):
            ex.step(bad)
    assert progress() == ex.per_tick + 3  # a refused step trains nothing
    ex.play.playing = True
    assert ex.reset() is None and progress() == 0 and ex.play.playing is False
    assert bytes(ex.image.value) == png
