"""2-D max and average pooling in plain NumPy, twins of ``torch.nn.functional`` (notebook 07).

Taught in ``07_convolutional_networks.ipynb``. A pooling window never mixes
channels, so instead of laying out every window (im2col, see
:mod:`dlhelpers.scratch.conv`) the code walks the ``kH * kW`` offsets inside
the window, each one a strided slice of the whole batch::

    xp = pad(x)                                           # (N, C, H + 2p, W + 2p)
    tap = xp[:, :, i : i + s * (Ho - 1) + 1 : s, j : ...]  # (N, C, Ho, Wo), offset (i, j)
    y = max over the taps  (or their mean)                # (N, C, Ho, Wo)

Max pooling pads with ``-inf`` and sends each gradient to the first maximum
of its window (row by row, as torch's CPU kernel scans it); average pooling
pads with zeros and always divides by ``kH * kW`` (torch's default
``count_include_pad=True``). ``ceil_mode`` and dilation are not offered.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.conv import _as_float, _batched, _output_shape, _pad, _pair

__all__ = ["avg_pool2d", "avg_pool2d_backward", "max_pool2d", "max_pool2d_backward"]


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
    x, unbatched = _batched(_as_float(x), who)
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
    g = _as_float(grad_output)
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
