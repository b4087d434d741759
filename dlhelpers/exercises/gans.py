"""Exercises of notebook 10: generative adversarial networks."""

from __future__ import annotations

import copy

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    a_type,
    array_of_shape,
    as_count,
    as_number,
    call_answer,
    compare_arrays,
    exercise,
    number_close,
    refuse_module,
)

__all__ = []

# D(x), the loss and the gradient are real-valued (a tolerance); the number of modes is a
# count (exact).


@exercise(
    "gan-optimal-d",
    "Write optimal_discriminator(p_data, p_g): the best D(x) for densities p_data(x) and p_g(x).",
    hint="At one x, with a = p_data(x) and b = p_g(x), minimise -a log D - b log(1 - D) over D: "
    "set its derivative with respect to D to zero and solve for D.",
    solution=r"""def optimal_discriminator(p_data, p_g):
    "D*(x) from the densities p_data(x) and p_g(x), arrays of the same shape."
    return p_data / (p_data + p_g)
""",
)
def _optimal(fn):
    rng = np.random.default_rng(10)
    for shape in ((50,), (4, 3), (1,)):  # new densities, and shapes, at each call
        p_data, p_g = rng.uniform(0.01, 2, size=shape), rng.uniform(0.01, 2, size=shape)
        got = call_answer(fn, p_data.copy(), p_g.copy())
        want = p_data / (p_data + p_g)
        arr = array_of_shape(got, want.shape)
        if arr is not None:
            if np.allclose(arr, p_g / (p_data + p_g)):
                raise Wrong(
                    "that is the probability of *generated*; D(x) is the probability that x is real."
                )
            if np.allclose(arr, p_data / p_g):
                raise Wrong(
                    "a probability must stay between 0 and 1: divide by the total density, "
                    "not by p_g."
                )
        compare_arrays(got, want, what=f"your D(x) for densities of shape {shape}")
    return "p_data / (p_data + p_g): 1/2 everywhere once the generator matches the data."


@exercise(
    "gan-equilibrium-loss",
    "At the end of the game D(x) = 1/2 for every x. What is the discriminator's loss -log D(x) - log(1 - D(G(z)))?",
    hint="Put D = 1/2 into both terms of L_D: -log of the probability given to the real point, "
    "plus -log of the probability given to 'generated' for the fake one.",
    solution=r"""equilibrium_loss = -np.log(0.5) - np.log(1 - 0.5)  # a number
""",
)
def _equilibrium(answer):
    value = as_number(answer)
    if np.isclose(value, np.log(2)):
        raise Wrong("that is one of the two terms; the loss adds the real and the generated part.")
    if np.isclose(value, 1.0) or np.isclose(value, 0.5):
        raise Wrong("the loss is a log-likelihood: take -log of the probabilities 1/2.")
    number_close(
        answer,
        2 * np.log(2),
        hint="put D = 1/2 into both terms of L_D (section 1), with the natural logarithm.",
    )
    return (
        "2 ln 2 = 1.386: a discriminator that can only guess. Watch for this value in the curves."
    )


@exercise(
    "gan-generator-gradient",
    "Write generator_gradient(d, kind): d loss / d logit for the generator, given D(G(z)) = d.",
    hint="Chain rule through the sigmoid: d/ds of f(sigmoid(s)) is f'(d) times d (1 - d). Then "
    "simplify, so that the answer is written with d alone.",
    solution=r"""def generator_gradient(d, kind):
    "d loss / d logit for one generated sample with D(G(z)) = d."
    if kind == "saturating":
        return -d  # d/ds log(1 - sigmoid(s)) = -sigmoid(s)
    return -(1 - d)  # d/ds -log(sigmoid(s)) = -(1 - sigmoid(s))
""",
)
def _generator_gradient(fn):
    for d in (0.01, 0.3, 0.5, 0.9):
        for kind, want in (("saturating", -d), ("non-saturating", -(1 - d))):
            got = call_answer(fn, d, kind)
            value = as_number(got, what=f"generator_gradient({d}, {kind!r})")
            if np.isclose(value, want, rtol=1e-6, atol=1e-9):
                continue
            if np.isclose(value, -want):
                raise Wrong(
                    f"generator_gradient({d}, {kind!r}) has the wrong sign: the loss falls as D rises."
                )
            if kind == "saturating" and np.isclose(value, -1 / (1 - d)):
                raise Wrong(
                    "that is the derivative with respect to D; the network outputs a logit s with "
                    "D = sigmoid(s), so multiply by dD/ds = D (1 - D)."
                )
            raise Wrong(
                f"generator_gradient({d}, {kind!r}) gave {value:g}, which is not it. Differentiate "
                "log(1 - sigmoid(s)) and -log(sigmoid(s)) with respect to the logit s."
            )
    return "-D for the saturating loss (nothing when D is near 0), -(1 - D) for the non-saturating one."


