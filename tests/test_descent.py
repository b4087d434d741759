"""Gradient descent on 2-D surfaces, its explorer, mini-batches and the exercises of notebook 03."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dlhelpers.checks import check
from dlhelpers.explorers.descent import build_descent_explorer, plot_batch_comparison, plot_descent
from dlhelpers.scratch.descent import (
    SURFACES,
    compare_batch_sizes,
    fewest_steps,
    gradient_descent,
)
from dlhelpers.scratch.gradcheck import numerical_gradient

BOWL = SURFACES["bowl"]


@pytest.mark.parametrize("name", list(SURFACES))
def test_analytic_gradients_match_central_differences(name, rng):
    s = SURFACES[name]
    xmin, xmax, ymin, ymax = s.extent
    points = np.c_[rng.uniform(xmin, xmax, 50), rng.uniform(ymin, ymax, 50)]
    analytic = s.grad(points)
    assert analytic.shape == (50, 2)
    np.testing.assert_allclose(
        analytic, numerical_gradient(s.f, points, batched=True), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("name", list(SURFACES))
def test_minima_are_stationary_and_the_first_is_zero(name):
    s = SURFACES[name]
    np.testing.assert_allclose(s.grad(s.minima), 0, atol=1e-9)
    assert abs(float(s.f(s.minima[0]))) < 1e-12
    assert np.all(s.f(s.minima) >= -1e-12)


def test_surface_f_works_on_torch_tensors():
    torch = pytest.importorskip("torch")
    p = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    for s in SURFACES.values():
        p.grad = None
        s.f(p).backward()
        np.testing.assert_allclose(p.grad.numpy(), s.grad(np.array([0.3, -0.7])), rtol=1e-12)


def test_converges_on_the_bowl_for_a_small_learning_rate():
    run = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.1, steps=200)
    assert run.path.shape == (201, 2)
    assert run.converged and run.status.startswith("converged at step")
    assert not run.diverged
    assert np.hypot(*run.end) < 1e-3
    assert np.all(np.diff(BOWL.f(run.path)) <= 1e-15)  # below 2/curvature: loss never rises


def test_descent_repr_is_short():
    run = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.1, steps=200)
    assert repr(run).startswith("Descent('converged at step 75', 201 points, end=(")


def test_still_moving_when_the_rate_is_tiny():
    run = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=1e-3, steps=50)
    assert run.status == "still moving after 50 steps"
    assert run.path.shape == (51, 2)


@pytest.mark.parametrize("lr", [0.21, 1.0, 3.0, 1e6])
def test_divergence_stops_early_without_exception_or_warning(lr):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        run = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=lr, steps=500)
    assert run.diverged and run.status.startswith("diverged at step")
    k = int(run.status.rsplit(" ", 1)[1])
    assert len(run.path) == k < 501
    assert np.all(np.isfinite(run.path))
    assert np.isfinite(run.grad_norms).all()


def test_divergence_on_rosenbrock_with_overflowing_gradients():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        run = gradient_descent(
            SURFACES["rosenbrock"].grad, (-1.5, 2.0), lr=0.5, steps=100, bound=1e300
        )
    assert run.diverged
    assert np.all(np.isfinite(run.path))


def test_a_non_finite_gradient_counts_as_divergence():
    def grad(p):  # a cliff: the gradient is infinite beyond x = 1
        return np.array([np.inf, 0.0]) if p[0] > 1 else np.array([-1.0, 0.0])

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        run = gradient_descent(grad, (0.0, 0.0), lr=0.6, steps=10)
    assert run.status == "diverged at step 2"
    np.testing.assert_allclose(run.path, [[0, 0], [0.6, 0], [1.2, 0]])
    assert run.grad_norms.shape == (3,) and np.isinf(run.grad_norms[-1])


def test_zero_steps_returns_the_start():
    run = gradient_descent(BOWL.grad, (1.0, 1.0), lr=0.1, steps=0)
    assert run.path.shape == (1, 2) and run.status == "still moving after 0 steps"


def test_the_stability_limit_is_two_over_the_curvature():
    # The bowl's largest curvature is 10, so lr < 2/10 converges and lr > 2/10 diverges.
    assert gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.19, steps=300).converged
    assert gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.21, steps=300).diverged


def _steps_to_converge(run) -> int:
    assert run.converged, run.status
    return int(run.status.rsplit(" ", 1)[1])


def test_momentum_speeds_up_the_elongated_bowl():
    plain = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.02, steps=400)
    heavy = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.02, momentum=0.8, steps=400)
    assert _steps_to_converge(heavy) * 2 < _steps_to_converge(plain)
    at_100 = BOWL.f(heavy.path[100]), BOWL.f(plain.path[100])
    assert at_100[0] < 1e-3 * at_100[1]


def test_the_two_wells_trap_a_start_on_the_right():
    s = SURFACES["two wells"]
    right = gradient_descent(s.grad, (1.8, 1.6), lr=0.05, steps=300)
    left = gradient_descent(s.grad, (-0.5, 1.6), lr=0.05, steps=300)
    np.testing.assert_allclose(right.end, s.minima[1], atol=1e-3)
    np.testing.assert_allclose(left.end, s.minima[0], atol=1e-3)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_update_is_torch_sgd(momentum):
    torch = pytest.importorskip("torch")
    s = SURFACES["rosenbrock"]
    ours = gradient_descent(s.grad, s.start, lr=1e-3, momentum=momentum, steps=60)
    p = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1e-3, momentum=momentum)
    path = [p.detach().clone()]
    for _ in range(60):
        opt.zero_grad()
        s.f(p).backward()
        opt.step()
        path.append(p.detach().clone())
    np.testing.assert_allclose(ours.path, torch.stack(path).numpy(), rtol=0, atol=1e-10)


def test_plot_descent_draws_the_path_and_flags_divergence():
    import matplotlib.pyplot as plt

    run = gradient_descent(BOWL.grad, (-2.5, 1.5), lr=0.25, steps=100)
    fig, (ax, loss_ax) = plt.subplots(1, 2)
    view = plot_descent("bowl", run, ax=ax, loss_ax=loss_ax)
    np.testing.assert_array_equal(view.line.get_xydata(), run.path)
    assert view.alert.get_visible() and "diverged" in view.alert.get_text()
    assert ax.get_title() == run.status
    assert len(view.loss_line.get_xdata()) == len(run.path)
    plt.close(fig)


def test_explorer_redraws_when_a_control_moves():
    ex = build_descent_explorer(surface="bowl")
    assert "converged" in ex.status.value
    before_png, before_path = ex.image.value, ex.view.line.get_xydata().copy()
    ex.controls["momentum"].value = 0.5
    assert ex.image.value != before_png
    after = ex.view.line.get_xydata()
    assert after.shape == before_path.shape and not np.allclose(after, before_path)
    before_png = ex.image.value
    ex.controls["x0"].value = 1.0
    assert ex.image.value != before_png
    np.testing.assert_allclose(ex.view.line.get_xydata()[0], [1.0, 1.5])


def test_explorer_says_diverged_for_a_big_learning_rate():
    ex = build_descent_explorer(surface="bowl")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ex.controls["lr"].value = 1.0
    assert "diverged" in ex.status.value
    assert ex.view.run.diverged
    assert ex.view.alert.get_visible()


def test_explorer_resets_rate_and_start_for_a_new_surface():
    ex = build_descent_explorer(surface="bowl", lr=0.5)
    redraws = ex.redraws
    ex.controls["surface"].value = "rosenbrock"
    assert ex.redraws == redraws + 1  # one redraw, not one per reset control
    assert ex.controls["lr"].value == pytest.approx(SURFACES["rosenbrock"].lr, rel=0.13)
    assert (ex.controls["x0"].value, ex.controls["y0"].value) == SURFACES["rosenbrock"].start
    assert not ex.view.run.diverged
    assert ex.view.surface is SURFACES["rosenbrock"]


def test_explorer_status_names_a_local_minimum():
    ex = build_descent_explorer(surface="two wells", steps=300)
    assert "local" in ex.status.value
    ex.controls["x0"].value = -0.5
    assert "global" in ex.status.value


def test_minibatch_curves_are_noisier_than_full_batch():
    result = compare_batch_sizes(batch_sizes=(None, 4), steps=150, seed=0)
    full, small = result.losses["full batch (256)"], result.losses["batch 4"]
    assert full.shape == small.shape == (151,)
    assert result.paths["batch 4"].shape == (151, 2)
    # Full-batch GD below the stability limit only goes down; mini-batch SGD jitters.
    assert np.all(np.diff(full) <= 1e-12)
    assert np.sum(np.diff(small) > 0) > 20
    floor = result.loss(result.w_best)
    assert full[-1] - floor < 1e-3
    assert np.std(np.diff(np.log(small[75:]))) > 10 * np.std(np.diff(np.log(full[75:])))
    np.testing.assert_allclose(
        result.loss(result.w_best), np.mean((result.X @ result.w_best - result.y) ** 2)
    )


def test_minibatch_runs_are_reproducible():
    a = compare_batch_sizes(batch_sizes=(8,), steps=20, seed=3)
    b = compare_batch_sizes(batch_sizes=(8,), steps=20, seed=3)
    np.testing.assert_array_equal(a.paths["batch 8"], b.paths["batch 8"])


def test_plot_batch_comparison_draws_one_line_per_run():
    import matplotlib.pyplot as plt

    result = compare_batch_sizes(steps=30)
    drawn = plot_batch_comparison(result)
    ax_w, ax_loss = drawn["paths"][0].axes, drawn["losses"][0].axes
    assert len(drawn["paths"]) == len(drawn["losses"]) == len(result.losses)
    assert ax_loss.get_lines() == drawn["losses"]
    floor = result.loss(result.w_best)
    np.testing.assert_allclose(
        ax_loss.get_lines()[0].get_ydata(),
        np.maximum(result.losses["full batch (256)"] - floor, 1e-12),
    )
    plt.close(ax_w.figure)


# --- exercises ------------------------------------------------------------------


def test_exercise_max_lr():
    assert check("descent-max-lr", ...).status == "not attempted"
    assert check("descent-max-lr", 1 / 3).status == "correct"
    wrong = check("descent-max-lr", 1 / 6)
    assert wrong.status == "not yet" and "0.333" not in wrong.message


def test_exercise_sgd_step():
    def stub(w, v, grad, lr, momentum): ...

    def right(w, v, grad, lr, momentum):
        v = momentum * v + grad
        return w - lr * v, v

    def no_momentum(w, v, grad, lr, momentum):
        return w - lr * grad, grad

    assert check("descent-sgd-step", stub).status == "not attempted"
    assert check("descent-sgd-step", right).status == "correct"
    assert check("descent-sgd-step", no_momentum).status == "not yet"


def test_exercise_cross_entropy():
    def right(logits, target):
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return -logp[np.arange(len(target)), target].mean()

    def naive(logits, target):  # right, but overflows for logits near 1000
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return -np.log(p[np.arange(len(target)), target]).mean()

    assert check("descent-cross-entropy", ...).status == "not attempted"
    assert check("descent-cross-entropy", right).status == "correct"
    feedback = check("descent-cross-entropy", naive)
    assert feedback.status == "not yet" and "overflows" in feedback.message


def test_fewest_steps_matches_gradient_descent_run_by_run():
    bowl = SURFACES["bowl"]
    starts = np.array([[-2.5, 1.5], [2.0, -0.5]])
    lrs = np.array([0.05, 0.1, 0.15, 0.3])  # 0.3 diverges on the bowl: never arrives
    for momentum in (0.0, 0.5):
        best, best_lr = fewest_steps(bowl, starts, lrs=lrs, momentum=momentum, steps=200)
        for start, n, lr in zip(starts, best, best_lr, strict=True):
            counts = []
            for rate in lrs:
                run = gradient_descent(bowl.grad, start, lr=rate, momentum=momentum, steps=200)
                below = np.flatnonzero(bowl.f(run.path) < 1e-6)
                counts.append(below[0] if below.size else np.inf)
            assert n == min(counts) and lr == lrs[int(np.argmin(counts))]


def test_fewest_steps_says_inf_when_no_rate_arrives():
    best, best_lr = fewest_steps(SURFACES["bowl"], [[-2.5, 1.5]], lrs=[1e-4, 0.5], steps=20)
    assert np.isinf(best[0]) and np.isnan(best_lr[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"starts": [[0.0, np.nan]]}, "starts"),
        ({"lrs": "0.1"}, "lrs"),
        ({"momentum": -0.5}, "momentum"),
        ({"steps": 2.5}, "steps"),
    ],
)
def test_fewest_steps_bad_arguments_name_themselves(kwargs, match):
    args = {"starts": [[1.0, 1.0]], "lrs": [0.1], **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        fewest_steps(SURFACES["bowl"], args.pop("starts"), **args)


def test_plot_batch_comparison_draws_on_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax_w, ax_loss = fig.subplots(1, 2)
    drawn = plot_batch_comparison(compare_batch_sizes(n=64, steps=5), ax=(ax_w, ax_loss))
    assert len(fig.axes) == 2 and len(ax_loss.lines) == 3
    assert all(line.axes is ax_w for line in drawn["paths"])


def test_descent_explorer_bad_surface_names_the_choices():
    with pytest.raises(ValueError, match="surface='saddle!' is not one of the choices: bowl"):
        build_descent_explorer(surface="saddle!")
