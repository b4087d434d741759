"""Exercises of notebook 02: networks and forward propagation.

The learner's layer and network are checked against ``torch.nn`` in float64 with the
same weights copied in; the parameter count against what ``torch.nn`` holds.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from dlhelpers.checks import (
    Wrong,
    array_of_shape,
    as_count,
    call_answer,
    compare_arrays,
    exercise,
)

__all__ = []

# A parameter count is a whole number, compared exactly; a layer's output is real-valued,
# compared with compare_arrays' tolerance.


def _torch_mlp(X: np.ndarray, layers: list[tuple[np.ndarray, np.ndarray]], *, relu_last: bool):
    """``torch.nn.Sequential`` of ``Linear`` + ``ReLU`` holding ``layers``' weights, run on X (float64)."""
    import torch

    modules = []
    for W, b in layers:
        linear = torch.nn.Linear(W.shape[1], W.shape[0]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))  # (out, in), as given
            linear.bias.copy_(torch.from_numpy(b))
        modules += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*(modules if relu_last else modules[:-1]))
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


def _random_layers(rng, sizes) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in pairwise(sizes)]


def _call_with_shapes(fn, X, *args, W=None):
    """``fn(X, *args)``; a failed matrix product becomes a hint about (out, in)."""
    try:
        return call_answer(fn, X.copy(), *args)
    except ValueError as err:
        if "matmul" in str(err) or "shapes" in str(err) or "align" in str(err):
            shape = "" if W is None else f" W has shape (out, in) = {W.shape} and"
            raise Wrong(
                f"a matrix product failed:{shape} X has shape (N, in) = {X.shape}. PyTorch's "
                "weight is (out, in): which one needs transposing?"
            ) from None
        raise


@exercise(
    "networks-dense-forward",
    "Write dense_forward(X, W, b) = relu(X W^T + b) for a batch X of shape (N, in).",
    hint="One row of X is one example and one row of W is one unit's weights: the matrix "
    "product of X with W transposed gives every unit's weighted sum for every example. "
    "The bias broadcasts over the rows; the ReLU comes last.",
    solution=r"""def dense_forward(X, W, b):
    return relu(X @ W.T + b)
""",
)
def _dense_forward(fn):
    rng = np.random.default_rng(2)
    for n, d_in, d_out in ((5, 4, 3), (2, 6, 1), (1, 3, 7)):  # W never square, N never out
        ((W, b),) = _random_layers(rng, (d_in, d_out))
        X = rng.normal(size=(n, d_in))
        got = _call_with_shapes(fn, X, W.copy(), b.copy(), W=W)
        if array_of_shape(got, (d_out, n)) is not None:
            raise Wrong(
                "your output has shape (out, N); the batch should stay in the rows: (N, out)."
            )
        sums = array_of_shape(got, (n, d_out))
        some_negative = (X @ W.T + b < 0).any()  # else ReLU changes nothing
        if sums is not None and some_negative and np.allclose(sums, X @ W.T + b):
            raise Wrong("the weighted sums are right; now apply the activation (ReLU).")
        if sums is not None and np.allclose(sums, np.maximum(X @ W.T, 0)):
            raise Wrong("the bias is missing: add b to the weighted sums before the ReLU.")
        want = _torch_mlp(X, [(W, b)], relu_last=True)
        compare_arrays(got, want, what=f"your output for X {X.shape}, W {W.shape}")
    return "the same numbers as torch.nn.Linear + ReLU: one matrix product for the whole batch."


@exercise(
    "networks-mlp-forward",
    "Write mlp_forward(X, layers): a ReLU network's scores for a batch, layers = [(W, b), ...].",
    hint="Walk through the list: each layer takes the previous layer's output as its input. "
    "Every layer but the last is followed by a ReLU; the last one gives the scores "
    "(logits), with no activation.",
    solution=r"""def mlp_forward(X, layers):
    *hidden, (W_out, b_out) = layers
    for W, b in hidden:
        X = relu(X @ W.T + b)  # (N, in) -> (N, out)
    return X @ W_out.T + b_out  # the scores: no ReLU on the last layer
""",
)
def _mlp_forward(fn):
    rng = np.random.default_rng(4)
    for n, sizes in ((5, (4, 6, 5, 3)), (3, (2, 7, 4)), (4, (3, 2))):
        layers = _random_layers(rng, sizes)
        X = rng.normal(size=(n, sizes[0]))
        got = _call_with_shapes(fn, X, [(W.copy(), b.copy()) for W, b in layers])
        want = _torch_mlp(X, layers, relu_last=False)
        arr = array_of_shape(got, want.shape)
        if arr is not None and not np.allclose(arr, want):
            if (want < 0).any() and np.allclose(arr, np.maximum(want, 0)):
                raise Wrong(
                    "the last layer gives the scores: no ReLU after it (softmax or the loss "
                    "comes later)."
                )
            if np.allclose(arr.sum(axis=1), 1):
                raise Wrong("return the scores (logits); the notebook applies the softmax.")
        if len(layers) > 1 and array_of_shape(got, (n, sizes[1])) is not None:
            raise Wrong(
                f"your output has shape {(n, sizes[1])}: that is the first layer's output. "
                "Feed each layer's output into the next layer."
            )
        compare_arrays(got, want, what=f"your output for layer sizes {sizes}")
    return "the same scores as torch.nn.Sequential with the same weights: forward propagation."


def _torch_count(sizes) -> int:
    import torch

    layers = [torch.nn.Linear(i, o) for i, o in pairwise(sizes)]
    return sum(p.numel() for p in torch.nn.Sequential(*layers).parameters())


@exercise(
    "networks-param-count",
    "Write count_params(sizes): the parameters of a dense network with layer sizes "
    "[n_in, hidden..., n_out].",
    hint="Go through the sizes two at a time, (inputs, units) of one layer: that layer has a "
    "weight for every (unit, input) pair and one bias per unit. Add the layers up.",
    solution=r"""def count_params(sizes):
    pairs = zip(sizes[:-1], sizes[1:])  # (n_in, n_out) of each layer
    return sum(n_in * n_out + n_out for n_in, n_out in pairs)
""",
)
def _param_count(fn):
    for sizes in ([784, 128, 10], [3, 5], [10, 20, 30, 40, 5], [7, 1, 7]):
        want = _torch_count(sizes)
        got = as_count(call_answer(fn, list(sizes)), what=f"your count for sizes {sizes}")
        weights = sum(i * o for i, o in pairwise(sizes))
        if got == weights:
            raise Wrong(f"for sizes {sizes} you counted the weights; each unit also has a bias.")
        if got == weights + sum(sizes):
            raise Wrong(
                f"for sizes {sizes} you gave the inputs biases too; only the units of a layer "
                "have one."
            )
        if got != want:
            raise Wrong(
                f"{got} is not it for sizes {sizes}. A layer from n inputs to m units has an "
                "(m, n) weight matrix plus m biases; add up the layers (there is one fewer "
                "layer than sizes)."
            )
    return "the same count torch.nn reports: weights plus biases, layer by layer."
