"""Convolution and pooling in plain NumPy: the functions and the layers (notebook 07).

Taught in ``07_convolutional_networks.ipynb``. Twins of
``torch.nn.functional.conv2d``, ``unfold`` (:func:`im2col`), ``max_pool2d``, ``avg_pool2d`` and of the
layers ``torch.nn.Conv2d``, ``MaxPool2d`` and ``AvgPool2d``; one module
because the three share one idea (a window slid over NCHW images), one
padding, one output-size rule and one scatter of gradients back onto the
pixels each window read.

**Convolution** is one matrix product once every receptive field is laid out
as a column ("im2col")::

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

**Pooling** never mixes channels, so instead of laying out every window the
code walks the ``kH * kW`` offsets inside the window, each one a strided
slice of the whole batch::

    tap = xp[:, :, i : i + s * (Ho - 1) + 1 : s, j : ...]  # (N, C, Ho, Wo), offset (i, j)
    y = max over the taps  (or their mean)                # (N, C, Ho, Wo)

Max pooling pads with ``-inf`` and sends each gradient to the first maximum
of its window (row by row, as torch's CPU kernel scans it); average pooling
pads with zeros and always divides by ``kH * kW`` (torch's default
``count_include_pad=True``). ``ceil_mode`` and dilation are not offered.

**The layers** keep torch's parameter names and layouts, so a torch LeNet's
``state_dict`` loads one-to-one::

    model = Sequential(
        Conv2d(1, 6, 5, padding=2), ReLU(), MaxPool2d(2),  # (N, 6, 14, 14)
        Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),            # (N, 16, 5, 5)
        Flatten(), Linear(400, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10),
    )
    model.load_state_dict(torch_lenet.state_dict())

An empty batch (N = 0) gives an empty output, as in torch.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from dlhelpers.scratch.layers import Module, Parameter, as_float
from dlhelpers.validate import check_int, check_positive_int

__all__ = [
    "AvgPool2d",
    "Conv2d",
    "MaxPool2d",
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv2d",
    "conv2d_backward",
    "conv2d_output_size",
    "im2col",
    "max_pool2d",
    "max_pool2d_backward",
    "receptive_field",
]


def _pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``value`` as ``(height, width)``: a whole number, or a pair of them, each ``>= minimum``."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return tuple(check_int(f"{name}[{i}]", v, low=minimum) for i, v in enumerate(value))
    value = check_int(name, value, low=minimum)
    return value, value


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
    size = check_int("size", size, low=0)
    kernel_size = check_int("kernel_size", kernel_size, low=1)
    stride = check_int("stride", stride, low=1)
    padding = check_int("padding", padding, low=0)
    dilation = check_int("dilation", dilation, low=1)
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def receptive_field(layers) -> int:
    """Width, in input pixels, of what one unit of the last layer sees.

    Walks the layers from the input with the field ``r`` and the jump ``j``
    (input pixels between neighbouring units), from ``r = j = 1``: each layer
    adds ``(k - 1) * j``, then multiplies ``j`` by its stride. Padding does not
    change the width (only where the field sits).

    Parameters
    ----------
    layers : sequence of (kernel_size, stride) pairs of ints, input first
        Convolutions and pools alike.

    Returns
    -------
    int
    """
    field, jump = 1, 1
    for i, layer in enumerate(layers):
        if not isinstance(layer, tuple | list) or len(layer) != 2:
            raise ValueError(f"layers[{i}] must be a (kernel_size, stride) pair, got {layer!r}")
        k = check_int(f"layers[{i}] kernel_size", layer[0], low=1)
        s = check_int(f"layers[{i}] stride", layer[1], low=1)
        field, jump = field + (k - 1) * jump, jump * s
    return field


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
    # sizes spelled out, not -1: an empty batch (N = 0) cannot infer them
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], out[0] * out[1])


def im2col(input: ArrayLike, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Every receptive field as a column. Twin of ``torch.nn.functional.unfold``.

    Column ``l`` holds the window of output pixel ``l`` (row by row), read
    channel by channel, then kernel row by kernel row, the order of
    ``weight.reshape(C_out, -1)``, so that :func:`conv2d` is one product:
    ``weight.reshape(C_out, -1) @ im2col(x, (kH, kW), ...)`` of shape
    (N, C_out, Ho * Wo).

    Parameters
    ----------
    input : array_like of shape (N, C, H, W)
    kernel_size, stride, padding, dilation : int or pair of ints
        As in :func:`conv2d`.

    Returns
    -------
    ndarray of shape (N, C * kH * kW, Ho * Wo)
        ``Ho = conv2d_output_size(H, kH, stride, padding, dilation)``, likewise ``Wo``.

    Raises
    ------
    ValueError
        An input that is not 4-D, bad sizes, or a dilated kernel larger than
        the padded input.
    """
    x = as_float(input)
    if x.ndim != 4:
        raise ValueError(f"im2col expected a 4-D (N, C, H, W) input, got shape {x.shape}")
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    dilation = _pair(dilation, "dilation", 1)
    out = _output_shape(x.shape[2:], kernel, stride, padding, dilation, "im2col")
    return np.ascontiguousarray(_im2col(x, kernel, stride, padding, dilation, out))


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
    x, unbatched = _batched(as_float(input), "conv2d")
    w = as_float(weight)
    b = None if bias is None else as_float(bias)
    stride, padding, dilation, out = _check_conv(x, w, b, stride, padding, dilation)
    cols = _im2col(x, w.shape[2:], stride, padding, dilation, out)  # (N, C*kH*kW, Ho*Wo)
    y = w.reshape(w.shape[0], -1) @ cols  # (N, C_out, Ho*Wo)
    if b is not None:
        y += b[:, None]
    y = y.reshape(x.shape[0], w.shape[0], *out)  # (N, C_out, Ho, Wo)
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
    x, unbatched = _batched(as_float(input), "conv2d_backward")
    w = as_float(weight)
    stride, padding, dilation, out = _check_conv(
        x, w, None, stride, padding, dilation, "conv2d_backward"
    )
    g = as_float(grad_output)
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
    g3 = g.reshape(n, c_out, out[0] * out[1])  # (N, C_out, Ho*Wo)
    grad_weight = (g3 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)  # (C_out, C, kH, kW)
    grad_bias = g3.sum(axis=(0, 2))  # (C_out,)
    grad_cols = w.reshape(c_out, -1).T @ g3  # (N, C*kH*kW, Ho*Wo)
    grad_win = grad_cols.reshape(n, x.shape[1], *kernel, *out).transpose(0, 1, 4, 5, 2, 3)
    grad_input = _col2im(grad_win, x.shape, kernel, stride, padding, dilation)
    return (grad_input[0] if unbatched else grad_input), grad_weight, grad_bias


