"""Exercises of notebook 11: transfer learning."""

from __future__ import annotations

import copy
import dis

import numpy as np

from dlhelpers.checks import (
    NotAttempted,
    Wrong,
    a_type,
    as_count,
    count_equal,
    exercise,
    refuse_module,
)

__all__ = []

# The number of trainable parameters is a count, compared exactly. The three functions are
# each called on more than one model, with other sizes and rates, so that a function that
# ignores one of its arguments (or writes its value in) cannot pass.


def _torch():
    import torch
    from torch import nn

    return torch, nn


def _empty(fn) -> bool:
    """True for a function whose body is only ``...`` (or a docstring): it does nothing yet."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    steps = [i for i in dis.get_instructions(code) if i.opname not in ("RESUME", "NOP", "CACHE")]
    names = [i.opname for i in steps]
    returns_none = all(i.argval is None for i in steps)
    return returns_none and names in (["LOAD_CONST", "RETURN_VALUE"], ["RETURN_CONST"])


def _function(fn):
    """``fn`` if it is a learner's function; the same refusals as :func:`call_answer`.

    A torch module is callable too, so ``freeze = nn.Linear(84, 10)`` would be called
    with the model and crash inside torch: refuse it, as ``call_answer`` does.
    """
    if not callable(fn):
        raise Wrong(f"expected a function, got {type(fn).__name__}.")
    refuse_module(fn)
    if _empty(fn):
        raise NotAttempted("your function's body is still `...`: fill it in.")
    return fn


def _small(hidden: int = 16, seed: int = 0):
    """A small conv net for 8x8 images whose last layer maps ``hidden`` features to 10 classes."""
    torch, nn = _torch()
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 6 * 6, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    )


@exercise(
    "transfer-trainable",
    "LeNet (61,706 parameters) with both conv layers frozen: how many parameters still train?",
    hint="A conv layer has out x in x k x k weights plus one bias per output channel; the "
    "frozen ones are all those of both conv layers, and the rest still train.",
    solution=r"""trainable = 61_706 - (6 * 1 * 5 * 5 + 6) - (16 * 6 * 5 * 5 + 16)  # a number
""",
)
def _trainable(answer):
    value = as_count(answer)
    if value == 2572:
        raise Wrong(
            "that is how many are frozen (the two conv layers); count the ones left to train."
        )
    if value == 61_706:
        raise Wrong("a frozen parameter does not train: take the conv layers' parameters away.")
    count_equal(
        value, 61_706 - 156 - 2416, hint="conv1 has 6x1x5x5 + 6, conv2 16x6x5x5 + 16 parameters."
    )
    return (
        "freezing the convolutions takes away few parameters (about 4 %): most sit in the dense "
        "layers. The convolutions still do most of the computing, though."
    )


@exercise(
    "transfer-freeze",
    "Write freeze(module): stop every parameter of module from training.",
    hint="Loop over module.parameters(): each is a tensor with its own requires_grad flag.",
    solution=r"""def freeze(module):
    "Set requires_grad to False for every parameter of module."
    for p in module.parameters():
        p.requires_grad_(False)
