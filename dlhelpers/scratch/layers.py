"""The NumPy ``Module`` contract and its everyday layers, mirroring ``torch.nn`` (notebooks 02-09).

``Parameter``, ``Module`` and ``Sequential`` are the contract every layer of
:mod:`dlhelpers.scratch` follows (twins of ``torch.nn.Parameter``,
``torch.nn.Module`` and ``torch.nn.Sequential``); ``Linear``, the activation
layers, ``Flatten``, ``Dropout``, ``Embedding`` and ``LayerNorm`` are the
layers built on it with nothing else (the convolutional, recurrent and
attention layers live beside their functions in :mod:`dlhelpers.scratch.conv`,
:mod:`dlhelpers.scratch.recurrent` and :mod:`dlhelpers.scratch.attention`).

Each layer has a ``forward`` that remembers what its ``backward`` needs and a
``backward(grad_output) -> grad_input`` that *accumulates* (``+=``) into its
parameters' ``.grad``, just as ``loss.backward()`` does in torch. Names and
layouts match torch (``Linear.weight`` is ``(out_features, in_features)``,
a ``Sequential``'s parameters are called ``0.weight``, ``0.bias``, ...), so
the tests copy weights to and from ``torch.nn`` one-to-one and compare
outputs and gradients in float64.

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
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.activations import as_floating, relu_grad, sigmoid, tanh
from dlhelpers.validate import check_int, check_number, check_positive_int, check_probability

__all__ = [
    "ACTIVATION_LAYERS",
    "as_float",
    "Dropout",
    "Embedding",
    "Flatten",
    "LayerNorm",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
]


def as_float(x: ArrayLike) -> np.ndarray:
    """``x`` as float32 or float64, the rule of the layers' parameters and inputs.

    float32 stays float32 and float64 stays float64; everything else (ints,
    bools, float16) becomes float64, so small updates are not rounded away.
    Text, objects and complex numbers are refused (see
    :func:`dlhelpers.scratch.activations.as_floating`).
    """
    x = as_floating(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


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

    def __init__(self, data: ArrayLike):
        self.data = np.array(as_float(data))  # a copy: the optimizer updates it in place
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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The layer's output; subclasses remember what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Given ``dL/d(output)``, accumulate parameter grads and return ``dL/d(input)``.

        Parameters
        ----------
        grad_output : array_like of the last output's shape, e.g. (N, out_features)

        Returns
        -------
        ndarray of the last input's shape, e.g. (N, in_features)
        """
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

    # --- what backward needs ---------------------------------------------------

    def saved(self, attribute: str) -> Any:
        """What ``forward`` stored under ``attribute``, or a RuntimeError if forward has not run."""
        value = getattr(self, attribute, None)
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return value

    def check_grad_output(self, grad_output: ArrayLike, expected: tuple[int, ...]) -> np.ndarray:
        """``grad_output`` as an array of the last output's shape ``expected``, or a ValueError."""
        grad_output = np.asarray(grad_output)
        if grad_output.shape != tuple(expected):
            raise ValueError(
                f"{self!r}.backward expected grad_output of shape {tuple(expected)}, "
                f"got shape {grad_output.shape}"
            )
        return grad_output

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

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Run the layers in order.

        Parameters
        ----------
        x : array_like of shape (N, *), what the first layer takes

        Returns
        -------
        ndarray of shape (N, *), what the last layer gives
        """
        for m in self._layers:
            x = m(x)
        return x

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Backpropagate through the layers in reverse, filling every ``p.grad``.

        Parameters
        ----------
        grad_output : array_like of the last output's shape, e.g. (N, n_classes)

        Returns
        -------
        ndarray of the last input's shape
        """
        for m in reversed(self._layers):
            grad_output = m.backward(grad_output)
        return grad_output


