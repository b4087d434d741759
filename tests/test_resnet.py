"""The residual block of notebook 07: batch norm in train and eval mode, and the skip connection."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.train import ResidualBlock  # noqa: E402


def test_block_keeps_the_shape_and_adds_its_input():
    torch.manual_seed(0)
    block = ResidualBlock(4)
    x = torch.rand(3, 4, 6, 5)  # (N, C, H, W), non-negative like a ReLU's output
    assert block(x).shape == x.shape
    with torch.no_grad():
        residual = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
        np.testing.assert_allclose(block(x), torch.relu(x + residual), atol=1e-6)
        block.bn2.weight.zero_()  # the block adds nothing: it passes its input through
        np.testing.assert_allclose(block(x), x, atol=1e-6)


def test_batch_norm_uses_batch_statistics_in_train_mode_running_ones_in_eval_mode():
    torch.manual_seed(0)
    block = ResidualBlock(2)
    x = 3 + 2 * torch.randn(8, 2, 5, 5)
    with torch.no_grad():
        block.train()(x)
        bn = block.bn1
        mean = block.conv1(x).mean(dim=(0, 2, 3))
        np.testing.assert_allclose(bn.running_mean, 0.1 * mean, rtol=1e-5)  # momentum 0.1 from 0
        one = x[:1]
        alone, in_batch = block.train()(one), block(x)[:1]
        assert (
            alone - in_batch
        ).abs().max() > 1e-3  # train mode: the batch changes an image's output
        block.eval()
        np.testing.assert_allclose(block(one), block(x)[:1], atol=1e-6)  # eval mode: it does not


@pytest.mark.parametrize("bad", [0, -1, 2.5, "8"])
def test_bad_channels_are_named(bad):
    with pytest.raises(ValueError, match="channels="):
        ResidualBlock(bad)
