"""Exercises of notebook 04: backpropagation."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    a_type,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    is_stub,
    number_close,
    refuse_module,
)
from dlhelpers.scratch.engine import Value
from dlhelpers.scratch.value_nn import linear_params, load_linear_params

__all__ = []

# Every answer here is a real-valued derivative: compared with a tolerance (number_close,
# np.isclose, compare_arrays), never exactly.


@exercise(
    "backprop-chain-rule",
    "L = (a*b + c) * f with a=3, b=-2, c=4, f=-1.5: find dL/db by the chain rule.",
    hint="Start at L, whose gradient is 1, and walk back to b one operation at a time; each "
    "product hands an input the *other* input times the gradient that arrived, a sum passes "
    "it on unchanged.",
    solution=r"""dL_db = -1.5 * 1 * 3  # dL/dd * dd/de * de/db = f * 1 * a
""",
)
def _chain_rule(answer):
    a, f = 3.0, -1.5  # b = -2 and c = 4 do not enter dL/db
    value = as_number(answer)  # a str, a bool, a complex or NaN is named before any hint
    if np.isclose(value, a):
        raise Wrong(
            "that is de/db alone; the gradient still has to pass through the final "
            "multiplication by f."
        )
    number_close(
        value,
        a * f,
        hint="Walk back from L: dL/dd = f, dd/de = 1 (a sum), de/db = a; "
        "multiply the local gradients along the path.",
    )
    return "dL/db = dL/dd · dd/de · de/db: one local gradient per node, multiplied."


def _one_number(got, what: str) -> float:
    """A number, a 0-d tensor or a 1-element array as a float; else :class:`Wrong` naming it."""
    if isinstance(got, np.ndarray) and got.size == 1:
        got = got.reshape(())  # np.array([x]) holds the right number too
    return as_number(got, what=what)


def _div_reference(a, b, out_grad):
    return out_grad / b, -a / b**2 * out_grad


@exercise(
    "backprop-div-backward",
    "Write div_backward(a, b, out_grad) -> (grad_a, grad_b) for out = a / b.",
    hint="Two local derivatives, one per input: treat b as a constant for the first, a for the "
    "second (a / b = a * b**-1). Each one is then multiplied by the gradient that arrived "
    "from above.",
    solution=r"""def div_backward(a, b, out_grad):
    # return (grad_a, grad_b)
    return out_grad / b, -a / b**2 * out_grad
""",
)
def _div_backward(fn):
    cases = [(6.0, 3.0, 1.0), (-1.5, 0.5, 2.0), (2.0, -4.0, -0.5), (0.0, 2.5, 3.0)]
    for a, b, g in cases:
        got = call_answer(fn, a, b, g)
        if (
            isinstance(got, str | bytes | dict | set)
            or not hasattr(got, "__len__")
            or getattr(got, "ndim", 1) == 0
        ):
            raise Wrong(
                f"your function returns {a_type(got)}; return two numbers: (grad_a, grad_b)."
            )
        if len(got) != 2:
            raise Wrong(
                f"your function returns {a_type(got)} of length {len(got)}; "
                "return two numbers: (grad_a, grad_b)."
            )
        want_a, want_b = _div_reference(a, b, g)
        where = f"for a={a:g}, b={b:g}, out_grad={g:g}"
        grad_a = _one_number(got[0], f"grad_a {where}")
        grad_b = _one_number(got[1], f"grad_b {where}")
        if not np.isclose(grad_a, want_a):
            raise Wrong(
                f"grad_a {where} is {grad_a:.4g}. The local derivative of a / b "
                "with respect to a is 1 / b; multiply it by out_grad."
            )
        if not np.isclose(grad_b, want_b):
            raise Wrong(
                f"grad_b {where} is {grad_b:.4g}. Write a / b as a · b^-1 and "
                "differentiate b^-1; do not forget out_grad."
            )
    return "both local derivatives, each times the gradient that arrived from above."


def _linear_reference(x, weight, grad_out):
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)


@exercise(
    "backprop-linear-backward",
    "Write linear_backward(x, weight, grad_out) -> (grad_x, grad_weight, grad_bias) "
    "for out = x @ weight.T + bias.",
    hint="Each gradient has the shape of its variable: grad_x is (N, in), grad_weight "
    "(out, in), grad_bias (out,). Find the one product of the arrays you have that gives each "
    "shape; a term added to every row collects the gradient of every row.",
    solution=r"""def linear_backward(x, weight, grad_out):
    # return (grad_x, grad_weight, grad_bias)
    return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)
