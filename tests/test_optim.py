"""NumPy optimizers against torch.optim: same start, same gradients, same steps."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.scratch import Linear, Parameter, Sequential, Tanh
from dlhelpers.scratch.losses import MSELoss
from dlhelpers.scratch.optim import SGD, Adam

torch = pytest.importorskip("torch")
F64 = torch.float64
STEPS = 10


def run_both(np_opt_cls, torch_opt_cls, kwargs, rng, steps=STEPS):
    """Train the same small regression MLP for ``steps`` steps with both libraries."""
    model = Sequential(Linear(3, 5, rng=rng), Tanh(), Linear(5, 2, rng=rng))
    twin = torch.nn.Sequential(
        torch.nn.Linear(3, 5, dtype=F64), torch.nn.Tanh(), torch.nn.Linear(5, 2, dtype=F64)
    )
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    opt = np_opt_cls(model.parameters(), **kwargs)
    opt_t = torch_opt_cls(twin.parameters(), **kwargs)
    loss_fn = MSELoss()
    for _ in range(steps):
        x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
        loss_fn(model(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.mse_loss(twin(torch.tensor(x)), torch.tensor(y)).backward()
        opt_t.step()
    return model, twin


SGD_SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True),
]
ADAM_SETTINGS = [
    dict(),
    dict(lr=0.01),
    dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
]


@pytest.mark.parametrize(
    "np_cls, torch_name, kwargs",
    [(SGD, "SGD", k) for k in SGD_SETTINGS] + [(Adam, "Adam", k) for k in ADAM_SETTINGS],
)
def test_optimizer_matches_torch(rng, np_cls, torch_name, kwargs):
    model, twin = run_both(np_cls, getattr(torch.optim, torch_name), kwargs, rng)
    torch_state = twin.state_dict()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(
            p.data,
            torch_state[name].numpy(),
            rtol=0,
            atol=1e-10,
            err_msg=f"{torch_name}{kwargs} {name}",
        )


def test_parameters_actually_move(rng):
    p = Parameter(np.ones(3))
    p.grad = np.array([1.0, -2.0, 0.0])
    opt = SGD([p], lr=0.5)
    opt.step()
    np.testing.assert_allclose(p.data, [0.5, 2.0, 1.0])


def test_first_momentum_step_uses_gradient_as_buffer():
    """torch starts the momentum buffer at g (not (1 - dampening) * g)."""
    p = Parameter(np.zeros(2))
    p.grad = np.array([1.0, 2.0])
    opt = SGD([p], lr=1.0, momentum=0.9, dampening=0.5)
    opt.step()
    np.testing.assert_allclose(p.data, [-1.0, -2.0])
    opt.step()  # buffer = 0.9 * g + 0.5 * g
    np.testing.assert_allclose(p.data, [-2.4, -4.8])


def test_adam_first_step_is_lr_times_sign():
    """With bias correction, Adam's first step has size lr whatever the gradient's scale."""
    p = Parameter(np.zeros(3))
    p.grad = np.array([1e-3, -5.0, 200.0])
    Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [-0.1, 0.1, -0.1], rtol=1e-4)


def test_skips_parameters_without_grad():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    a.grad = np.ones(2)
    for opt in (SGD([a, b], lr=0.1, momentum=0.9), Adam([a, b], lr=0.1)):
        opt.step()
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert np.all(a.data < 1)


def test_zero_grad_and_param_groups():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(2))
    a.grad, b.grad = np.ones(2), np.ones(2)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 0.9])
    np.testing.assert_allclose(b.data, [0.0, 0.0])
    opt.param_groups[0]["lr"] = 0.5  # what a schedule does
    opt.step()
    np.testing.assert_allclose(a.data, [0.4, 0.4])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_invalid_settings_raise():
    p = [Parameter(np.ones(1))]
    with pytest.raises(ValueError, match="lr=-1 must be at least 0"):
        SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"betas\[0\]=1 must be in \[0, 1\)"):
        Adam(p, betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam([])
    with pytest.raises(TypeError, match="Parameters"):
        SGD([np.ones(2)], lr=0.1)


def test_adam_trains_a_network(rng):
    """A real (if small) fit: Adam drives the loss of a sine regression down."""
    x = np.linspace(-3, 3, 64)[:, None]
    y = np.sin(x)
    model = Sequential(Linear(1, 16, rng=rng), Tanh(), Linear(16, 1, rng=rng))
    opt, loss_fn = Adam(model.parameters(), lr=0.02), MSELoss()
    first = loss_fn(model(x), y)
    for _ in range(300):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    assert loss < 0.05 * first


@pytest.mark.parametrize(
    "make,says",
    [
        (lambda p: SGD(p, lr=float("nan")), "lr=nan is not a number"),
        (lambda p: Adam(p, lr=float("nan")), "lr=nan is not a number"),
        (lambda p: Adam(p, betas=(0.9,)), "betas must be two numbers in"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), r"betas\[1\]=1 must be in \[0, 1\)"),
        (lambda p: Adam(p, eps=0.0), "eps=0 must be above 0"),
        (lambda p: Adam(p, weight_decay=float("nan")), "weight_decay=nan is not a number"),
        (lambda p: SGD(p, momentum=-0.1), "momentum=-0.1 must be at least 0"),
        (lambda p: SGD(p, nesterov=True), "Nesterov momentum requires"),
        (lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    ],
)
def test_bad_hyperparameters_are_refused_like_torch(make, says):
    with pytest.raises(ValueError, match=says):
        make([Parameter(np.zeros(2))])


ADAM_STEP_SETTINGS = [
    dict(lr=0.1, betas=(0.9, 0.999), eps=1e-8),
    dict(lr=0.01, betas=(0.8, 0.99), eps=1e-3),
]


@pytest.mark.parametrize("kwargs", ADAM_STEP_SETTINGS)
def test_adam_step_matches_torch_in_float64(rng, kwargs):
    from dlhelpers.scratch.optim import adam_step

    w = rng.normal(size=(3, 4))
    theirs = torch.tensor(w, dtype=F64, requires_grad=True)
    opt = torch.optim.Adam([theirs], **kwargs)
    m, v = np.zeros_like(w), np.zeros_like(w)
    beta1, beta2 = kwargs["betas"]
    for t in range(1, 8):
        g = rng.normal(size=w.shape) * 10.0 ** rng.integers(-3, 2)
        w, m, v = adam_step(w, m, v, g, t, kwargs["lr"], beta1, beta2, kwargs["eps"])
        theirs.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(w, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_sgd_step_matches_torch_with_momentum_in_float64(rng):
    from dlhelpers.scratch.optim import sgd_step

    w = rng.normal(size=(5,))
    theirs = torch.tensor(w, dtype=F64, requires_grad=True)
    opt = torch.optim.SGD([theirs], lr=0.05, momentum=0.9)
    v = np.zeros_like(w)
    for _ in range(6):
        g = rng.normal(size=w.shape)
        w, v = sgd_step(w, v, g, 0.05, 0.9)
        theirs.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(w, theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_step_functions_broadcast_one_setting_per_run(rng):
    from dlhelpers.scratch.optim import adam_step

    w, g = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    z = np.zeros_like(w)
    lr = np.array([0.1, 0.01]).reshape(2, 1, 1)
    both, _, _ = adam_step(w, z, z, g, 1, lr)
    first, _, _ = adam_step(w[0], z[0], z[0], g[0], 1, 0.1)
    np.testing.assert_allclose(both[0], first)