""",
)
def _freeze(fn):
    fn = _function(fn)
    for index in (0, 3, 5):  # a conv layer, then two Linear layers: each call a new module
        model = _small()
        result = fn(model[index])
        if result is Ellipsis:
            raise NotAttempted("your function returns `...`: fill in the body.")
        mine = {id(p) for p in model[index].parameters()}
        frozen = [not p.requires_grad for p in model[index].parameters()]
        others = [p.requires_grad for p in model.parameters() if id(p) not in mine]
        if not any(frozen):
            raise Wrong(
                f"every parameter of the module you were given ({type(model[index]).__name__}) "
                "still has requires_grad=True: set it to False (p.requires_grad_(False))."
            )
        if not all(others):
            raise Wrong("you froze more than the module you were given.")
        if not all(frozen):
            raise Wrong(
                "the weight or the bias of the module still trains: freeze all its parameters."
            )
    return "requires_grad=False: autograd stops there, and the optimizer leaves them alone."


def _check_head(model, old, before, n_classes: int, hidden: int) -> None:
    """Raise :class:`Wrong` unless ``model`` (what new_head returned) has a fresh head of ``n_classes``."""
    torch, nn = _torch()
    head = model[-1]
    if not isinstance(head, nn.Linear):
        raise Wrong(f"the last layer is a {type(head).__name__}, not an nn.Linear.")
    if head is old:
        raise Wrong("the last layer is still the old one: assign a new nn.Linear to model[-1].")
    if head.out_features != n_classes:
        raise Wrong(
            f"the new head has {head.out_features} outputs; the new task has n_classes = "
            f"{n_classes}: use the argument."
        )
    if head.in_features != hidden:
        raise Wrong(
            "the new head must take what the layer before gives: old_head.in_features inputs."
        )
    if not all(torch.equal(a, b) for a, b in zip(before, model[:-1].parameters(), strict=True)):
        raise Wrong("the layers before the head changed: keep them, they are what is transferred.")
    with torch.no_grad():
        out = model(torch.zeros(2, 1, 8, 8))
    if out.shape != (2, n_classes):
        raise Wrong(f"the model now outputs shape {tuple(out.shape)}, expected (2, {n_classes}).")


@exercise(
    "transfer-new-head",
    "Write new_head(model, n_classes): replace model's last Linear layer with a fresh one of n_classes outputs.",
    hint="An nn.Sequential can be indexed and assigned like a list: model[-1] = ...; the new "
    "layer takes as many inputs as the old one.",
    solution=r"""def new_head(model, n_classes):
    "Replace model[-1] with a new nn.Linear(model[-1].in_features, n_classes); return model."
    model[-1] = torch.nn.Linear(model[-1].in_features, n_classes)
    return model
""",
)
def _new_head(fn):
    _, nn = _torch()
    fn = _function(fn)
    for hidden, n_classes in ((16, 3), (12, 5)):  # another model and another task
        model = _small(hidden)
        old = model[-1]
        before = [p.detach().clone() for p in model[:-1].parameters()]
        result = fn(model, n_classes)
        if result is Ellipsis:
            raise NotAttempted("your function returns `...`: fill in the body.")
        if result is None:
            did = "changes the model but returns None" if model[-1] is not old else "returns None"
            raise Wrong(
                f"your function {did}: the task asks for the model back, so end with a `return`."
            )
        if isinstance(result, nn.Linear):
            raise Wrong(
                "your function returns only a Linear layer: return the whole model, "
                "with its last layer replaced by the new one."
            )
        if not isinstance(result, nn.Sequential):
            raise Wrong(
                f"your function returns {a_type(result)}; expected the model (an nn.Sequential) "
                "with its last layer replaced."
            )
        _check_head(result, old, before, n_classes, hidden)
    return "the body keeps what it learned; only the head starts from scratch."


def _optimizer_of(fn, model, body_lr: float, head_lr: float):
    """What ``fn(model, body_lr, head_lr)`` returns, if it is a torch optimizer."""
    torch, _ = _torch()
    try:
        opt = fn(model, body_lr, head_lr)
    except ValueError as err:  # torch's own complaint about a parameter listed twice
        if "more than one parameter group" not in str(err):
            raise
        raise Wrong(
            "a parameter appears in two of your groups: each parameter belongs to exactly one "
            "group, so the head's parameters must not be in the body's group too."
        ) from None
    if opt is Ellipsis or opt is None:
        raise NotAttempted("your function returns `...` or None: fill in the body.")
    if not isinstance(opt, torch.optim.Optimizer):
        raise Wrong(f"expected a torch optimizer, got {type(opt).__name__}.")
    return opt


@exercise(
    "transfer-param-groups",
    "Write make_optimizer(model, body_lr, head_lr): Adam with the last layer at head_lr, the rest at body_lr.",
    hint="torch.optim.Adam accepts a list of dicts, each with its own 'params' and 'lr'; "
    "model[:-1] is the body, model[-1] the head.",
    solution=r"""def make_optimizer(model, body_lr, head_lr):
    "Adam with two parameter groups: model[:-1] at body_lr, model[-1] at head_lr."
    return torch.optim.Adam(
        [
            {"params": model[:-1].parameters(), "lr": body_lr},
            {"params": model[-1].parameters(), "lr": head_lr},
        ]
    )
