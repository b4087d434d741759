"""Every judge against every family of wrong answers: no judge calls a wrong answer correct.

For each registered exercise the right answer is built from ``exercise_answers.py`` (its
stub-cell text, run in a namespace with what the notebook provides) and the stub from the
notebook's own stub cell. Then, for every key:

(a) the stub answers *not attempted*;
(b) a complex version of the right answer (``52650+0j``, a complex array, a function
    returning one), an infinite one, a NaN one, and for counts an integer off by a few, are
    *not yet*, and the judge never crashes on them; a function that ignores one of its
    parameters (it keeps the value of its first call) is *not yet*; so are the course's own
    wrong answers (``exercise_answers.py``), which the browser walk-through types;
(c) the right answer in several forms (int / NumPy scalar / 0-d tensor, list / tuple /
    array / tensor, a function returning a list / ndarray / float32 ndarray / tensor) is
    *correct*.

``KIND`` says what each answer is, so also which comparison its judge must use: counts,
shapes and indices are compared exactly, real-valued quantities with a tolerance. A key
without a kind fails :func:`test_every_exercise_is_covered`.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest
from exercise_answers import ANSWERS

from dlhelpers.checks import CHECK_CELL, check, load_exercises
from dlhelpers.scratch.value_nn import MLP as ValueMLP

torch = pytest.importorskip("torch")
nn = torch.nn

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# what each answer is: "count" (a whole number: exact), "real" (a real-valued quantity: a
# tolerance), "reals" and "counts" (a tuple of them), "open" (many right answers: a tuple or
# an array judged by what it does), "letter", "loss" (a torch loss), "fn-array" (a function
# returning a real array), "fn-real", "fn-count", "fn-tuple" (several real arrays or
# numbers), "fn-mask" (a boolean array), "fn-torch" (a function acting on a torch model, or building
# a model: a class)
KIND = {
    "welcome-fit": "open",
    "neuron-output": "fn-array",
    "leaky-relu": "fn-array",
    "tanh-derivative": "fn-array",
    "separate-blobs": "open",
    "networks-dense-forward": "fn-array",
    "networks-mlp-forward": "fn-array",
    "networks-param-count": "fn-count",
    "descent-cross-entropy": "fn-real",
    "descent-max-lr": "real",
    "descent-sgd-step": "fn-tuple",
    "descent-mse-gradient": "fn-array",
    "backprop-chain-rule": "real",
    "backprop-mlp": "fn-torch",
    "backprop-div-backward": "fn-tuple",
    "backprop-linear-backward": "fn-tuple",
    "pytorch-logits-loss": "loss",
    "pytorch-accuracy": "fn-real",
    "pytorch-train-epoch": "fn-torch",
    "pytorch-validation-split": "fn-torch",
    "training-well-adam-step": "fn-tuple",
    "training-well-dropout": "fn-array",
    "training-well-early-stop": "fn-tuple",
    "training-well-weight-decay": "real-open",
    "cnn-horizontal-edges": "open",
    "cnn-conv-loops": "fn-array",
    "cnn-output-size": "fn-count",
    "cnn-im2col": "fn-array",
    "cnn-conv2d": "fn-array",
    "cnn-receptive-field": "fn-count",
    "rnn-step": "fn-array",
    "rnn-linear-gradient": "fn-real",
    "rnn-lstm-step": "fn-tuple",
    "rnn-lstm-param-count": "count",
    "rnn-temperature": "fn-array",
    "attn-weights": "fn-array",
    "attn-score-spread": "real",
    "attn-causal-mask": "fn-mask",
    "attn-positions": "fn-array",
    "attn-self-attention": "fn-torch",
    "attn-block": "fn-torch",
    "gan-generator-gradient": "fn-real",
    "gan-optimal-d": "fn-array",
    "gan-equilibrium-loss": "real",
    "gan-mode-count": "fn-count",
    "gan-step": "fn-torch",
    "transfer-trainable": "count",
    "transfer-freeze": "fn-torch",
    "transfer-new-head": "fn-torch",
    "transfer-param-groups": "fn-torch",
    "transfer-fine-tune": "fn-torch",
    "bb-integrated-gradients": "fn-array",
    "bb-fgsm-step": "fn-array",
    "bb-pgd-step": "fn-array",
    "compute-linear-flops": "fn-count",
    "compute-conv-flops": "fn-count",
    "compute-allreduce-bytes": "count",
    "lm-bpe-merge": "fn-array",
    "lm-loss-per-char": "fn-real",
    "lm-top-p": "fn-array",
    "lm-kv-cache-numbers": "count",
    "diff-alphas-bar": "fn-array",
    "diff-q-sample": "fn-array",
    "diff-predict-x0": "fn-array",
    "diff-reverse-step": "fn-array",
}
FUNCTIONS = {key for key, kind in KIND.items() if kind.startswith("fn-")}

# the training labels notebook 05 passes (full MNIST's class sizes, sorted by digit)
Y_TRAIN = np.repeat(np.arange(10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])


def _notebook_exercises() -> dict[str, tuple[str, list[str], str]]:
    """key -> (the answer's name, the names of what the check passes on, the stub cell's text)."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        for above, cell in zip(cells, cells[1:], strict=False):
            source = "".join(cell["source"])
            if not CHECK_CELL.search(source):
                continue
            call = next(
                node.value
                for node in ast.parse(source).body
                if isinstance(node, ast.Expr) and getattr(node.value.func, "id", "") == "check"
            )
            key, answer, *given = (
                arg.value if i == 0 else arg.id for i, arg in enumerate(call.args)
            )
            found[key] = (answer, given, "".join(above["source"]))
    return found


