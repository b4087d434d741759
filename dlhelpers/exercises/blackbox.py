"""Exercises of notebook 12: inside the black box."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    array_of_shape,
    as_count,
    call_answer,
    compare_arrays,
    count_equal,
    exercise,
)

__all__ = []

# The FLOPs and bytes are counts, compared exactly (as_count, count_equal); the adversarial
# image is real-valued, compared with compare_arrays' tolerance.


@exercise(
    "bb-fgsm-step",
    "Write fgsm_step(x, grad, eps): x moved by eps along the sign of the loss gradient, kept in [0, 1].",
    solution=r"""def fgsm_step(x, grad, eps):
    "x: image (values in [0, 1]); grad: dL/dx; eps: the step. Returns the adversarial image."
    return np.clip(x + eps * np.sign(grad), 0, 1)
""",
)
def _fgsm_step(fn):
    rng = np.random.default_rng(12)
    for shape, eps in (((4, 6), 0.1), ((2, 1, 5, 5), 0.3), ((3, 7), 0.05)):
        x, grad = rng.uniform(size=shape), rng.normal(size=shape)  # new x, grad and eps each time
        x.flat[:3] = [0.0, 1.0, 0.99]  # pixels at the edges of [0, 1]
        got = call_answer(fn, x.copy(), grad.copy(), eps)
        want = np.clip(x + eps * np.sign(grad), 0, 1)
        arr = array_of_shape(got, want.shape)
        if arr is not None:
            if np.allclose(arr, np.clip(x - eps * np.sign(grad), 0, 1)):
                raise Wrong(
                    "that steps down the loss (making the answer *more* right); attack uphill."
                )
            if np.allclose(arr, x + eps * np.sign(grad)):
                raise Wrong(
                    "some pixels leave [0, 1]: clip the result (np.clip) so it is still an image."
                )
            if np.allclose(arr, np.clip(x + eps * grad, 0, 1)):
                raise Wrong(
                    "FGSM uses only the gradient's sign, so every pixel moves by exactly eps."
                )
        compare_arrays(got, want, what=f"your adversarial image for eps={eps}")
    return "every pixel moves by eps, in the direction that raises the loss: invisible, and often enough."


@exercise(
    "bb-linear-flops",
    "FLOPs of nn.Linear(784, 64) on a batch of 32 (forward, a multiply-add = 2 FLOPs, no bias)?",
    solution=r"""linear_flops = 2 * 32 * 784 * 64  # a number
""",
)
def _linear_flops(answer):
    value = as_count(answer)
    if value == 32 * 784 * 64:
        raise Wrong("that counts multiply-adds; each is a multiplication and an addition: 2 FLOPs.")
    if value == 2 * 784 * 64:
        raise Wrong("that is one image; the batch has 32.")
    count_equal(
        value, 2 * 32 * 784 * 64, hint="each output (32 x 64 of them) is a sum of 784 products."
    )
    return "2 x batch x in x out: the matrix product is almost all of an MLP's cost."


@exercise(
    "bb-conv-flops",
    "FLOPs of nn.Conv2d(1, 6, 5, padding=2) on one 28x28 image (forward, multiply-add = 2, no bias)?",
    solution=r"""conv_flops = 2 * (6 * 28 * 28) * (1 * 5 * 5)  # a number
""",
)
def _conv_flops(answer):
    value = as_count(answer)
    outputs = 6 * 28 * 28
    if value == outputs * 25:
        raise Wrong("that counts multiply-adds; count 2 FLOPs for each.")
    if value == 2 * 6 * 25:
        raise Wrong(
            "that is one output pixel per filter; the kernel slides to all 28 x 28 positions."
        )
    count_equal(
        value, 2 * outputs * 25, hint="6 x 28 x 28 outputs, each a sum of 1 x 5 x 5 products."
    )
    return "2 x outputs x (in_channels x kH x kW): few parameters, many FLOPs, the opposite of a dense layer."


@exercise(
    "bb-allreduce-bytes",
    "Data-parallel training of the primer's MLP (52,650 float32 parameters): bytes all-reduced per step?",
    solution=r"""allreduce = 4 * 52_650  # a number of bytes
""",
)
def _allreduce(answer):
    value = as_count(answer)
    if value == 52_650:
        raise Wrong("that is the number of gradients; each float32 takes 4 bytes.")
    if value == 8 * 52_650:
        raise Wrong("float32 is 4 bytes, not 8.")
    count_equal(value, 4 * 52_650, hint="one gradient per parameter, 4 bytes each (float32).")
    return "the gradient of every parameter, every step: why large models need fast links between machines."
