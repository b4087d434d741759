"""Exercises of notebook 05: your first network in PyTorch."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    as_count,
    as_number,
    call_answer,
    count_equal,
    exercise,
)

__all__ = []

# The parameter count and the number of digits are counts, compared exactly; an accuracy is
# real-valued (a fraction), compared with a tolerance.


@exercise(
    "pytorch-param-count",
    "Count the parameters of the PyTorch model with one line of code "
    "(sum of numel over model.parameters()).",
    solution=r"""n_params = sum(p.numel() for p in model.parameters())
""",
)
def _param_count(answer):
    value = as_count(answer)  # also a 0-d tensor, e.g. torch.tensor([...]).sum()
    if value == 784 * 64 + 64 * 32 + 32 * 10:
        raise Wrong("that counts the weights only: every nn.Linear also has a bias vector.")
    if value == 6:
        raise Wrong("that is the number of parameter *tensors*; add up their numel().")
    count_equal(
        value,
        784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10,
        hint="Sum p.numel() over model.parameters(); notebook 02 counted the same "
        "784-64-32-10 network by hand, layer by layer.",
    )
    return "52,650, as Keras' summary says: the same network, the same parameters."


@exercise(
    "pytorch-logits-loss",
    "The model ends in nn.Linear(32, 10) with no softmax. Which loss goes with it?",
    solution=r"""loss_choice = nn.CrossEntropyLoss()
