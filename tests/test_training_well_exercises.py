"""Exercises of notebook 06: right answers pass, wrong ones get a hint without the answer."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check
from dlhelpers.exercises.training_well import QUIZ_VAL_LOSSES, overfitting_quiz_runs


def test_quiz_runs_have_the_shapes_the_exercise_claims():
    runs = overfitting_quiz_runs()
    assert sorted(runs) == ["A", "B", "C"]
    a, b, c = (runs[k] for k in "ABC")
    assert min(a["loss"]) > 0.6  # underfits
    assert b["loss"][-1] < 0.05 and b["val_loss"][-1] > min(b["val_loss"]) + 0.2  # overfits
    assert np.all(np.diff(c["val_loss"]) < 0) and c["val_loss"][-1] - c["loss"][-1] < 0.06


@pytest.mark.parametrize(
    "answer, status",
    [
        ("B", "correct"),
        ("b", "correct"),
        ("A", "not yet"),
        ("C", "not yet"),
        ("D", "not yet"),
        (..., "not attempted"),
    ],
)
def test_which_overfits(answer, status):
    assert check("training-well-which-overfits", answer).status == status


def test_steplr():
    assert check("training-well-steplr", 0.05)
    off_by_one = check("training-well-steplr", 0.025)
    assert off_by_one.status == "not yet" and "one halving too many" in off_by_one.message
    wrong = check("training-well-steplr", 0.1)
    assert wrong.status == "not yet" and "0.05" not in wrong.message
    assert check("training-well-steplr", ...).status == "not attempted"


def test_early_stop():
    assert len(QUIZ_VAL_LOSSES) == 12
    assert check("training-well-early-stop", (9, 6))
    assert check("training-well-early-stop", [9, 6])
    assert "later epoch beat it" in check("training-well-early-stop", (7, 4)).message
    wrong_stop = check("training-well-early-stop", (12, 6))
    assert wrong_stop.status == "not yet" and "9" not in wrong_stop.message
    assert check("training-well-early-stop", "nine").status == "not yet"


def test_early_stop_answer_matches_the_callback():
    torch = pytest.importorskip("torch")
    from dlhelpers.train import EarlyStopping, TrainState

    model = torch.nn.Linear(1, 1)
    stopper = EarlyStopping(monitor="val_loss", patience=3)
    state = TrainState(
        model=model,
        optimizer=None,
        history=type("H", (), {"stop_reason": None})(),
        epochs=12,
        batches=1,
        n_train=1,
        n_val=1,
    )
    stopper.on_train_begin(state)
    for epoch, loss in enumerate(QUIZ_VAL_LOSSES, start=1):
        state.epoch, state.logs = epoch, {"val_loss": loss}
        stopper.on_epoch_end(state)
        if state.stop_training:
            break
    assert (stopper.stopped_epoch, stopper.best_epoch) == (9, 6)


@pytest.mark.parametrize(
    "weight_decay, status, words",
    [
        (1e-2, "correct", "right"),
        (3e-2, "correct", "right"),
        (0.0, "not yet", "still overfits"),
        (1.0, "not yet", "underfits"),
        ("lots", "not yet", "expected a number"),
        (..., "not attempted", ""),
    ],
)
def test_weight_decay(weight_decay, status, words):
    pytest.importorskip("torch")
    feedback = check("training-well-weight-decay", weight_decay)
    assert feedback.status == status and words in feedback.message
