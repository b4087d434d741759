"""Make the digit denoiser that notebook 14 ships: ``dlhelpers/data/checkpoints/diffusion_digits.pt``.

    PYTHONPATH=$PWD python scripts/make_diffusion_checkpoint.py            # DIGIT_RECIPE's iterations
    PYTHONPATH=$PWD python scripts/make_diffusion_checkpoint.py --every 1000 --out /tmp/ckpt

Seeded and on one thread, on the offline MNIST sample (``load_mnist_sample``,
4,000 training images, the same on every machine), with the recipe of
:data:`dlhelpers.train.diffusion_digits.DIGIT_RECIPE`. It prints two
SHA-256 sums: the file's (``CHECKPOINT_SHA256``, which the loader checks; torch
writes a random id into every file, so it changes with each save) and the
weights' (``WEIGHTS_SHA256``, from :func:`weights_digest`: the same on a rerun on
the same kind of machine and thread count; another CPU may round differently).
With ``--every N`` it also saves the weights after every N iterations
(``iter_N.pt``): training is the same draws in the same order, so the file
after N iterations is what a run with ``iterations = N`` makes.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import torch

from dlhelpers.data.mnist import load_mnist_sample
from dlhelpers.train.diffusion import train_denoiser
from dlhelpers.train.diffusion_digits import (
    CHECKPOINT,
    DIGIT_RECIPE,
    TinyUNet,
    digit_betas,
    digit_data,
    weights_digest,
)

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=DIGIT_RECIPE["iterations"])
    parser.add_argument("--every", type=int, default=0, help="also save every N iterations")
    parser.add_argument("--out", type=Path, default=ROOT / "dlhelpers" / "data" / "checkpoints")
    args = parser.parse_args()
    torch.set_num_threads(1)
    r = DIGIT_RECIPE
    data = digit_data(load_mnist_sample()[0])
    torch.manual_seed(r["seed"])
    model = TinyUNet(r["steps"], channels=r["channels"])
    args.out.mkdir(parents=True, exist_ok=True)
    every = args.every or args.iterations
    # One call, saving from a hook: calls per block would each reseed the draws.
    done, start = 0, time.perf_counter()

    def save(name: str) -> None:
        path = args.out / name
        torch.save(model.state_dict(), path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(
            f"{done} iterations, {time.perf_counter() - start:.0f} s: {path}\n"
            f"  file sha256 {digest}\n  weights sha256 {weights_digest(model.state_dict())}",
            flush=True,
        )

    def after_step(iteration: int) -> None:
        nonlocal done
        done = iteration
        if args.every and iteration % every == 0 and iteration < args.iterations:
            save(f"iter_{iteration}.pt")

    train_denoiser(
        model,
        data,
        digit_betas(),
        iterations=args.iterations,
        batch=r["batch"],
        lr=r["lr"],
        seed=r["seed"],
        on_step=after_step,
    )
    save(CHECKPOINT if args.out.name == "checkpoints" else f"iter_{args.iterations}.pt")


if __name__ == "__main__":
    main()