def _covered(samples, centres, radius):
    dist = np.linalg.norm(samples[:, None, :] - centres[None], axis=-1)  # (n, k)
    return int((dist.min(axis=0) <= radius).sum())


@exercise(
    "gan-mode-count",
    "Write modes_covered(samples, centres, radius): how many centres have a sample within radius.",
    hint="Make the (n, k) table of distances from every sample to every centre (broadcasting), "
    "then ask, for each centre (each column), whether its nearest sample is within radius.",
    solution=r"""def modes_covered(samples, centres, radius):
    "How many of the k centres have a sample within radius."
    dist = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)  # (n, k)
    return int((dist.min(axis=0) <= radius).sum())
""",
)
def _mode_count(fn):
    rng = np.random.default_rng(4)
    angles = np.arange(8) * np.pi / 4
    ring = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (8, 2)
    five = ring[:5] * 1.5  # other centres, so that a function must read its argument
    cases = [  # (samples, centres, radius): each argument changes from one case to another
        (ring[[0, 0, 3]] + rng.normal(scale=0.05, size=(3, 2)), ring, 0.3),  # two, one twice
        (ring + rng.normal(scale=0.05, size=(8, 2)), ring, 0.3),  # all eight
        (rng.normal(scale=0.1, size=(50, 2)), ring, 0.3),  # none: all in the middle
        (ring[[1, 2]] + 0.4, ring, 0.6),  # two, only with the wider radius
        (five[[0, 4]] + rng.normal(scale=0.05, size=(2, 2)), five, 0.3),  # two of five
    ]
    for samples, centres, radius in cases:
        got = call_answer(fn, samples.copy(), centres.copy(), radius)
        value = as_count(got, what="your count")
        want = _covered(samples, centres, radius)
        if value == want:
            continue
        if value == len(samples) and want != len(samples):
            raise Wrong(
                "you counted samples near a centre; count the centres that have one (each once)."
            )
        raise Wrong(f"for {len(samples)} samples you counted {value:g} modes, which is not it.")
    return "a simple, honest measure: mode collapse shows as this count dropping."


# --- the core piece: one training step -------------------------------------------------
# The learner's gan_step runs on float64 copies of the package's networks, beside
# dlhelpers.train.gan.gan_step on the same weights, batches and noise. First with plain
# SGD and one step (the update is then the gradient itself, so each typical mistake
# leaves its own fingerprint and gets its own hint), then with stale gradients left on
# every parameter (a step that forgets zero_grad adds them in), then three Adam steps in
# a row on other sizes.

_STEP_CASES = (
    dict(noise_dim=2, width=8, batch=16, opt="sgd", lrs=(0.05, 0.1), steps=1, seed=1),
    dict(noise_dim=3, width=12, batch=24, opt="adam", lrs=(2e-3, 1e-3), steps=3, seed=2),
)


def _torch():
    import torch
    import torch.nn.functional as F

    return torch, F


def _step_setup(case: dict):
    """Float64 networks, their optimizers' recipe and ``steps`` batches of (real, z)."""
    torch, _ = _torch()
    from dlhelpers.data.targets2d import sample_target
    from dlhelpers.train.gan import Discriminator, Generator

    torch.manual_seed(case["seed"])
    G = Generator(case["noise_dim"], case["width"]).double()
    D = Discriminator(case["width"]).double()
    rng = np.random.default_rng(case["seed"])
    batches = []
    for i in range(case["steps"]):
        real = sample_target("ring", case["batch"], seed=case["seed"] * 10 + i)
        z = rng.uniform(-1, 1, size=(case["batch"], case["noise_dim"]))
        batches.append((torch.tensor(real), torch.tensor(z)))
    return G, D, batches


def _optimizers(case: dict, G, D):
    torch, _ = _torch()
    g_lr, d_lr = case["lrs"]
    if case["opt"] == "sgd":
        return torch.optim.SGD(G.parameters(), lr=g_lr), torch.optim.SGD(D.parameters(), lr=d_lr)
    betas = (0.5, 0.999)
    return (
        torch.optim.Adam(G.parameters(), lr=g_lr, betas=betas),
        torch.optim.Adam(D.parameters(), lr=d_lr, betas=betas),
    )


def _flat(net) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in net.parameters()])


def _same(a, b) -> bool:
    return bool(np.allclose(_flat(a), _flat(b), rtol=1e-7, atol=1e-10))