""",
)
def _param_groups(fn):
    fn = _function(fn)
    for hidden, body_lr, head_lr in ((16, 1e-4, 1e-2), (12, 3e-3, 5e-2)):
        model = _small(hidden, seed=1)
        opt = _optimizer_of(fn, model, body_lr, head_lr)
        lr_of = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
        head = {id(p) for p in model[-1].parameters()}
        body = {id(p) for p in model[:-1].parameters()}
        if set(lr_of) != head | body:
            raise Wrong(
                "some parameters are missing from the optimizer (or appear twice), or are not "
                "the given model's: every parameter of model needs a group."
            )
        if len(opt.param_groups) < 2:
            raise Wrong(
                "one group has one learning rate: pass a list of two dicts, "
                "[{'params': ..., 'lr': ...}, ...]."
            )
        if any(lr_of[i] != head_lr for i in head) or any(lr_of[i] != body_lr for i in body):
            if all(lr_of[i] == body_lr for i in head) and all(lr_of[i] == head_lr for i in body):
                raise Wrong(
                    "the learning rates are swapped: the new head learns fast, the pretrained "
                    "body slowly."
                )
            raise Wrong(
                f"with body_lr={body_lr:g} and head_lr={head_lr:g}, the head's parameters should "
                "have lr=head_lr and all the others lr=body_lr."
            )
    return "parameter groups: one optimizer, several learning rates. Fine-tuning's main tool."


# --- the core piece: a fine-tuning loop -----------------------------------------------
# The learner's fine_tune runs on a copy of a LeNet with a new head, beside the
# package's adapt(..., "finetune", freeze_up_to=...) and train_steps on the same weights
# and the same labelled images: the weights must agree after every step count, and the
# frozen layers must not have moved. A mismatch is replayed as each typical mistake to
# name it.

_TUNE_CASES = (  # n_frozen, steps, body_lr, head_lr, seed, n_images
    (6, 3, 1e-3, 3e-3, 0, 20),
    (9, 4, 3e-4, 1e-2, 1, 24),
)

_TUNE_HINTS = {
    "swapped": "the learning rates are swapped: the new head learns at head_lr, the "
    "pretrained body at body_lr.",
    "one rate": "everything learns at one rate: the head at head_lr and the rest of the body "
    "at body_lr need two parameter groups.",
    "no zero_grad": "the gradients add up from step to step: call optimizer.zero_grad() "
    "before each backward pass.",
    "new optimizer": "Adam keeps running averages of the gradients: make the optimizer once, "
    "before the loop, not at every step.",
    "one step less": "one step short: take exactly `steps` optimizer steps.",
    "one step more": "one step too many: take exactly `steps` optimizer steps.",
}


def _tune_variant(model, X, y, steps: int, lrs: tuple, n_frozen: int, variant: str):
    """``model`` trained as a typical mistake (``variant``) would train it."""
    torch, nn = _torch()
    for p in model[:n_frozen].parameters():
        p.requires_grad_(False)
    body_lr, head_lr = lrs[::-1] if variant == "swapped" else lrs
    if variant == "one rate":
        body_lr = head_lr

    def make():
        return torch.optim.Adam(
            [
                {"params": [p for p in model[:-1].parameters() if p.requires_grad], "lr": body_lr},
                {"params": model[-1].parameters(), "lr": head_lr},
            ]
        )

    optimizer, loss_fn = make(), nn.CrossEntropyLoss()
    steps += {"one step less": -1, "one step more": 1}.get(variant, 0)
    for _ in range(steps):
        if variant == "new optimizer":
            optimizer = make()
        if variant != "no zero_grad":
            optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
    return model


def _tune_setup(n_frozen: int, lrs: tuple, seed: int, n_images: int):
    """The package's adapted model and labelled images, for one case."""
    torch, _ = _torch()
    from dlhelpers.train.models import lenet
    from dlhelpers.train.transfer import FREEZE, adapt

    torch.manual_seed(100 + seed)
    pretrained = lenet().eval()  # random weights stand for pretrained ones here
    freeze_up_to = {last + 1: name for name, last in FREEZE.items()}[n_frozen]
    body_lr, head_lr = lrs
    ref = adapt(
        pretrained,
        "finetune",
        seed=seed,
        freeze_up_to=freeze_up_to,
        lr=head_lr,
        body_lr_scale=body_lr / head_lr,
    )
    rng = np.random.default_rng(seed)  # float32, as train_steps trains
    X = torch.tensor(rng.uniform(0, 1, size=(n_images, 1, 28, 28)), dtype=torch.float32)
    y = torch.tensor(np.arange(n_images) % 10)
    return ref, X, y