class Linear(Module):
    """``y = x W^T + b``. Twin of ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator
        (seeded by :func:`dlhelpers.env.set_seed`).
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
        # torch allows 0 features (an empty layer); so does the twin
        self.in_features = check_int("in_features", in_features, low=0)
        self.out_features = check_int("out_features", out_features, low=0)
        in_features, out_features = self.in_features, self.out_features
        sampler = np.random if rng is None else rng
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        self.weight = Parameter(
            sampler.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
        )
        self.bias = (
            Parameter(sampler.uniform(-bound, bound, out_features).astype(dtype)) if bias else None
        )
        self._x: np.ndarray | None = None

    def forward(self, x: ArrayLike) -> np.ndarray:
        """``x W^T + b``, remembering ``x`` for :meth:`backward`.

        Parameters
        ----------
        x : array_like of shape (N, *, in_features)

        Returns
        -------
        ndarray of shape (N, *, out_features)
        """
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}) expected input "
                f"with last dimension {self.in_features}, got shape {x.shape}"
            )
        self._x = x
        y = x @ self.weight.data.T  # (..., out)
        return y + self.bias.data if self.bias is not None else y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Accumulate ``weight.grad`` and ``bias.grad``; return ``dL/dx``.

        Parameters
        ----------
        grad_output : array_like of shape (N, *, out_features)
            ``dL/dy`` for the last :meth:`forward`.

        Returns
        -------
        ndarray of shape (N, *, in_features)
        """
        x = self.saved("_x")
        g = self.check_grad_output(grad_output, x.shape[:-1] + (self.out_features,))
        n = int(np.prod(g.shape[:-1]))  # N, leading dims flattened (0 for an empty batch)
        g2 = g.reshape(n, self.out_features)  # (N, out)
        self.weight.accumulate(g2.T @ x.reshape(n, self.in_features))  # (out, in)
        if self.bias is not None:
            self.bias.accumulate(g2.sum(axis=0))  # (out,)
        return g @ self.weight.data  # (..., in)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class ReLU(Module):
    """``max(0, x)`` elementwise. Twin of ``torch.nn.ReLU``.

    Shapes, as torch documents them: input ``x`` of shape (N, *), output of the
    same shape; ``backward`` maps ``grad_output`` of that shape to ``dL/dx``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, *) -> ndarray of x's shape."""
        self._x = np.asarray(x)
        return np.maximum(self._x, 0)

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of shape (N, *) -> ``dL/dx``, of its shape."""
        x = self.saved("_x")
        return self.check_grad_output(grad_output, x.shape) * relu_grad(x)


class Sigmoid(Module):
    """Logistic sigmoid elementwise. Twin of ``torch.nn.Sigmoid``.

    Shapes, as torch documents them: input ``x`` of shape (N, *), output of the
    same shape; ``backward`` maps ``grad_output`` of that shape to ``dL/dx``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, *) -> ndarray of x's shape."""
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of shape (N, *) -> ``dL/dx``, of its shape."""
        y = self.saved("_y")
        return self.check_grad_output(grad_output, y.shape) * y * (1 - y)


class Tanh(Module):
    """Hyperbolic tangent elementwise. Twin of ``torch.nn.Tanh``.

    Shapes, as torch documents them: input ``x`` of shape (N, *), output of the
    same shape; ``backward`` maps ``grad_output`` of that shape to ``dL/dx``.
    """

    def forward(self, x: ArrayLike) -> np.ndarray:
        """x : array_like of shape (N, *) -> ndarray of x's shape."""
        self._y = tanh(x)
        return self._y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """grad_output : array_like of shape (N, *) -> ``dL/dx``, of its shape."""
        y = self.saved("_y")
        return self.check_grad_output(grad_output, y.shape) * (1 - y * y)


