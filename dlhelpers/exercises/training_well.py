"""Exercises of notebook 06 · training well: Adam, dropout and early stopping written by the
learner, and one weight decay to find."""

from __future__ import annotations

import functools

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    a_type,
    array_of_shape,
    as_count,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    float_array,
    is_stub,
    not_numbers,
)

__all__ = ["QUIZ_VAL_LOSSES"]

# Validation loss per epoch (epochs 1..12): the early-stopping exercise's first example.
QUIZ_VAL_LOSSES = (0.92, 0.71, 0.60, 0.55, 0.56, 0.54, 0.57, 0.58, 0.60, 0.63, 0.66, 0.70)

# Adam, several steps against torch.optim.Adam in float64. A float32 answer is right too,
# so the tolerance allows float32 round-off; each slip below is far larger than that.
_RTOL, _ATOL = 1e-5, 1e-9


def _three(out) -> tuple:
    """``(new_w, new_m, new_v)`` from a tuple or list of three, else :class:`Wrong`."""
    ask = "return three arrays, `return new_w, new_m, new_v`."
    if is_stub(out):
        raise NotAttempted("your function returns `...` or None: fill in the body.")
    if isinstance(out, str | bytes | dict | set) or not isinstance(out, tuple | list):
        raise Wrong(f"your function returns {a_type(out)}; {ask}")
    if len(out) != 3:
        raise Wrong(f"your function returns {len(out)} things; {ask}")
    return tuple(out)


def _adam_slips(w, m, v, g, t, lr, b1, b2, eps):
    """(name of the quantity, its value under a typical slip, the hint) for one step."""
    m1, v1 = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    mh, vh = m1 / (1 - b1**t), v1 / (1 - b2**t)
    return [
        ("m", b1 * m + g, "the running mean of the gradient mixes in (1 - beta1) * grad."),
        ("m", b2 * m + (1 - b2) * g, "m uses beta1 (0.9), v uses beta2 (0.999): swapped?"),
        ("v", b2 * v + (1 - b2) * g, "v is the running mean of the *squared* gradient."),
        ("v", b1 * v + (1 - b1) * g * g, "m uses beta1 (0.9), v uses beta2 (0.999): swapped?"),
        ("v", b2 * v + g * g, "the running mean of grad**2 mixes in (1 - beta2) * grad**2."),
        (
            "w",
            w - lr * m1 / (np.sqrt(v1) + eps),
            "the bias correction is missing: divide m by "
            "(1 - beta1**t) and v by (1 - beta2**t) before the step.",
        ),
        (
            "w",
            w - lr * mh / (np.sqrt(v1) + eps),
            "v needs its bias correction too: (1 - beta2**t).",
        ),
        (
            "w",
            w - lr * m1 / (np.sqrt(vh) + eps),
            "m needs its bias correction too: (1 - beta1**t).",
        ),
        ("w", w - lr * mh / np.sqrt(vh + eps), "eps is added after the square root, not inside."),
        ("w", w - lr * mh / (vh + eps), "divide by the square root of v-hat, not by v-hat."),
        ("w", w + lr * mh / (np.sqrt(vh) + eps), "step against the gradient: subtract."),
        (
            "w",
            w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps),
            "the step uses the *new* m and v, updated with this step's gradient.",
        ),
        (
            "w",
            w - lr * (m1 / (1 - b1 ** (t + 1))) / (np.sqrt(v1 / (1 - b2 ** (t + 1))) + eps),
            "t is the number of this step counted from 1: the first call gets t = 1.",
        ),
    ]


def _adam_reference(case, steps: int = 6):
    """Each step's inputs and torch.optim.Adam's (w, m, v) after it, in float64."""
    import torch

    lr, b1, b2, eps, shape, seed = case
    rng = np.random.default_rng(seed)
    w = torch.tensor(rng.normal(size=shape), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=lr, betas=(b1, b2), eps=eps)
    m, v, out = np.zeros(shape), np.zeros(shape), []
    for t in range(1, steps + 1):
        g = rng.normal(size=shape) * 10.0 ** rng.uniform(-4, 0, size=shape)  # tiny to large
        before = (w.detach().numpy().copy(), m, v, g, t)
        w.grad = torch.tensor(g)
        opt.step()
        state = opt.state[w]
        m, v = state["exp_avg"].numpy().copy(), state["exp_avg_sq"].numpy().copy()
        out.append((before, (w.detach().numpy().copy(), m, v)))
    return out


_ADAM_CASES = [  # lr, beta1, beta2, eps, shape, seed: every setting varies
    (0.1, 0.9, 0.999, 1e-8, (3, 4), 0),
    (0.01, 0.8, 0.99, 1e-3, (5,), 1),
    (0.05, 0.5, 0.9, 1e-6, (2, 3), 2),
]