EXERCISES = _notebook_exercises()


def _namespace() -> dict:
    """What the notebooks define before their exercises, as far as the answers use it."""
    import random

    from dlhelpers import scratch

    model = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)
    )
    from dlhelpers.train.transformer import causal_self_attention

    return {
        "np": np,
        "math": math,
        "torch": torch,
        "nn": nn,
        "F": nn.functional,
        "attention": causal_self_attention,  # notebook 09: the learner's, or the package's
        "scratch": scratch,
        "relu": scratch.relu,
        "Value": scratch.Value,
        "random": random,
        "model": model,
        "kernel": np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        "im2col": scratch.im2col,  # notebook 07 defines it before conv2d_im2col
        "y_train": Y_TRAIN,
    }


def _run_cell(key: str, source: str):
    """The answer that ``source`` (a stub cell's whole text) defines, and what the check passes on."""
    name, given, _ = EXERCISES[key]
    namespace = _namespace()
    exec(compile(source, f"<{key}>", "exec"), namespace)  # noqa: S102 - the course's own answers
    return namespace[name], tuple(namespace[g] for g in given)


def _right(key: str):
    return _run_cell(key, ANSWERS[key]["right"])


def test_every_exercise_is_covered():
    registered = set(load_exercises())
    assert registered == set(KIND), "give every exercise a KIND (and remove old ones)"
    assert registered == set(ANSWERS) == set(EXERCISES)


@pytest.mark.parametrize("key", sorted(KIND))
def test_a_the_stub_is_not_attempted(key):
    stub, given = _run_cell(key, EXERCISES[key][2])
    for answer in (stub, None, ...):
        feedback = check(key, answer, *given)
        assert feedback.status == "not attempted", (key, answer, feedback)
    right, given = _right(key)
    assert check(key, right, *given).status == "correct", key


# --- (b) wrong answers of every family, built from the right one -------------------------


def _complex(v):
    return [complex(v), np.complex128(v), np.array(v, dtype=complex), torch.tensor(complex(v))]


def _infinite(v):
    with np.errstate(over="ignore"):
        overflow = np.float64(v) * 1e308 * 1e308 if v else np.float64(1e308) * 1e308
    return [float("inf"), -np.inf, overflow, np.array(np.inf), torch.tensor(float("inf"))]


def _nan():
    return [float("nan"), np.float32("nan"), torch.tensor(float("nan"), requires_grad=True)]


def _wrong_numbers(kind: str, v) -> dict[str, list]:
    families = {
        "complex": _complex(v),
        "inf": _infinite(v),
        "nan": _nan(),
        "bool": [True, np.True_],
        "text": [str(v)],
    }
    if kind == "count":  # off by a few: exact, however large the count
        families["off"] = [v - 1, v + 1, v + 2, np.int64(v + 1), float(v - 1), v + 0.5]
    else:
        families["off"] = [float(v) + 1, float(v) - 1]
    return families