def _close(a, b) -> bool:
    torch, _ = _torch()
    return all(
        torch.allclose(p, q, rtol=1e-5, atol=1e-7)
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def _tuned_result(result, model, before):
    """What fine_tune returned, refused unless it is the model."""
    torch, nn = _torch()
    if result is Ellipsis:
        raise NotAttempted("your function returns `...`: fill in the body.")
    if result is None:
        moved = any(not torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
        if not moved:
            raise NotAttempted("your function returns None and trains nothing: fill in the body.")
        raise Wrong("your function trains the model but returns None: end with `return model`.")
    if not isinstance(result, nn.Sequential):
        raise Wrong(f"your function returns {a_type(result)}; expected the trained model.")
    return result


@exercise(
    "transfer-fine-tune",
    "Write fine_tune(model, X, y, steps, body_lr, head_lr, n_frozen): freeze model[:n_frozen], "
    "then take `steps` Adam steps of cross-entropy on all of (X, y), the last layer at "
    "head_lr and the rest at body_lr; return the model.",
    hint="Three pieces you have written: freeze the first n_frozen layers, make one Adam "
    "optimizer with two parameter groups (before the loop), then repeat `steps` times: "
    "zero_grad, the loss of model(X) against y, backward, step.",
    solution=r"""def fine_tune(model, X, y, steps, body_lr, head_lr, n_frozen):
    "Freeze model[:n_frozen]; `steps` Adam steps on (X, y), model[-1] at head_lr, the rest at body_lr."
    for p in model[:n_frozen].parameters():
        p.requires_grad_(False)  # frozen: no gradient, Adam skips them
    optimizer = torch.optim.Adam(
        [
            {"params": model[:-1].parameters(), "lr": body_lr},
            {"params": model[-1].parameters(), "lr": head_lr},
        ]
    )
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
    return model
""",
)
def _fine_tune(fn):
    fn = _function(fn)
    for case in _TUNE_CASES:
        _tune_case(fn, *case)
    return (
        "the same weights as the package's adapt + train_steps: a frozen body, two learning "
        "rates, one optimizer. That is fine-tuning."
    )


def _tune_case(fn, n_frozen, steps, body_lr, head_lr, seed, n_images) -> None:
    """The learner's loop beside the package's on one case; :class:`Wrong` if they differ."""
    from dlhelpers.train.transfer import train_steps

    ref, X, y = _tune_setup(n_frozen, (body_lr, head_lr), seed, n_images)
    start = copy.deepcopy(ref.model).requires_grad_(True)
    model = copy.deepcopy(start)
    before = [p.detach().clone() for p in model.parameters()]
    result = fn(model, X.clone(), y.clone(), steps, body_lr, head_lr, n_frozen)
    result = _tuned_result(result, model, before)
    train_steps(ref, X, y, steps, batch_size=len(X))
    frozen = list(result[:n_frozen].parameters())
    if any(not p.detach().equal(q) for p, q in zip(frozen, before, strict=False)):
        raise Wrong(
            f"the first {n_frozen} layers (n_frozen) changed: freeze them "
            "(requires_grad_(False)) before training."
        )
    if any(p.requires_grad for p in frozen):
        raise Wrong("the frozen layers still have requires_grad=True: freeze them.")
    if _close(result, ref.model):
        return
    for variant, text in _TUNE_HINTS.items():
        replay = _tune_variant(
            copy.deepcopy(start), X, y, steps, (body_lr, head_lr), n_frozen, variant
        )
        if _close(result, replay):
            raise Wrong(text)
    raise Wrong(
        f"after {steps} steps your weights differ from the package's fine-tuning (same "
        "model, images and rates): one Adam, two groups, full-batch cross-entropy steps."
    )