@exercise(
    "training-well-adam-step",
    "Write adam_step(w, m, v, grad, t, lr, beta1, beta2, eps) -> (new_w, new_m, new_v), "
    "torch.optim.Adam's update with bias correction.",
    hint="Follow the table's lines in order: update m with the gradient and v with its square "
    "(each a running mean, weights beta and 1 - beta), then correct both for starting at zero "
    "by dividing by (1 - beta**t), then step by lr * m-hat / (sqrt(v-hat) + eps).",
    solution=r'''def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps):
    """One Adam step at step number t (from 1): returns (new_w, new_m, new_v)."""
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad**2
    m_hat = new_m / (1 - beta1**t)
    v_hat = new_v / (1 - beta2**t)
    new_w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_w, new_m, new_v
''',
)
def _(fn):
    for case in _ADAM_CASES:
        lr, b1, b2, eps = case[:4]
        for (w, m, v, g, t), want in _adam_reference(case):
            args = (w.copy(), m.copy(), v.copy(), g.copy(), t, lr, b1, b2, eps)
            got = dict(zip("wmv", _three(call_answer(fn, *args)), strict=True))
            where = f"at step t={t} (lr={lr}, beta1={b1}, beta2={b2}, eps={eps:g})"
            for name, target in zip("mvw", (want[1], want[2], want[0]), strict=True):
                what = f"the new {name} {where}"
                arr = array_of_shape(got[name], target.shape)
                if arr is None or not np.all(np.isfinite(arr)):
                    compare_arrays(got[name], target, what=what)  # says why: type, shape, nan
                if np.allclose(arr, target, rtol=_RTOL, atol=_ATOL):
                    continue
                for slip_name, slip, hint in _adam_slips(w, m, v, g, t, lr, b1, b2, eps):
                    if slip_name == name and np.allclose(arr, slip, rtol=_RTOL, atol=_ATOL):
                        raise Wrong(f"{what} is off: {hint}")
                compare_arrays(arr, target, what=what, rtol=_RTOL, atol=_ATOL)
    return (
        "right: 18 steps in three settings agree with torch.optim.Adam in float64. "
        "That is all of Adam: two running means, their bias correction, one step."
    )


def _dropout_output(fn, x, p, training, rng, what: str) -> np.ndarray:
    """The learner's dropout of ``x``, as a finite float array of x's shape, else :class:`Wrong`."""
    given = x.copy()
    got = call_answer(fn, given, p, training, rng)
    if not np.array_equal(given, x):
        raise Wrong(f"{what} changed x in place; return a new array (x is still needed).")
    arr = array_of_shape(got, x.shape)
    if arr is None or not np.all(np.isfinite(arr)):
        reason = not_numbers(got)
        if reason is None and np.ndim(got) and not np.all(np.isfinite(float_array(got))):
            if p == 1:
                raise Wrong(
                    f"{what} holds inf or nan: with p = 1 every entry is dropped, so "
                    "return zeros without dividing by 1 - p = 0 (nn.Dropout(1.0) does)."
                )
        compare_arrays(got, x, what=what)  # says why: the type, the shape, complex, nan
    return arr


def _dropout_kept_entries(fn, p: float, seed: int) -> np.ndarray:
    """The learner's training-mode dropout of a (400, 250) array; checks each entry is 0 or x/(1-p)."""
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(0.5, 2.0, size=(400, 250))
    what = f"dropout(x, p={p}, training=True)"
    out = _dropout_output(fn, x, p, True, np.random.default_rng(seed), what)
    kept = out != 0
    if not kept.any():
        raise Wrong(f"{what} drops every entry; each is dropped with probability p only.")
    if np.allclose(out[kept], x[kept], rtol=1e-6):
        raise Wrong(
            f"{what}: the kept entries are not rescaled. Divide them by 1 - p, so "
            "that the expected output equals x."
        )
    if np.allclose(out[kept], x[kept] * (1 - p), rtol=1e-6):
        raise Wrong(f"{what}: the kept entries are multiplied by 1 - p; divide by it instead.")
    if not np.allclose(out[kept], x[kept] / (1 - p), rtol=1e-6):
        raise Wrong(f"{what}: every entry should be either 0 or x / (1 - p).")
    return kept


def _torch_zero_fraction(p: float) -> float:
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return float((torch.nn.Dropout(p)(torch.ones(400, 250)) == 0).float().mean())


