"""The activation-maximisation explorer (notebook 12): what image does a unit like most?

Pure part: :func:`~dlhelpers.train.actmax.maximise` and :func:`actmax_view_data` (the image,
the class probabilities on it, the unit's activation on it and on the starting noise).
View: :class:`ActmaxView`, the image and a small bar chart, updated in place. Builder:
:func:`build_actmax_explorer`, a layer menu, a unit slider whose range follows the layer,
and a regularisation slider (0 = raw gradient ascent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure
from torch import nn

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.actmax import (
    class_probabilities,
    maximise,
    starting_noise,
    unit_activation,
)

__all__ = ["LAYERS", "ActmaxSettings", "ActmaxView", "actmax_view_data", "build_actmax_explorer"]

#: Menu entry -> index of the layer in :func:`~dlhelpers.train.models.lenet` (-1: the head).
LAYERS = {"class": -1, "conv1": 0, "conv2": 3}


class ActmaxData(NamedTuple):
    image: np.ndarray  # (28, 28), in [0, 1]
    probs: np.ndarray  # (n_classes,) on the image
    activation: float  # the unit on the image
    start: float  # the unit on the starting noise


def actmax_view_data(
    model: nn.Module, layer: str, unit, strength: float, steps: int
) -> ActmaxData | list[ActmaxData]:
    """Maximise ``unit`` of ``layer`` with the regularisers scaled by ``strength`` (0 = off).

    ``unit`` may be a sequence: one batched ascent (see :func:`maximise`), a list back.
    """
    index = LAYERS[layer]
    images = maximise(
        model,
        unit,
        layer=index,
        steps=steps,
        jitter=round(2 * strength),
        blur=0.5 * strength,
        l2=1e-3 * strength,
    )
    if images.ndim == 3:
        return [_view_data(model, image, u, index) for image, u in zip(images, unit, strict=True)]
    return _view_data(model, images, unit, index)


def _view_data(model: nn.Module, image: np.ndarray, unit: int, index: int) -> ActmaxData:
    return ActmaxData(
        image,
        class_probabilities(model, image),
        unit_activation(model, image, unit, index),
        unit_activation(model, starting_noise(), unit, index),
    )


class ActmaxView:
    """The image and one bar chart; :meth:`update` changes their data in place.

    For a class, the chart shows the class probabilities on the image; for a
    filter, the unit's activation on the starting noise and on the image.
    """

    def __init__(self, fig: Figure, n_classes: int = 10):
        ax_img, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
        self.image = ax_img.imshow(np.zeros((28, 28)), cmap="gray_r", vmin=0, vmax=1)
        ax_img.set_axis_off()
        self.title = ax_img.set_title("", fontsize=9)
        self.probs = ax_bar.bar(np.arange(n_classes), np.zeros(n_classes), color="tab:blue")
        self.acts = ax_bar.bar(
            [n_classes * 0.25, n_classes * 0.7],
            [0.0, 0.0],
            width=n_classes * 0.3,
            color=["tab:gray", "tab:red"],
        )
        self.n_classes, self.axes = n_classes, (ax_img, ax_bar)

    def pending(self, title: str) -> None:
        """Dim the picture on show and say what is being computed (until :meth:`update`)."""
        self.image.set_alpha(0.25)
        self.title.set_text(title)

    def update(self, data: ActmaxData, layer: str, unit: int) -> None:
        self.image.set_alpha(1.0)
        self.image.set_data(data.image)
        ax = self.axes[1]
        is_class = layer == "class"
        self.title.set_text(f"class {unit}" if is_class else f"{layer}, filter {unit}")
        for bar, p in zip(self.probs, data.probs, strict=True):
            bar.set_height(p)
            bar.set_visible(is_class)
            bar.set_color("tab:red" if is_class and bar is self.probs[unit] else "tab:blue")
        for bar, a in zip(self.acts, (data.start, data.activation), strict=True):
            bar.set_height(a)
            bar.set_visible(not is_class)
        if is_class:
            ax.set_xticks(np.arange(self.n_classes), [str(k) for k in range(self.n_classes)])
            ax.set_ylim(0, 1)
            ax.set_ylabel("probability", fontsize=9)
        else:
            ax.set_xticks(
                [bar.get_x() + bar.get_width() / 2 for bar in self.acts], ["noise", "image"]
            )
            low = min(0.0, data.start, data.activation)
            high = max(0.0, data.start, data.activation)
            pad = 0.1 * (high - low) or 1.0
            ax.set_ylim(low - (pad if low < 0 else 0), high + pad)
            ax.set_ylabel("mean activation", fontsize=9)


@dataclass(frozen=True)
class ActmaxSettings(Settings):
    """The layer, the unit (its range follows the layer), the regularisation and the steps."""

    layer: str = setting("class", "layer", choices=tuple(LAYERS))
    unit: int = setting(0, "unit", low=0, integer=True, continuous=False)
    regularisation: float = setting(
        1.0, "regularisation", low=0.0, high=3.0, step=0.25, fmt=".2f", continuous=False
    )
    steps: int = setting(100, low=1, high=1000, integer=True)


def _unit_counts(model: nn.Module) -> dict[str, int]:
    """Units per menu entry: 10 classes, and each conv layer's channels."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    n_units = {"class": 10}
    for name, index in LAYERS.items():
        if index >= 0:
            try:
                n_units[name] = model[index].out_channels
            except (TypeError, IndexError, AttributeError):
                raise ValueError(
                    f"model has no conv layer at index {index} ({name}): give a lenet()"
                ) from None
    return n_units


