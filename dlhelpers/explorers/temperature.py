"""The temperature explorer (notebook 08): what dividing the logits by T does to sampled text.

Pure part: :func:`apply_temperature` (a stable softmax of ``logits / T``),
:func:`entropy` and :func:`coverage`. View: :class:`TemperatureView`, the
probabilities of the most likely next characters as bars, updated in place.
Builder: :func:`build_temperature_explorer`, which takes plain functions and
arrays (no torch here): the notebook wraps its trained model, e.g. with
:func:`dlhelpers.train.char_model.sample` and
:func:`~dlhelpers.train.char_model.next_char_logits`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.validate import ArgumentTypeError, check_finite_array, check_number

__all__ = [
    "TemperatureSettings",
    "TemperatureView",
    "apply_temperature",
    "build_temperature_explorer",
    "char_label",
    "coverage",
    "entropy",
]

LOW, HIGH = 0.1, 3.0  # the slider's range of temperatures
TOP = 12  # bars drawn; the rest of the probability is one "other" bar
_SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def apply_temperature(logits: ArrayLike, temperature: float) -> np.ndarray:
    """softmax(logits / temperature), computed stably (the largest logit is subtracted first).

    Parameters
    ----------
    logits : array_like of shape (V,)
        Finite numbers.
    temperature : float
        Finite and > 0. ``T < 1`` sharpens the distribution towards the argmax,
        ``T = 1`` is the model's own softmax, ``T > 1`` flattens it towards uniform.

    Returns
    -------
    ndarray of shape (V,), float64, summing to 1
    """
    temperature = check_number("temperature", temperature, low=0, low_open=True)
    z = check_finite_array("logits", logits)
    if z.ndim != 1:
        raise ValueError(f"logits must have shape (V,) with V >= 1, got shape {z.shape}")
    z = (z - z.max()) / temperature  # <= 0: exp cannot overflow
    p = np.exp(z)
    return p / p.sum()


def entropy(probs: ArrayLike) -> float:
    """Entropy ``-sum p ln p`` in nats (0 for a certain outcome, ``ln V`` for uniform)."""
    p = np.asarray(probs, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def coverage(probs: ArrayLike, mass: float = 0.9) -> int:
    """How many of the most likely characters it takes to hold ``mass`` of the probability."""
    p = np.sort(np.asarray(probs, dtype=float))[::-1]
    return int(min(np.searchsorted(np.cumsum(p), mass - 1e-12) + 1, p.size))


def char_label(c: str) -> str:
    """A visible label for one character: ``'␣'`` for a space, ``'⏎'`` for a newline, escapes else."""
    if c in _SHOWN:
        return _SHOWN[c]
    return c if c.isprintable() else repr(c)[1:-1]


class TemperatureView:
    """Bars of softmax(logits / T) for the ``top`` likeliest characters plus "other".

    Which characters are on top does not depend on T (dividing by T keeps the
    order), so the bars stay put and only their heights change.
    """

    def __init__(self, fig: Figure, logits: np.ndarray, vocab: Sequence[str], top: int = TOP):
        self.order = np.argsort(-logits, kind="stable")[: min(top, len(vocab))]
        labels = [char_label(vocab[i]) for i in self.order]
        self.other = len(self.order) < len(vocab)
        if self.other:
            labels.append("other")
        self.ax = fig.subplots()
        x = np.arange(len(labels))
        self.bars = self.ax.bar(x, np.zeros(len(labels)), color="C0")
        if self.other:
            self.bars[-1].set_color("0.7")
        self.ax.set_xticks(x, labels)
        self.ax.set_ylim(0, 1)
        self.ax.set_ylabel("probability")
        self.title = self.ax.set_title("", fontsize=10)

    def update(self, probs: np.ndarray, title: str) -> None:
        """Show ``probs`` (shape (V,)) on the bars and ``title`` above them."""
        heights = list(probs[self.order])
        if self.other:
            heights.append(max(0.0, 1.0 - float(np.sum(heights))))
        for bar, h in zip(self.bars, heights, strict=True):
            bar.set_height(h)
        self.title.set_text(title)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


@dataclass(frozen=True)
class TemperatureSettings(Settings):
    """The temperature explorer's settings; ``prompt`` is shown before each sample."""

    temperature: float = setting(
        1.0,
        "temperature",
        low=math.log10(LOW),
        high=math.log10(HIGH),
        step=0.02,
        log=True,
        fmt=".2f",
        continuous=False,
    )
    seed: int = setting(0, "seed", low=0, high=9, step=1, integer=True, continuous=False)
    length: int = setting(300, "length", low=50, high=1000, step=50, integer=True, continuous=False)
    prompt: str = setting("", convert=_text)


