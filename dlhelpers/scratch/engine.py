"""A scalar autograd engine: :class:`Value`, in the spirit of karpathy/micrograd.

Taught in notebook 04 (backpropagation). Every arithmetic operation on a
:class:`Value` returns a new ``Value`` that remembers its inputs (``_prev``),
the operation (``_op``) and how to send a gradient back to its inputs
(``_backward``, defined right next to the forward computation).
:meth:`Value.backward` visits the graph in reverse topological order and applies
the chain rule at each node. The torch twin is ``torch.autograd``: a
``torch.tensor(x, dtype=torch.float64, requires_grad=True)`` with ``.data``,
``.grad`` and ``.backward()``.

Standard library only (no NumPy needed for scalars).
"""

from __future__ import annotations

import math
from numbers import Real

from dlhelpers.scratch.traversal import backward_steps

__all__ = ["Value"]


class Value:
    """A scalar that records how it was computed, so it can backpropagate.

    The twin of a 0-d ``torch.Tensor`` with ``requires_grad=True``.

    Parameters
    ----------
    data : float
        The number.
    label : str, optional
        A name shown when the graph is drawn (:func:`dlhelpers.viz.graph.draw_graph`).

    Attributes
    ----------
    data : float
    grad : float
        d(root)/d(self) after ``root.backward()``; starts at 0.
    _prev : tuple of Value
        The inputs of the operation that made this value (empty for a leaf).
    _op : str
        That operation's symbol (``""`` for a leaf).

    Examples
    --------
    >>> x = Value(3.0, "x")
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> x.grad  # 2 x + 2
    8.0
    """

    def __init__(
        self, data: float, label: str = "", _children: tuple[Value, ...] = (), _op: str = ""
    ):
        if isinstance(data, Value):
            raise TypeError("Value(...) wraps a number, not another Value; use the Value itself.")
        if isinstance(data, bool) or not isinstance(data, Real):
            raise TypeError(f"Value(...) wraps a real number, got {type(data).__name__}: {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"

    @staticmethod
    def _wrap(other) -> Value:
        """A Value for ``other``: itself, or a constant leaf for a plain number."""
        if isinstance(other, Value):
            return other
        if isinstance(other, Real) and not isinstance(other, bool):
            return Value(other)
        return NotImplemented

    # --- binary operations: forward, then the local backward right below it ---------

    def __add__(self, other) -> Value:
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward():  # d(a+b)/da = 1, d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __sub__(self, other) -> Value:
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        out = Value(self.data - other.data, _children=(self, other), _op="-")

        def _backward():  # d(a-b)/da = 1, d(a-b)/db = -1
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __mul__(self, other) -> Value:
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        out = Value(self.data * other.data, _children=(self, other), _op="*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __truediv__(self, other) -> Value:
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        if other.data == 0.0:
            raise ZeroDivisionError(f"division of {self.data!r} by a Value equal to 0")
        out = Value(self.data / other.data, _children=(self, other), _op="/")

        def _backward():  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data**2 * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise TypeError(
                "Value ** Value is not supported: only numbers (int or float) are "
                "supported as exponents, e.g. x ** 2 or x ** -0.5."
            )
        if isinstance(exponent, bool) or not isinstance(exponent, Real):
            raise TypeError(
                f"only numbers (int or float) are supported as exponents, "
                f"got {type(exponent).__name__}"
            )
        n = float(exponent)
        if self.data < 0 and not n.is_integer():
            raise ValueError(
                f"{self.data!r} ** {n!r}: a negative base needs an integer "
                f"exponent (the result would be complex)"
            )
        if self.data == 0 and n < 0:
            raise ZeroDivisionError(f"0 ** {n!r}: zero cannot be raised to a negative power")
        try:
            result = self.data**n
        except OverflowError:
            raise OverflowError(
                f"Value({self.data:g}) ** {n:g} overflows float64 (about "
                f"1e{n * math.log10(abs(self.data)):.0f}); scale the input down"
            ) from None
        out = Value(result, _children=(self,), _op=f"**{exponent:g}")

        def _backward():  # d(x^n)/dx = n x^(n-1)
            if n == 0:
                return
            slope = n * self.data ** (n - 1) if self.data != 0 or n >= 1 else math.inf
            self.grad += slope * out.grad

        out._backward = _backward
        return out

    # numbers on the left: 2 + x, 2 - x, 2 * x, 2 / x
    def __radd__(self, other) -> Value:
        other = self._wrap(other)
        return other if other is NotImplemented else other + self

    def __rsub__(self, other) -> Value:
        other = self._wrap(other)
        return other if other is NotImplemented else other - self

    def __rmul__(self, other) -> Value:
        other = self._wrap(other)
        return other if other is NotImplemented else other * self

    def __rtruediv__(self, other) -> Value:
        other = self._wrap(other)
        return other if other is NotImplemented else other / self

    def __rpow__(self, base):
        raise TypeError(
            "number ** Value is not supported: only numbers are supported as "
            "exponents; write (base ** x) as (x * math.log(base)).exp()."
        )

    # --- unary operations ----------------------------------------------------------

    def __neg__(self) -> Value:
        out = Value(-self.data, _children=(self,), _op="neg")

        def _backward():  # d(-x)/dx = -1
            self.grad -= out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        """``e ** self``; torch twin ``torch.exp``."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"Value({self.data:g}).exp() overflows float64 (about "
                f"1e{self.data / math.log(10):.0f}); scale the input down"
            ) from None
        out = Value(e, _children=(self,), _op="exp")

        def _backward():  # d(e^x)/dx = e^x
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm; torch twin ``torch.log``. Only for positive values."""
        if self.data <= 0:
            raise ValueError(f"log is only defined for positive numbers, got {self.data!r}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward():  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Hyperbolic tangent; torch twin ``torch.tanh``."""
        t = math.tanh(self.data)
        out = Value(t, _children=(self,), _op="tanh")

        def _backward():  # d(tanh x)/dx = 1 - tanh(x)^2
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """``max(0, self)``; torch twin ``torch.relu`` (slope 0 at 0, as torch)."""
        out = Value(max(0.0, self.data), _children=(self,), _op="relu")

        def _backward():  # slope 1 where x > 0, else 0
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """``1 / (1 + e^-self)``; torch twin ``torch.sigmoid`` (no overflow for large |x|)."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, _children=(self,), _op="sigmoid")

        def _backward():  # d(sigma)/dx = sigma (1 - sigma)
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    # --- backpropagation -----------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Fill ``.grad`` of every Value this one depends on: d(self)/d(node).

        Like ``torch.Tensor.backward``: the gradients of *leaves* accumulate
        over calls (set ``leaf.grad = 0.0`` between optimisation steps), while
        the intermediate nodes get this call's gradient. Iterative, so graphs
        of any depth work.
        """
        for _ in backward_steps(self, gradient):
            pass