def _pool_settings(kernel_size, stride, padding, who: str):
    """``(kernel, stride, padding)`` as pairs, or a ValueError (torch's limits)."""
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    padding = _pair(padding, "padding", 0)
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(
            f"{who}: padding should be at most half of the kernel size, got "
            f"padding={padding} for kernel_size={kernel}"
        )
    return kernel, stride, padding


def _check_pool(x, kernel_size, stride, padding, who: str):
    """Batched input, unbatched flag, kernel, stride, padding and (Ho, Wo), or a ValueError."""
    x, unbatched = _batched(as_float(x), who)
    kernel, stride, padding = _pool_settings(kernel_size, stride, padding, who)
    out = _output_shape(x.shape[2:], kernel, stride, padding, (1, 1), who)
    return x, unbatched, kernel, stride, padding, out


def _taps(xp: np.ndarray, kernel, stride, out):
    """``(index, slice)`` for each offset in the window, row by row: (N, C, Ho, Wo) views."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out
    for i in range(kh):
        for j in range(kw):
            rows, cols = slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw)
            yield i * kw + j, (..., rows, cols)


def _max_pool(x, kernel, stride, padding, out):
    """Maxima (N, C, Ho, Wo) and the flat in-window offset of each, first maximum wins."""
    xp = _pad(x, padding, -np.inf)
    best, arg = None, np.zeros((x.shape[0], x.shape[1], *out), dtype=np.intp)
    for k, where in _taps(xp, kernel, stride, out):
        tap = xp[where]
        if best is None:
            best = tap.copy()
            continue
        # torch's test, `val > max || isnan(val)`: a NaN wins and propagates
        better = (tap > best) | np.isnan(tap)
        np.copyto(best, tap, where=better)
        np.copyto(arg, k, where=better)
    return best, arg


def _scatter(g: np.ndarray, shape, kernel, stride, padding, share) -> np.ndarray:
    """Add ``share(k)``, of g's shape (N, C, Ho, Wo), onto tap ``k``'s pixels; crop the padding."""
    (ph, pw), (n, c, h, w) = padding, shape
    gxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=g.dtype)
    for k, where in _taps(gxp, kernel, stride, g.shape[2:]):
        gxp[where] += share(k)
    return np.ascontiguousarray(gxp[:, :, ph : ph + h, pw : pw + w])


def _max_scatter(g, arg, shape, kernel, stride, padding) -> np.ndarray:
    """Each window's gradient onto its maximum, ``arg`` being the in-window offset."""
    return _scatter(g, shape, kernel, stride, padding, lambda k: np.where(arg == k, g, 0))


def _grad(grad_output, unbatched, x, out, who) -> np.ndarray:
    g = as_float(grad_output)
    expected = (*x.shape[1:2], *out) if unbatched else (*x.shape[:2], *out)
    if g.shape != expected:
        raise ValueError(
            f"{who} expected grad_output of shape {expected} for input of shape "
            f"{x.shape[1:] if unbatched else x.shape}, got shape {g.shape}"
        )
    return g.reshape(x.shape[0], x.shape[1], *out)


