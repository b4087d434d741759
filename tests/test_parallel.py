"""Many MLPs at once (notebook 06): each run trains exactly as it would alone."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dlhelpers.scratch.optim import adam_step, sgd_step  # noqa: E402
from dlhelpers.train import fit  # noqa: E402
from dlhelpers.train.parallel import (  # noqa: E402
    ArrayOptimizer,
    ParallelMLP,
    RunsMonitor,
    RunsSchedule,
    per_run_losses,
    runs_cross_entropy,
    stack_runs,
)


def _data(runs=3, n=24, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n, 2)), rng.integers(0, 2, n)) for _ in range(runs)]


def test_members_compute_what_the_stack_computes():
    data = _data()
    X, y = stack_runs(data)
    model = ParallelMLP([2, 8, 8, 2], seeds=[0, 1, 2]).eval()
    out = model(X)
    assert out.shape == (24, 3, 2)
    for r in range(3):
        alone = model.member(r)(X[:, r])
        torch.testing.assert_close(out[:, r], alone, rtol=1e-5, atol=1e-6)
    assert not torch.equal(out[:, 0], out[:, 1])  # different seeds, different weights


def test_each_run_trains_as_it_would_alone_with_torch_adam():
    data = _data()
    X, y = stack_runs(data)
    model = ParallelMLP([2, 8, 2], seeds=[3, 4, 5])
    alone = [model.member(r).train() for r in range(3)]
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    opts = [torch.optim.Adam(m.parameters(), lr=0.05) for m in alone]
    for _ in range(5):
        opt.zero_grad()
        runs_cross_entropy(model(X), y).backward()
        opt.step()
        for r, (m, o) in enumerate(zip(alone, opts, strict=True)):
            o.zero_grad()
            torch.nn.functional.cross_entropy(m(X[:, r]), y[:, r]).backward()
            o.step()
    for r, m in enumerate(alone):
        torch.testing.assert_close(model.member(r)[0].weight, m[0].weight, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_array_optimizer_with_adam_step_matches_torch_adam(weight_decay):
    torch.manual_seed(0)
    ours = torch.nn.Linear(3, 2).double()
    theirs = torch.nn.Linear(3, 2).double()
    theirs.load_state_dict(ours.state_dict())
    opt = ArrayOptimizer(
        ours.parameters(),
        adam_step,
        n_state=2,
        uses_t=True,
        lr=0.1,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=weight_decay,
    )
    ref = torch.optim.Adam(theirs.parameters(), lr=0.1, weight_decay=weight_decay)
    for _ in range(6):
        x = torch.randn(5, 3, dtype=torch.float64)
        for model, o in ((ours, opt), (theirs, ref)):
            o.zero_grad()
            model(x).pow(2).sum().backward()
            o.step()
    torch.testing.assert_close(ours.weight, theirs.weight, rtol=1e-12, atol=1e-12)


def test_one_learning_rate_per_run():
    X, y = stack_runs(_data(runs=2))
    model = ParallelMLP([2, 4, 2], seeds=[0, 0])  # the same start twice
    opt = ArrayOptimizer(
        model.parameters(),
        sgd_step,
        n_state=1,
        uses_t=False,
        lr=np.array([0.0, 0.5]),
        momentum=0.9,
    )
    start = model.member(0)[0].weight.detach().clone()
    for _ in range(3):
        opt.zero_grad()
        runs_cross_entropy(model(X), y).backward()
        opt.step()
    assert torch.equal(model.member(0)[0].weight, start)  # lr 0: never moved
    assert not torch.equal(model.member(1)[0].weight, start)


def test_monitor_records_each_run_and_stops_runs_one_by_one():
    data = _data(runs=2, n=40)
    train, val = (
        stack_runs([(x[:20], t[:20]) for x, t in data]),
        stack_runs([(x[20:], t[20:]) for x, t in data]),
    )
    model = ParallelMLP([2, 64, 2], seeds=[0, 1])
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    monitor = RunsMonitor(train, val, patience=[None, 3])
    fit(
        model,
        train,
        epochs=60,
        optimizer=opt,
        loss_fn=runs_cross_entropy,
        batch_size=20,
        metrics=(),
        callbacks=[monitor],
    )
    h = monitor.history
    assert h["val_loss"].shape == (60, 2) and np.isfinite(h["val_loss"][:, 0]).all()
    stop, best = monitor.stopped_epoch[1], monitor.best_epoch[1]
    assert monitor.stopped_epoch[0] == 0 and stop == best + 3
    assert np.isnan(h["val_loss"][stop:, 1]).all()
    with torch.no_grad():
        restored = per_run_losses(model.eval()(val[0]), val[1])[1].item()
    assert restored == pytest.approx(h["val_loss"][best - 1, 1], rel=1e-5)


def test_dropout_per_run_in_train_mode_only():
    model = ParallelMLP([2, 2000, 2], seeds=[0, 1], dropout=[0.0, 0.5])
    X = torch.ones(1, 2, 2)
    hidden = {}
    model.weights[1].register_hook(lambda g: hidden.setdefault("g", g))
    model(X).sum().backward()
    zeros = (hidden["g"] == 0).float().mean(dim=(1, 2))
    assert zeros[0] < 0.55 and abs(zeros[1] - 0.5) < 0.3  # some units dropped in run 1
    model.eval()
    torch.testing.assert_close(model(X)[:, 1], model.member(1)(X[:, 1]))


def test_schedule_table_sets_each_runs_rate():
    X, y = stack_runs(_data(runs=2))
    model = ParallelMLP([2, 4, 2], seeds=[0, 1])
    opt = ArrayOptimizer(
        model.parameters(), sgd_step, n_state=1, uses_t=False, lr=0.1, momentum=0.0
    )
    rates = np.array([[0.1, 0.2], [0.3, 0.4]])
    fit(
        model,
        (X, y),
        epochs=2,
        optimizer=opt,
        loss_fn=runs_cross_entropy,
        metrics=(),
        callbacks=[RunsSchedule(rates)],
    )
    assert np.array_equal(opt.param_groups[0]["lr"], [0.3, 0.4])


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: ParallelMLP([2], seeds=[0]), "sizes"),
        (lambda: ParallelMLP([2, 0, 2], seeds=[0]), "sizes"),
        (lambda: ParallelMLP([2, 2], seeds=[]), "seeds"),
        (lambda: ParallelMLP([2, 2], seeds=[-1]), "seeds"),
        (lambda: ParallelMLP([2, 2], seeds=[0], dropout=1.0), "dropout"),
        (lambda: ParallelMLP([2, 2], seeds=[0], dropout="x"), "dropout"),
        (
            lambda: ArrayOptimizer(
                [torch.zeros(1, requires_grad=True)], "adam", n_state=2, uses_t=True, lr=0.1
            ),
            "step_fn",
        ),
        (
            lambda: ArrayOptimizer(
                [torch.zeros(1, requires_grad=True)], adam_step, n_state=2, uses_t=True
            ),
            "lr",
        ),
        (lambda: RunsSchedule([0.1, 0.2]), "rates"),
        (lambda: RunsSchedule([[0.1, np.nan]]), "rates"),
    ],
)
def test_bad_settings_say_which(make, words):
    with pytest.raises((ValueError, TypeError), match=words):
        make()


def test_patience_needs_one_entry_per_run():
    X, y = stack_runs(_data(runs=2))
    model = ParallelMLP([2, 4, 2], seeds=[0, 1])
    with pytest.raises(ValueError, match="patience"):
        fit(
            model,
            (X, y),
            epochs=1,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            loss_fn=runs_cross_entropy,
            metrics=(),
            callbacks=[RunsMonitor((X, y), (X, y), [3])],
        )