def _with_first(arr: np.ndarray, value) -> np.ndarray:
    out = np.array(arr, dtype=type(value) if isinstance(value, complex) else float)
    out.flat[0] = value
    return out


def _wrong_sequences(kind: str, v) -> dict[str, list]:
    arr = np.asarray(v, dtype=float)
    families = {
        "complex": [arr + 0j, [complex(x) for x in arr.ravel()] if arr.ndim == 1 else arr + 0j],
        "inf": [_with_first(arr, np.inf), [np.inf, *arr.ravel()[1:].tolist()]],
        "nan": [_with_first(arr, np.nan), torch.tensor(_with_first(arr, np.nan))],
        "text": [str(v)],
    }
    if arr.ndim == 1:
        families["complex"].append(tuple(np.complex128(x) for x in arr))
    if kind in ("counts", "reals"):  # one item off by one
        families["off"] = [_with_first(arr, arr.flat[0] + 1), tuple((arr + [0, 1]).tolist())]
    if kind == "counts":
        families["bool"] = [(True, *arr.tolist()[1:])]
    return families


def _wrong_others(kind: str, v) -> dict[str, list]:
    families = {
        "complex": [2 + 0j, np.complex128(1)],
        "inf": [float("inf"), np.array(np.inf)],
        "nan": [float("nan")],
        "bool": [True],
    }
    if kind == "letter":
        families["off"] = ["A", "C", "BC"]
    return families


def wrong_answers(key: str, right) -> dict[str, list]:
    """Family name -> wrong answers of that family, for an exercise whose answer is a value."""
    kind = KIND[key]
    if kind in ("count", "real", "real-open"):
        return _wrong_numbers(kind, right)
    if kind in ("counts", "reals", "open"):
        return _wrong_sequences(kind, right)
    return _wrong_others(kind, right)


VALUES = sorted(k for k in KIND if k not in FUNCTIONS)


@pytest.mark.parametrize("key", VALUES)
def test_b_wrong_values_of_every_family_are_not_yet(key):
    right, given = _right(key)
    missed = []
    for family, answers in wrong_answers(key, right).items():
        for answer in answers:
            feedback = check(key, answer, *given)
            said = feedback.message.lower()
            ok = feedback.status == "not yet" and "raised" not in said
            if family == "complex":
                ok = ok and "complex" in said  # the hint names the type
            if family in ("inf", "nan") and KIND[key] in ("count", "real", "real-open"):
                ok = ok and any(w in said for w in ("finite", "inf", "nan", "overflow"))
            if not ok:
                missed.append(f"{family}: {answer!r} -> {feedback}")
    assert not missed, "\n".join(missed)


# --- (b) for functions: a wrong version of the right function -----------------------------


def _ignoring(fn, i: int):
    """``fn`` that ignores its parameter ``i``: it keeps the value of its first call."""
    first = []

    def ignores(*args):
        if not first:
            first.append(args[i])
        return fn(*args[:i], first[0], *args[i + 1 :])

    return ignores


def _returning(fn, convert, kind: str):
    """``fn`` whose output (each item of it, for a tuple) goes through ``convert``."""

    def converted(*args):
        out = fn(*args)
        if kind == "fn-tuple":
            return type(out)(convert(o) for o in out)
        return convert(out)

    return converted


def _first_set(value):
    return lambda out: _with_first(np.asarray(out), value)


def _parameters(fn) -> int:
    import inspect

    return len(inspect.signature(fn).parameters)


def wrong_functions(key: str, right) -> dict[str, list]:
    """Family name -> wrong versions of the learner's right function."""
    kind = KIND[key]
    families = {"ignores": [_ignoring(right, i) for i in range(_parameters(right))]}
    if kind == "fn-torch":  # it returns a model or an optimizer: no number to make complex
        return families
    families["complex"] = [
        _returning(right, lambda o: np.asarray(o) + 0j, kind),
        _returning(right, lambda o: np.asarray(o).astype(np.complex64), kind),
    ]
    families["inf"] = [_returning(right, _first_set(np.inf), kind)]
    families["nan"] = [_returning(right, _first_set(np.nan), kind)]
    if kind != "fn-mask":
        families["off"] = [_returning(right, lambda o: np.asarray(o) + 1, kind)]
    return families