""",
)
def _logits_loss(answer):
    import torch.nn as nn

    if _is_functional(answer):
        raise Wrong(
            "that is the functional form, a plain function from torch.nn.functional. "
            "Here a loss *module* is wanted: a class from torch.nn, e.g. nn.SomeLoss() "
            "(an instance or the class)."
        )
    kind = answer if isinstance(answer, type) else type(answer)
    if not (isinstance(kind, type) and issubclass(kind, nn.Module)):
        raise Wrong(
            f"your answer is {a_type(answer)}; give a loss from torch.nn, e.g. nn.SomeLoss() "
            "(an instance or the class)."
        )
    if issubclass(kind, nn.CrossEntropyLoss):
        return (
            "nn.CrossEntropyLoss takes raw logits and applies log-softmax itself: "
            "Keras' Dense(10, softmax) + sparse_categorical_crossentropy in one piece."
        )
    if issubclass(kind, nn.NLLLoss):
        raise Wrong(
            "NLLLoss expects log-probabilities: it would need an nn.LogSoftmax at the "
            "end of the model. Which loss does the log-softmax for you?"
        )
    if issubclass(kind, (nn.MSELoss, nn.L1Loss)):
        raise Wrong(
            "that is a regression loss: it compares numbers, not class scores with a class index."
        )
    if issubclass(kind, (nn.BCELoss, nn.BCEWithLogitsLoss)):
        raise Wrong(
            "binary cross-entropy is for yes/no (or several independent yes/no) "
            "outputs; here exactly one of 10 classes is right."
        )
    raise Wrong(
        f"{kind.__name__} is not it: look for the loss that takes logits and class indices."
    )


def _is_functional(answer) -> bool:
    """True for a function of torch.nn.functional (F.cross_entropy, F.nll_loss, ...)."""
    import torch.nn.functional as F

    if isinstance(answer, type) or not callable(answer):
        return False
    name = getattr(answer, "__name__", None)
    return (isinstance(name, str) and getattr(F, name, None) is answer) or getattr(
        answer, "__module__", None
    ) == "torch.nn.functional"


def _reference_accuracy(logits, y) -> float:
    return float((np.asarray(logits).argmax(axis=1) == np.asarray(y)).mean())


@exercise(
    "pytorch-accuracy",
    "Write accuracy(logits, y): the fraction of rows whose largest logit is at the true class.",
    solution=r'''def my_accuracy(logits, y):
    """logits: ndarray (N, 10); y: int ndarray (N,) -> the fraction of images classified right."""
    return float((logits.argmax(axis=1) == y).mean())
''',
)
def _accuracy(fn):
    rng = np.random.default_rng(5)
    cases = [(np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 3.0]]), np.array([0, 1]))]
    for n, c in ((7, 3), (50, 10), (1, 10)):
        cases.append((rng.normal(size=(n, c)), rng.integers(0, c, n)))
    for logits, y in cases:
        try:
            got = call_answer(fn, logits.copy(), y.copy())
        except (ValueError, RuntimeError) as err:
            if "broadcast" in str(err) or "must match the size" in str(err):
                raise Wrong(
                    f"for logits of shape {logits.shape} and labels of shape {y.shape} your "
                    "predictions could not be compared with y: there is one prediction per row "
                    "(one per image), the argmax across that row's classes. Check the axis "
                    "of your argmax."
                ) from None
            raise
        want = _reference_accuracy(logits, y)
        try:
            value = as_number(got, what="your accuracy")
        except Wrong as err:
            raise Wrong(f"{err} Return one number, a fraction between 0 and 1.") from None
        if np.isclose(value, want * len(y)) and len(y) > 1 and want > 0:
            raise Wrong("that is the number of hits; divide by the number of samples.")
        if want > 0 and np.isclose(value, 100 * want):
            raise Wrong(
                f"for logits of shape {logits.shape} you returned {value:.4g}: that looks like "
                "a percent. Return a fraction between 0 and 1, not a percent."
            )
        if not np.isclose(value, want, atol=1e-9):
            raise Wrong(
                f"for logits of shape {logits.shape} you returned {value:.4g}. "
                "The predicted class is the argmax of each row (axis=1); compare it "
                "with y and take the mean."
            )
    return "argmax over the classes, compare with the labels, average: that is accuracy."


@exercise(
    "pytorch-validation-split",
    "Sort the training images by digit and hold out the last 20 %, as Keras' validation_split "
    "does. How many different digits are left to train on?",
    solution=r"""n_digits_trained_on = len(np.unique(np.sort(y_train)[: len(y_train) - len(y_train) // 5]))
""",
)
def _validation_split(answer, y_train=None):
    # The answer depends on the data: on the offline sample (4,000 images) the two highest
    # digits make up a little more than a fifth, so the last fifth takes every 9 and most 8s
    # and training keeps 0 to 8; on full MNIST (60,000) they make up 19.7 %, so it takes every
    # 9, every 8 and some 7s, and training keeps 0 to 7. The notebook passes its labels.
    if y_train is None:
        raise TypeError("check this exercise with its labels: check(key, answer, y_train)")
    labels = np.sort(np.asarray(y_train).reshape(-1))
    if labels.size < 5 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"the training labels must be at least 5 integers, got {labels.size} of {labels.dtype}"
        )
    kept = labels[: labels.size - labels.size // 5]
    want, total = len(np.unique(kept)), len(np.unique(labels))
    value = as_count(answer)
    if value == total:
        raise Wrong(
            "Keras does not shuffle before it splits. Which digits sit at the end of a set "
            "sorted by digit?"
        )
    if value == want - 1:
        raise Wrong(
            "close, but one too few: does the last fifth really hold *every* image of the digits "
            "you left out? The classes are not exactly the same size; the cell below counts them."
        )
    if value == want + 1:
        raise Wrong(
            "close: does the last fifth hold *every* image of the highest digits only? The "
            "classes are not exactly the same size; the cell below the check counts them."
        )
    count_equal(
        value,
        want,
        hint="Which digits fill the last 20 % of a set sorted by digit, and does any of them "
        "also appear before that point?",
    )
    gone = ", ".join(str(d) for d in np.setdiff1d(np.unique(labels), np.unique(kept)))
    return (
        f"{want}: every {gone} is in the validation part, so the model never sees "
        f"{'that digit' if ',' not in gone else 'those digits'} while it trains. "
        "Shuffle before you split."
    )
