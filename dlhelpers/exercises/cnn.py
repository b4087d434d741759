"""Exercises of notebook 07: convolutional networks."""

from __future__ import annotations

import math

import numpy as np

from dlhelpers.checks import (
    Wrong,
    array_of_shape,
    as_count,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    float_array,
    not_numbers,
)
from dlhelpers.scratch.conv import conv2d, conv2d_output_size, im2col, receptive_field

__all__ = []

# Sizes, parameter counts and the receptive field are whole numbers, compared exactly; a
# kernel and a feature map are real-valued, compared with compare_arrays' tolerance.

# (size, kernel, stride, padding, dilation): each catches one mistake
_SIZE_CASES = [
    (28, 5, 1, 2, 1),  # LeNet's first layer
    (28, 3, 1, 0, 1),  # forgetting "+ 1"
    (32, 3, 2, 1, 1),  # 31 / 2: floor, not round half up or ceil
    (13, 3, 2, 0, 1),  # stride divides evenly
    (10, 4, 3, 1, 1),  # 8 / 3: floor, not round (any kind) or ceil
    (20, 3, 1, 0, 2),  # dilation
    (17, 5, 2, 3, 2),
]


@exercise(
    "cnn-output-size",
    "Write output_size(n, k, stride, padding, dilation): the side of conv2d's output.",
    hint="Pad first: the input becomes n + 2 * padding wide. A dilated kernel spans "
    "dilation * (k - 1) + 1 pixels. Count the positions where it fits whole, one every "
    "`stride` pixels from the first.",
    solution=r'''def output_size(n, k, stride=1, padding=0, dilation=1):
    """The side of a conv2d output: an int."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
''',
)
def _output_size(fn):
    for n, k, s, p, d in _SIZE_CASES:
        got = call_answer(fn, n, k, s, p, d)
        value = as_number(got, what=f"output_size({n}, {k}, {s}, {p}, {d})")
        want = conv2d_output_size(n, k, s, p, d)
        if value == want:
            continue
        case = f"output_size(n={n}, k={k}, stride={s}, padding={p}, dilation={d}) gave {value:g}"
        if value == want - 1 and s == 1:
            raise Wrong(f"{case}: one short. A k-wide window fits n - k + 1 times, not n - k.")
        if d > 1 and value == conv2d_output_size(n, k, s, p, 1):
            raise Wrong(f"{case}: a dilated kernel spans d*(k - 1) + 1 pixels, not k.")
        if value != int(value):
            raise Wrong(f"{case}: a number of pixels is whole; round down (floor division //).")
        quotient = (n + 2 * p - d * (k - 1) - 1) / s
        rounded = {round(quotient) + 1, round(quotient + 1), math.ceil(quotient) + 1}
        if value in rounded:
            raise Wrong(
                f"{case}: a window position that does not fit whole is dropped, so round "
                "down (floor division //), not to the nearest or up."
            )
        one_side = (n + p - d * (k - 1) - 1) // s + 1
        if p > 0 and value in (conv2d_output_size(n, k, s, 0, d), one_side):
            raise Wrong(f"{case}: padding p adds p pixels on *each* side.")
        raise Wrong(
            f"{case}, which is not it. Count how many strides the window can move from its "
            "first position and still fit whole in the padded input, then add 1 for the first."
        )
    return "floor((n + 2p - d(k - 1) - 1) / s) + 1, in every case tried."


def _edge_images() -> dict[str, np.ndarray]:
    flat = np.full((9, 9), 0.5)
    horizontal = np.zeros((9, 9))
    horizontal[5:] = 1.0  # dark above, bright below
    return {"flat": flat, "horizontal": horizontal, "vertical": horizontal.T.copy()}


def _kernel(answer) -> np.ndarray:
    if isinstance(answer, str | bytes | dict) or not hasattr(answer, "__len__"):
        name = type(answer).__name__
        raise Wrong(f"your kernel is a {name}; expected a 3x3 array, like np.zeros((3, 3)).")
    reason = not_numbers(answer)
    if reason is not None:
        raise Wrong(f"your kernel {reason}; expected a 3x3 array of real numbers.")
    k = float_array(answer)
    if k.shape != (3, 3):
        raise Wrong(f"your kernel has shape {k.shape}; expected (3, 3).")
    if not np.isfinite(k).all():
        raise Wrong("your kernel holds inf or nan.")
    return k