@pytest.mark.parametrize("key", sorted(FUNCTIONS))
def test_b_wrong_functions_of_every_family_are_not_yet(key):
    right, given = _right(key)
    missed = []
    for family, versions in wrong_functions(key, right).items():
        for i, fn in enumerate(versions):
            feedback = check(key, fn, *given)
            said = feedback.message.lower()
            ok = feedback.status == "not yet"
            if family != "ignores":  # a learner's crash is "raised"; the judge never crashes
                ok = ok and "raised" not in said
            if family == "complex":
                ok = ok and "complex" in said
            if not ok:
                missed.append(f"{family} #{i}: {feedback}")
    assert not missed, "\n".join(missed)


# --- (c) the right answer in several forms -----------------------------------------------


def _tensor(a, grad: bool):
    t = torch.tensor(np.asarray(a))
    return t.requires_grad_(True) if grad and t.is_floating_point() else t


def right_values(key: str, v) -> list:
    kind = KIND[key]
    if kind == "count":
        return [int(v), np.int64(v), np.int32(v), np.array(v), torch.tensor(int(v)), float(v)]
    if kind in ("real", "real-open"):
        return [
            float(v),
            np.float64(v),
            np.float32(v),
            np.array(v),
            torch.tensor(float(v), dtype=torch.float64, requires_grad=True),
        ]
    if kind in ("counts", "reals", "open"):
        arr = np.asarray(v)
        forms = [tuple(arr.tolist()), arr.tolist(), arr, _tensor(arr, grad=True)]
        if kind == "counts":
            return [*forms, np.asarray(v, dtype=np.int32), torch.Size(arr.tolist())]
        return [*forms, arr.astype(np.float32)]
    if kind == "letter":
        return [v, v.lower(), np.str_(v), f" {v} "]
    if kind == "loss":
        return [v, type(v), nn.CrossEntropyLoss(reduction="sum")]
    raise AssertionError(f"{key}: no forms for a {kind}")


def _attention_by_sdpa(h, p, n_heads):
    """Notebook 09's attention another right way: torch's fused attention, is_causal=True."""
    F = nn.functional
    qkv = F.linear(h, p["attn.in_proj_weight"], p["attn.in_proj_bias"])  # (B, T, 3C)
    q, k, v = (a.unflatten(-1, (n_heads, -1)).transpose(1, 2) for a in qkv.chunk(3, dim=-1))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, d_k)
    return F.linear(
        y.transpose(1, 2).flatten(-2), p["attn.out_proj.weight"], p["attn.out_proj.bias"]
    )


def _block_by_hand(x, p, n_heads, eps=1e-5):
    """Notebook 09's block another right way: layer norm written out (biased variance)."""
    from dlhelpers.train.transformer import causal_self_attention

    def norm(z, name):
        mean, var = z.mean(-1, keepdim=True), z.var(-1, keepdim=True, unbiased=False)
        return (z - mean) / (var + eps).sqrt() * p[f"{name}.weight"] + p[f"{name}.bias"]

    F = nn.functional
    x = x + causal_self_attention(norm(x, "norm1"), p, n_heads)
    hidden = F.gelu(F.linear(norm(x, "norm2"), p["mlp.0.weight"], p["mlp.0.bias"]))
    return x + F.linear(hidden, p["mlp.2.weight"], p["mlp.2.bias"])


def _one_step(model, xb, yb, loss_fn, optimizer):
    """One update, with zero_grad first: the loss as a 0-d tensor (no .item())."""
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _fits_split(X, y, fraction, seed):
    from dlhelpers.train import shuffle_split

    return shuffle_split(X, y, fraction, seed=seed)


