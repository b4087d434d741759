"""What a forward pass costs (notebook 13): FLOPs counted by torch and by hand, and time per step.

:func:`count_flops` asks ``torch.utils.flop_counter.FlopCounterMode``;
:func:`formula_flops` adds up the textbook formulas, module by module (forward
hooks give each module's input shape). Both count a multiply-add as **2 FLOPs**
and count only matrix products:

- ``Linear``: ``2 * rows * in * out``; ``Conv``: ``2 * out.numel() * in/groups * kernel``;
- ``RNN/GRU/LSTM``: ``2 * B * T * gates * H * (in + H)`` per layer and direction
  (gates 1, 3, 4);
- ``MultiheadAttention``: the Q, K, V and output projections plus ``Q K^T`` and
  ``weights @ V``, ``2 * B * L * S * E`` each (quadratic in the sequence length).

Both ignore biases, elementwise ops (activations, residual adds, dropout),
softmax, LayerNorm, pooling and embedding look-ups: cheap next to the products.
Two quirks of the counter on CPU, handled here: torch's oneDNN LSTM kernel is
invisible to it (so :func:`count_flops` turns oneDNN off while counting, and
the LSTM falls back to matrix products it sees), and the fused attention kernel
``MultiheadAttention`` uses when ``need_weights=False`` is not counted either
(the course's :class:`~dlhelpers.train.transformer.TinyTransformer` asks for the
weights, so it is). With those two, formula and counter agree exactly on every
network in :func:`course_networks`.
"""

from __future__ import annotations

import copy
import statistics
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dlhelpers.train.char_model import CharLSTM
from dlhelpers.train.gan import Discriminator, Generator
from dlhelpers.train.gan_digits import DigitDiscriminator, DigitGenerator
from dlhelpers.train.models import lenet, primer_mlp
from dlhelpers.train.transformer import TinyTransformer
from dlhelpers.validate import check_choice, check_number, check_positive_int

__all__ = [
    "achieved_gflops",
    "conv_flops",
    "cost_table",
    "count_flops",
    "course_networks",
    "formula_flops",
    "linear_flops",
    "matmul_peak",
    "mlp_layer_costs",
    "SCALING_CONFIG",
    "scaling",
    "time_per_step",
]

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "GRU": 3, "LSTM": 4}


def _run(model: nn.Module, example_input) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    if not isinstance(example_input, torch.Tensor | tuple):
        raise TypeError("example_input must be a tensor (or a tuple of model arguments)")
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # oneDNN's TF32 notice
        with torch.backends.mkldnn.flags(enabled=False):  # the LSTM then runs on visible mm's
            model(*args)


def count_flops(model: nn.Module, example_input) -> int:
    """Forward FLOPs of ``model(example_input)`` by ``FlopCounterMode`` (a multiply-add is 2)."""
    with FlopCounterMode(display=False) as counter:
        _run(model, example_input)
    return int(counter.get_total_flops())


def linear_flops(batch: int, n_in: int, n_out: int) -> int:
    """Forward FLOPs of ``nn.Linear(n_in, n_out)`` on ``batch`` rows, bias left out: ``2 * batch * n_in * n_out``.

    Each of the ``batch * n_out`` outputs is a sum of ``n_in`` products: one
    multiply-add (2 FLOPs) per weight and row. Notebook 13's exercise writes it.
    """
    batch, n_in, n_out = (
        check_positive_int(k, v)
        for k, v in zip(("batch", "n_in", "n_out"), (batch, n_in, n_out), strict=True)
    )
    return 2 * batch * n_in * n_out


def conv_flops(batch: int, c_in: int, c_out: int, kernel: int, h_out: int, w_out: int) -> int:
    """Forward FLOPs of ``nn.Conv2d(c_in, c_out, kernel)`` giving ``h_out x w_out`` maps, bias left out.

    ``2 * (batch * c_out * h_out * w_out) * (c_in * kernel * kernel)``: each output
    value is a sum over a ``c_in x kernel x kernel`` window (``groups=1``, square
    kernel). Notebook 13's exercise writes it.
    """
    names = ("batch", "c_in", "c_out", "kernel", "h_out", "w_out")
    batch, c_in, c_out, kernel, h_out, w_out = (
        check_positive_int(k, v)
        for k, v in zip(names, (batch, c_in, c_out, kernel, h_out, w_out), strict=True)
    )
    return 2 * (batch * c_out * h_out * w_out) * (c_in * kernel * kernel)


