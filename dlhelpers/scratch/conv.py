"""2-D convolution in plain NumPy, the twin of ``torch.nn.functional.conv2d`` (notebook 07).

Taught in ``07_convolutional_networks.ipynb``. A convolution is one matrix
product once every receptive field is laid out as a row ("im2col")::

    xp = pad(x)                                   # (N, C, H + 2p, W + 2p)
    win = sliding_window_view(xp, (dkH, dkW))     # (N, C, H', W', dkH, dkW), a view
    win = win[..., ::s, ::s, ::d, ::d]            # stride and dilation: still a view
    cols = win.transpose(0, 1, 4, 5, 2, 3)        # (N, C, kH, kW, Ho, Wo)
    cols = cols.reshape(N, C * kH * kW, Ho * Wo)  # the one copy: a column per output pixel
    y = weight.reshape(C_out, -1) @ cols          # (N, C_out, Ho * Wo) -> (N, C_out, Ho, Wo)

``dkH = d (kH - 1) + 1`` is the dilated kernel size. The backward pass is the
same product transposed: ``grad_weight = grad_y @ cols^T`` and the gradient of
``cols`` is added back onto the pixels it was copied from ("col2im"), one
kernel offset at a time. Layouts are torch's: NCHW images, ``weight`` of shape
(C_out, C_in, kH, kW); sizes are an ``int`` or a pair ``(height, width)``.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

__all__ = ["conv2d", "conv2d_backward", "conv2d_output_size"]


def _check_int(value, name: str, minimum: int) -> int:
    """``value`` if it is an int ``>= minimum``, else a ValueError naming it."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``value`` as ``(height, width)``: an int, or a pair of ints, each ``>= minimum``."""
    items = value if isinstance(value, (tuple, list)) else (value,) * 2
    if len(items) != 2 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items
    ):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(items) < minimum:
        kind = "at least 1" if minimum == 1 else "non-negative"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(items[0]), int(items[1])


def _as_float(x: ArrayLike) -> np.ndarray:
    # float32 stays float32 and float64 stays float64, as in Linear; the rest
    # (ints, bools, float16) is computed in float64
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def _batched(x: np.ndarray, who: str, what: str = "input") -> tuple[np.ndarray, bool]:
    """A (C, H, W) input as a batch of one; ``True`` if that was done."""
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{who} expected a 3-D (C, H, W) or 4-D (N, C, H, W) {what}, got shape {x.shape}"
        )
    return (x[None], True) if x.ndim == 3 else (x, False)


def conv2d_output_size(
    size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output length along one dimension: ``floor((size + 2p - d (k - 1) - 1) / s) + 1``.

    The formula of ``torch.nn.Conv2d``'s shape section (pooling is the same with
    ``d = 1``).

    Parameters
    ----------
    size, kernel_size, stride, padding, dilation : int
        The input's length, and the layer's settings along that dimension.

    Returns
    -------
    int
        Zero or less means the dilated kernel does not fit the padded input.

    Raises
    ------
    ValueError
        A size that is not an int, a stride, kernel or dilation below 1, or
        negative padding (or size).
    """
    _check_int(size, "size", 0)
    _check_int(kernel_size, "kernel_size", 1)
    _check_int(stride, "stride", 1)
    _check_int(padding, "padding", 0)
    _check_int(dilation, "dilation", 1)
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def _windows(xp: np.ndarray, kernel, stride, dilation, out) -> np.ndarray:
    """Every receptive field of the padded ``xp``: a view of shape (N, C, Ho, Wo, kH, kW)."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out
    win = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return win[:, :, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, ::dh, ::dw]


def _pad(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    (ph, pw), (n, c, h, w) = padding, x.shape
    if ph == pw == 0:
        return x
    xp = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)  # faster than np.pad
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


def _output_shape(spatial, kernel, stride, padding, dilation, who: str) -> tuple[int, int]:
    """(Ho, Wo), or a ValueError naming the padded size and the dilated kernel size."""
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding, strict=True))
    dilated = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
    if any(k > n for k, n in zip(dilated, padded, strict=True)):
        raise ValueError(
            f"{who}: padded input size per channel {padded[0]} x {padded[1]} is smaller than "
            f"the (dilated) kernel size {dilated[0]} x {dilated[1]}"
        )
    return tuple(
        conv2d_output_size(*args)
        for args in zip(spatial, kernel, stride, padding, dilation, strict=True)
    )


def _check_conv(x, weight, bias, stride, padding, dilation, who="conv2d"):
    """Validate and normalise conv2d's arguments (x already batched)."""
    if weight.ndim != 4:
        raise ValueError(
            f"{who} expected a 4-D weight (C_out, C_in, kH, kW), got shape {weight.shape}"
        )
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"{who}: weight of shape {weight.shape} expects input with {weight.shape[1]} "
            f"channels, got input of shape {x.shape} with {x.shape[1]} channels"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(
            f"{who}: bias must have shape ({weight.shape[0]},) for weight of shape "
            f"{weight.shape}, got shape {bias.shape}"
        )
    stride = _pair(stride, "stride", 1)
    padding = _pair(padding, "padding", 0)
    dilation = _pair(dilation, "dilation", 1)
    out = _output_shape(x.shape[2:], weight.shape[2:], stride, padding, dilation, who)
    return stride, padding, dilation, out


