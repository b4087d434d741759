"""Exercises of notebook 08: recurrent networks."""

from __future__ import annotations

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
)

__all__ = []

# Parameter counts are compared exactly; gradients, hidden states and probabilities are
# real-valued, compared with a tolerance.


@exercise(
    "rnn-param-count",
    "How many parameters does nn.RNN(input_size=10, hidden_size=20) have?",
    solution=r"""rnn_params = 20 * 10 + 20 * 20 + 20 + 20  # W_ih, W_hh, b_ih, b_hh
""",
)
def _rnn_params(answer):
    value = as_count(answer)
    if value == 20 * 10 + 20 * 20 + 20:
        raise Wrong("torch's RNN has two bias vectors, b_ih and b_hh, not one.")
    if value in (20 * 10 + 20, 20 * 10 + 40):
        raise Wrong("you left out the recurrent weights W_hh, which map h_{t-1} (20) to 20 units.")
    count_equal(
        value,
        20 * 10 + 20 * 20 + 20 + 20,
        hint="add up weight_ih_l0 (hidden x input), weight_hh_l0 (hidden x hidden) and two biases.",
    )
    return "W_ih 20x10, W_hh 20x20 and two biases of 20: the count does not depend on the length."


@exercise(
    "rnn-lstm-param-count",
    "How many parameters does nn.LSTM(input_size=10, hidden_size=20) have?",
    solution=r"""lstm_params = 4 * (20 * 10 + 20 * 20 + 20 + 20)  # four gates, each an RNN cell
""",
)
def _lstm_params(answer):
    value = as_count(answer)
    one = 20 * 10 + 20 * 20 + 20 + 20
    if value == one:
        raise Wrong(
            "that is one plain RNN cell; an LSTM computes four gates, each with its own weights."
        )
    if value == 3 * one:
        raise Wrong(
            "three gates' worth: that is a GRU. An LSTM has four (input, forget, cell, output)."
        )
    count_equal(
        value, 4 * one, hint="four gates, each like an RNN cell: W_ih, W_hh and two biases."
    )
    return "four times a plain RNN cell: torch stacks the gates, so weight_ih_l0 is (80, 10)."


@exercise(
    "rnn-linear-gradient",
    "For h_t = w h_{t-1} + x_t, write grad_back(w, k) = d h_T / d h_{T-k}.",
    solution=r'''def grad_back(w, k):
    """d h_T / d h_{T-k} for h_t = w * h_{t-1} + x_t."""
    return w**k
''',
)
def _linear_gradient(fn):
    cases = [(0.9, 20), (1.1, 30), (0.5, 1), (2.0, 0), (-0.8, 5), (1.0, 50)]
    for w, k in cases:
        got = call_answer(fn, w, k)
        value = as_number(got, what=f"grad_back({w}, {k})")
        want = w**k
        # rtol leaves room for float32 (torch.tensor(w) ** k), far below any typical mistake
        if np.isclose(value, want, rtol=1e-5, atol=1e-300):
            continue
        if k > 1 and np.isclose(value, w * k):
            raise Wrong(
                f"grad_back({w}, {k}) gave {value:g}: the chain rule multiplies, one w per step."
            )
        if k > 0 and np.isclose(value, k * w ** (k - 1)):
            raise Wrong(
                f"grad_back({w}, {k}) gave {value:g}, the derivative with respect to w. "
                "Differentiate with respect to h_{T-k}, holding w fixed."
            )
        raise Wrong(
            f"grad_back({w}, {k}) gave {value:g}, which is not it. Write h_T in terms of h_{{T-k}} "
            "by unrolling k steps."
        )
    return "w to the power k: below 1 it vanishes, above 1 it explodes, exponentially in k."


def _rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def _step_slips(got_arr, x, h, W_ih, W_hh, b_ih, b_hh) -> None:
    """Raise :class:`Wrong` naming a known mistake if ``got_arr`` is one."""
    pre = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    if np.allclose(got_arr, pre):
        raise Wrong("the weighted sum is right; now squash it with tanh.")
    if np.allclose(got_arr, np.tanh(pre - b_hh)) or np.allclose(got_arr, np.tanh(pre - b_ih)):
        raise Wrong("one bias is missing: torch's RNN adds both b_ih and b_hh.")
    if np.allclose(got_arr, np.tanh(x @ W_ih.T + b_ih + b_hh)):
        raise Wrong("the previous hidden state h does not enter: that is not recurrent yet.")
    if np.allclose(got_arr, np.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh)):
        raise Wrong(
            "the x part is right, the h part is not: W_hh is square, so a product with it "
            "runs whichever way round you use it. torch stores W_hh as (out, in), like "
            "W_ih: does it need the same transposing?"
        )


