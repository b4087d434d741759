"""Neurons, layers and a multilayer perceptron made of :class:`~dlhelpers.scratch.engine.Value` s.

Taught in notebook 04 (backpropagation), where the learner writes the same three
classes; in the spirit of karpathy/micrograd. A :class:`Neuron` is
``tanh(w . x + b)`` (or ``w . x + b`` without its activation), a :class:`Layer` is a
list of neurons that read the same inputs, an :class:`MLP` is a list of layers with
``tanh`` after every layer but the last. Every number is a ``Value``, so
``loss.backward()`` fills the gradient of every weight.

The torch twin of ``MLP(n_in, [h, n_out])`` is
``nn.Sequential(nn.Linear(n_in, h), nn.Tanh(), nn.Linear(h, n_out))``: neuron ``j`` of
a layer holds row ``j`` of ``Linear.weight`` and entry ``j`` of ``Linear.bias``.
:meth:`MLP.parameters` lists them neuron by neuron (the weights of a neuron, then its
bias); :func:`load_linear_params` and :func:`linear_params` convert between that list and
the ``(weight, bias)`` arrays of ``Linear`` layers, so a test copies weights across.

NumPy and the engine only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhelpers.scratch.engine import Value
from dlhelpers.validate import check_positive_int

__all__ = ["MLP", "Layer", "Neuron", "linear_params", "load_linear_params"]


def _check_inputs(x, n_in: int) -> list:
    """``x`` as a list of ``n_in`` Values or real numbers, or a one-line error."""
    if isinstance(x, str | bytes) or not hasattr(x, "__len__"):
        raise TypeError(f"the input must be a list of {n_in} numbers or Values, got {x!r}")
    x = list(x)
    if len(x) != n_in:
        raise ValueError(f"the input has {len(x)} numbers; this layer takes {n_in}")
    return x


class Neuron:
    """One unit: ``tanh(w . x + b)``, or ``w . x + b`` with ``activation=False``.

    The twin of one row of ``torch.nn.Linear`` (followed by ``torch.nn.Tanh``).

    Parameters
    ----------
    n_in : int
        The number of inputs (and of weights).
    activation : bool
        Apply ``tanh`` to the weighted sum.
    rng : numpy.random.Generator, optional
        Draws the weights uniformly from ``[-1, 1]``; the bias starts at 0.
    """

    def __init__(self, n_in: int, activation: bool = True, *, rng=None):
        self.n_in = check_positive_int("n_in", n_in)
        rng = np.random.default_rng() if rng is None else rng
        self.w = [Value(float(v)) for v in rng.uniform(-1, 1, self.n_in)]
        self.b = Value(0.0)
        self.activation = bool(activation)

    def __call__(self, x) -> Value:
        x = _check_inputs(x, self.n_in)
        z = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return z.tanh() if self.activation else z

    def parameters(self) -> list[Value]:
        """The weights, then the bias."""
        return [*self.w, self.b]


class Layer:
    """``n_out`` neurons that read the same ``n_in`` inputs; the twin of ``nn.Linear(n_in, n_out)``.

    Calling it on a list of ``n_in`` numbers gives a list of ``n_out`` Values.
    """

    def __init__(self, n_in: int, n_out: int, activation: bool = True, *, rng=None):
        n_out = check_positive_int("n_out", n_out)
        self.neurons = [Neuron(n_in, activation, rng=rng) for _ in range(n_out)]

    def __call__(self, x) -> list[Value]:
        return [neuron(x) for neuron in self.neurons]

    def parameters(self) -> list[Value]:
        """Neuron by neuron: the first neuron's weights and bias, then the next one's."""
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """Layers ``n_in -> sizes[0] -> ... -> sizes[-1]``, ``tanh`` after every layer but the last.

    The twin of ``nn.Sequential(nn.Linear(n_in, sizes[0]), nn.Tanh(), ..., nn.Linear(.., sizes[-1]))``.
    Calling it on a list of ``n_in`` numbers gives a list of ``sizes[-1]`` Values (the
    last layer is linear, so its outputs are scores, not squashed).
    """

    def __init__(self, n_in: int, sizes: Sequence[int], *, rng=None):
        if isinstance(sizes, str | bytes) or not hasattr(sizes, "__len__") or len(sizes) == 0:
            raise ValueError(f"sizes must be a non-empty list of layer widths, got {sizes!r}")
        dims = [check_positive_int("n_in", n_in)]
        dims += [check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        last = len(sizes) - 1
        self.layers = [
            Layer(dims[i], dims[i + 1], activation=i < last, rng=rng) for i in range(len(sizes))
        ]

    def __call__(self, x) -> list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """Layer by layer, neuron by neuron (weights, then bias)."""
        return [p for layer in self.layers for p in layer.parameters()]


def _pairs(arrays: Sequence) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[W1, b1, W2, b2, ...]`` as checked ``(weight, bias)`` pairs of float arrays."""
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    if len(arrays) % 2:
        raise ValueError(f"give weight and bias arrays in pairs, got {len(arrays)} arrays")
    pairs = list(zip(arrays[::2], arrays[1::2], strict=True))
    for i, (w, b) in enumerate(pairs):
        if w.ndim != 2 or b.shape != (w.shape[0],):
            raise ValueError(
                f"layer {i}: expected weight (out, in) and bias (out,), got shapes {w.shape} "
                f"and {b.shape}"
            )
    return pairs


def load_linear_params(parameters: Sequence[Value], arrays: Sequence) -> None:
    """Set ``parameters`` (an MLP's, neuron by neuron) from ``Linear`` arrays ``[W1, b1, W2, b2, ...]``.

    ``W`` has torch's layout ``(out_features, in_features)``: row ``j`` goes to neuron
    ``j``'s weights, ``b[j]`` to its bias. Works for any class whose ``parameters()``
    follows that order (the one :meth:`MLP.parameters` documents).
    """
    flat = [
        v for w, b in _pairs(arrays) for row, bias in zip(w, b, strict=True) for v in (*row, bias)
    ]
    parameters = list(parameters)
    if len(parameters) != len(flat):
        raise ValueError(
            f"the model has {len(parameters)} parameters but the arrays hold {len(flat)} numbers"
        )
    for value, number in zip(parameters, flat, strict=True):
        value.data = float(number)


def linear_params(
    parameters: Sequence[Value], shapes: Sequence[tuple[int, ...]], *, attr: str = "data"
) -> list[np.ndarray]:
    """The inverse of :func:`load_linear_params`: ``[W1, b1, ...]`` with ``shapes``, from ``.data`` or ``.grad``."""
    if attr not in ("data", "grad"):
        raise ValueError(f"attr must be 'data' or 'grad', got {attr!r}")
    numbers = [getattr(v, attr) for v in parameters]
    pairs = _pairs([np.zeros(s) for s in shapes])
    if len(numbers) != sum(w.size + b.size for w, b in pairs):
        raise ValueError(f"{len(numbers)} parameters do not fill the shapes {list(shapes)}")
    out, start = [], 0
    for w, _ in pairs:
        n_out, n_in = w.shape
        block = np.array(numbers[start : start + n_out * (n_in + 1)]).reshape(n_out, n_in + 1)
        out += [block[:, :n_in], block[:, n_in]]
        start += block.size
    return out
