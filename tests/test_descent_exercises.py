"""descent-sgd-step (dlhelpers.exercises.descent): a hint that names the mistake, never the answer."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_a_list_or_an_array_of_the_two_passes():
    def as_list(w, v, grad, lr, momentum):
        return list(_right(w, v, grad, lr, momentum))

    def stacked(w, v, grad, lr, momentum):
        return np.stack(_right(w, v, grad, lr, momentum))

    for answer in (as_list, stacked):
        feedback = check("descent-sgd-step", answer)
        assert feedback.status == "correct", feedback


def test_each_velocity_slip_gets_its_own_hint():
    """The first case (lr = 0, momentum = 0) must not make one slip look like another."""
    slips = {
        "torch's velocity holds no learning rate": lambda v, g, lr, m: m * v + lr * g,
        "the gradient is missing": lambda v, g, lr, m: m * v,
        "do not subtract it": lambda v, g, lr, m: m * v - g,
        "scale the old velocity by the momentum": lambda v, g, lr, m: v + g,
        "ignores the old velocity": lambda v, g, lr, m: g,
    }
    for hint, velocity in slips.items():

        def answer(w, v, grad, lr, momentum, velocity=velocity):
            new_v = velocity(v, grad, lr, momentum)
            return w - lr * new_v, new_v

        feedback = check("descent-sgd-step", answer)
        assert feedback.status == "not yet" and hint in feedback.message, (hint, feedback)
        others = [h for h in slips if h != hint]
        assert not any(h in feedback.message for h in others), feedback


def test_each_weight_slip_gets_its_own_hint():
    slips = {
        "instead of subtracting": lambda w, v, new_v, g, lr: w + lr * new_v,
        "learning rate is missing": lambda w, v, new_v, g, lr: w - new_v,
        "raw gradient": lambda w, v, new_v, g, lr: w - lr * g,
        "old velocity: update it first": lambda w, v, new_v, g, lr: w - lr * v,
    }
    for hint, weights in slips.items():

        def answer(w, v, grad, lr, momentum, weights=weights):
            new_v = momentum * v + grad
            return weights(w, v, new_v, grad, lr), new_v

        feedback = check("descent-sgd-step", answer)
        assert feedback.status == "not yet" and hint in feedback.message, (hint, feedback)


def test_wrong_types_are_named_not_blamed_on_the_learners_code():
    def str_velocity(w, v, grad, lr, momentum):
        return w - lr * (momentum * v + grad), "v"

    def str_list_velocity(w, v, grad, lr, momentum):
        return w - lr * (momentum * v + grad), [str(x) for x in momentum * v + grad]

    def a_string(w, v, grad, lr, momentum):
        return "w - lr * (momentum * v + grad)"

    def three_things(w, v, grad, lr, momentum):
        return w, v, grad

    expected = {
        str_velocity: "the new velocity (lr=0.0, momentum=0.0) is a str",
        str_list_velocity: "holds a str",
        a_string: "your function returns a str; return two things",
        three_things: "a tuple of length 3",
    }
    for answer, says in expected.items():
        feedback = check("descent-sgd-step", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback
        assert "raised" not in feedback.message


def test_nan_never_passes():
    def nan_weights(w, v, grad, lr, momentum):
        new_v = momentum * v + grad
        return (w - lr * new_v) * np.nan, new_v

    feedback = check("descent-sgd-step", nan_weights)
    assert feedback.status == "not yet" and "nan" in feedback.message


def test_sgd_step_solution_is_torch_optim_sgd_over_several_steps():
    torch = pytest.importorskip("torch")
    from dlhelpers.checks import load_exercises

    namespace = {"np": np}
    exec(load_exercises()["descent-sgd-step"].solution, namespace)  # noqa: S102 - our own solution
    sgd_step = namespace["sgd_step"]
    rng = np.random.default_rng(0)
    w, v = rng.normal(size=4), np.zeros(4)
    p = torch.tensor(w, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(5):
        target = rng.normal(size=4)
        opt.zero_grad()
        ((p - torch.from_numpy(target)) ** 2).sum().backward()
        opt.step()
        w, v = sgd_step(w, v, 2 * (w - target), 0.1, 0.9)
    assert np.allclose(w, p.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_mse_gradient_names_each_slip():
    def right(w, X, y):
        return 2 * X.T @ (X @ w - y) / len(y)

    slips = {
        (lambda w, X, y: X.T @ (X @ w - y) / len(y)): "factor 2",
        (lambda w, X, y: 2 * X.T @ (X @ w - y)): "divide by N",
        (lambda w, X, y: 2 * X.T @ (y - X @ w) / len(y)): "the sign",
        (lambda w, X, y: 2 * X @ (X @ w - y) / len(y)): "a product failed",
    }
    assert check("descent-mse-gradient", right).status == "correct"
    for answer, says in slips.items():
        feedback = check("descent-mse-gradient", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback


def test_cross_entropy_names_each_slip():
    def logp(z, axis=1):
        z = z - z.max(axis=axis, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def rows(n):
        return np.arange(n)

    slips = {
        (lambda z, t: -logp(z)[rows(len(t)), t].sum()): "sum over the examples",
        (lambda z, t: logp(z)[rows(len(t)), t].mean()): "the sign",
        (lambda z, t: np.exp(logp(z)[rows(len(t)), t]).mean()): "probability of the right class",
        (lambda z, t: -z[rows(len(t)), t].mean()): "not log-probabilities",
        (lambda z, t: -logp(z, axis=0)[rows(len(t)), t].mean()): "over each row",
        (lambda z, t: "a loss"): "is a str",
    }
    for answer, says in slips.items():
        feedback = check("descent-cross-entropy", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback
        assert "raised" not in feedback.message


def test_number_exercises_check_the_type_before_the_typical_mistake():
    # A string holding a typical wrong number gets its type named, not that number's hint.
    feedback = check("descent-max-lr", "0.16666")
    assert feedback.status == "not yet" and "a str" in feedback.message
    assert "minimum" not in feedback.message
    torch = pytest.importorskip("torch")
    assert check("descent-max-lr", torch.tensor(1 / 3)).status == "correct"
