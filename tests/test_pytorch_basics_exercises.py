"""Notebook 05's judges: stub, wrong, wrong type, NaN and right answers."""

import numpy as np
import pytest

from dlhelpers.checks import check

# the training labels of the offline sample (sorted by digit, about 400 each) and of full MNIST
FULL_MNIST = np.repeat(np.arange(10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])


@pytest.fixture(scope="module")
def sample_labels():
    from dlhelpers.data import load_mnist

    return load_mnist(offline=True, verbose=False).y_train


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (..., "not attempted", "replace the `...`"),
        (10, "not yet", "does not shuffle"),
        (8, "not yet", "one too few"),
        (7, "not yet", "last 20 %"),
        ("9", "not yet", "a str; expected a number"),
        (float("nan"), "not yet", "finite"),
        (9, "correct", "every 9 is in the validation part"),
        (np.int64(9), "correct", "never sees that digit"),
    ],
)
def test_validation_split_judge_on_the_offline_sample(answer, status, words, sample_labels):
    text = str(check("pytorch-validation-split", answer, sample_labels))
    assert status in text and words in text
    if status != "correct":
        assert " 9" not in text.split(":", 2)[-1].replace("a 9", "")


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (9, "not yet", "highest digits only"),
        (10, "not yet", "does not shuffle"),
        (8, "correct", "every 8, 9 is in the validation part"),
    ],
)
def test_validation_split_judge_on_full_mnist(answer, status, words):
    # 8s and 9s make up 19.7 % of full MNIST: the last fifth takes some 7s too
    text = str(check("pytorch-validation-split", answer, FULL_MNIST))
    assert status in text and words in text


def test_validation_split_judge_needs_the_labels():
    assert check("pytorch-validation-split", ...).status == "not attempted"
    assert "y_train" in check("pytorch-validation-split", 9).message
    for bad in ([], np.full(10, np.nan), np.arange(3)):
        feedback = check("pytorch-validation-split", 9, bad)
        assert feedback.status == "not yet" and "at least 5 integers" in feedback.message


def test_param_count_hint_points_to_something_the_learner_can_run():
    text = str(check("pytorch-param-count", 52000))
    assert "not yet" in text and "summary()" not in text and "52,650" not in text


def test_the_stored_split_agrees_with_the_exercise():
    from dlhelpers.data import load_mnist

    y = np.sort(load_mnist(offline=True, verbose=False).y_train)
    n_val = len(y) // 5
    assert len(np.unique(y[:-n_val])) == 9 and 9 not in y[:-n_val]


def test_param_count_takes_a_0d_tensor_and_still_gives_its_hints():
    torch = pytest.importorskip("torch")
    assert check("pytorch-param-count", torch.tensor(52650)).status == "correct"
    tensors = check("pytorch-param-count", torch.tensor(6))
    assert tensors.status == "not yet" and "parameter *tensors*" in tensors.message
    weights = check("pytorch-param-count", torch.tensor(784 * 64 + 64 * 32 + 32 * 10))
    assert weights.status == "not yet" and "bias vector" in weights.message
    wrong_type = check("pytorch-param-count", "52650")
    assert wrong_type.status == "not yet" and "a str" in wrong_type.message


def test_logits_loss_the_functional_form_is_not_a_module():
    torch = pytest.importorskip("torch")
    for fn in (torch.nn.functional.cross_entropy, torch.nn.functional.nll_loss):
        feedback = check("pytorch-logits-loss", fn)
        assert feedback.status == "not yet" and "functional form" in feedback.message
        assert "module" in feedback.message and "CrossEntropy" not in feedback.message
    wrong_type = check("pytorch-logits-loss", "CrossEntropyLoss")
    assert wrong_type.status == "not yet" and "a str" in wrong_type.message
    assert check("pytorch-logits-loss", torch.nn.CrossEntropyLoss()).status == "correct"
    assert check("pytorch-logits-loss", torch.nn.CrossEntropyLoss).status == "correct"


def _accuracy(logits, y):
    return float((logits.argmax(axis=1) == y).mean())


@pytest.mark.parametrize(
    ("fn", "status", "words"),
    [
        (
            lambda logits, y: (logits.argmax(axis=0) == y).mean(),
            "not yet",
            "one prediction per row",
        ),
        (lambda logits, y: 100 * _accuracy(logits, y), "not yet", "not a percent"),
        (lambda logits, y: (logits.argmax(axis=1) == y).sum(), "not yet", "number of hits"),
        (lambda logits, y: f"{_accuracy(logits, y):.1%}", "not yet", "a str"),
        (lambda logits, y: str(_accuracy(logits, y)), "not yet", "a str"),
        (lambda logits, y: float("nan"), "not yet", "finite"),
        (_accuracy, "correct", "that is accuracy"),
        (lambda logits, y: (logits.argmax(axis=1) == y).mean(), "correct", "that is accuracy"),
    ],
)
def test_accuracy_judge(fn, status, words):
    feedback = check("pytorch-accuracy", fn)
    assert feedback.status == status and words in feedback.message, feedback
    assert "ValueError" not in feedback.message


def test_accuracy_torch_forms():
    torch = pytest.importorskip("torch")

    def torch_accuracy(logits, y, dim=1):
        hits = torch.as_tensor(logits).argmax(dim=dim) == torch.as_tensor(y)
        return hits.float().mean()  # a 0-d tensor

    assert check("pytorch-accuracy", torch_accuracy).status == "correct"
    wrong_axis = check("pytorch-accuracy", lambda logits, y: torch_accuracy(logits, y, dim=0))
    assert wrong_axis.status == "not yet" and "one prediction per row" in wrong_axis.message
    module = check("pytorch-accuracy", torch.nn.Linear(3, 1))
    assert module.status == "not yet" and "Linear module" in module.message