def _im2col(x, kernel, stride, padding, dilation, out) -> np.ndarray:
    """The receptive fields of each image as columns, shape (N, C * kH * kW, Ho * Wo)."""
    win = _windows(_pad(x, padding), kernel, stride, dilation, out)  # (N, C, Ho, Wo, kH, kW)
    # This order copies whole rows of Wo pixels at a time, and one product per
    # image stays small; a single (N * Ho * Wo, C * kH * kW) matrix was several
    # times slower for few channels (a slow copy, and a multi-threaded BLAS call
    # that loses on a freshly written operand).
    n, c = x.shape[:2]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], -1)


def conv2d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride=1,
    padding=0,
    dilation=1,
) -> np.ndarray:
    """2-D cross-correlation of a batch of images. Twin of ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    input : array_like of shape (N, C_in, H, W) or (C_in, H, W)
    weight : array_like of shape (C_out, C_in, kH, kW)
    bias : array_like of shape (C_out,), optional
    stride, padding, dilation : int or pair of ints
        Step between receptive fields, zeros added on each side, and the
        spacing of the kernel's taps; ``(height, width)`` for a pair.

    Returns
    -------
    ndarray of shape (N, C_out, Ho, Wo), or (C_out, Ho, Wo) for an unbatched input
        ``Ho = conv2d_output_size(H, kH, stride, padding, dilation)``, likewise ``Wo``.
        float32 if input and weight are float32, otherwise float64.

    Raises
    ------
    ValueError
        Wrong number of dimensions, channels that do not match ``weight``,
        a bias of the wrong shape, a bad stride, padding or dilation, or a
        dilated kernel larger than the padded input.
    """
    x, unbatched = _batched(_as_float(input), "conv2d")
    w = _as_float(weight)
    b = None if bias is None else _as_float(bias)
    stride, padding, dilation, out = _check_conv(x, w, b, stride, padding, dilation)
    cols = _im2col(x, w.shape[2:], stride, padding, dilation, out)  # (N, C*kH*kW, Ho*Wo)
    y = w.reshape(w.shape[0], -1) @ cols  # (N, C_out, Ho*Wo)
    if b is not None:
        y += b[:, None]
    y = y.reshape(x.shape[0], -1, *out)  # (N, C_out, Ho, Wo)
    return y[0] if unbatched else y


def _col2im(grad_win: np.ndarray, shape, kernel, stride, padding, dilation) -> np.ndarray:
    """Add window gradients (N, C, Ho, Wo, kH, kW) back onto an input of ``shape``.

    One slice-add per kernel offset; overlapping windows add up, as they must.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    ho, wo = grad_win.shape[2:4]
    n, c, h, w = shape
    gxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad_win.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            gxp[:, :, top : top + sh * (ho - 1) + 1 : sh, left : left + sw * (wo - 1) + 1 : sw] += (
                grad_win[:, :, :, :, i, j]
            )
    return np.ascontiguousarray(gxp[:, :, ph : ph + h, pw : pw + w])


def conv2d_backward(
    grad_output: ArrayLike,
    input: ArrayLike,
    weight: ArrayLike,
    stride=1,
    padding=0,
    dilation=1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d` with respect to its input, weight and bias.

    What torch's autograd computes for ``torch.nn.functional.conv2d``.

    Parameters
    ----------
    grad_output : array_like of shape (N, C_out, Ho, Wo), or (C_out, Ho, Wo)
        ``dL/dy`` for ``y = conv2d(input, weight, bias, stride, padding, dilation)``.
    input : array_like of shape (N, C_in, H, W), or (C_in, H, W)
    weight : array_like of shape (C_out, C_in, kH, kW)
    stride, padding, dilation : int or pair of ints
        As in the forward call.

    Returns
    -------
    grad_input : ndarray of input's shape
    grad_weight : ndarray of shape (C_out, C_in, kH, kW)
    grad_bias : ndarray of shape (C_out,)
        Whether or not the forward call had a bias.
    """
    x, unbatched = _batched(_as_float(input), "conv2d_backward")
    w = _as_float(weight)
    stride, padding, dilation, out = _check_conv(
        x, w, None, stride, padding, dilation, "conv2d_backward"
    )
    g = _as_float(grad_output)
    expected = (w.shape[0], *out) if unbatched else (x.shape[0], w.shape[0], *out)
    if g.shape != expected:
        raise ValueError(
            f"conv2d_backward expected grad_output of shape {expected} for input of shape "
            f"{np.shape(input)} and weight of shape {w.shape}, got shape {g.shape}"
        )
    g = g.reshape(x.shape[0], w.shape[0], *out)
    n, c_out = g.shape[:2]
    kernel = w.shape[2:]
    cols = _im2col(x, kernel, stride, padding, dilation, out)  # (N, C*kH*kW, Ho*Wo)
    g3 = g.reshape(n, c_out, -1)  # (N, C_out, Ho*Wo)
    grad_weight = (g3 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)  # (C_out, C, kH, kW)
    grad_bias = g3.sum(axis=(0, 2))  # (C_out,)
    grad_cols = w.reshape(c_out, -1).T @ g3  # (N, C*kH*kW, Ho*Wo)
    grad_win = grad_cols.reshape(n, x.shape[1], *kernel, *out).transpose(0, 1, 4, 5, 2, 3)
    grad_input = _col2im(grad_win, x.shape, kernel, stride, padding, dilation)
    return (grad_input[0] if unbatched else grad_input), grad_weight, grad_bias
