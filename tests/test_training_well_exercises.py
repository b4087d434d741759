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


@pytest.mark.parametrize(
    "answer, status, words",
    [
        ("96", "not yet", "a str"),
        ("(9, 6)", "not yet", "a str"),
        ([9.7, 6.2], "not yet", "a float"),
        ((9, 6.5), "not yet", "a float"),
        ((True, 6), "not yet", "a bool"),
        (9, "not yet", "an int"),
        ((9, 6, 3), "not yet", "3 items"),
        ((9, float("nan")), "not yet", "finite"),
        ((9, 6), "correct", "right"),
        ([9, 6], "correct", "right"),
        (np.array([9, 6]), "correct", "right"),
        ((np.int64(9), np.int64(6)), "correct", "right"),
    ],
)
def test_early_stop_refuses_strings_and_fractions(answer, status, words):
    feedback = check("training-well-early-stop", answer)
    assert feedback.status == status and words in feedback.message, feedback


def test_early_stop_and_steplr_take_0d_tensors():
    torch = pytest.importorskip("torch")
    assert check("training-well-early-stop", (torch.tensor(9), torch.tensor(6)))
    assert check("training-well-early-stop", torch.tensor([9, 6]))
    assert check("training-well-steplr", torch.tensor(0.05)).status == "correct"
    off_by_one = check("training-well-steplr", torch.tensor(0.025))
    assert off_by_one.status == "not yet" and "one halving too many" in off_by_one.message


@pytest.mark.parametrize("answer", ["0.05", "0.025", [0.05], True])
def test_steplr_wrong_types_name_the_type(answer):
    feedback = check("training-well-steplr", answer)
    assert feedback.status == "not yet" and "expected a number" in feedback.message, feedback
    assert "halving" not in feedback.message


@pytest.mark.parametrize("bad", [0, -3, 2.5, "60", float("nan"), True, None])
def test_overfitting_quiz_runs_refuses_a_bad_number_of_epochs(bad):
    with pytest.raises(ValueError, match="epochs"):
        overfitting_quiz_runs(bad)
    assert len(overfitting_quiz_runs(np.int64(5))["A"]["loss"]) == 5