@exercise(
    "cnn-horizontal-edges",
    "Make a 3x3 kernel that responds to horizontal edges, not to vertical ones or flat areas.",
    hint="Sobel x subtracts the left column from the right one. A horizontal edge is a change "
    "from one row to the next; keep the entries adding up to zero.",
    solution=r"""horizontal_kernel = kernel.T  # Sobel y: the row below minus the row above
""",
)
def _horizontal_edges(answer):
    k = _kernel(answer)
    maps = {
        name: conv2d(image[None, None], k[None, None])[0, 0]
        for name, image in _edge_images().items()
    }
    strength = {name: float(np.abs(m).max()) for name, m in maps.items()}
    if strength["horizontal"] < 1e-6 and strength["vertical"] > 1e-6:
        raise Wrong("it finds vertical edges and ignores horizontal ones: turn it by 90 degrees.")
    if strength["horizontal"] < 1e-6:
        raise Wrong("on an image with a horizontal edge your feature map is all zeros.")
    scale = strength["horizontal"]
    if strength["flat"] > 0.05 * scale:
        raise Wrong(
            f"your kernel's entries add up to {k.sum():.3g}, so it also responds to flat, "
            "featureless areas. Make them add up to zero."
        )
    if strength["vertical"] > 0.2 * scale:
        raise Wrong(
            "it responds to vertical edges as strongly as to horizontal ones. A horizontal "
            "edge is a change from one row to the next: weigh the rows above and below differently."
        )
    return "bright below, dark above (or the reverse) lights it up; a vertical edge leaves it dark."


# (kernel, stride) per layer, input first: the notebook's stack, LeNet, a strided stem
_FIELD_CASES = [
    [(3, 1), (3, 1), (2, 2), (3, 1)],
    [(5, 1), (2, 2), (5, 1), (2, 2)],
    [(7, 2), (3, 2), (3, 1)],
    [(3, 2), (3, 2), (3, 2)],
    [(1, 1)],
]


def _field_without_jump(layers) -> int:
    return 1 + sum(k - 1 for k, _ in layers)


def _field_jump_first(layers) -> int:
    field, jump = 1, 1
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
    return field


@exercise(
    "cnn-receptive-field",
    "Write receptive_field(layers): the width of one last-layer unit's receptive field.",
    hint="Walk the layers from the input, keeping the field r and the jump j (input pixels "
    "between neighbouring units), both 1 at the start. Each layer adds k - 1 jumps to r; "
    "then its stride multiplies j, for the layers after it.",
    solution=r'''def receptive_field(layers):
    """layers: (kernel_size, stride) pairs, input first -> the field's width in input pixels."""
    field, jump = 1, 1
    for k, s in layers:
        field = field + (k - 1) * jump
        jump = jump * s
    return field
''',
)
def _receptive_field(fn):
    for layers in _FIELD_CASES:
        value = as_count(
            call_answer(fn, [tuple(layer) for layer in layers]),
            what=f"receptive_field({layers})",
        )
        want = receptive_field(layers)
        if value == want:
            continue
        case = f"receptive_field({layers}) gave {value}"
        if value == _field_without_jump(layers) and any(s > 1 for _, s in layers):
            raise Wrong(
                f"{case}: after a layer with stride 2, neighbouring units are 2 input pixels "
                "apart, so each step of the next kernel moves 2 pixels: keep a jump."
            )
        if value == _field_jump_first(layers):
            raise Wrong(
                f"{case}: a layer's stride spaces out the units *after* it; it does not "
                "stretch its own kernel. Add (k - 1) * jump first, then multiply the jump."
            )
        if value == want - 1:
            raise Wrong(f"{case}: one short. Before any layer a unit sees 1 pixel, not 0.")
        raise Wrong(f"{case}, which is not it. Grow it layer by layer: r += (k - 1) * jump.")
    return "r grows by (k - 1) jumps per layer; layers after a pooling grow it twice as fast."


@exercise(
    "cnn-conv-loops",
    "Write conv2d_loops(image, kernel): a valid, stride-1 cross-correlation with four loops.",
    hint="Start from an array of zeros of the output's shape. Output pixel (i, j) is the sum, "
    "over every kernel entry (a, b), of image pixel (i + a, j + b) times that entry.",
    solution=r'''def conv2d_loops(image, kernel):
    """image: (H, W); kernel: (kH, kW) -> ndarray of shape (H - kH + 1, W - kW + 1)."""
    kH, kW = kernel.shape
    out = np.zeros((image.shape[0] - kH + 1, image.shape[1] - kW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for a in range(kH):
                for b in range(kW):
                    out[i, j] += image[i + a, j + b] * kernel[a, b]
    return out
''',
)
def _conv_loops(fn):
    rng = np.random.default_rng(7)
    for shape, kshape in [((6, 7), (3, 3)), ((5, 5), (2, 3)), ((8, 6), (1, 1)), ((4, 9), (4, 2))]:
        image, kernel = rng.normal(size=shape), rng.normal(size=kshape)
        got = call_answer(fn, image.copy(), kernel.copy())
        want = conv2d(image[None, None], kernel[None, None])[0, 0]
        flat = array_of_shape(got, want.shape)
        if flat is not None:
            flipped = conv2d(image[None, None], kernel[None, None, ::-1, ::-1])[0, 0]
            if np.allclose(flat, flipped) and not np.allclose(flat, want):
                raise Wrong(
                    "you flipped the kernel (the textbook convolution). torch's conv2d "
                    "does not flip: out[i, j] = sum of image[i + a, j + b] * kernel[a, b]."
                )
        compare_arrays(got, want, what=f"your output for a {shape} image and a {kshape} kernel")
    return "four loops, and the same numbers as conv2d: now you know what im2col makes fast."


