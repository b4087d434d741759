"""The decoding explorer (notebook 15): greedy, temperature, top-k and top-p on one distribution.

Pure part: :func:`dlhelpers.scratch.sampling.decoding_probs` (the distribution a rule draws
from). View: :class:`DecodingView`, the model's likeliest next tokens as bars: light bars
for the model's own softmax at the temperature, dark for what the rule keeps, a dashed
line where top-k or top-p cuts, and a star on the token the sample drew first. Builder:
:func:`build_decoding_explorer`, which takes precomputed logits and a plain function that
draws a short sample (no torch here): the notebook wraps its GPT with
:func:`dlhelpers.train.gpt.generate_tokens`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.scratch.sampling import METHODS, decoding_probs, softmax
from dlhelpers.validate import check_finite_array

__all__ = ["DecodingSettings", "DecodingView", "build_decoding_explorer", "token_labels"]

TOP = 15  # bars drawn
_SHOWN = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def token_labels(table: Sequence[bytes]) -> list[str]:
    """A visible label for each token's bytes (e.g. ``vocab_bytes(merges)``): ``'␣the'`` for ``b' the'``.

    Bytes that are not whole UTF-8 characters show as ``'\\xNN'`` escapes.
    """
    labels = []
    for raw in table:
        if not isinstance(raw, bytes):
            raise TypeError(f"table must hold bytes, not {type(raw).__name__}")
        text = raw.decode("utf-8", errors="backslashreplace")
        labels.append("".join(_SHOWN.get(c, c if c.isprintable() else repr(c)[1:-1]) for c in text))
    return labels


@dataclass(frozen=True)
class DecodingSettings(Settings):
    """The decoding explorer's settings."""

    method: str = setting("top-p", "method", choices=METHODS)
    temperature: float = setting(
        1.0,
        "temperature",
        low=math.log10(0.2),
        high=math.log10(3.0),
        step=0.02,
        log=True,
        fmt=".2f",
    )
    top_k: int = setting(5, "top-k", low=1, high=TOP, step=1, integer=True)
    top_p: float = setting(0.9, "top-p", low=0.05, high=1.0, step=0.05, fmt=".2f")
    seed: int = setting(0, "seed", low=0, high=9, step=1, integer=True)


class DecodingView:
    """Bars for the ``top`` likeliest tokens: the softmax at T (light), the rule's share (dark).

    The probability axis follows the tallest bar, so that a flat distribution stays readable.
    """

    def __init__(self, fig: Figure, logits: np.ndarray, labels: Sequence[str], top: int = TOP):
        self.order = np.argsort(-logits, kind="stable")[: min(top, len(labels))]
        self.ax = fig.subplots()
        x = np.arange(len(self.order))
        self.model_bars = self.ax.bar(
            x, np.zeros(len(x)), color="C0", alpha=0.3, label="softmax at T"
        )
        self.kept_bars = self.ax.bar(x, np.zeros(len(x)), width=0.5, color="C0", label="drawn from")
        self.cut = self.ax.axvline(len(x) - 0.5, color="C3", linestyle="--", lw=1.2)
        (self.star,) = self.ax.plot([], [], "*", color="C1", ms=12, label="drawn")
        self.ax.set_xticks(x, [labels[i] for i in self.order], rotation=60, fontsize=8)
        self.ax.set_ylim(0, 1.08)
        self.ax.set_ylabel("probability")
        self.ax.legend(loc="upper right", fontsize=8)
        self.title = self.ax.set_title("", fontsize=10)

    def update(self, model: np.ndarray, kept: np.ndarray, drawn: int | None, title: str) -> None:
        """Heights from ``model`` and ``kept`` (each (V,)); the cut after the last kept bar."""
        for bar, h in zip(self.model_bars, model[self.order], strict=True):
            bar.set_height(h)
        for bar, h in zip(self.kept_bars, kept[self.order], strict=True):
            bar.set_height(h)
        inside = np.flatnonzero(kept[self.order] > 0)
        last = inside.max() if inside.size else -1
        cut_shown = np.count_nonzero(kept) < len(kept) and last < len(self.order) - 1
        self.cut.set_xdata([last + 0.5, last + 0.5])
        self.cut.set_visible(bool(cut_shown))
        top = max(float(model[self.order].max()), float(kept[self.order].max()))
        self.ax.set_ylim(0, min(1.08, max(0.05, 1.25 * top)))  # the bars fill the axes
        place = np.flatnonzero(self.order == drawn) if drawn is not None else []
        if len(place):
            self.star.set_data([place[0]], [kept[drawn]])
        else:
            self.star.set_data([], [])
        self.title.set_text(title)