def _linear(m: nn.Linear, x: torch.Tensor, out) -> int:
    return linear_flops(x.numel() // m.in_features, m.in_features, m.out_features)


def _conv(m: nn.modules.conv._ConvNd, x: torch.Tensor, out: torch.Tensor) -> int:
    return 2 * out.numel() * (m.in_channels // m.groups) * int(np.prod(m.kernel_size))


def _rnn(m: nn.RNNBase, x: torch.Tensor, out) -> int:
    if getattr(m, "proj_size", 0):
        raise NotImplementedError("formula_flops does not cover LSTM(proj_size > 0)")
    rows = x.numel() // m.input_size  # B * T
    dirs, h, gates = 1 + m.bidirectional, m.hidden_size, GATES[m.mode]
    total = 0
    for layer in range(m.num_layers):
        n_in = m.input_size if layer == 0 else h * dirs
        total += dirs * 2 * rows * gates * h * (n_in + h)
    return total


def _attention(m: nn.MultiheadAttention, args: tuple, out) -> int:
    q, k = args[0], args[1]
    e = m.embed_dim
    length, source = (q.shape[-2], k.shape[-2]) if m.batch_first else (q.shape[0], k.shape[0])
    batch = q.numel() // (length * e)  # B (1 when unbatched)
    projections = 2 * batch * (2 * length * e * e + source * e * (m.kdim + m.vdim))
    return projections + 2 * (2 * batch * length * source * e)  # + Q K^T and weights @ V


def formula_flops(model: nn.Module, input_shape) -> int:
    """Forward FLOPs by hand: the formulas of the module docstring, summed over the modules.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of int, or a tensor
        A shape makes ``zeros(input_shape)``, as int64 ids if the model has an
        ``nn.Embedding``; a tensor (or tuple of tensors) is used as it is.
    """
    if isinstance(input_shape, torch.Tensor | tuple) and not _is_shape(input_shape):
        example = input_shape
    elif _is_shape(input_shape):
        ids = any(isinstance(m, nn.Embedding) for m in model.modules())
        shape = tuple(int(v) for v in input_shape)
        example = torch.zeros(shape, dtype=torch.long if ids else torch.float32)
    else:
        raise TypeError(
            f"input_shape must be a tuple of positive ints or a tensor: {input_shape!r}"
        )
    total = [0]
    inside_attention = {
        id(sub)
        for m in model.modules()
        if isinstance(m, nn.MultiheadAttention)
        for sub in m.modules()
    }

    def hook(module, args, out):
        if isinstance(module, nn.MultiheadAttention):
            total[0] += _attention(module, args, out)
        elif id(module) in inside_attention:
            return
        elif isinstance(module, nn.Linear):
            total[0] += _linear(module, args[0], out)
        elif isinstance(module, nn.modules.conv._ConvNd) and not module.transposed:
            total[0] += _conv(module, args[0], out)
        elif isinstance(module, nn.RNNBase):
            total[0] += _rnn(module, args[0], out)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        _run(model, example)
    finally:
        for h in handles:
            h.remove()
    return total[0]


def _is_shape(value) -> bool:
    """A non-empty tuple or list of positive whole numbers (NumPy integers too)."""
    return (
        isinstance(value, tuple | list)
        and len(value) > 0
        and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0 for v in value
        )
    )


def course_networks() -> dict[str, tuple[nn.Module, torch.Tensor]]:
    """Every network of the course with an example batch of its usual size, seeded (weights fixed).

    Returns a dict name -> ``(model, example_input)``.
    """
    g = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return {
            "primer MLP": (primer_mlp(), torch.rand(32, 1, 28, 28, generator=g)),
            "LeNet-5": (lenet(), torch.rand(64, 1, 28, 28, generator=g)),
            "spiral MLP 2-32-32-2": (
                nn.Sequential(
                    nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2)
                ),
                torch.randn(32, 2, generator=g),
            ),
            "CharLSTM": (CharLSTM(103), torch.randint(0, 103, (32, 64), generator=g)),
            "transformer (reversal)": (
                TinyTransformer(10),
                torch.randint(0, 10, (64, 8), generator=g),
            ),
            "transformer (LM)": (
                TinyTransformer(103, causal=True),
                torch.randint(0, 103, (32, 64), generator=g),
            ),
            "2-D GAN G": (Generator(), torch.rand(256, 2, generator=g) * 2 - 1),
            "2-D GAN D": (Discriminator(), torch.randn(256, 2, generator=g)),
            "digit GAN G": (DigitGenerator(), torch.randn(64, 64, generator=g)),
            "digit GAN D": (DigitDiscriminator(), torch.rand(64, 28, 28, generator=g) * 2 - 1),
        }


