"""The exercise checks of notebook 07: stub, wrong answer, wrong type, NaN and right answer."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check
from dlhelpers.explorers.filters import KERNELS


def output_size(n, k, stride=1, padding=0, dilation=1):
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def conv2d_loops(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for a in range(kh):
                for b in range(kw):
                    out[i, j] += image[i + a, j + b] * kernel[a, b]
    return out


def stub(*args): ...


RIGHT = {
    "cnn-output-size": output_size,
    "cnn-horizontal-edges": KERNELS["sobel y"],
    "cnn-conv-params": 2416,
    "cnn-receptive-field": 10,
    "cnn-conv-loops": conv2d_loops,
}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    assert check(key, ...).status == "not attempted"
    assert check(key, RIGHT[key]).status == "correct"
    for bad in ("12", True, float("nan"), [1, 2]):
        feedback = check(key, bad)
        assert feedback.status == "not yet", (key, bad, feedback)
    if callable(RIGHT[key]):
        assert check(key, stub).status == "not attempted"


@pytest.mark.parametrize(
    "fn, hint",
    [
        (lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s, "one short"),
        (lambda n, k, s, p, d: (n + 2 * p - k) // s + 1, "dilated kernel"),
        (lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) / s + 1, "whole"),
        (lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1, "each"),
        (lambda n, k, s, p, d: 0, "not it"),
        (lambda n, k, s, p, d: float("nan"), "finite"),
        (lambda n, k, s, p, d: "28", "expected a number"),
    ],
)
def test_output_size_hints(fn, hint):
    feedback = check("cnn-output-size", fn)
    assert feedback.status == "not yet" and hint in feedback.message, feedback


@pytest.mark.parametrize(
    "kernel, hint",
    [
        (KERNELS["sobel x"], "vertical edges"),
        (KERNELS["identity"], "add up to"),
        (np.zeros((3, 3)), "all zeros"),
        (np.ones((3, 3)), "add up"),
        (np.ones((2, 2)), "shape"),
        (np.full((3, 3), np.nan), "nan"),
        ([[1, 2], [3]], "rows of different lengths"),
        (KERNELS["sobel x"] + KERNELS["sobel y"], "vertical edges as strongly"),
    ],
)
def test_horizontal_edge_hints(kernel, hint):
    feedback = check("cnn-horizontal-edges", kernel)
    assert feedback.status == "not yet" and hint in feedback.message, feedback


def test_the_reverse_sign_and_a_plain_difference_also_find_horizontal_edges():
    assert check("cnn-horizontal-edges", -KERNELS["sobel y"]).status == "correct"
    assert check("cnn-horizontal-edges", [[0, -1, 0], [0, 0, 0], [0, 1, 0]]).status == "correct"


@pytest.mark.parametrize(
    "key, wrong, hint",
    [
        ("cnn-conv-params", 2400, "bias"),
        ("cnn-conv-params", 416, "all 6 input channels"),
        ("cnn-conv-params", 156, "16 output channels"),
        ("cnn-conv-params", 1000, "not it"),
        ("cnn-receptive-field", 8, "2 input pixels"),
        ("cnn-receptive-field", 7, "pooling adds"),
        ("cnn-receptive-field", 9, "layer by layer"),
    ],
)
def test_number_hints(key, wrong, hint):
    feedback = check(key, wrong)
    assert feedback.status == "not yet" and hint in feedback.message, feedback
    assert str(RIGHT[key]) not in feedback.message


def test_conv_loops_hints():
    def flipped(image, kernel):
        return conv2d_loops(image, kernel[::-1, ::-1])

    def too_big(image, kernel):
        return np.zeros(image.shape)

    def crashes(image, kernel):
        return image[100]

    assert "flipped the kernel" in check("cnn-conv-loops", flipped).message
    assert "shape" in check("cnn-conv-loops", too_big).message
    assert "IndexError" in check("cnn-conv-loops", crashes).message
    assert check("cnn-conv-loops", 3).status == "not yet"


@pytest.mark.parametrize(
    "fn",
    [
        lambda n, k, s, p, d: round((n + 2 * p - d * (k - 1) - 1) / s) + 1,
        lambda n, k, s, p, d: round((n + 2 * p - d * (k - 1) - 1) / s + 1),
        lambda n, k, s, p, d: int(np.round((n + 2 * p - d * (k - 1) - 1) / s)) + 1,
        lambda n, k, s, p, d: int(np.ceil((n + 2 * p - d * (k - 1) - 1) / s)) + 1,
    ],
)
def test_output_size_rounding_instead_of_floor(fn):
    feedback = check("cnn-output-size", fn)
    assert feedback.status == "not yet" and "round down" in feedback.message, feedback


def test_output_size_takes_0d_tensors():
    torch = pytest.importorskip("torch")
    assert check("cnn-output-size", lambda *a: torch.tensor(output_size(*a))).status == "correct"
