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
    count_equal,
    exercise,
    float_array,
    not_numbers,
)
from dlhelpers.scratch.conv import conv2d, conv2d_output_size

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
        raise Wrong(f"{case}, which is not it. Count how many window positions fit, then +1.")
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


@exercise(
    "cnn-conv-params",
    "How many parameters does nn.Conv2d(6, 16, kernel_size=5) have?",
    solution=r"""conv_params = 16 * 6 * 5 * 5 + 16  # weight (16, 6, 5, 5) and a bias per filter
""",
)
def _conv_params(answer):
    value = as_count(answer)
    if value == 16 * 6 * 25:
        raise Wrong("those are the weights; each of the 16 filters also has a bias.")
    if value in (16 * 25, 16 * 25 + 16):
        raise Wrong("each filter spans all 6 input channels: it is 6 x 5 x 5, not 5 x 5.")
    if value == 6 * 25 + 6:
        raise Wrong("that is one filter per input channel; the layer has 16 output channels.")
    count_equal(
        value,
        16 * 6 * 5 * 5 + 16,
        hint="weight has shape (out_channels, in_channels, kH, kW), plus one bias per out channel.",
    )
    return "16 filters of 6x5x5 weights and a bias each; the image size does not enter at all."


@exercise(
    "cnn-receptive-field",
    "conv 3x3 -> conv 3x3 -> max-pool 2x2 (stride 2) -> conv 3x3: how wide is the receptive field?",
    solution=r"""field, jump = 1, 1
for size, step in [(3, 1), (3, 1), (2, 2), (3, 1)]:  # (kernel, stride) per layer
    field, jump = field + (size - 1) * jump, jump * step
receptive_field = field  # a number of pixels
""",
)
def _receptive_field(answer):
    value = as_count(answer)
    if value == 8:
        raise Wrong("after the pooling, each step of the last conv moves 2 input pixels, not 1.")
    if value == 7:
        raise Wrong(
            "the pooling adds (2 - 1) x 1 = 1 pixel, and the conv after it sees pooled "
            "pixels that are 2 input pixels apart."
        )
    count_equal(
        value,
        10,
        hint="grow it layer by layer: r += (k - 1) * jump, then jump *= stride.",
    )
    return "3, 5, 6, then 6 + 2*2 = 10: layers after a pooling grow the field twice as fast."


@exercise(
    "cnn-conv-loops",
    "Write conv2d_loops(image, kernel): a valid, stride-1 cross-correlation with four loops.",
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