def cost_table() -> list[tuple[str, int, int, int]]:
    """Rows ``(name, parameters, formula FLOPs, counter FLOPs)``, one per :func:`course_networks`."""
    return [
        (name, sum(p.numel() for p in m.parameters()), formula_flops(m, x), count_flops(m, x))
        for name, (m, x) in course_networks().items()
    ]


def _default_loss(out) -> torch.Tensor:
    out = out[0] if isinstance(out, tuple) else out
    return out.float().pow(2).mean()


def time_per_step(
    model: nn.Module,
    example_input: torch.Tensor,
    loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
    *,
    steps: int = 20,
) -> float:
    """Median seconds of one training step: forward, ``loss(output).backward()``, an Adam step.

    Runs on a copy of the model (the caller's weights stay put), after one
    warm-up step, at torch's current thread count. ``loss=None`` takes the mean
    square of the output (of its first element for a tuple): any scalar will do.
    """
    steps = check_positive_int("steps", steps)
    loss = _default_loss if loss is None else loss
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    clone = copy.deepcopy(model).train()
    opt = torch.optim.Adam(clone.parameters(), 1e-3)
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        opt.zero_grad()
        loss(clone(*args)).backward()
        opt.step()
        if i:  # the first step warms up the allocator and Adam's state
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def achieved_gflops(model: nn.Module, example_input, seconds: float | None = None, **kw) -> float:
    """GFLOP/s of training: ``3 x`` forward FLOPs per step (forward 1, backward about 2) / time.

    The usual estimate: the backward pass costs about twice the forward (one
    product for the input's gradient, one for the weights'); Adam's few
    elementwise FLOPs per parameter are left out. ``seconds=None`` measures
    :func:`time_per_step` (``kw`` go there).
    """
    if seconds is None:
        seconds = time_per_step(model, example_input, **kw)
    seconds = check_number("seconds", seconds, low=0, low_open=True)
    return 3 * count_flops(model, example_input) / seconds / 1e9


def matmul_peak(n: int = 512, repeats: int = 10, device: str = "cpu") -> float:
    """Best float32 GFLOP/s of an ``n x n`` matmul at torch's current threads: the roof to compare with.

    ``device="cuda"`` times it on the GPU (waiting for the GPU before reading the clock).
    """
    n, repeats = check_positive_int("n", n), check_positive_int("repeats", repeats)
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch sees no GPU here")

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    torch.matmul(a, b)  # warm up
    best = float("inf")
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        torch.matmul(a, b)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


#: The settings :func:`scaling` reads for each kind of network, with their defaults.
SCALING_CONFIG = {
    "mlp": {"n_in": 784, "n_out": 10, "width": 64, "depth": 2},
    "transformer": {"d_model": 64, "n_layers": 1, "vocab": 103, "dim_feedforward": None},
}


