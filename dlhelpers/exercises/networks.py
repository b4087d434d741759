"""Exercises of notebook 02: networks and forward propagation."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    a_type,
    array_of_shape,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    is_stub,
    number_close,
)

__all__ = []


def _shape(answer, what: str) -> tuple[int, ...]:
    """``answer`` as a tuple of whole numbers, or :class:`Wrong` naming what it is instead.

    A tuple, a list, an integer array or a ``torch.Size`` passes; a string, a bare number,
    a decimal such as 64.7 or a bool never turns into a shape.
    """
    if is_stub(answer):
        raise NotAttempted("replace the `...` with a shape, e.g. (3, 4).")
    like = f"expected {what} as a tuple of whole numbers, like (3, 4)"
    if (
        isinstance(answer, str | bytes | dict | set)
        or not hasattr(answer, "__len__")
        or getattr(answer, "ndim", 1) == 0
    ):
        raise Wrong(f"your answer is {a_type(answer)}; {like}.")
    shape = []
    for i, item in enumerate(answer):
        if hasattr(item, "ndim") and getattr(item, "ndim", None) == 0 and hasattr(item, "item"):
            item = item.item()  # a numpy or torch scalar
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise Wrong(f"item {i} of your answer is {a_type(item)}; {like}.")
        if not (np.isfinite(item) and float(item).is_integer()):
            raise Wrong(
                f"item {i} of your answer is a float ({item:g}), not a whole number; {like}."
            )
        shape.append(int(item))
    return tuple(shape)


@exercise(
    "networks-param-count",
    "Count the parameters of Dense(128, relu, input 784) -> Dense(10, softmax).",
)
def _param_count(answer):
    if is_stub(answer):
        raise NotAttempted("replace the `...` with a number.")
    value = as_number(answer)
    if value == 784 * 128 + 128 * 10:
        raise Wrong("you counted the weights; each unit also has a bias.")
    number_close(
        value,
        784 * 128 + 128 + 128 * 10 + 10,
        hint="A Dense layer from n inputs to m units has an (m, n) weight matrix "
        "plus m biases; add the layers up.",
    )
    return "weights plus biases, layer by layer. Almost all of them sit in the first layer."


@exercise("networks-weight-shape", "What is the shape of torch.nn.Linear(784, 64).weight?")
def _weight_shape(answer):
    shape = _shape(answer, "the shape")
    if shape == (784, 64):
        raise Wrong(
            "those are the right numbers in the wrong order: PyTorch stores one row "
            "per output unit."
        )
    if shape != (64, 784):
        raise Wrong(f"{shape} is not it. The weight has one entry per (output unit, input) pair.")
    return "(out_features, in_features): one row of weights per unit, so y = x W^T + b."


@exercise(
    "networks-output-shape",
    "A batch of 16 images (784 pixels each) goes through 784-64-32-10: "
    "what shape leaves the second layer?",
)
def _output_shape(answer):
    shape = _shape(answer, "the shape")
    if shape == (32, 16):
        raise Wrong("right numbers, wrong order: rows are examples, columns are units.")
    if shape == (16, 64):
        raise Wrong("that is what leaves the first layer. Go one layer further.")
    if len(shape) == 1:
        raise Wrong("a batch keeps one row per example, so the shape has two numbers.")
    if shape != (16, 32):
        raise Wrong(
            f"{shape} is not it. Each layer keeps the number of rows (examples) and "
            "changes the number of columns to its number of units."
        )
    return "(batch, units): the batch size passes through every layer unchanged."


def _dense_relu(X, W, b):
    return np.maximum(X @ W.T + b, 0)


@exercise(
    "networks-dense-forward",
    "Write dense_forward(X, W, b) = relu(X W^T + b) for a batch X of shape (N, in).",
)
def _dense_forward(fn):
    rng = np.random.default_rng(2)
    X, W, b = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    try:
        got = call_answer(fn, X.copy(), W.copy(), b.copy())
    except ValueError as err:
        if "matmul" in str(err) or "shapes" in str(err):
            raise Wrong(
                "the matrix product failed: W has shape (out, in) = (3, 4) and X has "
                "shape (N, in) = (5, 4). Which one needs transposing?"
            ) from None
        raise
    if array_of_shape(got, (3, 5)) is not None:
        raise Wrong("your output has shape (out, N); the batch should stay in the rows: (N, out).")
    sums = array_of_shape(got, (5, 3))
    if sums is not None and np.allclose(sums, X @ W.T + b):
        raise Wrong("the weighted sums are right; now apply the activation (ReLU).")
    compare_arrays(got, _dense_relu(X, W, b), what="your output")
    return "one matrix product computes every unit for every example in the batch."
