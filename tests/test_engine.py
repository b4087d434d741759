"""The scalar autograd engine (dlhelpers.scratch.engine) against torch.autograd and
central differences, on hundreds of random expression graphs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dlhelpers.scratch import Value, backward_steps, numerical_gradient, topological_order

torch = pytest.importorskip("torch")

F64 = torch.float64
RTOL = 1e-10  # Value vs torch.autograd, both float64

# --- random expression graphs, replayable in Value, torch or plain floats ----------

EXPONENTS = (2, 3, -1, -2, 0.5, 1.5, -0.5, 0)
OPS = (
    "add",
    "sub",
    "mul",
    "div",
    "radd",
    "rsub",
    "rmul",
    "rdiv",
    "addc",
    "subc",
    "mulc",
    "divc",
    "neg",
    "pow",
    "exp",
    "log",
    "tanh",
    "relu",
    "sigmoid",
)


def apply(op: str, a, b, c):
    """One operation, written once so that Value and torch run the same code."""
    match op:
        case "add":
            return a + b
        case "sub":
            return a - b
        case "mul":
            return a * b
        case "div":
            return a / b
        case "radd":
            return c + a
        case "rsub":
            return c - a
        case "rmul":
            return c * a
        case "rdiv":
            return c / a
        case "addc":
            return a + c
        case "subc":
            return a - c
        case "mulc":
            return a * c
        case "divc":
            return a / c
        case "neg":
            return -a
        case "pow":
            return a**c
        case "exp" | "log" | "tanh" | "relu" | "sigmoid":
            return getattr(a, op)()
    raise AssertionError(op)


def allowed(op: str, a: float, b: float, c: float) -> bool:
    """Keep every step well away from poles, kinks and overflow (so central differences work)."""
    if op == "div":
        return abs(b) > 0.2
    if op == "rdiv":
        return abs(a) > 0.2
    if op == "log":
        return a > 0.1
    if op == "exp":
        return a < 3
    if op == "relu":
        return abs(a) > 1e-3 or a == 0.0
    if op == "pow":
        if c < 0 and abs(a) < 0.3:
            return False
        return float(c).is_integer() or a > 0.1
    return True


def random_recipe(
    seed: int, *, n_leaves: int | None = None, n_ops: int | None = None, chain: bool = False
):
    """Leaf values and a list of steps ``(op, i, j, c)`` over earlier nodes ``i, j``.

    Operands are often recent nodes and sometimes any earlier one, and ``i == j``
    happens, so graphs reuse nodes (``x * x``) and share subexpressions. With
    ``chain`` the first operand is always the newest node: a graph ``n_ops`` deep.
    """
    rng = np.random.default_rng(seed)
    n_leaves = n_leaves or int(rng.integers(1, 6))
    n_ops = n_ops or int(rng.integers(5, 60))
    leaves = rng.uniform(-2, 2, n_leaves).round(6).tolist()
    nodes, steps = list(leaves), []

    def pick() -> int:
        if rng.random() < 0.7:
            return int(rng.integers(max(0, len(nodes) - 6), len(nodes)))
        return int(rng.integers(0, len(nodes)))

    while len(steps) < n_ops:
        op = OPS[rng.integers(len(OPS))]
        i, j = (len(nodes) - 1 if chain else pick()), pick()
        c = float(rng.choice(EXPONENTS)) if op == "pow" else float(rng.uniform(-3, 3))
        if op in ("rdiv", "divc") and abs(c) < 0.2:
            c = 1.5
        a, b = nodes[i], nodes[j]
        if not allowed(op, a, b, c):
            continue
        out = apply(op, Value(a), Value(b), c).data
        if not math.isfinite(out) or abs(out) > 1e3:
            continue
        nodes.append(out)
        steps.append((op, i, j, c))
    # The root adds the last node to a few earlier ones: many paths reach it.
    for i in rng.integers(0, len(nodes), 3):
        steps.append(("add", len(nodes) - 1, int(i), 0.0))
        nodes.append(nodes[-1] + nodes[int(i)])
    return leaves, steps


def replay(leaves, steps):
    nodes = list(leaves)
    for op, i, j, c in steps:
        nodes.append(apply(op, nodes[i], nodes[j], c))
    return nodes[-1]


def value_grads(leaf_data, steps):
    leaves = [Value(x) for x in leaf_data]
    root = replay(leaves, steps)
    root.backward()
    return root.data, np.array([leaf.grad for leaf in leaves])


def torch_grads(leaf_data, steps):
    leaves = [torch.tensor(x, dtype=F64, requires_grad=True) for x in leaf_data]
    root = replay(leaves, steps)
    root.backward()
    grads = [0.0 if leaf.grad is None else leaf.grad.item() for leaf in leaves]
    return root.item(), np.array(grads)


def assert_close(got, want, rtol=RTOL):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


N_GRAPHS, CHUNK = 240, 30


@pytest.mark.parametrize("first", range(0, N_GRAPHS, CHUNK))
def test_random_graphs_match_torch_autograd(first):
    ops_seen = set()
    for seed in range(first, first + CHUNK):
        leaves, steps = random_recipe(seed)
        ops_seen.update(op for op, *_ in steps)
        value, grads = value_grads(leaves, steps)
        want_value, want_grads = torch_grads(leaves, steps)
        assert_close(value, want_value)
        assert_close(grads, want_grads)
    assert len(ops_seen) >= 15  # each chunk exercises nearly every operation


def test_random_graphs_cover_every_op_and_reuse_nodes():
    counts = {op: 0 for op in OPS}
    reused = 0
    for seed in range(N_GRAPHS):
        _, steps = random_recipe(seed)
        binary = ("add", "sub", "mul", "div")
        used = []
        for op, i, j, _ in steps:
            counts[op] += 1
            used += [i, j] if op in binary else [i]
        reused += len(used) - len(set(used))
    assert min(counts.values()) > 50, counts
    assert reused > 1000


@pytest.mark.parametrize("seed", range(1000, 1060))
def test_random_graphs_match_central_differences(seed):
    leaves, steps = random_recipe(seed)
    _, grads = value_grads(leaves, steps)
    numeric = numerical_gradient(
        lambda x: replay([Value(float(v)) for v in x], steps).data, np.array(leaves, dtype=float)
    )
    assert_close(grads, list(numeric), rtol=1e-5)


@pytest.mark.parametrize("n_ops", [1500, 3000])
def test_deep_chain_matches_torch(n_ops):
    leaves, steps = random_recipe(7, n_leaves=3, n_ops=n_ops, chain=True)
    value, grads = value_grads(leaves, steps)
    want_value, want_grads = torch_grads(leaves, steps)
    depth = {}
    for node in topological_order(replay([Value(x) for x in leaves], steps)):
        depth[id(node)] = 1 + max((depth[id(p)] for p in node._prev), default=-1)
    assert max(depth.values()) >= n_ops
    assert_close(value, want_value)
    assert_close(grads, want_grads)


def test_very_deep_chain_has_no_recursion_limit():
    x = Value(0.5, "x")
    y = x
    for _ in range(10_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert len(topological_order(y)) == 20_001 + 20_000  # nodes plus the constant leaves
    assert x.grad == 1.0


# --- single operations and the rules of accumulation --------------------------------


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_numbers_on_either_side(op):
    x = Value(1.7, "x")
    for got, want in [
        (apply(op, x, 2.5, 0), apply(op, 1.7, 2.5, 0)),
        (apply(op, 2.5, x, 0), apply(op, 2.5, 1.7, 0)),
        (apply(op, x, np.float64(2.5), 0), apply(op, 1.7, 2.5, 0)),
        (apply(op, 2, x, 0), apply(op, 2, 1.7, 0)),
    ]:
        assert isinstance(got, Value)
        assert got.data == pytest.approx(want, rel=1e-15)
    t = torch.tensor(1.7, dtype=F64, requires_grad=True)
    for left in (True, False):
        x.grad, t.grad = 0.0, None
        (apply(op, x, 2.5, 0) if left else apply(op, 2.5, x, 0)).backward()
        (apply(op, t, 2.5, 0) if left else apply(op, 2.5, t, 0)).backward()
        assert x.grad == pytest.approx(t.grad.item(), rel=1e-14)


def test_unary_minus_and_pow():
    x = Value(-1.5)
    y = -x
    assert y.data == 1.5 and y._op == "neg" and y._prev == (x,)
    y.backward()
    assert x.grad == -1.0
    x = Value(2.0)
    (x**3).backward()
    assert x.grad == pytest.approx(12.0)
    x = Value(4.0)
    (x**-0.5).backward()
    assert x.grad == pytest.approx(-0.5 * 4.0**-1.5)


def test_every_method_matches_its_torch_twin():
    for name in ("exp", "log", "tanh", "relu", "sigmoid"):
        for x0 in (0.3, 1.2, 40.0) + (() if name == "log" else (-0.7, -40.0)):
            x = Value(x0)
            t = torch.tensor(x0, dtype=F64, requires_grad=True)
            y, u = getattr(x, name)(), getattr(t, name)()
            y.backward()
            u.backward()
            assert y.data == pytest.approx(u.item(), rel=1e-14, abs=1e-300), (name, x0)
            assert x.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300), (name, x0)


def test_reused_node_accumulates():
    x = Value(3.0)
    (x * x).backward()  # d(x^2)/dx = 2x, not x
    assert x.grad == 6.0
    x = Value(3.0)
    (x + x + x).backward()
    assert x.grad == 3.0
    x = Value(3.0)
    (x - x).backward()
    assert x.grad == 0.0
    x = Value(3.0)
    (x / x).backward()
    assert x.grad == pytest.approx(0.0, abs=1e-15)


def test_shared_subexpression_sums_over_paths():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    e = a * b  # used twice below
    f = e + e.tanh() * e
    f.backward()
    ta = torch.tensor(2.0, dtype=F64, requires_grad=True)
    tb = torch.tensor(-3.0, dtype=F64, requires_grad=True)
    te = ta * tb
    (te + te.tanh() * te).backward()
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-14)
    dfde = 1 + math.tanh(-6.0) + (1 - math.tanh(-6.0) ** 2) * -6.0
    assert e.grad == pytest.approx(dfde, rel=1e-14)


def test_backward_twice_accumulates_leaves_like_torch():
    x = Value(1.5)
    y = (x * 2.0).tanh() + 0.0
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * once, rel=1e-15)  # leaves accumulate...
    assert y._prev[0].grad == 1.0  # ...intermediate nodes start afresh
    x.grad = 0.0
    y.backward(gradient=3.0)
    assert x.grad == pytest.approx(3 * once, rel=1e-15)


def test_leaf_backward_and_unused_leaves():
    x, unused = Value(2.0), Value(5.0)
    x.backward()
    assert x.grad == 1.0
    (x * 4.0).backward()
    assert unused.grad == 0.0


def test_backward_steps_visit_each_node_once_root_first():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    order = topological_order(d)
    assert order[-1] is d and set(map(id, order)) == {id(a), id(b), id(c), id(d)}
    assert order.index(c) < order.index(d) and order.index(a) < order.index(c)
    steps = list(backward_steps(d))
    assert steps == order[::-1]
    assert (a.grad, b.grad) == (3.0, 1.0)


def test_repr_and_label():
    x = Value(2.0, "x")
    assert repr(x) == "Value(data=2, grad=0, label='x')"
    assert x.label == "x" and x._op == "" and x._prev == ()
    y = x * 3
    assert y._op == "*" and y._prev[0] is x and y._prev[1].data == 3.0


# --- errors say what went wrong ----------------------------------------------------


def test_log_of_non_positive_raises_value_error_naming_the_value():
    with pytest.raises(ValueError, match=r"positive.*-2\.5"):
        Value(-2.5).log()
    with pytest.raises(ValueError, match=r"0\.0"):
        Value(0.0).log()


def test_pow_with_value_exponent_raises_type_error():
    with pytest.raises(TypeError, match="only numbers"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="only numbers"):
        2.0 ** Value(3.0)
    with pytest.raises(TypeError, match="only numbers"):
        Value(2.0) ** "3"
    with pytest.raises(ValueError, match="complex"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1


def test_bad_operands_and_data():
    with pytest.raises(TypeError, match="real number"):
        Value("3")
    with pytest.raises(TypeError, match="real number"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="another Value"):
        Value(Value(1.0))
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1.0] * Value(2.0)
    with pytest.raises(ZeroDivisionError, match="equal to 0"):
        Value(1.0) / 0
    with pytest.raises(OverflowError, match="overflows float64"):
        Value(1000.0).exp()


def test_overflow_is_one_clear_line():
    with pytest.raises(
        OverflowError, match=r"Value\(10\) \*\* 400 overflows float64 \(about 1e400\)"
    ):
        Value(10) ** 400
    with pytest.raises(OverflowError, match=r"Value\(1000\)\.exp\(\) overflows float64"):
        Value(1000.0).exp()