""",
)
def _linear_backward(fn):
    rng = np.random.default_rng(4)
    for n, d_in, d_out in [(5, 3, 2), (1, 4, 4), (7, 2, 6)]:
        x = rng.normal(size=(n, d_in))
        weight = rng.normal(size=(d_out, d_in))
        grad_out = rng.normal(size=(n, d_out))
        try:
            got = call_answer(fn, x.copy(), weight.copy(), grad_out.copy())
        except ValueError as err:
            if "matmul" in str(err) or "shapes" in str(err) or "aligned" in str(err):
                raise Wrong(
                    f"a matrix product in your function failed: its shapes do not fit. Here x "
                    f"has shape (N, in) = {x.shape}, weight (out, in) = {weight.shape} and "
                    f"grad_out (N, out) = {grad_out.shape}. In A @ B the last axis of A must "
                    "match the first axis of B, and each gradient has the shape of what it "
                    "is the gradient of: write the shapes under each product you wrote."
                ) from None
            raise
        if not isinstance(got, tuple | list) or len(got) != 3:
            raise Wrong("return three arrays: (grad_x, grad_weight, grad_bias).")
        hints = (
            "grad_x must have x's shape (N, in). By the chain rule each input feeds "
            "every output through the weights: which product of grad_out (N, out) and "
            "weight (out, in) has shape (N, in)?",
            "grad_weight must have weight's shape (out, in); by the chain rule every row "
            "of the batch adds its share. Which product of grad_out (N, out) and x (N, in) sums over "
            "N and leaves (out, in)?",
            "the bias is added to every row of the batch; by the chain rule each row "
            "passes its gradient back to it. How do the rows' shares combine?",
        )
        names = ("grad_x", "grad_weight", "grad_bias")
        for got_k, want_k, name, hint in zip(
            got, _linear_reference(x, weight, grad_out), names, hints, strict=True
        ):
            try:
                compare_arrays(got_k, want_k, what=f"{name} (batch {n}, {d_in} -> {d_out})")
            except Wrong as err:
                raise Wrong(f"{err} Hint: {hint}") from None
    return (
        "shapes tell you the formulas: grad_x = grad_out @ W, grad_W = grad_out.T @ x, "
        "grad_b = grad_out.sum(0). This is Linear.backward in dlhelpers.scratch."
    )


# --- the core piece: Neuron, Layer and MLP on the engine -------------------------------------

_MLP_SOLUTION = r'''class Neuron:
    """tanh(w . x + b), or w . x + b with activation=False: one row of torch's nn.Linear."""

    def __init__(self, n_in, activation=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):  # x: a list of n_in Values (or numbers) -> one Value
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z.tanh() if self.activation else z

    def parameters(self):  # the weights, then the bias
        return self.w + [self.b]


class Layer:
    """n_out neurons that all read the same inputs: torch's nn.Linear(n_in, n_out)."""

    def __init__(self, n_in, n_out, activation=True):
        self.neurons = [Neuron(n_in, activation) for _ in range(n_out)]

    def __call__(self, x):  # a list of n_in Values -> a list of n_out Values
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):  # neuron by neuron
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """n_in -> sizes[0] -> ... -> sizes[-1]: tanh after every layer but the last."""

    def __init__(self, n_in, sizes):
        dims = [n_in] + list(sizes)
        last = len(sizes) - 1
        self.layers = [Layer(dims[i], dims[i + 1], activation=i < last) for i in range(len(sizes))]

    def __call__(self, x):  # a list of n_in numbers -> a list of sizes[-1] Values
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):  # layer by layer
        return [p for layer in self.layers for p in layer.parameters()]
