"""A model held still while we differentiate with respect to its *input* (notebook 12).

Attribution, adversarial examples and activation maximisation all need
``d output / d input`` and nothing else: :func:`frozen` switches the
parameters' ``requires_grad`` off (so no ``.grad`` is left on the weights)
and, by default, puts the model in eval mode, then restores both exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn

__all__ = ["frozen"]


@contextmanager
def frozen(model: nn.Module, *, eval_mode: bool = True) -> Iterator[nn.Module]:
    """Parameters frozen (and eval mode, unless ``eval_mode=False``); everything as it was after."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"frozen needs a torch.nn.Module, not {type(model).__name__}")
    was_training = model.training
    needs = [p.requires_grad for p in model.parameters()]
    if eval_mode:
        model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in zip(model.parameters(), needs, strict=True):
            p.requires_grad_(flag)
        model.train(was_training)