def _check(logits, labels, generate) -> tuple[np.ndarray, list[str]]:
    z = check_finite_array("logits", logits)
    if z.ndim != 1 or z.size < 2:
        raise ValueError(f"logits must have shape (V,) with V >= 2, got shape {z.shape}")
    labels = list(labels)
    if len(labels) != z.size or not all(isinstance(t, str) for t in labels):
        raise ValueError(f"labels must be {z.size} strings, one per logit; got {len(labels)}")
    if not callable(generate):
        raise TypeError(f"generate must be a function of the settings, not {generate!r}")
    return z, labels


def build_decoding_explorer(
    logits: ArrayLike,
    labels: Sequence[str],
    generate: Callable[..., tuple[list[int], str]],
    prompt: str = "",
    settings: DecodingSettings | None = None,
    **overrides,
) -> Explorer:
    """Pick a decoding rule; see the next-token distribution it draws from, and a sample.

    Parameters
    ----------
    logits : array_like of shape (V,)
        The model's logits for the token after ``prompt`` (computed once).
    labels : sequence of str
        A visible label for each of the V tokens.
    generate : callable
        ``generate(method, temperature, top_k, top_p, seed) -> (ids, text)``: a short sample
        after ``prompt`` with that rule; ``ids[0]`` is the token drawn from the bars'
        distribution (starred), ``text`` the new text.
    prompt : str
        Shown in bold before the sample.
    settings : DecodingSettings, optional
        Or by name: ``method`` (greedy, temperature, top-k, top-p), ``temperature``
        (0.2 to 3), ``top_k`` (1 to 15), ``top_p`` (0.05 to 1), ``seed`` (0 to 9).

    Returns
    -------
    Explorer
        ``controls`` keyed by setting; the status line says how many tokens the rule keeps
        and holds the sample, HTML-escaped.
    """
    s = DecodingSettings.resolve(settings, overrides)
    z, labels = _check(logits, labels, generate)
    fig = Figure(figsize=(7, 2.8), layout="constrained")
    view = DecodingView(fig, z, labels)

    def draw(method: str, temperature: float, top_k: int, top_p: float, seed: int) -> str:
        kept = decoding_probs(z, method, temperature=temperature, top_k=top_k, top_p=top_p)
        model = softmax(z, 1.0 if method == "greedy" else temperature)
        ids, text = generate(method, float(temperature), int(top_k), float(top_p), int(seed))
        drawn = int(ids[0]) if len(ids) else None
        rule = {
            "greedy": "greedy (the argmax)",
            "temperature": f"temperature {temperature:.2f}",
            "top-k": f"top-k {top_k} at T = {temperature:.2f}",
            "top-p": f"top-p {top_p:.2f} at T = {temperature:.2f}",
        }[method]
        view.update(model, kept, drawn, f"next token after {prompt[-24:]!r}: {rule}")
        n = int(np.count_nonzero(kept))
        return (
            f"{rule}: draws from {n} of {len(z)} tokens"
            '<pre style="white-space: pre-wrap; margin: 4px 0">'
            f"<b>{html.escape(prompt)}</b>{html.escape(text)}</pre>"
        )

    return Explorer("DecodingExplorer", controls_from(s), fig, draw, view=view, notices=s.notices)
