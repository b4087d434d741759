"""Exercises of notebook 11: transfer learning."""

from __future__ import annotations

import dis

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
    return "freezing the convolutions saves little compute here: most parameters sit in the dense layers."


@exercise(
    "transfer-freeze",
    "Write freeze(module): stop every parameter of module from training.",
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
