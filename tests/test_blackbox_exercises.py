"""The exercise checks of notebook 12: stub, typical mistakes, wrong types, NaN, right."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

from dlhelpers.checks import check, load_exercises  # noqa: E402


def _solution(key: str, name: str):
    namespace = {"np": np, "torch": torch}
    exec(load_exercises()[key].solution, namespace)  # noqa: S102 - the course's own solution
    return namespace[name]


def ig_right(model, x, target, baseline, steps):
    return _solution("bb-integrated-gradients", "my_integrated_gradients")(
        model, x, target, baseline, steps
    )


def _ig(alphas_of, factor="x-b", grad_of=lambda out: out, average=True, start="b"):
    """Integrated gradients with one thing changed: the typical mistakes."""

    def fn(model, x, target, baseline, steps):
        total = torch.zeros_like(x)
        origin = baseline if start == "b" else torch.zeros_like(x)
        for a in alphas_of(steps):
            point = (origin + a * (x - origin)).requires_grad_(True)
            out = grad_of(model(point))[torch.arange(len(x)), target]
            total += torch.autograd.grad(out.sum(), point)[0]
        total = total / steps if average else total
        return {"x-b": (x - baseline) * total, "x": x * total, "none": total}[factor]

    return fn


def right_ends(m):
    return [k / m for k in range(1, m + 1)]


def ig_every_target(model, x, target, baseline, steps):
    """The logits taken with [:, target]: every image gets every image's target."""
    total = torch.zeros_like(x)
    for k in range(1, steps + 1):
        point = (baseline + k / steps * (x - baseline)).requires_grad_(True)
        total += torch.autograd.grad(model(point)[:, target].sum(), point)[0]
    return (x - baseline) * total / steps


def pgd_right(x_adv, x, grad, alpha, eps):
    return np.clip(np.clip(x_adv + alpha * np.sign(grad), x - eps, x + eps), 0, 1)


def fgsm_step(x, grad, eps):
    return np.clip(x + eps * np.sign(grad), 0, 1)


def stub(*args): ...


RIGHT = {"bb-fgsm-step": fgsm_step, "bb-pgd-step": pgd_right, "bb-integrated-gradients": ig_right}


@pytest.mark.parametrize("key", sorted(RIGHT))
def test_stub_right_wrong_type_and_nan(key):
    assert check(key, ...).status == "not attempted"
    assert check(key, stub).status == "not attempted"
    assert check(key, RIGHT[key]).status == "correct"
    for bad in ("1", True, float("nan"), [1, 2], torch.nn.Linear(2, 2)):
        assert check(key, bad).status == "not yet", (key, bad)


def test_the_learner_may_return_a_tensor_that_requires_grad_or_float32():
    def with_graph(model, x, target, baseline, steps):
        return ig_right(model, x, target, baseline, steps).requires_grad_(True)

    def float32(model, x, target, baseline, steps):
        return ig_right(model, x, target, baseline, steps).float().numpy()

    for fn in (with_graph, float32):
        assert check("bb-integrated-gradients", fn).status == "correct"


@pytest.mark.parametrize(
    "answer, hint",
    [
        (_ig(lambda m: [k / m for k in range(m)]), "one step short"),
        (_ig(lambda m: [(k + 0.5) / m for k in range(m)]), "midpoint"),
        (_ig(right_ends, average=False), "average"),
        (_ig(right_ends, factor="none"), "multiply it by (x - baseline)"),
        (_ig(right_ends, factor="x"), "you multiplied by x"),
        (_ig(right_ends, start="0"), "start at the baseline"),
        (_ig(right_ends, grad_of=lambda out: out.softmax(1)), "logit"),
        (ig_every_target, "its own target"),
        (lambda m, x, t, b, s: (ig_right(m, x, t, b, s), None), "only the attributions"),
        (lambda m, x, t, b, s: ig_right(m, x, t, b, s)[:, 0], "shape"),
    ],
)
def test_typical_ig_mistakes_get_a_hint(answer, hint):
    feedback = check("bb-integrated-gradients", answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("bb-fgsm-step", lambda x, g, e: np.clip(x - e * np.sign(g), 0, 1), "uphill"),
        ("bb-fgsm-step", lambda x, g, e: x + e * np.sign(g), "clip"),
        ("bb-fgsm-step", lambda x, g, e: np.clip(x + e * g, 0, 1), "sign"),
        ("bb-fgsm-step", lambda x, g, e: x, "off at"),
        ("bb-pgd-step", lambda xa, x, g, a, e: np.clip(xa + a * np.sign(g), 0, 1), "projection"),
        (
            "bb-pgd-step",
            lambda xa, x, g, a, e: np.clip(xa + a * np.sign(g), x - e, x + e),
            "[0, 1]",
        ),
        ("bb-pgd-step", lambda xa, x, g, a, e: pgd_right(xa, x, -g, a, e), "uphill"),
        (
            "bb-pgd-step",
            lambda xa, x, g, a, e: np.clip(np.clip(xa + a * g, x - e, x + e), 0, 1),
            "sign",
        ),
        ("bb-pgd-step", lambda xa, x, g, a, e: pgd_right(x, x, g, a, e), "from x_adv"),
        ("bb-pgd-step", lambda xa, x, g, a, e: pgd_right(xa, x, g, e, e), "by alpha"),
        ("bb-pgd-step", lambda xa, x, g, a, e: xa, "off at"),
    ],
)
def test_typical_mistakes_get_a_hint(key, answer, hint):
    feedback = check(key, answer)
    assert feedback.status == "not yet" and hint in feedback.message, feedback


def test_every_exercise_of_the_notebook_has_a_hint_that_gives_no_code():
    for key in ("bb-integrated-gradients", "bb-fgsm-step", "bb-pgd-step"):
        found = load_exercises()[key]
        assert found.hint and "return" not in found.hint and "def " not in found.hint