def _dropout_edge_cases(fn) -> None:
    """Eval mode, p = 0 and p = 1: the three cases with one right output."""
    x = np.random.default_rng(5).normal(size=(4, 6))
    for p, training, what, hint in [
        (
            0.5,
            False,
            "dropout(x, p=0.5, training=False)",
            "in eval mode dropout returns x "
            "unchanged: no entry dropped, no scaling (the scaling happened in training).",
        ),
        (0.0, True, "dropout(x, p=0.0, training=True)", "with p = 0 nothing is dropped."),
        (1.0, True, "dropout(x, p=1.0, training=True)", "with p = 1 every entry is dropped."),
    ]:
        out = _dropout_output(fn, x, p, training, np.random.default_rng(0), what)
        try:
            compare_arrays(out, x if p < 1 else np.zeros_like(x), what=what)
        except Wrong as err:
            raise Wrong(f"{err} {hint}") from None


@exercise(
    "training-well-dropout",
    "Write dropout(x, p, training, rng): inverted dropout, the behaviour of nn.Dropout(p) "
    "in train() and eval() mode, with the random draws taken from the NumPy generator rng.",
    hint="In training, draw one uniform number per entry from rng and keep the entry when its "
    "number is at least p (so it is dropped with probability p); divide the kept entries by "
    "1 - p so the expected output is x. Outside training, return x unchanged. p = 1 drops all.",
    solution=r'''def dropout(x, p, training, rng):
    """Inverted dropout: returns an array of x's shape."""
    if not training or p == 0:
        return x
    if p == 1:
        return np.zeros_like(x)
    keep = rng.random(x.shape) >= p
    return x * keep / (1 - p)
''',
)
def _(fn):
    _dropout_edge_cases(fn)
    for p, seed in ((0.3, 1), (0.8, 2)):
        kept = _dropout_kept_entries(fn, p, seed)
        dropped, theirs = 1 - kept.mean(), _torch_zero_fraction(p)
        if abs(dropped - (1 - p)) < 0.02 and p != 0.5:
            raise Wrong(
                f"with p={p} you drop {dropped:.0%} of the entries: p is the "
                "probability to *drop* an entry, not to keep it."
            )
        if abs(dropped - p) > 0.01:  # 100,000 draws: the fraction is within 0.01 of p
            raise Wrong(
                f"with p={p} you drop {dropped:.1%} of 100,000 entries; nn.Dropout "
                f"drops {theirs:.1%}. Each entry should be dropped with probability p."
            )
        if (kept == kept[:1]).all() or (kept == kept[:, :1]).all():
            raise Wrong(
                "every row (or column) has the same mask: draw one random number "
                "per entry, of x's whole shape."
            )
    x = np.ones((30, 40))
    first, again, other = (
        _dropout_output(fn, x, 0.5, True, np.random.default_rng(s), "dropout(x, p=0.5)")
        for s in (7, 7, 8)
    )
    if not np.array_equal(first, again) or np.array_equal(first, other):
        raise Wrong(
            "take the random numbers from the generator rng you are given, so that "
            "the same rng seed gives the same mask (and another seed another mask)."
        )
    return (
        "right: identity in eval mode, zeros at p = 1, and in training each entry dropped "
        "with probability p (as nn.Dropout's fraction), the rest scaled by 1/(1 - p)."
    )


def early_stopping_epochs(val_losses, patience: int) -> tuple[int, int]:
    """(stop epoch, best epoch) of EarlyStopping(patience, restore_best=True) on ``val_losses``.

    Epochs count from 1; a run that never stops ends at ``len(val_losses)``. The reference
    the early-stopping exercise judges by; ``tests/test_training_well_exercises.py`` checks
    it against :class:`dlhelpers.train.callbacks.EarlyStopping`.
    """
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
            continue
        wait += 1
        if wait >= patience:
            return epoch, best_epoch
    return len(val_losses), best_epoch


_STOP_CASES = [  # (validation losses, patience): the quiz, ties, a lower loss after the stop
    (QUIZ_VAL_LOSSES, 3),
    (QUIZ_VAL_LOSSES, 1),
    (QUIZ_VAL_LOSSES, 5),
    ((0.9, 0.8, 0.8, 0.8, 0.7, 0.6), 2),
    ((1.0, 0.8, 0.9, 0.95, 0.99, 0.5, 0.4), 3),
    ((0.5, 0.4, 0.3), 2),
]