def _check_model(generate, next_logits, vocab) -> tuple[np.ndarray, list[str]]:
    if not callable(generate):
        raise TypeError(
            f"generate must be a function (temperature, length, seed) -> str, not {generate!r}"
        )
    logits = check_finite_array("next_logits", next_logits)
    if logits.ndim != 1:
        raise ValueError(f"next_logits must have shape (V,), got shape {logits.shape}")
    vocab = list(vocab)
    if len(vocab) != logits.size:
        raise ValueError(
            f"vocab has {len(vocab)} characters but next_logits has {logits.size} values: "
            "give one logit per character"
        )
    if not all(isinstance(c, str) and len(c) == 1 for c in vocab):
        raise ValueError("vocab must hold single characters")
    return logits, vocab


def build_temperature_explorer(
    generate: Callable[[float, int, int], str],
    next_logits: ArrayLike,
    vocab: Sequence[str],
    settings: TemperatureSettings | None = None,
    **overrides,
) -> Explorer:
    """A temperature slider over a trained character model: the next-character bars and a sample.

    Parameters
    ----------
    generate : callable
        ``generate(temperature: float, length: int, seed: int) -> str``, new text
        after ``prompt`` (e.g. a wrapper of :func:`dlhelpers.train.char_model.sample`).
    next_logits : array_like of shape (V,)
        The model's logits for the character after ``prompt``.
    vocab : sequence of str
        The V characters, ``vocab[i]`` for logit ``i`` (e.g. ``corpus.vocab``).
    settings : TemperatureSettings, optional
        Or by name: ``temperature`` (0.1 to 3, log scale), ``seed`` (0 .. 9:
        another seed draws another sample at the same temperature),
        ``length`` (characters per sample, 50 to 1000) and ``prompt``.

    Returns
    -------
    Explorer
        ``controls``: ``"temperature"``, ``"seed"``, ``"length"``. The sliders
        redraw on release (a sample may take ~100 ms). The status holds the
        sample, HTML-escaped, and the entropy of the bars' distribution.
    """
    s = TemperatureSettings.resolve(settings, overrides)
    logits, vocab = _check_model(generate, next_logits, vocab)
    fig = Figure(figsize=(6.4, 2.6), layout="constrained")
    view = TemperatureView(fig, logits, vocab)
    prompt = s.prompt
    after = f"after {prompt[-20:]!r}" if prompt else "first character"

    def draw(temperature: float, seed: int, length: int) -> Callable[[], str]:
        probs = apply_temperature(logits, temperature)
        view.update(probs, f"next character ({after}) at T = {temperature:.2f}")

        def status() -> str:  # sampling takes ~0.3 ms a character: after the bars are shown
            text = generate(float(temperature), int(length), int(seed))
            if not isinstance(text, str):
                raise TypeError(f"generate returned {type(text).__name__}, not a str")
            h = entropy(probs)
            shown = f"<b>{html.escape(prompt)}</b>{html.escape(text)}"
            return (
                f"T = {temperature:.2f}: the next character's distribution has entropy "
                f"{h:.2f} nats (as uncertain as {math.exp(h):.1f} equally likely characters); "
                f"{coverage(probs):d} of {len(vocab)} characters hold 90 % of it"
                '<pre style="white-space: pre-wrap; margin: 4px 0">'
                f"{shown}</pre>"
            )

        return status

    return Explorer(
        "TemperatureExplorer", controls_from(s), fig, draw, view=view, notices=s.notices
    )
