"""Layers in plain NumPy, mirroring ``torch.nn`` (notebooks 02, 04 and 05).

Each layer has a ``forward`` that remembers what its ``backward`` needs and a
``backward(grad_output) -> grad_input`` that *accumulates* (``+=``) into its
parameters' ``.grad``, just as ``loss.backward()`` does in torch. Names and
layouts match torch (``Linear.weight`` is ``(out_features, in_features)``,
a ``Sequential``'s parameters are called ``0.weight``, ``0.bias``, ...), so
``tests/test_layers.py`` copies weights to and from ``torch.nn`` one-to-one
and compares outputs and gradients in float64.

::

    model = Sequential(Linear(784, 64), ReLU(), Linear(64, 10))
    logits = model(X)                      # (N, 10)
    loss = loss_fn(logits, y)              # loss_fn = CrossEntropyLoss()
    model.zero_grad()
    model.backward(loss_fn.backward())     # fills every p.grad
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from dlhelpers.scratch.activations import relu_grad, sigmoid, tanh

__all__ = [
    "Dropout",
    "Flatten",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
]


class Parameter:
    """An array the optimizer updates, with its gradient. Twin of ``torch.nn.Parameter``.

    Attributes
    ----------
    data : ndarray
        The values (updated in place by :mod:`dlhelpers.scratch.optim`).
    grad : ndarray of data's shape, or None
        Filled by the owning layer's ``backward``; ``None`` until then and
        after ``zero_grad()`` (torch's default ``set_to_none=True``).
    """

    def __init__(self, data):
        self.data = np.array(data, dtype=np.result_type(np.asarray(data).dtype, np.float16))
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    def numel(self) -> int:
        """Number of entries, like ``torch.Tensor.numel``."""
        return self.data.size

    def accumulate(self, grad: np.ndarray) -> None:
        """Add ``grad`` to ``.grad`` (which starts as ``None``), as autograd does."""
        self.grad = grad.copy() if self.grad is None else self.grad + grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: ``__call__`` runs ``forward``; parameters are found recursively.

    Sub-modules and :class:`Parameter` attributes are discovered in the order
    they were assigned, which is torch's order (``weight`` before ``bias``).
    """

    training: bool = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Given ``dL/d(output)``, accumulate parameter grads and return ``dL/d(input)``."""
        raise NotImplementedError

    # --- parameters ------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs with torch's names, e.g. ``"0.weight"``."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(prefix=f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        """All parameters, in torch's order (per ``Linear``: weight, then bias)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients. Like torch (since 2.0), sets them to ``None`` by default."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = np.zeros_like(p.data)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters by name, like ``torch.nn.Module.state_dict``."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays (or anything ``np.asarray`` takes, e.g. a torch state_dict) in by name."""
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state.items():
            if name not in params:
                continue
            value = np.asarray(value.detach().cpu() if hasattr(value, "detach") else value)
            if value.shape != params[name].shape:
                raise ValueError(
                    f"load_state_dict: {name} has shape {params[name].shape}, "
                    f"got shape {value.shape}"
                )
            params[name].data[...] = value

    # --- modes and printing ----------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (matters for :class:`Dropout`); returns ``self`` like torch."""
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode, ``train(False)``."""
        return self.train(False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _cached(module: Module, attribute: str):
    value = getattr(module, attribute, None)
    if value is None:
        raise RuntimeError(f"{type(module).__name__}.backward called before forward")
    return value


def _check_grad_shape(module: Module, grad_output, expected: tuple[int, ...]) -> np.ndarray:
    grad_output = np.asarray(grad_output)
    if grad_output.shape != expected:
        raise ValueError(
            f"{module!r}.backward expected grad_output of shape {expected}, "
            f"got shape {grad_output.shape}"
        )
    return grad_output


class Linear(Module):
    """``y = x W^T + b``. Twin of ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator
        (seeded by :func:`dlhelpers.utils.set_seed`).
    dtype : numpy dtype, default float64

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
    bias : Parameter of shape (out_features,), or None
        Both start uniform in ``(-1/sqrt(in_features), 1/sqrt(in_features))``,
        which is what torch's ``kaiming_uniform_(a=sqrt(5))`` works out to.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        self.in_features, self.out_features = int(in_features), int(out_features)
        sampler = np.random if rng is None else rng
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(
            sampler.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
        )
        self.bias = (
            Parameter(sampler.uniform(-bound, bound, out_features).astype(dtype)) if bias else None
        )
        self._x: np.ndarray | None = None

    def forward(self, x) -> np.ndarray:
        """x : (..., in_features) -> (..., out_features)."""
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expected input "
                f"with last dimension {self.in_features}, got shape {x.shape}"
            )
        self._x = x
        y = x @ self.weight.data.T  # (..., out)
        return y + self.bias.data if self.bias is not None else y

    def backward(self, grad_output) -> np.ndarray:
        x = _cached(self, "_x")
        g = _check_grad_shape(self, grad_output, x.shape[:-1] + (self.out_features,))
        g2 = g.reshape(-1, self.out_features)  # (N, out), leading dims flattened
        self.weight.accumulate(g2.T @ x.reshape(-1, self.in_features))  # (out, in)
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))  # (out,)
        return g @ self.weight.data  # (..., in)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """``max(0, x)`` elementwise. Twin of ``torch.nn.ReLU``."""

    def forward(self, x) -> np.ndarray:
        self._x = np.asarray(x)
        return np.maximum(self._x, 0)

    def backward(self, grad_output) -> np.ndarray:
        x = _cached(self, "_x")
        return _check_grad_shape(self, grad_output, x.shape) * relu_grad(x)


