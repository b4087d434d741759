"""Exercises of notebook 06: right answers pass, wrong ones get a hint without the answer."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check
from dlhelpers.exercises.training_well import QUIZ_VAL_LOSSES, early_stopping_epochs
from dlhelpers.scratch.optim import adam_step

torch = pytest.importorskip("torch")


# --- Adam ------------------------------------------------------------------------------


def test_adam_step_right_and_the_package_twin():
    assert check("training-well-adam-step", adam_step).status == "not yet"  # the package's own
    assert check("training-well-adam-step", lambda *a: adam_step(*a)).status == "correct"

    def in_float32(w, m, v, grad, t, lr, beta1, beta2, eps):
        out = adam_step(w, m, v, grad, t, lr, beta1, beta2, eps)
        return tuple(torch.tensor(o, dtype=torch.float32) for o in out)

    assert check("training-well-adam-step", in_float32).status == "correct"


def _adam_with(change):
    def step(w, m, v, grad, t, lr, beta1, beta2, eps):
        new_m = beta1 * m + (1 - beta1) * grad
        new_v = beta2 * v + (1 - beta2) * grad**2
        m_hat, v_hat = new_m / (1 - beta1**t), new_v / (1 - beta2**t)
        parts = dict(w=w, m=m, v=v, g=grad, t=t, lr=lr, b1=beta1, b2=beta2, eps=eps)
        parts.update(new_m=new_m, new_v=new_v, m_hat=m_hat, v_hat=v_hat)
        return change(parts)

    return step


def _step(p, m_hat=None, v_hat=None, eps_inside=False):
    m_hat = p["m_hat"] if m_hat is None else m_hat
    v_hat = p["v_hat"] if v_hat is None else v_hat
    denom = np.sqrt(v_hat + p["eps"]) if eps_inside else np.sqrt(v_hat) + p["eps"]
    return p["w"] - p["lr"] * m_hat / denom, p["new_m"], p["new_v"]


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda p: _step(p, m_hat=p["new_m"], v_hat=p["new_v"]), "bias correction is missing"),
        (lambda p: _step(p, v_hat=p["new_v"]), "v needs its bias correction"),
        (lambda p: _step(p, eps_inside=True), "after the square root"),
        (
            lambda p: (p["w"], p["b1"] * p["m"] + p["g"], p["new_v"]),
            "(1 - beta1) * grad",
        ),
        (
            lambda p: (p["w"], p["new_m"], p["b2"] * p["v"] + (1 - p["b2"]) * p["g"]),
            "squared",
        ),
        (
            lambda p: _step(
                p, m_hat=p["m"] / (1 - p["b1"] ** p["t"]), v_hat=p["v"] / (1 - p["b2"] ** p["t"])
            ),
            "new* m and v",
        ),
        (lambda p: (p["w"], p["new_m"]), "three arrays"),
        (lambda p: "w - lr * m_hat / sqrt(v_hat)", "a str"),
    ],
)
def test_adam_step_slips_get_their_hint(change, words):
    feedback = check("training-well-adam-step", _adam_with(change))
    assert feedback.status == "not yet" and words in feedback.message, feedback


def test_adam_step_off_by_one_t_and_stub():
    def t_from_zero(w, m, v, grad, t, lr, beta1, beta2, eps):
        return adam_step(w, m, v, grad, t + 1, lr, beta1, beta2, eps)

    feedback = check("training-well-adam-step", t_from_zero)
    assert feedback.status == "not yet" and "t = 1" in feedback.message

    def stub(w, m, v, grad, t, lr, beta1, beta2, eps):
        raise NotImplementedError

    assert check("training-well-adam-step", stub).status == "not attempted"


# --- dropout ---------------------------------------------------------------------------


def _dropout(x, p, training, rng):
    if not training or p == 0:
        return x
    if p == 1:
        return np.zeros_like(x)
    return x * (rng.random(x.shape) >= p) / (1 - p)


def test_dropout_right_in_several_forms():
    assert check("training-well-dropout", _dropout).status == "correct"
    as_tensor = lambda x, p, training, rng: torch.tensor(_dropout(x, p, training, rng))  # noqa: E731
    assert check("training-well-dropout", as_tensor).status == "correct"


@pytest.mark.parametrize(
    "fn, words",
    [
        (lambda x, p, tr, rng: x * (rng.random(x.shape) >= p) / (1 - p), "eval mode"),
        (lambda x, p, tr, rng: x * (1 - p) if not tr else _dropout(x, p, tr, rng), "eval mode"),
        (lambda x, p, tr, rng: x * (rng.random(x.shape) >= p) / (1 - p) if tr else x, "p = 1"),
        (
            lambda x, p, tr, rng: (
                _dropout(x, p, tr, rng) * (1 - p) ** 2
                if 0 < p < 1 and tr
                else _dropout(x, p, tr, rng)
            ),
            "multiplied by 1 - p",
        ),
        (
            lambda x, p, tr, rng: (
                x * (rng.random(x.shape) >= p) if 0 < p < 1 and tr else _dropout(x, p, tr, rng)
            ),
            "not rescaled",
        ),
        (
            lambda x, p, tr, rng: (
                x * (rng.random(x.shape) < p) / (1 - p)
                if 0 < p < 1 and tr
                else _dropout(x, p, tr, rng)
            ),
            "probability to *drop*",
        ),
        (
            lambda x, p, tr, rng: (
                x * (rng.random(x.shape[-1]) >= p) / (1 - p)
                if 0 < p < 1 and tr
                else _dropout(x, p, tr, rng)
            ),
            "same mask",
        ),
        (
            lambda x, p, tr, rng: _dropout(x, p, tr, np.random.default_rng()),
            "generator rng",
        ),
        (nn_dropout := torch.nn.Dropout(0.5), "module"),
    ],
)
def test_dropout_slips_get_their_hint(fn, words):
    feedback = check("training-well-dropout", fn)
    assert feedback.status == "not yet" and words in feedback.message, feedback


def test_dropout_in_place_is_refused():
    def in_place(x, p, training, rng):
        if training and 0 < p < 1:
            x *= (rng.random(x.shape) >= p) / (1 - p)
        return _dropout(x, p, training, rng) if not (training and 0 < p < 1) else x

    feedback = check("training-well-dropout", in_place)
    assert feedback.status == "not yet" and "in place" in feedback.message


def test_dropout_statistics_match_nn_dropout():
    x = torch.ones(400, 250)
    for p in (0.3, 0.8):
        torch.manual_seed(0)
        ours = _dropout(np.ones((400, 250)), p, True, np.random.default_rng(0))
        theirs = torch.nn.Dropout(p)(x).numpy()
        assert abs((ours == 0).mean() - (theirs == 0).mean()) < 0.01
        np.testing.assert_allclose(np.unique(theirs), np.unique(ours), rtol=1e-6)
    assert (torch.nn.Dropout(1.0)(x) == 0).all()  # p = 1: zeros, as the judge asks


# --- early stopping --------------------------------------------------------------------


def _early(val_losses, patience):
    return early_stopping_epochs(val_losses, patience)


def test_early_stop_right_and_typical_slips():
    assert check("training-well-early-stop", _early).status == "correct"
    zero_based = check("training-well-early-stop", lambda v, p: tuple(e - 1 for e in _early(v, p)))
    assert zero_based.status == "not yet" and "from 1" in zero_based.message
    global_min = check(
        "training-well-early-stop", lambda v, p: (_early(v, p)[0], int(np.argmin(v)) + 1)
    )
    assert global_min.status == "not yet" and "before" in global_min.message
    late = check("training-well-early-stop", lambda v, p: (_early(v, p)[0] + 1, _early(v, p)[1]))
    assert late.status == "not yet" and "as soon as" in late.message
    text = check("training-well-early-stop", lambda v, p: "9, 6")
    assert text.status == "not yet" and "a str" in text.message
    assert "(9, 6)" not in text.message


@pytest.mark.parametrize(
    "losses, patience",
    [
        (QUIZ_VAL_LOSSES, 3),
        (QUIZ_VAL_LOSSES, 1),
        ((0.9, 0.8, 0.8, 0.8, 0.7), 2),
        ((1.0, 0.8, 0.9, 0.95, 0.99, 0.5), 3),
        ((0.5, 0.4, 0.3), 2),
    ],
)
def test_early_stop_reference_matches_the_callback(losses, patience):
    from dlhelpers.train import EarlyStopping, TrainState

    stopper = EarlyStopping(monitor="val_loss", patience=patience)
    state = TrainState(
        model=torch.nn.Linear(1, 1),
        optimizer=None,
        history=type("H", (), {"stop_reason": None})(),
        epochs=len(losses),
        batches=1,
        n_train=1,
        n_val=1,
    )
    stopper.on_train_begin(state)
    for epoch, loss in enumerate(losses, start=1):
        state.epoch, state.logs = epoch, {"val_loss": loss}
        stopper.on_epoch_end(state)
        if state.stop_training:
            break
    stop = stopper.stopped_epoch or len(losses)
    assert early_stopping_epochs(losses, patience) == (stop, stopper.best_epoch)


# --- weight decay ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "weight_decay, status, words",
    [
        (1e-2, "not yet", "still overfits"),  # the value section 6 uses: not the answer
        (3e-2, "correct", "right"),
        (5e-2, "not yet", "too strong"),
        (0.0, "not yet", "still overfits"),
        (1.0, "not yet", "underfits"),
        ("lots", "not yet", "expected a number"),
        (..., "not attempted", ""),
    ],
)
def test_weight_decay(weight_decay, status, words):
    feedback = check("training-well-weight-decay", weight_decay)
    assert feedback.status == status and words in feedback.message


def test_every_exercise_has_a_hint():
    from dlhelpers.checks import hint

    for key in (
        "training-well-adam-step",
        "training-well-dropout",
        "training-well-early-stop",
        "training-well-weight-decay",
    ):
        assert len(str(hint(key))) > 60
