"""Convolution and pooling layers in plain NumPy, mirroring ``torch.nn`` (notebook 07).

Taught in ``07_convolutional_networks.ipynb``; the arithmetic lives in
:mod:`dlhelpers.scratch.conv` (im2col) and :mod:`dlhelpers.scratch.pool`.
Parameter names and layouts are torch's, so a torch LeNet's ``state_dict``
loads one-to-one::

    model = Sequential(
        Conv2d(1, 6, 5, padding=2), ReLU(), MaxPool2d(2),  # (N, 6, 14, 14)
        Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),            # (N, 16, 5, 5)
        Flatten(), Linear(400, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10),
    )
    model.load_state_dict(torch_lenet.state_dict())
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.conv import _as_float, _check_int, _pair, conv2d, conv2d_backward
from dlhelpers.scratch.module import Module, Parameter, _cached, _check_grad_shape
from dlhelpers.scratch.pool import (
    _check_pool,
    _max_pool,
    _max_scatter,
    _pool_settings,
    avg_pool2d,
    avg_pool2d_backward,
)

__all__ = ["AvgPool2d", "Conv2d", "MaxPool2d"]


class Conv2d(Module):
    """2-D convolution (cross-correlation) over NCHW images. Twin of ``torch.nn.Conv2d``.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or pair of ints
    stride, padding, dilation : int or pair of ints
        As in :func:`dlhelpers.scratch.conv.conv2d` (zero padding).
    bias : bool
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator.
    dtype : numpy dtype, default float64

    Attributes
    ----------
    weight : Parameter of shape (out_channels, in_channels, kH, kW)
    bias : Parameter of shape (out_channels,), or None
        Both start uniform in ``(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
        ``fan_in = in_channels * kH * kW``, torch's default initialisation.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        self.in_channels = _check_int(in_channels, "in_channels", 1)
        self.out_channels = _check_int(out_channels, "out_channels", 1)
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.dilation = _pair(dilation, "dilation", 1)
        sampler = np.random if rng is None else rng
        bound = 1 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(sampler.uniform(-bound, bound, shape).astype(dtype))
        self.bias = (
            Parameter(sampler.uniform(-bound, bound, self.out_channels).astype(dtype))
            if bias
            else None
        )
        self._x: np.ndarray | None = None

    def _settings(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation)

    def forward(self, x: ArrayLike) -> np.ndarray:
        """The convolution, remembering ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like of shape (N, in_channels, H, W) or (in_channels, H, W)

        Returns
        -------
        ndarray of shape (N, out_channels, Ho, Wo), or (out_channels, Ho, Wo)
            ``Ho = conv2d_output_size(H, kH, stride, padding, dilation)``, likewise ``Wo``.
        """
        x = _as_float(x)
        bias = None if self.bias is None else self.bias.data
        y = conv2d(x, self.weight.data, bias, **self._settings())
        self._x, self._y_shape = x, y.shape
        return y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Accumulate ``weight.grad`` and ``bias.grad``; return ``dL/dx``.

        Parameters
        ----------
        grad_output : array_like of the last output's shape, (N, out_channels, Ho, Wo)

        Returns
        -------
        ndarray of the last input's shape, (N, in_channels, H, W)
        """
        x = _cached(self, "_x")
        g = _check_grad_shape(self, grad_output, self._y_shape)
        gx, gw, gb = conv2d_backward(g, x, self.weight.data, **self._settings())
        self.weight.accumulate(gw)
        if self.bias is not None:
            self.bias.accumulate(gb)
        return gx

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        return text + (", bias=False" if self.bias is None else "")


class _Pool2d(Module):
    """What both pools share: the settings, checked at once, and ``extra_repr``."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        _pool_settings(kernel_size, stride, padding, type(self).__name__)
        self._x: np.ndarray | None = None

    def extra_repr(self) -> str:
        stride = self.kernel_size if self.stride is None else self.stride
        return f"kernel_size={self.kernel_size}, stride={stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over each window. Twin of ``torch.nn.MaxPool2d``.

    Parameters
    ----------
    kernel_size : int or pair of ints
    stride : int or pair of ints, optional
        Defaults to ``kernel_size``.
    padding : int or pair of ints
        ``-inf`` on each side, at most half of ``kernel_size``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, C, H, W) or (C, H, W) -> ndarray (N, C, Ho, Wo) or (C, Ho, Wo)."""
        x, unbatched, *settings, out = _check_pool(
            x, self.kernel_size, self.stride, self.padding, "MaxPool2d"
        )
        y, arg = _max_pool(x, *settings, out)  # arg: in-window offset of each maximum
        y = y[0] if unbatched else y
        self._x, self._arg, self._settings, self._y_shape = x, arg, settings, y.shape
        return y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of the last output's shape -> ``dL/dx``, the input's shape."""
        x = _cached(self, "_x")
        g = _check_grad_shape(self, grad_output, self._y_shape).reshape(self._arg.shape)
        gx = _max_scatter(g, self._arg, x.shape, *self._settings)
        return gx.reshape(self._y_shape[:-2] + x.shape[2:])


class AvgPool2d(_Pool2d):
    """Mean over each window, zero padding counted. Twin of ``torch.nn.AvgPool2d``.

    Parameters
    ----------
    kernel_size : int or pair of ints
    stride : int or pair of ints, optional
        Defaults to ``kernel_size``.
    padding : int or pair of ints
        Zeros on each side, counted in the mean; at most half of ``kernel_size``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, C, H, W) or (C, H, W) -> ndarray (N, C, Ho, Wo) or (C, Ho, Wo)."""
        self._x = _as_float(x)
        y = avg_pool2d(self._x, self.kernel_size, self.stride, self.padding)
        self._y_shape = y.shape
        return y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of the last output's shape -> ``dL/dx``, the input's shape."""
        x = _cached(self, "_x")
        g = _check_grad_shape(self, grad_output, self._y_shape)
        return avg_pool2d_backward(g, x, self.kernel_size, self.stride, self.padding)
