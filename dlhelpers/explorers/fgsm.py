"""The FGSM explorer (notebook 12): push a digit along the gradient's sign, watch the prediction flip.

Pure part: :func:`~dlhelpers.train.adversarial.fgsm` and :func:`fgsm_view_data` (the
perturbation and both predictions). View: :class:`FgsmView`, four panels updated in
place (image, sign of the gradient in RdBu, adversarial image, probabilities before and
after). Builder: :func:`build_fgsm_explorer`, an eps slider and an image slider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from dlhelpers.explorers.base import Explorer
from dlhelpers.explorers.settings import Settings, controls_from, setting
from dlhelpers.train.adversarial import fgsm
from dlhelpers.validate import check_finite_array

__all__ = ["FgsmSettings", "FgsmView", "build_fgsm_explorer", "fgsm_view_data"]


class FgsmData(NamedTuple):
    image: np.ndarray  # (28, 28)
    sign: np.ndarray  # (28, 28), -1, 0 or 1
    adversarial: np.ndarray  # (28, 28)
    before: np.ndarray  # (n_classes,) probabilities
    after: np.ndarray  # (n_classes,)


def fgsm_view_data(model: nn.Module, image: np.ndarray, label: int, eps: float) -> FgsmData:
    """The FGSM image of one ``image`` of shape (28, 28) and the probabilities before and after."""
    x = torch.as_tensor(image, dtype=torch.float32)[None, None]  # (1, 1, 28, 28)
    y = torch.as_tensor([label])
    adv = fgsm(model, x, y, eps)
    was_training = model.training
    model.eval()
    probe = x.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(probe), y)
    sign = torch.autograd.grad(loss, probe)[0].sign()  # grads of the weights are not taken
    with torch.no_grad():
        probs = torch.softmax(model(torch.cat([x, adv])), dim=1).numpy()  # (2, n_classes)
    model.train(was_training)
    return FgsmData(image, sign[0, 0].numpy(), adv[0, 0].numpy(), probs[0], probs[1])


class FgsmView:
    """Four panels; :meth:`update` changes their data in place."""

    def __init__(self, fig: Figure, n_classes: int = 10):
        axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.6]})
        blank = np.zeros((28, 28))
        self.input = axes[0].imshow(blank, cmap="gray_r", vmin=0, vmax=1)
        self.sign = axes[1].imshow(blank, cmap="RdBu", vmin=-1, vmax=1)
        self.adversarial = axes[2].imshow(blank, cmap="gray_r", vmin=0, vmax=1)
        self.titles = [
            ax.set_title(t, fontsize=9)
            for ax, t in zip(
                axes[:3], ["image", "sign of the gradient", "adversarial"], strict=True
            )
        ]
        for ax in axes[:3]:
            ax.set_axis_off()
        x = np.arange(n_classes)
        self.bars_before = axes[3].bar(
            x - 0.2, np.zeros(n_classes), 0.4, label="before", color="tab:blue"
        )
        self.bars_after = axes[3].bar(
            x + 0.2, np.zeros(n_classes), 0.4, label="after", color="tab:red"
        )
        axes[3].set_xticks(x)
        axes[3].set_ylim(0, 1)
        axes[3].set_ylabel("probability", fontsize=9)
        axes[3].legend(fontsize=8, loc="upper right")
        self.axes = axes

    def update(self, data: FgsmData, eps: float) -> None:
        self.input.set_data(data.image)
        self.sign.set_data(data.sign)
        self.adversarial.set_data(data.adversarial)
        self.titles[2].set_text(f"adversarial, eps {eps:.2f}")
        for bar, p in zip(self.bars_before, data.before, strict=True):
            bar.set_height(p)
        for bar, p in zip(self.bars_after, data.after, strict=True):
            bar.set_height(p)


@dataclass(frozen=True)
class FgsmSettings(Settings):
    """The FGSM step ``eps`` and which image (``index`` runs over the images given)."""

    eps: float = setting(0.1, "eps", low=0.0, high=0.3, step=0.01, fmt=".2f")
    index: int = setting(0, "image", low=0, integer=True)


def _check_data(model, images, labels) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    images = check_finite_array("images", images)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise ValueError(f"images must have shape (N, 28, 28), not {images.shape}")
    if images.min() < 0 or images.max() > 1:
        raise ValueError("images must hold pixels in [0, 1] (scale uint8 images by 1/255)")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {len(images)} integer labels, not shape {labels.shape}")
    return images, labels


def build_fgsm_explorer(
    model: nn.Module, images, labels, settings: FgsmSettings | None = None, **overrides
) -> Explorer:
    """Slide eps and pick a test image; see the FGSM perturbation and the prediction change.

    Parameters
    ----------
    model : nn.Module
        A trained digit classifier (e.g. :func:`~dlhelpers.train.models.lenet`).
    images : array_like of shape (N, 28, 28) or (N, 1, 28, 28)
        Pixels in [0, 1].
    labels : array_like of shape (N,), int
        True labels (FGSM climbs their loss).
    settings : FgsmSettings, optional
        Or by name: ``eps`` (0 to 0.3) and ``index`` (the starting image).

    Returns
    -------
    Explorer
        ``controls`` holds ``"eps"`` and ``"index"``; ``view.adversarial.get_array()``
        is the adversarial image on show and ``view.data`` what was drawn.
    """
    images, labels = _check_data(model, images, labels)
    s = FgsmSettings.resolve(settings, overrides).within(index={"high": len(images) - 1})
    fig = Figure(figsize=(8.4, 2.3), layout="constrained")
    view = FgsmView(fig)

    def draw(eps: float, index: int) -> str:
        data = fgsm_view_data(model, images[index], int(labels[index]), eps)
        view.update(data, eps)
        view.data = data
        b, a = int(data.before.argmax()), int(data.after.argmax())
        return (
            f"eps {eps:.2f}: predicted {b} ({data.before[b]:.2f}) -> {a} ({data.after[a]:.2f})"
            f" · true label {int(labels[index])}"
        )

    return Explorer("FgsmExplorer", controls_from(s), fig, draw, view=view, notices=s.notices)