# other right versions of the functions that act on torch models
TORCH_RIGHT = {
    "attn-self-attention": [_attention_by_sdpa],
    "attn-block": [_block_by_hand],
    # the package's own class is refused as an answer; a subclass written here is the learner's
    "backprop-mlp": [type("MLP", (ValueMLP,), {}), lambda n_in, sizes: ValueMLP(n_in, sizes)],
    "pytorch-train-epoch": [
        lambda model, batches, loss_fn, optimizer: (
            sum(_one_step(model, xb, yb, loss_fn, optimizer) for xb, yb in batches) / len(batches)
        )
    ],
    "pytorch-validation-split": [_fits_split],
    "transfer-freeze": [
        lambda module: module.requires_grad_(False),
        lambda module: [setattr(p, "requires_grad", False) for p in module.parameters()],
    ],
    "transfer-new-head": [
        lambda model, n: nn.Sequential(*model[:-1], nn.Linear(model[-1].in_features, n)),
        lambda model, n: model.__setitem__(-1, nn.Linear(model[-1].in_features, n)) or model,
    ],
    "transfer-param-groups": [
        lambda model, body_lr, head_lr: torch.optim.Adam(
            [
                {"params": model[-1].parameters(), "lr": head_lr},
                {"params": model[:-1].parameters()},
            ],
            lr=body_lr,
        ),
        lambda model, body_lr, head_lr: torch.optim.SGD(
            [
                {"params": list(model[:-1].parameters()), "lr": body_lr},
                {"params": list(model[-1].parameters()), "lr": head_lr},
            ]
        ),
    ],
    "gan-step": [
        lambda G, D, g_opt, d_opt, real, z: _gan_step_in_pieces(G, D, g_opt, d_opt, real, z),
    ],
    "transfer-fine-tune": [lambda *args: _fine_tune_by_layers(*args)],
}


def _gan_step_in_pieces(G, D, g_opt, d_opt, real, z):
    """Another right GAN step: one D call on real and fake together, softplus losses, lists."""
    f = torch.nn.functional
    with torch.no_grad():
        fake = G(z)
    logits = D(torch.cat([real, fake]))
    d_loss = f.softplus(-logits[: len(real)]).mean() + f.softplus(logits[len(real) :]).mean()
    D.zero_grad()
    d_loss.backward()
    d_opt.step()
    g_loss = f.softplus(-D(G(z))).mean()
    G.zero_grad()
    g_loss.backward()
    g_opt.step()
    return [d_loss, g_loss]


def _fine_tune_by_layers(model, X, y, steps, body_lr, head_lr, n_frozen):
    """Another right fine-tuning loop: only trainable parameters in the groups, a deep copy."""
    import copy

    model = copy.deepcopy(model)
    model[:n_frozen].requires_grad_(False)
    body = [p for p in model[:-1].parameters() if p.requires_grad]
    opt = torch.optim.Adam(
        [{"params": body}, {"params": model[-1].parameters(), "lr": head_lr}], lr=body_lr
    )
    for _ in range(steps):
        opt.zero_grad(set_to_none=False)
        torch.nn.functional.cross_entropy(model(X), y).backward()
        opt.step()
    return model


def right_functions(key: str, right) -> list:
    kind = KIND[key]
    if kind == "fn-torch":
        return [right, *TORCH_RIGHT[key]]
    if kind == "fn-mask":
        forms = [np.asarray, lambda o: np.asarray(o).tolist(), lambda o: torch.tensor(o)]
    elif kind == "fn-count":
        forms = [int, np.int64, lambda o: torch.tensor(int(o)), float]
    else:  # real arrays, tuples of them, real numbers
        forms = [
            lambda o: np.asarray(o).tolist(),
            lambda o: np.asarray(o, dtype=float),
            lambda o: np.asarray(o, dtype=np.float32),
            lambda o: _tensor(o, grad=True),
        ]
    return [right, *(_returning(right, form, kind) for form in forms)]


@pytest.mark.parametrize("key", sorted(KIND))
def test_c_the_right_answer_in_every_form_is_correct(key):
    right, given = _right(key)
    forms = right_functions(key, right) if key in FUNCTIONS else right_values(key, right)
    refused = [
        f"#{i} {form!r}: {feedback}"
        for i, form in enumerate(forms)
        if (feedback := check(key, form, *given)).status != "correct"
    ]
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("key", sorted(KIND))
def test_b_the_course_wrong_answers_are_not_yet(key):
    # the wrong answer and the one of the wrong type that the walk-through types in JupyterLab
    for kind in ("wrong", "wrong_type"):
        answer, given = _run_cell(key, ANSWERS[key][kind])
        feedback = check(key, answer, *given)
        assert feedback.status == "not yet" and "raised" not in feedback.message, (kind, feedback)
