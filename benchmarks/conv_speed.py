"""How far is the NumPy im2col convolution (``dlhelpers.scratch.conv``) behind torch's?

    python benchmarks/conv_speed.py                  # 1 thread for torch and NumPy's BLAS
    python benchmarks/conv_speed.py --threads 2 --repeats 100

Two float32 cases, LeNet's convolutions: a batch of 64 28 x 28 single-channel
images through 8 3 x 3 filters (padding 1), and 64 x 6 x 14 x 14 through 16
5 x 5 filters. For each, the forward pass alone and forward + backward
(gradients of input, weight and bias: ``conv2d`` + ``conv2d_backward`` against
``torch.nn.functional.conv2d`` and autograd). The contenders run interleaved
and each figure is the median of ``--repeats`` calls, after one warm-up call.

NumPy's BLAS threads are set with threadpoolctl when it is installed (it comes
with scikit-learn); otherwise the BLAS uses its own default, and a line says so.
On a virtual machine where touching fresh memory is slow, NumPy's temporaries
(the padded input, the im2col matrix) cost more than the arithmetic: glibc's
``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` (set large, before Python
starts) keep that memory around between calls and show the difference.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from dlhelpers.scratch.conv import conv2d, conv2d_backward

# (batch, in_channels, size, out_channels, kernel, padding)
CASES = [(64, 1, 28, 8, 3, 1), (64, 6, 14, 16, 5, 0)]


def _blas_threads(threads: int):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed: NumPy's BLAS keeps its default threads")
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def contenders(case, rng):
    """``{(pass, library): callable}`` for one case, on the same float32 data."""
    n, c_in, size, c_out, k, p = case
    x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
    w = rng.standard_normal((c_out, c_in, k, k), dtype=np.float32)
    b = rng.standard_normal(c_out, dtype=np.float32)
    g = rng.standard_normal(conv2d(x, w, b, padding=p).shape, dtype=np.float32)
    xt, wt, bt, gt = (torch.from_numpy(a) for a in (x, w, b, g))
    xr, wr, br = (t.clone().requires_grad_() for t in (xt, wt, bt))

    def numpy_both():
        conv2d(x, w, b, padding=p)
        conv2d_backward(g, x, w, padding=p)

    def torch_forward():
        with torch.no_grad():
            F.conv2d(xt, wt, bt, padding=p)

    def torch_both():
        for t in (xr, wr, br):
            t.grad = None
        F.conv2d(xr, wr, br, padding=p).backward(gt)

    return {
        ("forward", "NumPy"): lambda: conv2d(x, w, b, padding=p),
        ("forward", "torch"): torch_forward,
        ("forward + backward", "NumPy"): numpy_both,
        ("forward + backward", "torch"): torch_both,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    for name in ("threads", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    rows = []
    with _blas_threads(args.threads):
        for case in CASES:
            runs = contenders(case, rng)
            times: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
            for run in runs.values():
                run()  # warm-up
            for _ in range(args.repeats):  # interleaved, so a neighbour's burst hits all alike
                for key, run in runs.items():
                    start = time.perf_counter()
                    run()
                    times[key].append(time.perf_counter() - start)
            for step in ("forward", "forward + backward"):
                ms = {lib: 1e3 * statistics.median(times[step, lib]) for lib in ("NumPy", "torch")}
                rows.append((case, step, ms["NumPy"], ms["torch"]))
    print(
        f"\nfloat32, {args.threads} thread(s), median of {args.repeats}; "
        f"NumPy {np.__version__}, torch {torch.__version__}\n"
    )
    print("| input -> filters | pass | NumPy ms | torch ms | NumPy / torch |")
    print("|---|---|---|---|---|")
    for (n, c_in, size, c_out, k, p), step, mine, theirs in rows:
        case = f"{n}x{c_in}x{size}x{size} -> {c_out} {k}x{k}" + (f", padding {p}" if p else "")
        print(f"| {case} | {step} | {mine:.2f} | {theirs:.2f} | {mine / theirs:.1f}x |")


if __name__ == "__main__":
    main()