'''

# How the forward pass can go wrong, each with its hint; "right" is what torch computes.
_MLP_VARIANTS = {
    "tanh on the last layer": "the outputs are squashed into (-1, 1): the last layer must "
    "stay linear (activation=False), like the nn.Linear at the end of torch's twin.",
    "no tanh": "the outputs are what a network without any tanh computes: the hidden layers "
    "apply tanh to each neuron's weighted sum (activation=True).",
    "no bias": "the outputs are what a network without biases computes: each neuron adds its "
    "bias b to the weighted sum.",
    "relu": "the outputs are what a ReLU network computes: these neurons use tanh.",
}


def _mlp_forward_variants(arrays, x) -> dict[str, np.ndarray]:
    """The outputs of the right network and of each typical mistake, in float64."""
    acts = {
        "right": (np.tanh, lambda z: z, True),
        "tanh on the last layer": (np.tanh, np.tanh, True),
        "no tanh": (lambda z: z, lambda z: z, True),
        "no bias": (np.tanh, lambda z: z, False),
        "relu": (lambda z: np.maximum(z, 0), lambda z: z, True),
    }
    out = {}
    for name, (hidden, last, bias) in acts.items():
        h = np.asarray(x, dtype=float)
        for i in range(0, len(arrays), 2):
            z = arrays[i] @ h + (arrays[i + 1] if bias else 0)
            h = last(z) if i == len(arrays) - 2 else hidden(z)
        out[name] = h
    return out


def _torch_grads(arrays, x, coef):
    """Parameter gradients (in ``arrays`` order) and input gradient of ``coef . net(x)``, by torch."""
    import torch

    params = [torch.tensor(a, requires_grad=True) for a in arrays]
    xt = torch.tensor(np.asarray(x, dtype=float), requires_grad=True)
    h = xt
    for i in range(0, len(params), 2):
        h = params[i] @ h + params[i + 1]
        h = h if i == len(params) - 2 else torch.tanh(h)
    (h * torch.tensor(coef)).sum().backward()
    return [p.grad.numpy() for p in params], xt.grad.numpy()


def _stub_part(err: Exception) -> bool:
    """True when an error comes from a part still holding ``...`` or None (a stub)."""
    text = str(err)
    return isinstance(err, TypeError | AttributeError) and (
        "ellipsis" in text or "NoneType" in text
    )


def _build(make, n_in, sizes):
    """``make(n_in, sizes)`` and its parameters, or :class:`NotAttempted`/:class:`Wrong`."""
    try:
        net = make(n_in, list(sizes))
        params = net.parameters()
    except Exception as err:
        if _stub_part(err):
            raise NotAttempted(
                "a part of your classes still holds `...` (or returns None): fill in every "
                "`...` of Layer and MLP, and Neuron.__call__."
            ) from None
        raise
    if is_stub(params):
        raise NotAttempted(
            "MLP.parameters() returns `...` or None: fill in every `...` of Neuron, Layer and MLP."
        )
    params = list(params) if isinstance(params, list | tuple) else params
    if not isinstance(params, list) or not all(isinstance(p, Value) for p in params):
        raise Wrong(
            "parameters() must return one flat list of Values (every weight and bias); "
            f"yours returns {a_type(params)}"
            + (" holding lists: flatten it." if isinstance(params, list) else ".")
        )
    return net, params


def _check_count(params, n_in, sizes) -> None:
    dims = [n_in, *sizes]
    weights = sum(a * b for a, b in zip(dims[:-1], dims[1:], strict=True))
    if len({id(p) for p in params}) != len(params):
        raise Wrong(
            "some Values appear twice in parameters(): `[Neuron(...)] * n` repeats one neuron "
            "n times. Build a new Neuron (or Layer) for each."
        )
    if len(params) == weights:
        raise Wrong("parameters() has every weight but no bias: each Neuron owns a bias b too.")
    if len(params) != weights + sum(sizes):
        raise Wrong(
            f"MLP({n_in}, {list(sizes)}).parameters() gives {len(params)} Values. Each layer has "
            "one weight per input for each of its neurons, plus one bias per neuron; does each "
            "Layer read the width of the layer before it?"
        )


def _outputs(net, xs, n_out) -> list:
    """``net(xs)`` as a list of ``n_out`` Values, or :class:`NotAttempted`/:class:`Wrong`."""
    try:
        out = net(xs)
    except Exception as err:
        if _stub_part(err):
            raise NotAttempted(
                "calling your MLP met a `...` or None: fill in Neuron.__call__, Layer.__call__ "
                "and MLP.__call__."
            ) from None
        raise
    if is_stub(out):
        raise NotAttempted(
            "calling your MLP gives `...` or None: fill in Neuron.__call__, Layer.__call__ "
            "and MLP.__call__."
        )
    out = [out] if isinstance(out, Value) else out
    if not isinstance(out, list | tuple) or len(out) != n_out:
        raise Wrong(
            f"calling the network should give a list of {n_out} Values (one per neuron of the "
            f"last layer); yours gives {a_type(out)}"
            + (f" of length {len(out)}." if hasattr(out, "__len__") else ".")
        )
    if not all(isinstance(o, Value) for o in out):
        raise Wrong(
            "the outputs must be Values, not plain numbers: compute with the Values themselves "
            "(never with .data), so that backward() can reach every weight."
        )
    return list(out)


def _check_mlp_once(make, n_in, sizes, rng) -> None:
    net, params = _build(make, n_in, sizes)
    _check_count(params, n_in, sizes)
    dims = [n_in, *sizes]
    arrays = []
    for a, b in zip(dims[:-1], dims[1:], strict=True):
        arrays += [rng.normal(size=(b, a)), rng.normal(size=b)]
    load_linear_params(params, arrays)
    x = rng.normal(size=n_in)
    xs = [Value(float(v)) for v in x]
    out = _outputs(net, xs, sizes[-1])
    got = np.array([o.data for o in out])
    variants = _mlp_forward_variants(arrays, x)
    if not np.allclose(got, variants["right"], rtol=1e-9, atol=1e-12):
        for name, hint in _MLP_VARIANTS.items():
            if np.allclose(got, variants[name], rtol=1e-9, atol=1e-12):
                raise Wrong(f"MLP({n_in}, {list(sizes)}): {hint}")
        raise Wrong(
            f"MLP({n_in}, {list(sizes)}) with weights copied from torch gives outputs that "
            "differ from torch's. Neuron j of a layer holds row j of the weight matrix; "
            "parameters() must list each neuron's weights, then its bias, neuron by neuron, "
            "layer by layer."
        )
    coef = rng.normal(size=sizes[-1])
    sum((float(c) * o for c, o in zip(coef, out, strict=True)), Value(0.0)).backward()
    want, want_x = _torch_grads(arrays, x, coef)
    got_grads = linear_params(params, [a.shape for a in arrays], attr="grad")
    if any(np.all(g == 0) and np.any(w != 0) for g, w in zip(got_grads, want, strict=True)):
        raise Wrong(
            "after backward() some weights' grads are still 0: the outputs are not built from "
            "those weight Values (look for .data or float(...) in your forward pass)."
        )
    for i, (g, w) in enumerate(zip(got_grads, want, strict=True)):
        name = f"layer {i // 2 + 1}'s {'weights' if i % 2 == 0 else 'biases'}"
        compare_arrays(g, w, what=f"the gradient of {name}", rtol=1e-8, atol=1e-12)
    compare_arrays([v.grad for v in xs], want_x, what="the gradient of the input", rtol=1e-8)


@exercise(
    "backprop-mlp",
    "Write Neuron, Layer and MLP on the engine's Value: tanh hidden layers, a linear last "
    "layer, parameters() neuron by neuron.",
    hint="A Neuron adds up w_i * x_i starting from its bias (Python's sum takes a start value) "
    "and squashes the result with .tanh() unless activation is False. A Layer is a list of "
    "Neurons that all see the same input; an MLP feeds each layer's output list to the next "
    "layer, and only the last layer has activation=False. parameters() collects the lists of "
    "the parts, in order.",
    solution=_MLP_SOLUTION,
)
def _mlp(make):
    if not callable(make):
        raise Wrong(f"pass the class MLP itself; got {a_type(make)}.")
    refuse_module(make)
    if not isinstance(make, type) and hasattr(make, "parameters"):
        raise Wrong("pass the class MLP itself (no brackets), not a network built from it.")
    rng = np.random.default_rng(17)
    for n_in, sizes in [(3, (4, 2)), (2, (3, 3, 1)), (1, (2, 3))]:
        _check_mlp_once(make, n_in, sizes, rng)
    return (
        "your MLP computes what torch's nn.Linear/nn.Tanh stack computes, and backward() "
        "through your neurons gives torch's gradients: backpropagation, on a network you built."
    )