def _headline(data: ActmaxData, layer: str, unit: int) -> str:
    """The status line: a class's probability, or a filter's activation beside the noise's."""
    if layer == "class":
        return f"class {unit}: probability {data.probs[unit]:.2f} on this image"
    return f"{layer} filter {unit}: mean activation {data.activation:.2f} (noise {data.start:.2f})"


def _drawer(model: nn.Module, view: ActmaxView, n_units: dict[str, int], steps: int):
    """The explorer's ``draw``: a new (layer, regularisation) dims the picture first."""
    # One batched ascent gives every unit of a layer (0.2-0.5 s); then the unit slider is
    # instant, and so is going back. Rebuild the explorer after training the model further.
    kept: dict[tuple[str, float], list[ActmaxData]] = {}

    def finish(layer: str, unit: int, regularisation: float) -> str:
        if (layer, regularisation) not in kept:
            if len(kept) >= 16:
                del kept[next(iter(kept))]
            units = range(n_units[layer])
            kept[layer, regularisation] = actmax_view_data(
                model, layer, units, regularisation, steps
            )
        data = kept[layer, regularisation][unit]
        view.update(data, layer, unit)
        view.data = data
        return f"{_headline(data, layer, unit)} · {steps} steps"

    def draw(layer: str, unit: int, regularisation: float) -> Any:
        if (layer, regularisation) in kept:
            return finish(layer, unit, regularisation)
        view.pending(f"ascending {n_units[layer]} images at once ({layer})...")
        return lambda: finish(layer, unit, regularisation)

    return draw


def build_actmax_explorer(
    model: nn.Module, settings: ActmaxSettings | None = None, **overrides
) -> Explorer:
    """Pick a layer and a unit; see the image that excites it most (gradient ascent on pixels).

    Parameters
    ----------
    model : nn.Module
        A trained :func:`~dlhelpers.train.models.lenet` (conv1 is layer 0, conv2 layer 3).
    settings : ActmaxSettings, optional
        Or by name: ``layer`` ("class", "conv1" or "conv2"); ``unit``, a
        class 0..9, a conv1 filter 0..5 or a conv2 filter 0..15;
        ``regularisation``, 0 to 3, which scales jitter (2 px), blur (sigma
        0.5) and the L2 penalty (1e-3) together (0 is raw, noisy gradient
        ascent); ``steps``, Adam steps per picture, 1 to 1000.

    Returns
    -------
    Explorer
        ``controls`` holds ``"layer"``, ``"unit"`` and ``"regularisation"``;
        ``view.data`` is what was drawn.
    """
    n_units = _unit_counts(model)
    s = ActmaxSettings.resolve(settings, overrides)
    s = s.within(unit={"high": n_units[s.layer] - 1})
    controls = controls_from(s)

    def follow_layer(new: str) -> None:
        # max first: ipywidgets clamps the value into the new range
        controls["unit"].max = n_units[new] - 1

    fig = Figure(figsize=(5.2, 2.4), layout="constrained")
    view = ActmaxView(fig)

    draw = _drawer(model, view, n_units, s.steps)

    return Explorer(
        "ActmaxExplorer",
        controls,
        fig,
        draw,
        view=view,
        on_change={"layer": follow_layer},
        notices=s.notices,
    )
