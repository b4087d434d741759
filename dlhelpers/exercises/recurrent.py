"""Exercises of notebook 08: recurrent networks.

The core piece is ``rnn-lstm-step``: one LSTM step written by the learner, checked
against ``torch.nn.LSTMCell`` in float64 with the same weights copied in; typical
mistakes (gate order, a lost ``f * c_prev``, a sigmoid for tanh, a transpose) get
their own hint. Its package twin is :func:`dlhelpers.scratch.recurrent.lstm_cell`.
"""

from __future__ import annotations

import itertools

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
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
    "rnn-lstm-param-count",
    "How many parameters does nn.LSTM(input_size=10, hidden_size=20) have?",
    hint="Each of the four gates is computed like one step of a plain RNN: its own rows of "
    "W_ih (hidden x input) and W_hh (hidden x hidden), and two biases. Count one gate's "
    "parameters from the shapes that section 2 printed, then multiply.",
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
            "three gates' worth: that is a GRU. An LSTM has four (input, forget, candidate, output)."
        )
    count_equal(
        value, 4 * one, hint="four gates, each like an RNN cell: W_ih, W_hh and two biases."
    )
    return "four times a plain RNN cell: torch stacks the gates, so weight_ih_l0 is (80, 10)."


@exercise(
    "rnn-linear-gradient",
    "For h_t = w h_{t-1} + x_t, write grad_back(w, k) = d h_T / d h_{T-k}.",
    hint="Unroll: h_T = w h_{T-1} + x_T = w (w h_{T-2} + x_{T-1}) + x_T = ... Each step back "
    "multiplies by the derivative of one step, d h_t / d h_{t-1}.",
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
    hint="Follow the formula of section 1, with each example as a row: x (B, C) times a "
    "matrix must give (B, H), and W_ih is stored (H, C), as in nn.Linear. Add both biases, "
    "then squash with tanh.",
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
    hint="Divide the logits by T, then take a softmax. Subtracting the largest value before "
    "np.exp changes no probability and keeps every exponent at most 0.",
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


# --- the core piece: one LSTM step, against torch.nn.LSTMCell ------------------------


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _lstm_variant(x, h, c, W_ih, W_hh, b_ih, b_hh, *, slip=""):
    """One LSTM step, right (``slip=""``) or with one typical mistake: (h_new, c_new)."""
    H = h.shape[1]
    a = x @ W_ih.T + h @ W_hh.T + b_ih + b_hh  # (B, 4H)
    if slip == "one bias":
        a = a - b_hh
    if slip == "no h":
        a = a - h @ W_hh.T
    blocks = [a[:, k * H : (k + 1) * H] for k in range(4)]
    order = slip[6:] if slip.startswith("order ") else "ifgo"
    i, f, g, o = (blocks["ifgo".index(name)] for name in order)
    squash = {"g sigmoid": (_sig, _sig), "gates tanh": (np.tanh, np.tanh)}.get(slip, (_sig, None))
    i, f, o = squash[0](i), squash[0](f), squash[0](o)
    g = (squash[1] or np.tanh)(g)
    c_new = {"no f*c": i * g, "c unscaled": c + i * g}.get(slip, f * c + i * g)
    h_new = {"no tanh(c)": o * c_new, "old c": o * np.tanh(c)}.get(slip, o * np.tanh(c_new))
    return h_new, c_new


# every other order of the four blocks: TensorFlow's i, g, f, o, the equations' i, f, o, g, ...
_ORDERS = ["".join(p) for p in itertools.permutations("ifgo") if "".join(p) != "ifgo"]
_LSTM_SLIPS = {
    **{
        f"order {order}": "the four gates are read in the wrong order: torch stacks them as "
        "i, f, g, o along the 4H axis, each H wide."
        for order in _ORDERS
    },
    "no f*c": "the old cell is lost: the new cell keeps a share of the old one, scaled by "
    "the forget gate, before the new content is added.",
    "c unscaled": "the old cell goes through unscaled: the forget gate f decides how much "
    "of c_prev is kept.",
    "g sigmoid": "the candidate g is squashed by tanh (values between -1 and 1), not by a "
    "sigmoid: only i, f and o are gates.",
    "gates tanh": "i, f and o are gates between 0 and 1: a sigmoid, not tanh.",
    "no tanh(c)": "the new cell is right; the hidden state squashes it with tanh before the "
    "output gate.",
    "old c": "the cell is right; the hidden state reads the new cell c_t, not c_{t-1}.",
    "one bias": "one bias is missing: torch's LSTMCell adds both b_ih and b_hh.",
    "no h": "the previous hidden state h does not enter the gates: that is not recurrent yet.",
}


def _lstm_cases():
    """Three batches of (x, h, c, W_ih, W_hh, b_ih, b_hh): every argument new each time."""
    rng = np.random.default_rng(8)
    for B, C, H in ((3, 4, 5), (2, 3, 2), (1, 5, 3)):  # C is never 4H: a transpose shows
        shapes = [(B, C), (B, H), (B, H), (4 * H, C), (4 * H, H), (4 * H,), (4 * H,)]
        yield [rng.normal(scale=0.8, size=s) for s in shapes]


def _lstm_cell_torch(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """torch.nn.LSTMCell in float64 with these weights copied in: (h_new, c_new)."""
    import torch

    cell = torch.nn.LSTMCell(x.shape[1], h.shape[1], dtype=torch.float64)
    with torch.no_grad():
        for p, value in zip(cell.parameters(), (W_ih, W_hh, b_ih, b_hh), strict=True):
            p.copy_(
                torch.from_numpy(value)
            )  # torch's order: weight_ih, weight_hh, bias_ih, bias_hh
        h_new, c_new = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    return h_new.numpy(), c_new.numpy()


def _lstm_pair(got, B, H):
    """What the learner's function returned, as the pair (h_new, c_new), or :class:`Wrong`."""
    if isinstance(got, tuple | list) and len(got) == 2:
        return got
    stacked = array_of_shape(got, (2, B, H))
    if stacked is not None:
        return stacked[0], stacked[1]
    if array_of_shape(got, (B, H)) is not None:
        raise Wrong("you returned one array; return both states, the pair (h_new, c_new).")
    raise Wrong(
        f"your function returned {a_type(got)}; expected the pair (h_new, c_new), "
        f"each of shape (B, H) = {(B, H)}."
    )


def _lstm_slips(h_got, c_got, args) -> None:
    """Raise :class:`Wrong` naming a known mistake if the pair is one."""
    h_arr, c_arr = array_of_shape(h_got, args[1].shape), array_of_shape(c_got, args[1].shape)
    if h_arr is None or c_arr is None:
        return
    right_h, right_c = _lstm_variant(*args)
    if np.allclose(h_arr, right_c) and np.allclose(c_arr, right_h):
        raise Wrong("you returned (c_new, h_new); torch's LSTMCell returns (h_new, c_new).")
    for slip, hint in _LSTM_SLIPS.items():
        h_slip, c_slip = _lstm_variant(*args, slip=slip)
        if np.allclose(h_arr, h_slip) and np.allclose(c_arr, c_slip):
            raise Wrong(hint)


@exercise(
    "rnn-lstm-step",
    "Write lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh): one step of torch's LSTMCell for a "
    "batch, returning (h_new, c_new).",
    hint="Start as for rnn_step: one pre-activation x W_ih^T + b_ih + h W_hh^T + b_hh of "
    "shape (B, 4H) holds the four gates side by side. Cut it into four blocks of H columns "
    "in torch's order i, f, g, o, squash each (sigmoid for a gate, tanh for the candidate g), "
    "then apply the two equations for c_t and h_t.",
    solution=r'''def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step of torch's LSTMCell for a batch: returns (h_new, c_new), each (B, H)."""
    H = h.shape[1]
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh  # (B, 4H): the gates side by side
    i = sigmoid(a[:, :H])  # input gate
    f = sigmoid(a[:, H : 2 * H])  # forget gate
    g = np.tanh(a[:, 2 * H : 3 * H])  # candidate
    o = sigmoid(a[:, 3 * H :])  # output gate
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return h_new, c_new
''',
)
def _lstm_step(fn):
    for args in _lstm_cases():
        (B, C), H = args[0].shape, args[1].shape[1]
        try:
            got = call_answer(fn, *(a.copy() for a in args))
        except ValueError as err:
            if any(word in str(err) for word in ("matmul", "shapes", "broadcast", "aligned")):
                raise Wrong(
                    "a matrix product failed: x is (B, C) and W_ih is (4H, C), h is (B, H) and "
                    "W_hh is (4H, H). Which ones need transposing?"
                ) from None
            raise
        h_got, c_got = _lstm_pair(got, B, H)
        _lstm_slips(h_got, c_got, args)
        want_h, want_c = _lstm_cell_torch(*args)
        size = f"(B, C, H) = {(B, C, H)}"
        compare_arrays(c_got, want_c, what=f"your c_new for {size}", rtol=1e-5, atol=1e-8)
        compare_arrays(h_got, want_h, what=f"your h_new for {size}", rtol=1e-5, atol=1e-8)
    return (
        "the same as torch's LSTMCell: the cell is scaled by the forget gate and added to, "
        "so dc_t/dc_{t-1} is just f."
    )
