"""Optimizers in plain NumPy, mirroring ``torch.optim`` formula for formula.

They update :class:`~dlhelpers.scratch.layers.Parameter` objects in place
from their ``.grad`` and skip parameters whose ``.grad`` is ``None``, as torch
does. ``tests/test_optim.py`` runs the same steps with torch from the same
start and compares the parameters to 1e-10.

::

    opt = Adam(model.parameters(), lr=1e-3)
    for xb, yb in batches:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()

Hyperparameters live in ``opt.param_groups`` (a list of dicts, one per
group), as in torch, so a schedule can change ``param_groups[0]["lr"]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from dlhelpers.scratch.layers import Parameter
from dlhelpers.validate import check_number

__all__ = ["Adam", "Optimizer", "SGD", "adam_step", "sgd_step"]


def sgd_step(w, v, grad, lr, momentum):
    """One step of SGD with momentum on arrays: returns ``(new_w, new_v)``.

    Twin of ``torch.optim.SGD(momentum=momentum)`` (no dampening, no Nesterov) from the
    second step on; on the first step torch sets ``v = grad``, which is this with
    ``v = 0``. The function notebook 03 has the learner write. ``lr`` and ``momentum``
    may be arrays that broadcast against ``w`` (one per run, for instance).

    Parameters
    ----------
    w, v, grad : ndarray of the same shape
        The weights, the velocity (start at zeros) and the gradient.
    lr, momentum : float or ndarray broadcasting against w

    Returns
    -------
    new_w, new_v : ndarray of w's shape
    """
    new_v = momentum * v + grad
    return w - lr * new_v, new_v


def adam_step(w, m, v, grad, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam on arrays: returns ``(new_w, new_m, new_v)``.

    Twin of ``torch.optim.Adam`` (``amsgrad=False``, no weight decay: add
    ``weight_decay * w`` to ``grad`` first for torch's L2). Notebook 06 has the
    learner write it; :class:`Adam` takes the same steps on :class:`Parameter` objects.
    ``lr``, ``beta1``, ``beta2`` and ``eps`` may be arrays that broadcast against ``w``.

    Parameters
    ----------
    w, m, v, grad : ndarray of the same shape
        The weights, the running means of the gradient and of its square (both start
        at zeros), the gradient.
    t : int, at least 1
        The number of this step, counting from 1 (the bias correction needs it).
    lr, beta1, beta2, eps : float or ndarray broadcasting against w

    Returns
    -------
    new_w, new_m, new_v : ndarray of w's shape
    """
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = new_m / (1 - beta1**t)  # m and v start at 0: early averages are too small
    v_hat = new_v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), new_m, new_v


class Optimizer:
    """Base class: parameter groups, per-parameter ``state``, ``zero_grad``.

    ``params`` is an iterable of :class:`Parameter`, or of dicts
    ``{"params": [...], "lr": ...}`` to give groups their own settings.
    """

    def __init__(self, params: Iterable, defaults: dict):
        self.defaults = defaults
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            for p in group["params"]:
                if not isinstance(p, Parameter):
                    raise TypeError(
                        f"optimizer can only optimize Parameters, got {type(p).__name__}"
                    )
            self.param_groups.append(group)
        self.state: dict[int, dict] = {}  # keyed by id(parameter)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget all gradients (``None`` by default, like torch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        raise NotImplementedError

    @staticmethod
    def _gradients(group: dict):
        """``(param, gradient)`` for each parameter of ``group`` that has a gradient.

        The gradient includes L2 weight decay (``g + weight_decay * p``), added
        the way torch adds it: to the gradient, before momentum or Adam's moments.
        """
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad
            if group["weight_decay"] != 0:
                g = g + group["weight_decay"] * p.data
            yield p, g

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum. Twin of ``torch.optim.SGD``.

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        b = g                                        on the first step
        b = momentum * b + (1 - dampening) * g       afterwards
        g = g + momentum * b  if nesterov  else  b   (only when momentum != 0)
        p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        lr = check_number("lr", lr, low=0)
        momentum = check_number("momentum", momentum, low=0)
        dampening = check_number("dampening", dampening)
        weight_decay = check_number("weight_decay", weight_decay, low=0)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )

    def step(self) -> None:
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            for p, g in self._gradients(group):
                if momentum != 0:
                    state = self.state.setdefault(id(p), {})
                    if "momentum_buffer" not in state:
                        buf = g.copy()
                    else:
                        buf = momentum * state["momentum_buffer"] + (1 - dampening) * g
                    state["momentum_buffer"] = buf
                    g = g + momentum * buf if group["nesterov"] else buf
                p.data -= lr * g


class Adam(Optimizer):
    """Adam with bias correction. Twin of ``torch.optim.Adam`` (``amsgrad=False``).

    For each parameter, at step ``t = 1, 2, ...``::

        g = g + weight_decay * p                 (L2 penalty, not AdamW)
        m = beta1 * m + (1 - beta1) * g          (m, v start at 0)
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        lr = check_number("lr", lr, low=0)
        eps = check_number("eps", eps, low=0, low_open=True)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        betas = tuple(
            check_number(f"betas[{i}]", b, low=0, high=1, high_open=True)
            for i, b in enumerate(betas)
        )
        weight_decay = check_number("weight_decay", weight_decay, low=0)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p, g in self._gradients(group):
                state = self.state.setdefault(id(p), {})
                if not state:
                    state.update(
                        step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data)
                    )
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m += (1 - beta1) * (g - m)  # torch's lerp form of beta1*m + (1-beta1)*g
                v *= beta2
                v += (1 - beta2) * g * g
                step_size = lr / (1 - beta1**t)
                denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
                p.data -= step_size * m / denom
