"""The NumPy ``Module`` contract, after ``torch.nn.Module``: parameters with gradients, ``forward``/``backward``, ``state_dict``, and ``Sequential``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Module", "Parameter", "Sequential"]


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
        # float32 stays float32; everything else (ints, bools, float16) becomes
        # float64 so small updates are not rounded away
        dtype = np.float32 if np.asarray(data).dtype == np.float32 else np.float64
        self.data = np.array(data, dtype=dtype)
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
