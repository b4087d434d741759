"""Notebook 05's judges: stub, wrong, wrong type, NaN and right answers."""

import numpy as np
import pytest

from dlhelpers.checks import check


def _solution(key: str, name: str):
    import torch
    from torch import nn

    from dlhelpers.checks import load_exercises

    namespace = {"np": np, "torch": torch, "nn": nn}
    exec(load_exercises()[key].solution, namespace)  # noqa: S102 - the course's own answers
    return namespace[name]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({}, "correct", "same weights as dlhelpers.train.fit"),
        ({"        optimizer.zero_grad()": "        pass"}, "not yet", "pile up"),
        ({"        optimizer.step()": "        pass"}, "not yet", "have not moved"),
        (
            {
                "        optimizer.zero_grad()  # forget the previous batch's gradients\n": "",
                "        optimizer.step()": "        optimizer.zero_grad()\n        optimizer.step()",
            },
            "not yet",
            "have not moved",
        ),
        ({"return sum(losses) / len(losses)": "return sum(losses)"}, "not yet", "sum"),
        ({"return sum(losses) / len(losses)": "return losses[-1]"}, "not yet", "last batch"),
        ({"return sum(losses) / len(losses)": "return 'small'"}, "not yet", "a str"),
        ({"losses.append(loss.item())": "losses.append(loss)"}, "correct", "fit"),
        ({"return sum(losses) / len(losses)": "return None"}, "not attempted", "fill in"),
    ],
)
def test_train_epoch_judge(change, status, words):
    import torch
    from torch import nn

    from dlhelpers.checks import load_exercises

    source = load_exercises()["pytorch-train-epoch"].solution
    for old, new in change.items():
        assert old in source, old
        source = source.replace(old, new)
    namespace = {"torch": torch, "nn": nn}
    exec(source, namespace)  # noqa: S102
    feedback = check("pytorch-train-epoch", namespace["train_one_epoch"])
    assert feedback.status == status and words in feedback.message, feedback


def test_train_epoch_refuses_a_module_and_a_number():
    torch = pytest.importorskip("torch")
    assert "module" in check("pytorch-train-epoch", torch.nn.Linear(2, 2)).message
    assert check("pytorch-train-epoch", 0.5).status == "not yet"


def _keras_split(X, y, fraction, seed):
    n_val = round(fraction * len(X))
    return (X[:-n_val], y[:-n_val]), (X[-n_val:], y[-n_val:])


def _separately(X, y, fraction, seed):
    n_val = round(fraction * len(X))
    rng = np.random.default_rng(seed)
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    return (X[n_val:], y[n_val:]), (X[:n_val], y[:n_val])


def _unseeded(X, y, fraction, seed):
    order = np.random.default_rng().permutation(len(X))
    n_val = round(fraction * len(X))
    return (X[order[n_val:]], y[order[n_val:]]), (X[order[:n_val]], y[order[:n_val]])


def _last_after_shuffle(X, y, fraction, seed):
    order = np.random.default_rng(seed + 7).permutation(len(X))
    n_val = round(fraction * len(X))
    return (X[order[:-n_val]], y[order[:-n_val]]), (X[order[-n_val:]], y[order[-n_val:]])


@pytest.mark.parametrize(
    ("fn", "status", "words"),
    [
        (_keras_split, "not yet", "Keras' split"),
        (_separately, "not yet", "no longer match"),
        (_unseeded, "not yet", "same seed"),
        (lambda X, y, f, s: (X, y), "not yet", "two pairs"),
        (lambda X, y, f, s: "X[order]", "not yet", "a str"),
        (_last_after_shuffle, "correct", "every row once"),
    ],
)
def test_validation_split_judge(fn, status, words):
    feedback = check("pytorch-validation-split", fn)
    assert feedback.status == status and words in feedback.message, feedback


def test_validation_split_solution_is_fits_split():
    from dlhelpers.train import shuffle_split

    split = _solution("pytorch-validation-split", "shuffle_then_split")
    X, y = np.arange(60.0).reshape(30, 2), np.arange(30) % 3
    for got, want in zip(split(X, y, 0.2, 4), shuffle_split(X, y, 0.2, seed=4), strict=True):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_array_equal(g, w)
    assert check("pytorch-validation-split", lambda X, y, f, s: shuffle_split(X, y, f, seed=s))


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
