"""Exercises of notebook 02: networks and forward propagation."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    array_of_shape,
    as_count,
    call_answer,
    compare_arrays,
    count_equal,
    exercise,
)

__all__ = []

# Counts and shapes are whole numbers, compared exactly; a layer's output is real-valued,
# compared with compare_arrays' tolerance.


def _shape(answer, what: str) -> tuple[int, ...]:
    """``answer`` as a tuple of whole numbers, or :class:`Wrong` naming what it is instead.

    A tuple, a list, an integer array or a ``torch.Size`` passes; a string, a bare number,
    a decimal such as 64.7, a complex number or a bool never turns into a shape.
    """
    like = f"expected {what} as a tuple of whole numbers, like (3, 4)"
    if (
        isinstance(answer, str | bytes | dict | set)
        or not hasattr(answer, "__len__")
        or getattr(answer, "ndim", 1) == 0
    ):
        raise Wrong(f"your answer is {a_type(answer)}; {like}.")
    shape = []
    for i, item in enumerate(answer):
        try:
            shape.append(as_count(item, what=f"item {i} of your answer"))
        except Wrong as err:
            raise Wrong(f"{str(err).rstrip('.')}; {like}.") from None
    return tuple(shape)


@exercise(
    "networks-param-count",
    "Count the parameters of Dense(128, relu, input 784) -> Dense(10, softmax).",
    solution=r"""n_parameters = (784 * 128 + 128) + (128 * 10 + 10)  # a number
""",
)
def _param_count(answer):
    value = as_count(answer)
    if value == 784 * 128 + 128 * 10:
        raise Wrong("you counted the weights; each unit also has a bias.")
    count_equal(
        value,
        784 * 128 + 128 + 128 * 10 + 10,
        hint="A Dense layer from n inputs to m units has an (m, n) weight matrix "
        "plus m biases; add the layers up.",
    )
    return "weights plus biases, layer by layer. Almost all of them sit in the first layer."


@exercise(
    "networks-weight-shape",
    "What is the shape of torch.nn.Linear(784, 64).weight?",
    solution=r"""weight_shape = (64, 784)  # a tuple, e.g. (3, 4)
""",
)
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
    solution=r"""second_layer_shape = (16, 32)  # a tuple
""",
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
    solution=r"""def dense_forward(X, W, b):
    return relu(X @ W.T + b)
""",
)
def _dense_forward(fn):
    rng = np.random.default_rng(2)
    for n, d_in, d_out in ((5, 4, 3), (2, 6, 1), (1, 3, 7)):  # W never square, N never out
        X, W = rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in))
        b = rng.normal(size=d_out)
        try:
            got = call_answer(fn, X.copy(), W.copy(), b.copy())
        except ValueError as err:
            if "matmul" in str(err) or "shapes" in str(err):
                raise Wrong(
                    f"the matrix product failed: W has shape (out, in) = {W.shape} and X has "
                    f"shape (N, in) = {X.shape}. Which one needs transposing?"
                ) from None
            raise
        if array_of_shape(got, (d_out, n)) is not None:
            raise Wrong(
                "your output has shape (out, N); the batch should stay in the rows: (N, out)."
            )
        sums = array_of_shape(got, (n, d_out))
        some_negative = (X @ W.T + b < 0).any()  # else ReLU changes nothing
        if sums is not None and some_negative and np.allclose(sums, X @ W.T + b):
            raise Wrong("the weighted sums are right; now apply the activation (ReLU).")
        compare_arrays(got, _dense_relu(X, W, b), what=f"your output for X {X.shape}, W {W.shape}")
    return "one matrix product computes every unit for every example in the batch."