def _stop_slips(losses, patience):
    """(stop, best) under typical slips, with their hints."""
    stop, best = early_stopping_epochs(losses, patience)
    ties = early_stopping_epochs([x - 1e-9 * i for i, x in enumerate(losses)], patience)
    return [
        ((stop - 1, best - 1), "count epochs from 1, as fit does (enumerate(..., start=1))."),
        (
            (stop, int(np.argmin(losses)) + 1),
            "the restored epoch is the best one *before* the stop: later epochs are never trained.",
        ),
        (ties, "an equal loss is not an improvement: only a strictly lower one resets the count."),
        ((stop + 1, best), "it stops as soon as `patience` epochs in a row brought no new best."),
        (
            (stop - 1, best),
            "patience is the number of epochs without a new best it waits; the "
            "count starts again at every new best.",
        ),
    ]


@exercise(
    "training-well-early-stop",
    "Write early_stopping(val_losses, patience) -> (stop_epoch, best_epoch): where "
    "EarlyStopping(patience=patience, restore_best=True) stops and whose weights it restores.",
    hint="Walk through the losses once with enumerate(val_losses, start=1), keeping the best "
    "loss so far, its epoch, and the number of epochs since it; stop when that number "
    "reaches patience. A run that never stops ends at its last epoch.",
    solution=r'''def early_stopping(val_losses, patience):
    """(epoch where training stops, epoch whose weights are restored), counted from 1."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch
''',
)
def _(fn):
    for losses, patience in _STOP_CASES:
        got = call_answer(fn, list(losses), patience)
        if isinstance(got, str | bytes | dict | set) or not hasattr(got, "__len__"):
            raise Wrong(
                f"your function returns {a_type(got)}; return two whole numbers, "
                "`return stop_epoch, best_epoch`."
            )
        if len(got) != 2:
            raise Wrong(
                f"your function returns {len(got)} things; return two whole numbers, "
                "`return stop_epoch, best_epoch`."
            )
        stop, best = (as_count(v, what=f"item {i} of what it returns") for i, v in enumerate(got))
        want = early_stopping_epochs(losses, patience)
        if (stop, best) == want:
            continue
        where = f"with patience={patience} on {list(losses)}"
        for slip, hint in _stop_slips(losses, patience):
            if (stop, best) == slip:
                raise Wrong(f"{where}: you return ({stop}, {best}); {hint}")
        part = "the stop epoch" if best == want[1] else "the best epoch"
        raise Wrong(
            f"{where}: {part} is not right; the count of epochs without a new best "
            "starts again at every new best."
        )
    return (
        "right: six runs, ties and a late low included, end where EarlyStopping ends them. "
        "The callback in dlhelpers.train does the same, plus copying the weights."
    )


@functools.lru_cache(maxsize=8)  # seeded, so the same weight decay always trains the same
def _train_xor(weight_decay: float) -> tuple[dict, dict]:
    import torch
    from torch import nn

    from dlhelpers.data.toy import make_dataset
    from dlhelpers.train.evaluate import evaluate
    from dlhelpers.train.fit import fit

    X, y = make_dataset("xor", 540, noise=0.25, seed=3)
    train, val = (X[:40], y[:40]), (X[40:], y[40:])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(2, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2)
        ).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    fit(model, train, epochs=200, optimizer=optimizer, loss_fn=loss_fn, batch_size=40)
    return evaluate(model, train, loss_fn), evaluate(model, val, loss_fn)


@exercise(
    "training-well-weight-decay",
    "A weight decay for Adam (lr 0.01, 200 epochs) that makes the wide network on 40 xor "
    "points generalise: validation loss below 0.37 and validation accuracy at least 80%.",
    hint="Try values a factor of 3 to 10 apart, from 1e-4 up: too small and it still "
    "overfits, too large and it cannot fit even its training points.",
    solution=r"""weight_decay = 3e-2  # 1e-2 still overfits, 5e-2 is already too strong
""",
)
def _(answer):
    weight_decay = as_number(answer)
    if not 0 <= weight_decay < 100:
        raise Wrong("a weight decay is a small non-negative number (try between 1e-4 and 1).")
    train, val = _train_xor(weight_decay)
    seen = (
        f"With {weight_decay:g}: train loss {train['loss']:.2f}, validation loss "
        f"{val['loss']:.2f}, validation accuracy {val['accuracy']:.0%}."
    )
    if train["accuracy"] < 0.8:
        raise Wrong(
            f"{seen} Too strong: the penalty wins over the data and the network "
            "underfits even its training points. Go smaller."
        )
    if val["loss"] >= 0.37 or val["accuracy"] < 0.8:
        if train["loss"] < val["loss"] / 2:
            raise Wrong(
                f"{seen} It still overfits: the training loss is far below the validation "
                "loss. Go larger, by factors of 2 or 3."
            )
        raise Wrong(
            f"{seen} A little too strong: the training loss has come up close to the "
            "validation loss, so the penalty now costs fit on the data itself. Go smaller."
        )
    return f"right. {seen} The penalty keeps the weights small and the boundary smooth."
