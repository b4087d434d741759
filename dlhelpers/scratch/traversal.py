"""Walking a :class:`~dlhelpers.scratch.engine.Value` graph: the topological order and backpropagation one node at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

__all__ = ["backward_steps", "topological_order"]


class Value(Protocol):
    """What the walk needs of a :class:`~dlhelpers.scratch.engine.Value` (kept apart to avoid an import loop)."""

    grad: float
    _prev: tuple[Any, ...]

    def _backward(self) -> None: ...


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on, each after all of its inputs (``root`` last).

    A depth-first search with an explicit stack instead of recursion, so a
    chain of 100,000 operations does not hit Python's recursion limit.
    """
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))  # comes back after all its inputs
        stack.extend((child, False) for child in reversed(node._prev) if id(child) not in seen)
    return order


def backward_steps(root: Value, gradient: float = 1.0) -> Iterator[Value]:
    """Backpropagate from ``root`` one node at a time (what :meth:`Value.backward` runs).

    Yields each node right after it has passed its gradient to its inputs, in
    reverse topological order: when a node's turn comes, every node that uses
    it has already contributed to its ``grad`` (the chain rule's sum over paths).
    Notebook 04's widget steps through this.
    """
    order = topological_order(root)
    for node in order:
        if node._prev:  # intermediate results start from zero; leaves accumulate
            node.grad = 0.0
    root.grad += gradient
    for node in reversed(order):
        node._backward()
        yield node