def _variant_step(G, D, g_opt, d_opt, real, z, variant: str) -> None:
    """One step as a typical mistake takes it (``variant``), to recognise it by its result."""
    torch, F = _torch()
    bce = F.binary_cross_entropy_with_logits

    def d_step():
        fake = G(z).detach()
        r, f = D(real), D(fake)
        ones, zeros = torch.ones_like(r), torch.zeros_like(f)
        if variant == "labels swapped":
            ones, zeros = zeros, ones
        loss = bce(r, ones) + bce(f, zeros)
        if variant == "half L_D":
            loss = loss / 2  # one mean over real and fake together
        d_opt.zero_grad()
        loss.backward()
        d_opt.step()

    def g_step():
        s = D(G(z))
        loss = -F.softplus(s).mean() if variant == "saturating" else F.softplus(-s).mean()
        g_opt.zero_grad()
        if variant == "D stepped on G's loss alone":
            d_opt.zero_grad()
        loss.backward()
        g_opt.step()
        if variant.startswith("D stepped on G's loss"):
            d_opt.step()

    if variant == "G first":
        g_step()
        d_step()
    else:
        d_step()
        g_step()


_VARIANT_HINTS = {
    "saturating": "your generator minimises log(1 - D(G(z))), the saturating loss, which hardly "
    "pushes while D wins; use the non-saturating -log D(G(z)): the cross-entropy of D's "
    "logits on the fakes with the label 'real' (1).",
    "labels swapped": "the discriminator's labels are swapped: real samples get the label 1, "
    "generated ones 0.",
    "G first": "the discriminator steps first, then the generator, through the updated "
    "discriminator.",
    "D stepped on G's loss": "the discriminator moved a second time, on the generator's loss: "
    "after the generator's backward pass, step only g_opt.",
    "half L_D": "your discriminator's loss is half of L_D (one mean over real and generated "
    "together): L_D adds the mean over the real batch and the mean over the generated one.",
}
_VARIANT_HINTS["D stepped on G's loss alone"] = _VARIANT_HINTS["D stepped on G's loss"]


def _diagnose(case: dict, first, batches, mine, start) -> None:
    """Raise :class:`Wrong` with the hint of the mistake whose result ``mine`` shows.

    ``first``: the two networks before the first step, to replay each mistake from.
    """
    G_l, D_l = mine
    if np.array_equal(_flat(G_l), start[0]):
        raise Wrong(
            "your generator did not change: its step needs a gradient from D(G(z)) (do not "
            "detach the fake there), then g_opt.step()."
        )
    if np.array_equal(_flat(D_l), start[1]):
        raise Wrong(
            "your discriminator did not change: after d_loss.backward(), call d_opt.step()."
        )
    for variant, text in _VARIANT_HINTS.items():
        G_v, D_v = (copy.deepcopy(net) for net in first)
        g_opt, d_opt = _optimizers(case, G_v, D_v)
        for real, z in batches:
            _variant_step(G_v, D_v, g_opt, d_opt, real, z, variant)
        if _same(G_v, G_l) and _same(D_v, D_l):
            raise Wrong(text)


def _call_step(fn, G, D, g_opt, d_opt, real, z):
    """The learner's step, with a count of the gradients that reach each generator parameter."""
    torch, _ = _torch()
    calls = [0]
    handles = [
        p.register_hook(lambda g: calls.__setitem__(0, calls[0] + 1)) for p in G.parameters()
    ]
    try:
        got = fn(G, D, g_opt, d_opt, real.clone(), z.clone())
    except RuntimeError as err:
        if "backward through the graph a second time" in str(err):
            raise Wrong(
                "torch refused a second backward pass through the generator: in the "
                "discriminator's step use fake.detach(), so that only the generator's loss "
                "reaches the generator."
            ) from None
        raise
    finally:
        for h in handles:
            h.remove()
    return got, calls[0] / len(handles)


def _losses(got, want: tuple[float, float]) -> None:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise Wrong(f"return the two losses, (d_loss, g_loss), as numbers; got {a_type(got)}.")
    d_loss = as_number(got[0], what="your d_loss")
    g_loss = as_number(got[1], what="your g_loss")
    if np.isclose(d_loss, want[0] / 2, rtol=1e-6):
        raise Wrong(
            "your d_loss is half of L_D: add the mean over the real batch and the mean over the "
            "generated one."
        )
    if not np.isclose(d_loss, want[0], rtol=1e-6):
        raise Wrong("your d_loss is not L_D = BCE(D(real), 1) + BCE(D(fake), 0) before the update.")
    if not np.isclose(g_loss, want[1], rtol=1e-6):
        raise Wrong(
            "your g_loss is not -log D(G(z)) averaged over the batch, computed through the "
            "updated discriminator."
        )