def max_pool2d(input: ArrayLike, kernel_size, stride=None, padding: int = 0) -> np.ndarray:
    """Maximum over each window. Twin of ``torch.nn.functional.max_pool2d``.

    Parameters
    ----------
    input : array_like of shape (N, C, H, W) or (C, H, W)
    kernel_size : int or pair of ints
    stride : int or pair of ints, optional
        Defaults to ``kernel_size`` (non-overlapping windows), as in torch.
    padding : int or pair of ints
        ``-inf`` added on each side; at most half of ``kernel_size``, as torch requires.

    Returns
    -------
    ndarray of shape (N, C, Ho, Wo), or (C, Ho, Wo) for an unbatched input
        ``Ho = conv2d_output_size(H, kH, stride, padding)``, likewise ``Wo``.

    Raises
    ------
    ValueError
        Wrong number of dimensions, bad sizes, padding over half the kernel,
        or a kernel larger than the padded input.
    """
    x, unbatched, kernel, stride, padding, out = _check_pool(
        input, kernel_size, stride, padding, "max_pool2d"
    )
    y, _ = _max_pool(x, kernel, stride, padding, out)
    return y[0] if unbatched else y


def max_pool2d_backward(
    grad_output: ArrayLike, input: ArrayLike, kernel_size, stride=None, padding: int = 0
) -> np.ndarray:
    """Gradient of :func:`max_pool2d` with respect to its input (what torch's autograd gives).

    Each window's gradient goes to its maximum (the first one, row by row,
    on a tie); overlapping windows add up.

    Parameters
    ----------
    grad_output : array_like of shape (N, C, Ho, Wo), or (C, Ho, Wo)
    input : array_like of shape (N, C, H, W), or (C, H, W)
    kernel_size, stride, padding
        As in the forward call.

    Returns
    -------
    ndarray of input's shape
    """
    x, unbatched, kernel, stride, padding, out = _check_pool(
        input, kernel_size, stride, padding, "max_pool2d_backward"
    )
    g = _grad(grad_output, unbatched, x, out, "max_pool2d_backward")
    _, arg = _max_pool(x, kernel, stride, padding, out)
    gx = _max_scatter(g, arg, x.shape, kernel, stride, padding)
    return gx[0] if unbatched else gx


def avg_pool2d(input: ArrayLike, kernel_size, stride=None, padding: int = 0) -> np.ndarray:
    """Mean over each window. Twin of ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    input : array_like of shape (N, C, H, W) or (C, H, W)
    kernel_size : int or pair of ints
    stride : int or pair of ints, optional
        Defaults to ``kernel_size``, as in torch.
    padding : int or pair of ints
        Zeros added on each side, counted in the mean (torch's default
        ``count_include_pad=True``); at most half of ``kernel_size``.

    Returns
    -------
    ndarray of shape (N, C, Ho, Wo), or (C, Ho, Wo) for an unbatched input

    Raises
    ------
    ValueError
        As :func:`max_pool2d`.
    """
    x, unbatched, kernel, stride, padding, out = _check_pool(
        input, kernel_size, stride, padding, "avg_pool2d"
    )
    xp = _pad(x, padding)
    y = np.zeros((x.shape[0], x.shape[1], *out), dtype=x.dtype)
    for _, where in _taps(xp, kernel, stride, out):
        y += xp[where]
    y /= kernel[0] * kernel[1]
    return y[0] if unbatched else y


def avg_pool2d_backward(
    grad_output: ArrayLike, input: ArrayLike, kernel_size, stride=None, padding: int = 0
) -> np.ndarray:
    """Gradient of :func:`avg_pool2d` with respect to its input (what torch's autograd gives).

    Parameters
    ----------
    grad_output : array_like of shape (N, C, Ho, Wo), or (C, Ho, Wo)
    input : array_like of shape (N, C, H, W), or (C, H, W)
        Only its shape is used.
    kernel_size, stride, padding
        As in the forward call.

    Returns
    -------
    ndarray of input's shape
    """
    x, unbatched, kernel, stride, padding, out = _check_pool(
        input, kernel_size, stride, padding, "avg_pool2d_backward"
    )
    g = _grad(grad_output, unbatched, x, out, "avg_pool2d_backward")
    share = g / (kernel[0] * kernel[1])
    gx = _scatter(share, x.shape, kernel, stride, padding, lambda k: share)
    return gx[0] if unbatched else gx


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
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
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
        x = as_float(x)
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
        x = self.saved("_x")
        g = self.check_grad_output(grad_output, self._y_shape)
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
        x = self.saved("_x")
        g = self.check_grad_output(grad_output, self._y_shape).reshape(self._arg.shape)
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
        self._x = as_float(x)
        y = avg_pool2d(self._x, self.kernel_size, self.stride, self.padding)
        self._y_shape = y.shape
        return y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of the last output's shape -> ``dL/dx``, the input's shape."""
        x = self.saved("_x")
        g = self.check_grad_output(grad_output, self._y_shape)
        return avg_pool2d_backward(g, x, self.kernel_size, self.stride, self.padding)
