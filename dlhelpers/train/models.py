"""The course's standard torch models, built where they are taught and reused later.

- :func:`primer_mlp`: the primer's Keras network (notebook 05), 784-64-32-10;
- :func:`lenet`: a LeNet-5-style CNN for 28x28 digits (notebook 07);
- :class:`ResidualBlock`: batch normalisation and a skip connection, the unit
  a ResNet stacks (notebook 07).
"""

from __future__ import annotations

import torch
from torch import nn

from dlhelpers.validate import check_positive_int

__all__ = ["ResidualBlock", "lenet", "primer_mlp"]


def primer_mlp() -> nn.Sequential:
    """The primer's network: Dense(64, relu) -> Dense(32, relu) -> Dense(10), 52,650 parameters.

    Takes images of shape (N, 1, 28, 28) or (N, 28, 28) or rows (N, 784):
    the first layer flattens them.
    """
    return nn.Sequential(
        nn.Flatten(),  # (N, 784)
        nn.Linear(784, 64),
        nn.ReLU(),
        nn.Linear(64, 32),
        nn.ReLU(),
        nn.Linear(32, 10),  # logits; the softmax is inside the loss
    )


def lenet() -> nn.Sequential:
    """LeNet-5 (LeCun et al., 1998) with ReLU and max-pooling, for (N, 1, 28, 28) digits."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),  # (N, 6, 28, 28)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 6, 14, 14)
        nn.Conv2d(6, 16, kernel_size=5),  # (N, 16, 10, 10)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 5, 5)
        nn.Flatten(),  # (N, 400)
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),  # logits
    )


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN, plus the block's input, then ReLU (He et al., 2016).

    Both convolutions are 3x3 with padding 1 and no bias (the batch norm after
    each adds its own shift), so the block keeps the shape (N, C, H, W) and
    the input can be added to its output.

    Parameters
    ----------
    channels : int
        C, in and out.
    """

    def __init__(self, channels: int):
        super().__init__()
        channels = check_positive_int("channels", channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))  # (N, C, H, W)
        out = self.bn2(self.conv2(out))  # what the block adds to its input
        return torch.relu(x + out)  # the skip connection
