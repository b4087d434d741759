"""Notebook 05's judges: stub, wrong, wrong type, NaN and right answers."""

import numpy as np
import pytest

from dlhelpers.checks import check


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (..., "not attempted", "replace the `...`"),
        (10, "not yet", "does not shuffle"),
        (8, "not yet", "every* image"),
        (7, "not yet", "last 20 %"),
        ("9", "not yet", "a str; expected a number"),
        (float("nan"), "not yet", "finite"),
        (9, "correct", "never sees a 9"),
        (np.int64(9), "correct", "never sees a 9"),
    ],
)
def test_validation_split_judge(answer, status, words):
    text = str(check("pytorch-validation-split", answer))
    assert status in text and words in text
    if status != "correct":
        assert " 9" not in text.split(":", 2)[-1].replace("a 9", "")


def test_param_count_hint_points_to_something_the_learner_can_run():
    text = str(check("pytorch-param-count", 52000))
    assert "not yet" in text and "summary()" not in text and "52,650" not in text


def test_the_stored_split_agrees_with_the_exercise():
    from dlhelpers.data import load_mnist

    y = np.sort(load_mnist(offline=True, verbose=False).y_train)
    n_val = len(y) // 5
    assert len(np.unique(y[:-n_val])) == 9 and 9 not in y[:-n_val]
