"""The playground's settings (notebook 06): one dataclass for defaults, controls and checks.

:class:`PlaygroundSettings` lists every setting once; its fields drive the
widget's controls (:func:`dlhelpers.explorers.playground.build_playground`),
the defaults, the validation and :meth:`PlaygroundModel.configure
<dlhelpers.explorers.playground_model.PlaygroundModel.configure>`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from torch import nn

__all__ = [
    "ACTIVATION_LAYERS",
    "LEARNING_RATES",
    "PLAYGROUND_DATASETS",
    "PlaygroundSettings",
    "REGULARIZATION_RATES",
]

PLAYGROUND_DATASETS = ("circle", "xor", "gaussians", "spiral", "moons")
ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "linear": nn.Identity}
# Playground's own menus.
LEARNING_RATES = (1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def _control(label: str, *, rebuild: bool, **spec: Any) -> dict:
    # spec: choices=... (a menu) or low/high/step[/integer/fmt] (a slider).
    return {"label": label, "rebuild": rebuild, **spec}


@dataclass(frozen=True)
class PlaygroundSettings:
    """Every setting of the playground: its default, its control, whether it restarts training.

    Each field's ``metadata`` says how the widget shows it (``label``, and
    ``choices`` for a menu or ``low``/``high``/``step`` for a slider) and
    whether changing it rebuilds the data and the network (``rebuild``);
    the learning rate, L2 and batch size apply from the next step.
    :meth:`validate` raises ``ValueError`` in one line for a bad value.
    """

    dataset: str = field(
        default="circle",
        metadata=_control("data set", rebuild=True, choices=PLAYGROUND_DATASETS, menu=True),
    )
    noise: float = field(
        default=0.05,
        metadata=_control("noise", rebuild=True, low=0.0, high=0.5, step=0.05, fmt=".2f"),
    )
    train_fraction: float = field(
        default=0.5,
        metadata=_control("train share", rebuild=True, low=0.1, high=0.9, step=0.1, fmt=".0%"),
    )
    hidden_layers: int = field(
        default=2, metadata=_control("hidden layers", rebuild=True, low=0, high=4, integer=True)
    )
    width: int = field(
        default=4, metadata=_control("width", rebuild=True, low=1, high=16, integer=True)
    )
    activation: str = field(
        default="tanh",
        metadata=_control("activation", rebuild=True, choices=tuple(ACTIVATION_LAYERS), menu=True),
    )
    learning_rate: float = field(
        default=0.03, metadata=_control("learning rate", rebuild=False, choices=LEARNING_RATES)
    )
    l2: float = field(
        default=0.0, metadata=_control("L2", rebuild=False, choices=REGULARIZATION_RATES)
    )
    batch_size: int = field(
        default=10, metadata=_control("batch size", rebuild=False, low=1, high=30, integer=True)
    )

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validate(self) -> PlaygroundSettings:
        """Raise ``ValueError`` naming the first bad setting; return self if all are good.

        The model takes any data set name of :func:`make_dataset` and any
        positive learning rate; the widget's menus are stricter.
        """
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "str":
                if not isinstance(value, str):
                    raise ValueError(f"{f.name}={value!r} is not a name")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{f.name}={value!r} is not a number")
            if not math.isfinite(value):
                raise ValueError(f"{f.name}={value} is not a number; give a finite value")
            if f.type == "int" and value != int(value):
                raise ValueError(f"{f.name}={value} is not a whole number")
        if self.activation not in ACTIVATION_LAYERS:
            raise ValueError(
                f"activation={self.activation!r} is not one of the choices: "
                f"{', '.join(ACTIVATION_LAYERS)}"
            )
        checks = [
            ("noise", self.noise >= 0, "at least 0"),
            ("train_fraction", 0 < self.train_fraction < 1, "between 0 and 1"),
            ("hidden_layers", self.hidden_layers >= 0, "at least 0"),
            ("width", self.width >= 1, "at least 1"),
            ("learning_rate", self.learning_rate > 0, "above 0"),
            ("l2", self.l2 >= 0, "at least 0"),
            ("batch_size", self.batch_size >= 1, "at least 1"),
        ]
        for name, ok, what in checks:
            if not ok:
                raise ValueError(f"{name}={getattr(self, name)!r} must be {what}")
        return self

    @classmethod
    def rebuilding(cls) -> tuple[str, ...]:
        """The settings whose change rebuilds the data and the network."""
        return tuple(f.name for f in fields(cls) if f.metadata["rebuild"])
