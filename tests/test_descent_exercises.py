"""descent-sgd-step (dlhelpers.exercises.descent): a hint that names the mistake, never the answer."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import check


def _right(w, v, grad, lr, momentum):
    new_v = momentum * v + grad
    return w - lr * new_v, new_v


def _second_case():
    """The judge's second case (lr=0.1, momentum=0): the first where a sign error shows."""
    rng = np.random.default_rng(3)
    rng.normal(size=(3, 4))
    w, v, g = rng.normal(size=(3, 4))
    return w - 0.1 * g, g


def test_stub_and_right_answer():
    def stub(w, v, grad, lr, momentum): ...

    assert check("descent-sgd-step", stub).status == "not attempted"
    assert check("descent-sgd-step", _right).status == "correct"


def test_each_typical_mistake_gets_its_hint():
    def added(w, v, grad, lr, momentum):
        new_v = momentum * v + grad
        return w + lr * new_v, new_v

    def no_lr(w, v, grad, lr, momentum):
        new_v = momentum * v + grad
        return w - new_v, new_v

    def raw_gradient(w, v, grad, lr, momentum):
        return w - lr * grad, momentum * v + grad

    def no_momentum(w, v, grad, lr, momentum):
        return w - lr * grad, grad

    def off_by_a_bit(w, v, grad, lr, momentum):
        new_w, new_v = _right(w, v, grad, lr, momentum)
        return new_w + (lr > 0) * 0.5, new_v

    expected = {
        added: "instead of subtracting",
        no_lr: "learning rate is missing",
        raw_gradient: "raw gradient",
        no_momentum: "ignores the old velocity",
        off_by_a_bit: "first coordinate of the new weights (lr=0.1, momentum=0.0) is too large",
    }
    for answer, hint in expected.items():
        feedback = check("descent-sgd-step", answer)
        assert feedback.status == "not yet" and hint in feedback.message, feedback.message


def test_hint_never_prints_the_expected_numbers():
    def added(w, v, grad, lr, momentum):
        new_v = momentum * v + grad
        return w + lr * new_v, new_v

    message = check("descent-sgd-step", added).message
    new_w, new_v = _second_case()
    for value in np.concatenate([new_w, new_v]):
        for fmt in (".6g", ".4g", ".3g", ".2f"):
            assert f"{value:{fmt}}" not in message
