"""Layers for sequence models in plain NumPy: ``Embedding`` and ``LayerNorm``.

Twins of ``torch.nn.Embedding`` and ``torch.nn.LayerNorm`` for notebooks 08
("08_recurrent_networks.ipynb", a character model's input) and 09
("09_transformers.ipynb", a transformer block). Same contract as
:mod:`dlhelpers.scratch.layers`: ``forward`` remembers, ``backward``
accumulates into ``.grad`` and returns the input's gradient.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.scratch.module import Module, Parameter, _cached, _check_grad_shape

__all__ = ["Embedding", "LayerNorm"]


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
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError("Padding_idx must be within num_embeddings")
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
        idx = _cached(self, "_idx")
        g = _check_grad_shape(self, grad_output, idx.shape + (self.embedding_dim,))
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
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
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
        xhat = _cached(self, "_xhat")
        g = _check_grad_shape(self, grad_output, xhat.shape)
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