class Sigmoid(Module):
    """Logistic sigmoid elementwise. Twin of ``torch.nn.Sigmoid``."""

    def forward(self, x) -> np.ndarray:
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad_output) -> np.ndarray:
        y = _cached(self, "_y")
        return _check_grad_shape(self, grad_output, y.shape) * y * (1 - y)


class Tanh(Module):
    """Hyperbolic tangent elementwise. Twin of ``torch.nn.Tanh``."""

    def forward(self, x) -> np.ndarray:
        self._y = tanh(x)
        return self._y

    def backward(self, grad_output) -> np.ndarray:
        y = _cached(self, "_y")
        return _check_grad_shape(self, grad_output, y.shape) * (1 - y * y)


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one. Twin of ``torch.nn.Flatten``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x) -> np.ndarray:
        x = np.asarray(x)
        self._shape = x.shape
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1 :])

    def backward(self, grad_output) -> np.ndarray:
        return np.asarray(grad_output).reshape(_cached(self, "_shape"))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero each entry with probability ``p`` while training, scale the rest by ``1/(1-p)``.

    Twin of ``torch.nn.Dropout`` (identity in ``eval()`` mode). The random
    mask comes from ``rng`` (default: NumPy's global generator), so it will
    not match torch's mask, only its statistics.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, got {p}")
        self.p, self._rng = p, rng

    def forward(self, x) -> np.ndarray:
        x = np.asarray(x)
        if not self.training or self.p == 0:
            self._mask = np.ones_like(x)
            return x
        sampler = np.random if self._rng is None else self._rng
        keep = sampler.random(x.shape) >= self.p
        self._mask = keep / (1 - self.p) if self.p < 1 else np.zeros_like(x)
        return x * self._mask

    def backward(self, grad_output) -> np.ndarray:
        mask = _cached(self, "_mask")
        return _check_grad_shape(self, grad_output, mask.shape) * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules run in order; ``backward`` runs them in reverse. Twin of ``torch.nn.Sequential``.

    Indexable (``model[0]`` is the first layer, a slice gives a Sequential),
    ``len(model)``, iterable; parameters are named ``"<index>.<name>"``.
    """

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module")
        self._layers = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, m in enumerate(self._layers):
            yield str(i), m

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def append(self, module: Module) -> Sequential:
        self._layers.append(module)
        return self

    def forward(self, x) -> np.ndarray:
        for m in self._layers:
            x = m(x)
        return x

    def backward(self, grad_output) -> np.ndarray:
        for m in reversed(self._layers):
            grad_output = m.backward(grad_output)
        return grad_output
