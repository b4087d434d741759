"""The worker that :mod:`dlhelpers.train.distributed` starts in each process (notebook 13).

It lives in its own importable module because ``spawn`` pickles the function
by name: a worker defined in a notebook fails in the child ("Can't get attribute").
"""

from __future__ import annotations

import copy
import datetime
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data.distributed import DistributedSampler

from dlhelpers.train.models import lenet, primer_mlp

MODELS = {"primer_mlp": primer_mlp, "lenet": lenet}


def batches(n: int, world_size: int, rank: int, batch_size: int, seed: int, epoch: int):
    """This rank's index batches for one epoch: a ``DistributedSampler`` split, cut in order."""
    sampler = DistributedSampler(range(n), num_replicas=world_size, rank=rank, seed=seed)
    sampler.set_epoch(epoch)
    idx = torch.tensor(list(sampler))
    return list(torch.split(idx, batch_size))


def train_loop(model, X, y, cfg, rank: int, world_size: int, on_first_grad=None):
    """Adam over this rank's batches; returns the seconds of each epoch and the mean losses."""
    opt = torch.optim.Adam(model.parameters(), cfg["lr"])
    epoch_seconds, losses = [], []
    for epoch in range(cfg["epochs"]):
        start, total, parts = time.perf_counter(), 0.0, 0
        for step, idx in enumerate(
            batches(len(X), world_size, rank, cfg["batch_size"], cfg["seed"], epoch)
        ):
            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), y[idx])
            loss.backward()  # DDP all-reduces (averages) the gradients here
            if epoch == 0 and step == 0 and on_first_grad is not None:
                on_first_grad()
            opt.step()
            total, parts = total + loss.item(), parts + 1
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(total / max(parts, 1))
    return epoch_seconds, losses


def full_batch_grad(model: nn.Module, X, y, cfg, world_size: int) -> list[torch.Tensor]:
    """The one-process gradient of step 1's global batch: every rank's first batch together."""
    idx = torch.cat(
        [
            batches(len(X), world_size, r, cfg["batch_size"], cfg["seed"], 0)[0]
            for r in range(world_size)
        ]
    )
    ref = copy.deepcopy(model)
    F.cross_entropy(ref(X[idx]), y[idx]).backward()
    return [p.grad.detach().clone() for p in ref.parameters()]


def worker(rank: int, world_size: int, port: int, cfg: dict, folder: str) -> None:
    """One rank: join the group, wrap the model in DDP, train, save the result to ``folder``."""
    entered = time.time()
    torch.set_num_threads(cfg["threads"])
    out = Path(folder)
    if rank in cfg.get("_stall_ranks", ()):  # tests: a rank that never arrives
        time.sleep(3600)
    start = time.perf_counter()
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=cfg["timeout"]),
    )
    init_seconds = time.perf_counter() - start
    (out / f"rank{rank}.ready").touch()
    try:
        X, y = torch.load(out / "data.pt", weights_only=True)
        torch.manual_seed(cfg["seed"])
        model = MODELS[cfg["model"]]()
        reference = full_batch_grad(model, X, y, cfg, world_size)
        start = time.perf_counter()
        ddp = nn.parallel.DistributedDataParallel(model)
        ddp_seconds = time.perf_counter() - start
        diff = []

        def compare():
            diff.append(
                max(
                    float((p.grad - r).abs().max())
                    for p, r in zip(model.parameters(), reference, strict=True)
                )
            )

        epoch_seconds, losses = train_loop(ddp, X, y, cfg, rank, world_size, compare)
        result = {
            "rank": rank,
            "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "epoch_seconds": epoch_seconds,
            "losses": losses,
            "grad_max_diff": diff[0],
            "start_seconds": entered - cfg["t0"],
            "init_seconds": init_seconds,
            "ddp_seconds": ddp_seconds,
        }
        torch.save(result, out / f"rank{rank}.tmp")
        (out / f"rank{rank}.tmp").rename(out / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()