def scaling(parameter: str, values: Sequence[int], **config) -> dict[str, np.ndarray]:
    """Forward FLOPs per example as one size grows, for plotting; closed forms of :func:`formula_flops`.

    Parameters
    ----------
    parameter : {"width", "depth", "seq_len"}
        ``"width"``/``"depth"``: an MLP ``n_in -> width x depth -> n_out``
        (config ``n_in=784, n_out=10, width=64, depth=2``); ``"seq_len"``: a
        :class:`TinyTransformer` (config ``d_model=64, n_layers=1, vocab=103``,
        ``dim_feedforward=4 * d_model``), whose attention term grows as ``T**2``.
    values : sequence of positive int
    **config : int
        The other sizes, named as above (see :data:`SCALING_CONFIG`); an
        unknown name is refused with the choices.

    Returns
    -------
    dict of str to ndarray of shape (len(values),), int64
        ``"total"``; for ``"seq_len"`` also ``"linear"`` (projections, MLP, head)
        and ``"attention"`` (``Q K^T`` and ``weights @ V``). Computed exactly
        with Python integers; a count past int64 is refused, never wrapped.
    """
    parameter = check_choice("parameter", parameter, ("width", "depth", "seq_len"))
    if np.ndim(values) != 1 or len(values) == 0:
        raise ValueError(f"values must be a non-empty sequence of positive ints, got {values!r}")
    v = [check_positive_int("values", x) for x in values]
    kind = "transformer" if parameter == "seq_len" else "mlp"
    for name in config:
        check_choice("config name", name, SCALING_CONFIG[kind])
    cfg = {**SCALING_CONFIG[kind], **{k: check_positive_int(k, x) for k, x in config.items()}}
    if kind == "mlp":
        cfg.pop(parameter)
        rows = [_mlp_flops(**cfg, **{parameter: x}) for x in v]
        return {"total": _int64("total", rows)}
    c = cfg["d_model"]
    ff = 4 * c if cfg["dim_feedforward"] is None else cfg["dim_feedforward"]
    linear = [
        cfg["n_layers"] * (2 * t * 4 * c * c + 2 * t * 2 * c * ff) + 2 * t * c * cfg["vocab"]
        for t in v
    ]
    attention = [cfg["n_layers"] * 2 * (2 * t * t * c) for t in v]
    total = [a + b for a, b in zip(linear, attention, strict=True)]
    return {
        "total": _int64("total", total),
        "linear": _int64("linear", linear),
        "attention": _int64("attention", attention),
    }


def _mlp_flops(n_in: int, n_out: int, width: int, depth: int) -> int:
    """Forward FLOPs per example of an MLP ``n_in -> width x depth -> n_out``, a Python int."""
    return 2 * (n_in * width + (depth - 1) * width * width + width * n_out)


def _int64(name: str, counts: list[int]) -> np.ndarray:
    """Exact Python counts as int64, refused rather than wrapped when one does not fit."""
    biggest = max(counts)
    if biggest > np.iinfo(np.int64).max:
        raise OverflowError(
            f"{name} FLOPs reach {biggest:.3e}, past int64 (9.2e18): choose smaller sizes"
        )
    return np.array(counts, dtype=np.int64)


def mlp_layer_costs(
    n_in: int, width: int, depth: int, n_out: int, batch: int = 1
) -> list[tuple[str, int, int]]:
    """Per layer of the MLP ``n_in -> width x depth -> n_out``: ``(name, parameters, forward FLOPs)``.

    Parameters count weights and biases; FLOPs are :func:`linear_flops` on ``batch``
    rows (biases left out, as everywhere in this module). Notebook 13's explorer draws them.
    """
    n_in, width, n_out = (
        check_positive_int(k, v)
        for k, v in zip(("n_in", "width", "n_out"), (n_in, width, n_out), strict=True)
    )
    depth, batch = check_positive_int("depth", depth), check_positive_int("batch", batch)
    sizes = [n_in, *[width] * depth, n_out]
    rows = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        name = "input" if i == 0 else "output" if i == depth else f"hidden {i}"
        rows.append((f"{name} {a}→{b}", a * b + b, linear_flops(batch, a, b)))
    return rows
