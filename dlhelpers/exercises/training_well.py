"""Exercises of notebook 06 · training well."""

from __future__ import annotations

import functools

import numpy as np

from dlhelpers.checks import Wrong, a_type, as_number, as_numbers, exercise, number_close
from dlhelpers.validate import check_positive_int

__all__ = ["QUIZ_VAL_LOSSES", "overfitting_quiz_runs"]

# Epochs are whole numbers, compared exactly; a learning rate and a weight decay are
# real-valued (a tolerance, or a range that trains well).

# Validation loss per epoch (epochs 1..12) for the early-stopping exercise.
QUIZ_VAL_LOSSES = (0.92, 0.71, 0.60, 0.55, 0.56, 0.54, 0.57, 0.58, 0.60, 0.63, 0.66, 0.70)


def overfitting_quiz_runs(epochs: int = 60) -> dict[str, dict[str, list[float]]]:
    """Three made-up training runs, ``"A"``, ``"B"``, ``"C"``, for the overfitting exercise.

    Each is a history dict with ``"loss"`` and ``"val_loss"`` per epoch, ready
    for :func:`dlhelpers.viz.curves.plot_histories`. One of them fits well, one
    underfits and one overfits; the exercise asks which.
    """
    epochs = check_positive_int("epochs", epochs)
    t = np.arange(1, epochs + 1, dtype=float)
    under = 0.62 + 0.08 * np.exp(-t / 8)
    good_train = 0.12 + 0.55 * np.exp(-t / 10)
    over_train = 0.60 * np.exp(-t / 9) + 0.005
    over_val = 0.28 + 0.40 * np.exp(-t / 7) + 0.006 * np.maximum(t - 15, 0)
    runs = {
        "A": {"loss": under, "val_loss": under + 0.02},
        "B": {"loss": over_train, "val_loss": over_val},
        "C": {"loss": good_train, "val_loss": good_train + 0.04 + 0.01 * np.exp(-t / 20)},
    }
    return {
        name: {k: [round(float(v), 4) for v in curve] for k, curve in run.items()}
        for name, run in runs.items()
    }


@exercise(
    "training-well-which-overfits",
    "Of the runs A, B and C, which one overfits? Answer with its letter.",
    solution=r"""which_overfits = "B"  # "A", "B" or "C"
""",
)
def _(answer):
    if not isinstance(answer, str):  # 2 for "the second run" is not a letter
        raise Wrong(f'your answer is {a_type(answer)}; answer with one letter: "A", "B" or "C".')
    letter = answer.strip().strip("'\"").upper()
    if letter not in ("A", "B", "C"):
        raise Wrong("answer with one letter: A, B or C.")
    if letter == "A":
        raise Wrong(
            "both of A's curves stay high and close together: it has not even learned "
            "the training data. That is underfitting. Look for a widening gap."
        )
    if letter == "C":
        raise Wrong(
            "C's validation loss stays just above its training loss and keeps falling: "
            "a healthy run. Look for a validation curve that turns upward."
        )
    return (
        "right: B's training loss goes to zero while its validation loss turns up after "
        "about 15 epochs. It is memorising its training points."
    )


@exercise(
    "training-well-steplr",
    "StepLR(step_size=10, gamma=0.5) on a starting learning rate of 0.2: the learning rate "
    "of epoch 26, after 25 calls to scheduler.step().",
    solution=r"""lr_epoch_26 = 0.2 * 0.5 ** (25 // 10)
""",
)
def _(answer):
    value = as_number(answer)  # a str is refused here; a 0-d tensor counts as its number
    if np.isclose(value, 0.2 * 0.5**3):
        raise Wrong(
            "that is one halving too many: the rate changes after steps 10, 20, 30, "
            "... How many of those have happened after 25 steps?"
        )
    number_close(
        value,
        0.2 * 0.5 ** (25 // 10),
        rtol=1e-6,
        hint="StepLR multiplies the rate by gamma once every step_size steps: "
        "lr = lr0 · gamma ** (steps // step_size).",
    )
    return "right: 0.2 halved twice. `scheduled_learning_rates` draws any schedule the same way."


@exercise(
    "training-well-early-stop",
    "EarlyStopping(monitor='val_loss', patience=3, restore_best=True) sees QUIZ_VAL_LOSSES: "
    "(the epoch where it stops, the epoch whose weights it restores), epochs counted from 1.",
    solution=r"""stop_and_restore = (9, 6)  # (stop_epoch, restored_epoch)
""",
)
def _(answer):
    # a str is refused (not read character by character); each item must be a whole number
    try:
        stop, best = as_numbers(answer, 2, example="(stop_epoch, restored_epoch)", whole=True)
    except Wrong as err:
        raise Wrong(f"{err} Epochs are whole numbers (ints), counted from 1.") from None
    losses = np.asarray(QUIZ_VAL_LOSSES)
    want_best = 6  # the lowest loss up to the stop
    want_stop = 9  # three epochs without a new best after epoch 6
    if best != want_best:
        if best == 4:
            raise Wrong(
                "epoch 4 was the best for a while, but a later epoch beat it. "
                "Restored weights are those of the lowest val_loss before stopping."
            )
        seen = f" (val_loss {losses[best - 1]:.2f})" if 1 <= best <= len(losses) else ""
        raise Wrong(f"epoch {best}{seen} is not the lowest val_loss seen before stopping.")
    if stop != want_stop:
        raise Wrong(
            "the restored epoch is right, the stop is not: patience counts epochs "
            "without a new best, and the count starts again at every new best."
        )
    return (
        "right: after the best at epoch 6 come three epochs without improvement, so it "
        "stops at 9 and restores epoch 6."
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
    "points generalise: validation loss below 0.45 and validation accuracy at least 80%.",
    solution=r"""weight_decay = 3e-2  # 1e-2 is borderline, 1e-1 underfits
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
    if val["loss"] >= 0.45 or val["accuracy"] < 0.8:
        raise Wrong(
            f"{seen} It still overfits: the training loss is far below the validation "
            "loss. Go larger, by factors of 3."
        )
    return f"right. {seen} The penalty keeps the weights small and the boundary smooth."