# (x shape, kernel (kH, kW), stride, padding): non-square kernels and images, so that a
# swapped axis shows; each case changes every argument
_IM2COL_CASES = [
    ((2, 3, 5, 6), (2, 3), 1, 0),
    ((1, 2, 7, 6), (3, 2), 2, 1),
    ((2, 1, 6, 5), (2, 2), 3, 2),
]


def _shape_hint(shape, x_shape, kernel, stride, padding) -> str | None:
    """What a wrong (N, K, L) shape says about the mistake, if it says something."""
    n, c, h, w = x_shape
    k = c * kernel[0] * kernel[1]

    def positions(s, p):
        return conv2d_output_size(h, kernel[0], s, p) * conv2d_output_size(w, kernel[1], s, p)

    if shape == (n, positions(stride, padding), k):
        return "you have one row per output pixel; torch's unfold has one *column* per pixel."
    if stride > 1 and shape == (n, k, positions(1, padding)):
        return "you kept every window position: with stride s keep one in s, along each axis."
    if padding > 0 and shape == (n, k, positions(stride, 0)):
        return "there are too few windows: pad both image axes with `padding` zeros on each side."
    return None


def _reordered(cols: np.ndarray, c: int, kernel, out, order) -> np.ndarray:
    """``cols`` (N, C*kH*kW, Ho*Wo) with its axes (N, C, kH, kW, Ho, Wo) put in ``order``."""
    six = cols.reshape(len(cols), c, *kernel, *out).transpose(order)
    return six.reshape(cols.shape)


_IM2COL_ORDERS = [
    ((0, 2, 3, 1, 4, 5), "your rows run over the kernel first and the channels last; put "
     "the channel first, then the kernel row, then the kernel column, as weight.reshape(C_out, -1) does."),
    ((0, 1, 3, 2, 4, 5), "your rows run over kernel columns before kernel rows: flatten "
     "(C, kH, kW) in that order."),
    ((0, 1, 2, 3, 5, 4), "your columns run down the image column by column; torch's order is "
     "row by row: flatten (Ho, Wo) in that order."),
]  # fmt: skip


@exercise(
    "cnn-im2col",
    "Write im2col(x, kernel_size, stride, padding): every window of a batch as a column.",
    hint="Pad the two image axes with zeros, take every kH x kW window of them "
    "(sliding_window_view with axis=(2, 3), as in the one-digit example above), keep one window position in "
    "`stride`, then put the window's axes (C, kH, kW) before the position axes (Ho, Wo) "
    "and flatten each group into one axis.",
    solution=r'''def im2col(x, kernel_size, stride=1, padding=0):
    """x: (N, C, H, W); kernel_size: (kH, kW) -> ndarray of shape (N, C * kH * kW, Ho * Wo)."""
    kH, kW = kernel_size
    N, C = x.shape[:2]
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))  # zeros on each side of H and W
    win = np.lib.stride_tricks.sliding_window_view(xp, (kH, kW), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]  # (N, C, Ho, Wo, kH, kW)
    Ho, Wo = win.shape[2:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kH * kW, Ho * Wo)
''',
)
def _im2col(fn):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(17)
    for shape, kernel, stride, padding in _IM2COL_CASES:
        x = rng.normal(size=shape)
        got = call_answer(fn, x.copy(), kernel, stride, padding)
        want = F.unfold(torch.from_numpy(x), kernel, stride=stride, padding=padding).numpy()
        what = f"im2col(x of shape {shape}, {kernel}, stride={stride}, padding={padding})"
        arr = array_of_shape(got, want.shape)
        if arr is None:
            try:
                wrong_shape = tuple(float_array(got).shape)
            except (TypeError, ValueError):
                wrong_shape = None
            found = _shape_hint(wrong_shape, shape, kernel, stride, padding)
            if found:
                raise Wrong(f"{what} has shape {wrong_shape}: {found}")
        else:
            out = (
                conv2d_output_size(shape[2], kernel[0], stride, padding),
                conv2d_output_size(shape[3], kernel[1], stride, padding),
            )
            for order, message in _IM2COL_ORDERS:
                other = _reordered(want, shape[1], kernel, out, order)
                if np.allclose(arr, other) and not np.allclose(arr, want):
                    raise Wrong(f"{what}: the right numbers in the wrong places: {message}")
        compare_arrays(got, want, what=what)
    return "every window as a column, in torch's order (F.unfold): now one product convolves."