@exercise(
    "rnn-step",
    "Write rnn_step(x, h, W_ih, W_hh, b_ih, b_hh): one step of torch's tanh RNN for a batch.",
    solution=r'''def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One step of torch's tanh RNN: returns the new hidden state, shape (B, H)."""
    return np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
''',
)
def _step(fn):
    rng = np.random.default_rng(8)
    for B, C, H in ((3, 4, 5), (1, 2, 3), (4, 6, 2)):  # every argument new at each call
        args = [
            rng.normal(size=(B, C)),
            rng.normal(size=(B, H)),
            rng.normal(size=(H, C)),
            rng.normal(size=(H, H)),
            rng.normal(size=H),
            rng.normal(size=H),
        ]
        try:
            got = call_answer(fn, *(a.copy() for a in args))
        except ValueError as err:
            if "matmul" in str(err) or "shapes" in str(err) or "broadcast" in str(err):
                raise Wrong(
                    "a matrix product failed: x is (B, C) and W_ih is (H, C), h is (B, H) and "
                    "W_hh is (H, H). Which ones need transposing?"
                ) from None
            raise
        got_arr = array_of_shape(got, (B, H))
        if got_arr is not None:
            _step_slips(got_arr, *args)
        compare_arrays(
            got, _rnn_step(*args), what=f"your new hidden state for (B, C, H) = {(B, C, H)}"
        )
    return "tanh(x W_ih^T + b_ih + h W_hh^T + b_hh): the same weights at every step."


@exercise(
    "rnn-temperature",
    "Write with_temperature(logits, T): the sampling probabilities softmax(logits / T).",
    solution=r"""def with_temperature(logits, T):
    "logits: ndarray (V,); T > 0 -> probabilities (V,) that add up to 1."
    z = logits / T
    e = np.exp(z - z.max())
    return e / e.sum()
""",
)
def _temperature(fn):
    first = np.array([2.0, 1.0, 0.5, -1.0, 0.0])
    other = np.array([0.3, -2.0, 1.5, 0.0, 2.5, -0.5, 1.0])  # new logits: a function must read them
    for logits, T in ((first, 1.0), (first, 0.5), (first, 2.0), (first, 0.1), (other, 0.7)):
        got = call_answer(fn, logits.copy(), T)
        z = logits / T
        want = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        if array_of_shape(got, ()) is not None:
            raise Wrong(
                f"at T={T} your function returned a single number, not V = {len(logits)} "
                "probabilities (one per character). Return the whole distribution; "
                "sampling from it comes later."
            )
        arr = array_of_shape(got, want.shape)
        if arr is not None and T != 1.0:
            zt = logits * T
            if np.allclose(arr, np.exp(zt - zt.max()) / np.exp(zt - zt.max()).sum()):
                raise Wrong(
                    "you multiplied by T; divide. A low temperature should sharpen the choice."
                )
        if arr is not None and not np.isclose(arr.sum(), 1):
            raise Wrong(f"at T={T} your probabilities add up to {arr.sum():.3g}, not 1: normalise.")
        compare_arrays(got, want, what=f"your probabilities at T={T}")
    with np.errstate(over="ignore", invalid="ignore"):  # the hint below names the overflow
        got = call_answer(fn, np.array([1000.0, 0.0]), 1.0)
    arr = array_of_shape(got, (2,))
    if arr is not None and not np.isfinite(arr).all():
        raise Wrong(
            "for logits [1000, 0] your probabilities contain inf or nan: exp(1000) overflows. "
            "Softmax gives the same result if you shift all logits by the same amount: "
            "which shift keeps every exponent small?"
        )
    compare_arrays(got, np.array([1.0, 0.0]), what="your probabilities for logits [1000, 0]")
    return "T < 1 sharpens towards the most likely character, T > 1 flattens towards uniform."
