"""The exercise checks of notebook 07: stub, wrong answer, wrong type, NaN and right answer."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check, hint, load_exercises
from dlhelpers.explorers.filters import KERNELS
from dlhelpers.scratch import conv2d, im2col


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


def receptive_field(layers):
    field, jump = 1, 1
    for k, s in layers:
        field, jump = field + (k - 1) * jump, jump * s
    return field


def conv2d_im2col(x, weight, bias, stride=1, padding=0):
    n, (c_out, _, kh, kw) = x.shape[0], weight.shape
    cols = im2col(x, (kh, kw), stride, padding)  # (N, C_in * kH * kW, Ho * Wo)
    ho = (x.shape[2] + 2 * padding - kh) // stride + 1
    return (weight.reshape(c_out, -1) @ cols + bias[:, None]).reshape(n, c_out, ho, -1)


def stub(*args): ...


RIGHT = {
    "cnn-output-size": output_size,
    "cnn-horizontal-edges": KERNELS["sobel y"],
    "cnn-receptive-field": receptive_field,
    "cnn-conv-loops": conv2d_loops,
    "cnn-im2col": lambda *a, **k: im2col(*a, **k),  # the package's own is refused as an answer
    "cnn-conv2d": conv2d_im2col,
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


def test_every_exercise_of_the_notebook_has_a_hint_that_gives_no_code():
    for key in RIGHT:
        text = str(hint(key))
        assert load_exercises()[key].hint and "def " not in text and "return" not in text, key


def _no_jump(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _jump_first(layers):
    field, jump = 1, 1
    for k, s in layers:
        jump *= s
        field += (k - 1) * jump
    return field


@pytest.mark.parametrize(
    "fn, words",
    [
        (_no_jump, "keep a jump"),
        (_jump_first, "after* it"),
        (lambda layers: receptive_field(layers) - 1, "one short"),
        (lambda layers: 3 * len(layers), "layer by layer"),
        (lambda layers: "10", "expected a number"),
    ],
)
def test_receptive_field_hints(fn, words):
    feedback = check("cnn-receptive-field", fn)
    assert feedback.status == "not yet" and words in feedback.message, feedback


def _unfold_then(change):
    """im2col whose (N, C, kH, kW, Ho, Wo) result goes through ``change``."""

    def wrong(x, kernel_size, stride=1, padding=0):
        cols = im2col(x, kernel_size, stride, padding)
        n, c = x.shape[:2]
        ho = (x.shape[2] + 2 * padding - kernel_size[0]) // stride + 1
        six = cols.reshape(n, c, *kernel_size, ho, -1)
        return change(six).reshape(cols.shape)

    return wrong


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda x, k, s=1, p=0: im2col(x, k, s, p).transpose(0, 2, 1), "one *column* per pixel"),
        (lambda x, k, s=1, p=0: im2col(x, k, 1, p), "keep one in s"),
        (lambda x, k, s=1, p=0: im2col(x, k, s, 0), "pad both image axes"),
        (_unfold_then(lambda a: a.transpose(0, 2, 3, 1, 4, 5)), "channel first"),
        (_unfold_then(lambda a: a.transpose(0, 1, 3, 2, 4, 5)), "kernel columns before"),
        (_unfold_then(lambda a: a.transpose(0, 1, 2, 3, 5, 4)), "row by row"),
        (lambda x, k, s=1, p=0: im2col(x, k, s, p) + 1, "off at position"),
    ],
)
def test_im2col_hints(fn, words):
    feedback = check("cnn-im2col", fn)
    assert feedback.status == "not yet" and words in feedback.message, feedback


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda x, w, b, s=1, p=0: conv2d(x, w, None, s, p), "left out the bias"),
        (lambda x, w, b, s=1, p=0: conv2d(x, w[:, :, ::-1, ::-1], b, s, p), "flipped"),
        (
            lambda x, w, b, s=1, p=0: conv2d(x, w.transpose(0, 2, 3, 1).reshape(w.shape), b, s, p),
            "flattened in another order",
        ),
        (lambda x, w, b, s=1, p=0: conv2d(x, w, b, s, p) * 2, "Look at the product"),
        (lambda x, w, b, s=1, p=0: conv2d(x, w, b, 1, p), "shape"),
        (lambda x, w, b, s=1, p=0: torch_conv(x, w, b, s, p), "correct"),
    ],
)
def test_conv2d_hints_and_a_torch_answer(fn, words):
    feedback = check("cnn-conv2d", fn)
    if words == "correct":
        assert feedback.status == "correct", feedback
    else:
        assert feedback.status == "not yet" and words in feedback.message, feedback


def torch_conv(x, w, b, s, p):
    torch = pytest.importorskip("torch")
    out = torch.nn.functional.conv2d(*(torch.from_numpy(a) for a in (x, w, b)), stride=s, padding=p)
    return out.requires_grad_()


def test_conv2d_with_a_stub_im2col_says_what_raised():
    def uses_stub(x, w, b, s=1, p=0):
        return w.reshape(w.shape[0], -1) @ None

    assert check("cnn-conv2d", uses_stub).status == "not yet"


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


def test_conv2d_is_judged_with_the_package_im2col_while_the_learners_is_not_done():
    def stub_im2col(x, kernel_size, stride=1, padding=0): ...

    namespace = {"np": np, "im2col": stub_im2col}
    exec(load_exercises()["cnn-conv2d"].solution, namespace)  # noqa: S102 - the course's answer
    assert check("cnn-conv2d", namespace["conv2d_im2col"]).status == "correct"
    assert namespace["im2col"] is stub_im2col  # put back
    namespace["im2col"] = lambda x, k, s=1, p=0: (
        im2col(x, k, s, p) * 2
    )  # a wrong one, also replaced
    assert check("cnn-conv2d", namespace["conv2d_im2col"]).status == "correct"