# (x shape, weight shape, stride, padding)
_CONV_CASES = [
    ((2, 2, 6, 7), (3, 2, 3, 2), 1, 0),
    ((2, 3, 7, 9), (4, 3, 3, 3), 2, 1),
    ((1, 1, 5, 6), (2, 1, 2, 3), 3, 2),
]


def _conv_mistake(arr, want, x, w, b, stride, padding) -> str | None:
    """The typical mistake ``arr`` shows, if it is one of them (and not also the right answer)."""
    if np.allclose(arr, want):
        return None
    candidates = [
        (conv2d(x, w, None, stride, padding), "you left out the bias: add bias[o] to every "
         "pixel of output channel o (shape (C_out,) against (N, C_out, Ho * Wo): give it an axis)."),
        (conv2d(x, w[:, :, ::-1, ::-1], b, stride, padding), "you flipped the kernel; torch's "
         "conv2d does not flip (cross-correlation)."),
        (conv2d(x, w.transpose(0, 2, 3, 1).reshape(w.shape), b, stride, padding),
         "the weight is flattened in another order than im2col's rows: (C_in, kH, kW), "
         "which is what weight.reshape(C_out, -1) gives."),
    ]  # fmt: skip
    for other, message in candidates:
        if arr.shape == other.shape and np.allclose(arr, other):
            return message
    return None


def _package_im2col(x, kernel_size, stride=1, padding=0):
    return im2col(x, kernel_size, stride, padding)


def _im2col_passes(learner) -> bool:
    try:
        _im2col(learner)
    except Exception:  # noqa: BLE001 - wrong, a stub, or it crashed: not yet
        return False
    return True


@exercise(
    "cnn-conv2d",
    "Write conv2d_im2col(x, weight, bias, stride, padding) with your im2col and one matrix product.",
    hint="im2col gives (N, C_in * kH * kW, Ho * Wo). Flatten the weight to "
    "(C_out, C_in * kH * kW) in the same order; one matrix product then gives "
    "(N, C_out, Ho * Wo). Add each output channel's bias, and reshape to (N, C_out, Ho, Wo), "
    "with Ho and Wo from the output-size formula.",
    solution=r'''def conv2d_im2col(x, weight, bias, stride=1, padding=0):
    """x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) -> (N, C_out, Ho, Wo)."""
    N, (C_out, C_in, kH, kW) = x.shape[0], weight.shape
    Ho = (x.shape[2] + 2 * padding - kH) // stride + 1
    Wo = (x.shape[3] + 2 * padding - kW) // stride + 1
    cols = im2col(x, (kH, kW), stride, padding)  # (N, C_in * kH * kW, Ho * Wo)
    y = weight.reshape(C_out, -1) @ cols  # (N, C_out, Ho * Wo)
    y = y + bias[:, None]  # one bias per output channel
    return y.reshape(N, C_out, Ho, Wo)
''',
)
def _conv2d(fn):
    """Judge ``fn`` with the learner's ``im2col`` if it passes its own check, else with ours.

    So this exercise judges the product, the bias and the reshape alone, and a learner whose
    im2col is not done yet (or was put back to its stub) is told about those.
    """
    found = getattr(fn, "__globals__", None)
    learner = found.get("im2col") if isinstance(found, dict) else None
    if learner is None or _im2col_passes(learner):
        return _judge_conv2d(fn)
    found["im2col"] = _package_im2col
    try:
        return _judge_conv2d(fn)
    finally:
        found["im2col"] = learner


def _judge_conv2d(fn):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(23)
    for x_shape, w_shape, stride, padding in _CONV_CASES:
        x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
        got = call_answer(fn, x.copy(), w.copy(), b.copy(), stride, padding)
        # the same weights, copied into torch, in float64
        want = F.conv2d(*(torch.from_numpy(a) for a in (x, w, b)), stride=stride, padding=padding)
        want = want.numpy()
        what = (
            f"your output for x of shape {x_shape}, weight of shape {w_shape}, "
            f"stride={stride}, padding={padding}"
        )
        arr = array_of_shape(got, want.shape)
        if arr is not None and (found := _conv_mistake(arr, want, x, w, b, stride, padding)):
            raise Wrong(f"{what}: {found}")
        try:
            compare_arrays(got, want, what=what)
        except Wrong as err:
            if arr is None:
                raise
            raise Wrong(f"{err} Look at the product, the bias and the reshape.") from None
    return "im2col, one matrix product and a reshape: torch's conv2d, to 1e-6, in float64."