class Flatten(Module):
    """Flatten dims ``start_dim..end_dim`` into one. Twin of ``torch.nn.Flatten``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim = check_int("start_dim", start_dim)
        self.end_dim = check_int("end_dim", end_dim)

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Merge the dimensions ``start_dim..end_dim``.

        Parameters
        ----------
        x : array_like of shape (N, *)
            At least ``max(start_dim, end_dim) + 1`` dimensions.

        Returns
        -------
        ndarray
            (N, C, H, W) becomes (N, C*H*W) with the defaults.
        """
        x = np.asarray(x)
        if not all(-x.ndim <= d < x.ndim for d in (self.start_dim, self.end_dim)):
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) needs an input "
                f"with dimensions {self.start_dim} and {self.end_dim}, got shape {x.shape}"
            )
        self._shape = x.shape
        start, end = self.start_dim % x.ndim, self.end_dim % x.ndim
        merged = int(np.prod(x.shape[start : end + 1]))  # not -1: a size-0 batch cannot infer it
        return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1 :])

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Undo the flattening: ``dL/dx`` from ``dL/dy``.

        Parameters
        ----------
        grad_output : array_like of the output's shape

        Returns
        -------
        ndarray of the last input's shape
        """
        return np.asarray(grad_output).reshape(self.saved("_shape"))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero each entry with probability ``p`` while training, scale the rest by ``1/(1-p)``.

    Twin of ``torch.nn.Dropout`` (identity in ``eval()`` mode). The random
    mask comes from ``rng`` (default: NumPy's global generator), so it will
    not match torch's mask, only its statistics.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        self.p, self._rng = check_probability("p", p), rng

    def forward(self, x: ArrayLike) -> np.ndarray:
        """Drop and rescale entries while training; pass ``x`` through in eval mode.

        Parameters
        ----------
        x : array_like of shape (N, *)

        Returns
        -------
        ndarray of x's shape
        """
        x = np.asarray(x)
        if not self.training or self.p == 0:
            self._mask = np.ones_like(x)
            return x
        sampler = np.random if self._rng is None else self._rng
        keep = sampler.random(x.shape) >= self.p
        self._mask = keep / (1 - self.p) if self.p < 1 else np.zeros_like(x)
        return x * self._mask

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """``dL/dx``: the same mask and scale as the last :meth:`forward`.

        Parameters
        ----------
        grad_output : array_like of shape (N, *)

        Returns
        -------
        ndarray of grad_output's shape
        """
        mask = self.saved("_mask")
        return self.check_grad_output(grad_output, mask.shape) * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


#: activation name -> layer class of :mod:`dlhelpers.scratch.layers`.
ACTIVATION_LAYERS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` is the vector of token ``i``. Twin of ``torch.nn.Embedding``.

    Parameters
    ----------
    num_embeddings : int
        Size of the vocabulary.
    embedding_dim : int
    padding_idx : int, optional
        This row starts at zero and never gets a gradient, as in torch.
    rng : numpy.random.Generator, optional
        Source of the initial weights; by default NumPy's global generator.
    dtype : numpy dtype, default float64

    Attributes
    ----------
    weight : Parameter of shape (num_embeddings, embedding_dim)
        Standard normal at first, as in torch.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        rng: np.random.Generator | None = None,
        dtype=np.float64,
    ):
        self.num_embeddings = check_positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = check_int("embedding_dim", embedding_dim, low=0)
        num_embeddings, embedding_dim = self.num_embeddings, self.embedding_dim
        if padding_idx is not None:
            n = self.num_embeddings
            padding_idx = check_int("padding_idx", padding_idx, low=-n, high=n - 1)
            padding_idx %= self.num_embeddings  # torch stores a negative index this way
        self.padding_idx = padding_idx
        sampler = np.random if rng is None else rng
        self.weight = Parameter(sampler.normal(size=(num_embeddings, embedding_dim)).astype(dtype))
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, input: ArrayLike) -> np.ndarray:
        """The rows of ``weight`` for each index.

        Parameters
        ----------
        input : array_like of int, of shape (*), e.g. (B, T)

        Returns
        -------
        ndarray of shape (*, embedding_dim), e.g. (B, T, D)
        """
        idx = np.asarray(input)
        if idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise TypeError(f"Embedding takes integer indices, got {idx.dtype}")
        idx = idx.astype(np.int64)
        bad = (idx < 0) | (idx >= self.num_embeddings)
        if bad.any():
            raise IndexError(
                f"index {int(idx[bad][0])} is out of range for {self!r}: "
                f"indices must be 0 to {self.num_embeddings - 1}"
            )
        self._idx = idx
        return self.weight.data[idx]  # (*, D)

    def backward(self, grad_output: ArrayLike) -> None:
        """Accumulate ``weight.grad``: each index's row gets the sum of its gradients.

        Parameters
        ----------
        grad_output : array_like of shape (*, embedding_dim)

        Returns
        -------
        None
            Integer indices have no gradient (nor do they in torch).
        """
        idx = self.saved("_idx")
        g = self.check_grad_output(grad_output, idx.shape + (self.embedding_dim,))
        grad = np.zeros_like(self.weight.data)
        # np.add.at, not grad[idx] += g: a repeated index must add up, not overwrite
        np.add.at(grad, idx.reshape(-1), g.reshape(-1, self.embedding_dim))
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        self.weight.accumulate(grad)
        return None

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class LayerNorm(Module):
    """Normalise each sample over its last dimensions, then scale and shift. Twin of ``torch.nn.LayerNorm``.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, with the mean and the
    *biased* variance (divided by n, as torch) over the last
    ``len(normalized_shape)`` dimensions.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The trailing shape to normalise over, e.g. ``C`` for inputs (B, T, C).
    eps : float, default 1e-5
    elementwise_affine : bool, default True
        Learn ``weight`` (ones at first) and ``bias`` (zeros).
    bias : bool, default True
        Learn ``bias`` too (torch >= 2.1).
    dtype : numpy dtype, default float64

    Attributes
    ----------
    weight, bias : Parameter of shape normalized_shape, or None
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype=np.float64,
    ):
        shape = (normalized_shape,) if np.isscalar(normalized_shape) else normalized_shape
        self.normalized_shape = tuple(
            check_int(f"normalized_shape[{i}]", n, low=0) for i, n in enumerate(shape)
        )
        self.eps = check_number("eps", eps, low=0)
        self.elementwise_affine = bool(elementwise_affine)
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype)) if affine and bias else None

    def forward(self, input: ArrayLike) -> np.ndarray:
        """Normalise, remembering what :meth:`backward` needs.

        Parameters
        ----------
        input : array_like of shape (*, *normalized_shape), e.g. (B, T, C)

        Returns
        -------
        ndarray of the input's shape
        """
        x = np.asarray(input)
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"{self!r} expected input of shape (*, {', '.join(map(str, self.normalized_shape))}), "
                f"got shape {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased, as torch
        self._rstd = 1 / np.sqrt(var + self.eps)
        self._xhat, self._axes = (x - mean) * self._rstd, axes  # (*, *normalized_shape)
        y = self._xhat * self.weight.data if self.weight is not None else self._xhat
        return y + self.bias.data if self.bias is not None else y

    def backward(self, grad_output: ArrayLike) -> np.ndarray:
        """Accumulate ``weight.grad`` and ``bias.grad``; return ``dL/dinput``.

        Parameters
        ----------
        grad_output : array_like of the input's shape

        Returns
        -------
        ndarray of the input's shape
        """
        xhat = self.saved("_xhat")
        g = self.check_grad_output(grad_output, xhat.shape)
        lead = tuple(range(xhat.ndim - len(self.normalized_shape)))  # batch dims
        if self.weight is not None:
            self.weight.accumulate((g * xhat).sum(axis=lead))
        if self.bias is not None:
            self.bias.accumulate(g.sum(axis=lead))
        gx = g * self.weight.data if self.weight is not None else g  # dL/dxhat
        axes = self._axes
        # xhat's Jacobian: remove the mean of the gradient and its part along xhat
        mean_g = gx.mean(axis=axes, keepdims=True)
        mean_gx = (gx * xhat).mean(axis=axes, keepdims=True)
        return self._rstd * (gx - mean_g - xhat * mean_gx)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
