"""Exercises of notebook 13: compute and scale."""

from __future__ import annotations

from dlhelpers.checks import Wrong, as_count, call_answer, count_equal, exercise

__all__ = []

# FLOPs and bytes are counts: compared exactly (as_count, count_equal), never with a tolerance.

_LINEAR_CASES = ((32, 784, 64), (1, 3, 5), (7, 10, 2))  # (batch, n_in, n_out): each changes


@exercise(
    "compute-linear-flops",
    "Write linear_flops(batch, n_in, n_out): the forward FLOPs of nn.Linear(n_in, n_out) on a "
    "batch of `batch` rows (a multiply-add = 2 FLOPs, bias left out).",
    hint="Count the outputs (batch x n_out of them); each is a sum of n_in products, and every "
    "product with its addition is one multiply-add.",
    solution=r"""def linear_flops(batch, n_in, n_out):
    "FLOPs of nn.Linear(n_in, n_out) on `batch` rows, forward pass, no bias."
    return 2 * batch * n_in * n_out
""",
)
def _linear_flops(fn):
    for batch, n_in, n_out in _LINEAR_CASES:
        value = as_count(call_answer(fn, batch, n_in, n_out), what="what your function returns")
        if value == batch * n_in * n_out:
            raise Wrong(
                "that counts multiply-adds; each is a multiplication and an addition: 2 FLOPs."
            )
        if value == 2 * n_in * n_out and batch > 1:
            raise Wrong("that is one row; every row of the batch costs the same again.")
        if value == 2 * batch * n_in * n_out + batch * n_out:
            raise Wrong(
                "leave the bias out: the exercise (and the counter) count only the products."
            )
        count_equal(
            value,
            2 * batch * n_in * n_out,
            hint=f"(for batch={batch}, n_in={n_in}, n_out={n_out}) each of the batch x n_out "
            "outputs is a sum of n_in products.",
        )
    return "2 x batch x in x out: the matrix product is almost all of an MLP's cost."


_CONV_CASES = (  # (batch, c_in, c_out, kernel, h_out, w_out): each changes
    (1, 1, 6, 5, 28, 28),
    (4, 3, 2, 3, 5, 7),
    (2, 6, 16, 5, 10, 10),
)


@exercise(
    "compute-conv-flops",
    "Write conv_flops(batch, c_in, c_out, kernel, h_out, w_out): the forward FLOPs of "
    "nn.Conv2d(c_in, c_out, kernel) whose output maps are h_out x w_out (multiply-add = 2, no bias).",
    hint="Count the output values (batch x c_out x h_out x w_out); each is a sum over a window of "
    "c_in x kernel x kernel inputs, one multiply-add per weight of the window.",
    solution=r"""def conv_flops(batch, c_in, c_out, kernel, h_out, w_out):
    "FLOPs of nn.Conv2d(c_in, c_out, kernel) giving h_out x w_out maps, forward pass, no bias."
    outputs = batch * c_out * h_out * w_out
    return 2 * outputs * (c_in * kernel * kernel)
""",
)
def _conv_flops(fn):
    for batch, c_in, c_out, k, h, w in _CONV_CASES:
        got = call_answer(fn, batch, c_in, c_out, k, h, w)
        value = as_count(got, what="what your function returns")
        outputs, window = batch * c_out * h * w, c_in * k * k
        if value == outputs * window:
            raise Wrong("that counts multiply-adds; count 2 FLOPs for each.")
        if value == 2 * c_out * window * (batch if batch > 1 else 1) and h * w > 1:
            raise Wrong(
                "that is one output position per filter; the kernel slides to all h_out x w_out "
                "positions."
            )
        if value == 2 * outputs * k * k and c_in > 1:
            raise Wrong("each window spans every input channel: c_in x kernel x kernel products.")
        if value == 2 * c_out * h * w * window and batch > 1:
            raise Wrong("that is one image; every image of the batch costs the same again.")
        count_equal(
            value,
            2 * outputs * window,
            hint=f"(for batch={batch}, c_in={c_in}, c_out={c_out}, kernel={k}, {h}x{w} outputs) "
            "count the output values, then the products in each one's window.",
        )
    return (
        "2 x outputs x (c_in x k x k): few parameters, many FLOPs, the opposite of a dense layer."
    )


@exercise(
    "compute-allreduce-bytes",
    "Data-parallel training of the primer's MLP (52,650 float32 parameters): bytes all-reduced per step?",
    hint="DDP sends one gradient per trainable parameter, every step; a float32 takes 4 bytes.",
    solution=r"""allreduce = 4 * 52_650  # a number of bytes
""",
)
def _allreduce(answer):
    value = as_count(answer)
    if value == 52_650:
        raise Wrong("that is the number of gradients; each float32 takes 4 bytes.")
    if value == 8 * 52_650:
        raise Wrong(
            "that is 8 bytes per parameter: a float32 takes 4 (8 is float64), and the question "
            "asks what one rank contributes, not the two together."
        )
    count_equal(value, 4 * 52_650, hint="one gradient per parameter, 4 bytes each (float32).")
    return "the gradient of every parameter, every step: why large models need fast links between machines."