@exercise(
    "gan-step",
    "Write gan_step(generator, discriminator, g_opt, d_opt, real, z): one discriminator "
    "update, then one generator update with the non-saturating loss; return (d_loss, g_loss).",
    hint="Two halves, each `zero_grad`, `backward`, `step` with its own optimizer. The "
    "discriminator's loss is binary cross-entropy on logits: label 1 for `real`, 0 for "
    "`generator(z)` detached (the generator must not learn from D's loss). The generator's "
    "loss is the cross-entropy of D's logits on `generator(z)` with the label 1 (real), "
    "through the updated discriminator.",
    solution=r"""def gan_step(generator, discriminator, g_opt, d_opt, real, z):
    "One GAN iteration: update D on real vs generator(z), then G; return (d_loss, g_loss)."
    bce = F.binary_cross_entropy_with_logits
    fake = generator(z)
    # 1. the discriminator: real -> 1, fake -> 0; detach, so no gradient reaches G
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(
        fake_logits, torch.zeros_like(fake_logits)
    )
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    # 2. the generator: make the updated D say "real" (non-saturating: -log D(G(z)))
    logits = discriminator(fake)
    g_loss = bce(logits, torch.ones_like(logits))
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()
""",
)
def _gan_step(fn):
    if not callable(fn):
        raise Wrong(f"expected a function, got {type(fn).__name__}.")
    refuse_module(fn)
    for case in _STEP_CASES:
        _step_case(fn, case)
        if case["opt"] == "sgd":
            _stale_gradients(fn, case)
    return (
        "one step of the game, the same as the package's gan_step: D learns on detached "
        "fakes, then G learns through the updated D with the non-saturating loss."
    )


def _step_case(fn, case: dict) -> None:
    """The learner's steps beside the package's, on one case; :class:`Wrong` at the first difference."""
    from dlhelpers.train.gan import gan_step

    G, D, batches = _step_setup(case)
    G_l, D_l = copy.deepcopy(G), copy.deepcopy(D)
    first = copy.deepcopy(G), copy.deepcopy(D)
    g_ref, d_ref = _optimizers(case, G, D)
    g_opt, d_opt = _optimizers(case, G_l, D_l)
    for i, (real, z) in enumerate(batches):
        start = _flat(G_l), _flat(D_l)
        got, flows = _call_step(fn, G_l, D_l, g_opt, d_opt, real, z)
        want = gan_step(G, D, g_ref, d_ref, real, z)
        if got is Ellipsis or got is None:
            if np.array_equal(_flat(G_l), start[0]) and np.array_equal(_flat(D_l), start[1]):
                raise NotAttempted("your function returns `...` or None: fill in the body.")
            raise Wrong("the step ran but returned nothing: return (d_loss, g_loss).")
        if flows > 1:
            raise Wrong(
                "gradients reached the generator twice: the discriminator's loss must not "
                "train it. Use fake.detach() in the discriminator's step."
            )
        if not (_same(G_l, G) and _same(D_l, D)):
            _diagnose(case, first, batches[: i + 1], (G_l, D_l), start)
            which = "generator's" if _same(D_l, D) else "discriminator's"
            raise Wrong(
                f"after your step the {which} parameters differ from the package's step "
                "(same weights, batch and noise). Check each half: its loss (a mean over the "
                "batch), zero_grad, backward, and the step of its own optimizer."
            )
        _losses(got, want)


def _stale_gradients(fn, case: dict) -> None:
    """Raise :class:`Wrong` if ``fn`` adds gradients left on the parameters from before."""
    from dlhelpers.train.gan import gan_step

    G, D, batches = _step_setup(case)
    G_l, D_l = copy.deepcopy(G), copy.deepcopy(D)
    for p in [*G_l.parameters(), *D_l.parameters()]:
        p.grad = 0.5 * (1 + p.detach().clone())  # what a previous step would leave behind
    g_ref, d_ref = _optimizers(case, G, D)
    g_opt, d_opt = _optimizers(case, G_l, D_l)
    real, z = batches[0]
    _call_step(fn, G_l, D_l, g_opt, d_opt, real, z)
    gan_step(G, D, g_ref, d_ref, real, z)
    if not (_same(G_l, G) and _same(D_l, D)):
        which = "generator" if _same(D_l, D) else "discriminator"
        raise Wrong(
            f"with gradients left over from a previous step your {which} moves differently: "
            "call zero_grad() on its optimizer before each backward pass."
        )
