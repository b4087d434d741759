"""The exercises of notebook 04 (dlhelpers.exercises.backprop): right, wrong and stub answers."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import check


def test_chain_rule():
    assert check("backprop-chain-rule", ...).status == "not attempted"
    assert check("backprop-chain-rule", -4.5).status == "correct"
    wrong = check("backprop-chain-rule", 3.0)  # de/db only
    assert wrong.status == "not yet" and "f" in wrong.message
    assert check("backprop-chain-rule", "six").status == "not yet"
    assert "-4.5" not in check("backprop-chain-rule", 1.0).message


def test_div_backward():
    def stub(a, b, out_grad): ...

    def stub_raises(a, b, out_grad):
        raise NotImplementedError

    def right(a, b, out_grad):
        return out_grad / b, -a / b**2 * out_grad

    def no_out_grad(a, b, out_grad):
        return 1 / b, -a / b**2

    def wrong_b(a, b, out_grad):
        return out_grad / b, a / b**2 * out_grad

    assert check("backprop-div-backward", stub).status == "not attempted"
    assert check("backprop-div-backward", stub_raises).status == "not attempted"
    assert check("backprop-div-backward", right).status == "correct"
    assert "grad_a" in check("backprop-div-backward", no_out_grad).message
    assert "grad_b" in check("backprop-div-backward", wrong_b).message
    assert check("backprop-div-backward", lambda a, b, g: 1.0).status == "not yet"
    assert check("backprop-div-backward", 3).status == "not yet"


def test_linear_backward():
    def right(x, weight, grad_out):
        return grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)

    def transposed(x, weight, grad_out):
        return grad_out @ weight, x.T @ grad_out, grad_out.sum(axis=0)

    def mean_bias(x, weight, grad_out):
        return grad_out @ weight, grad_out.T @ x, grad_out.mean(axis=0)

    def stub(x, weight, grad_out): ...

    assert check("backprop-linear-backward", right).status == "correct"
    assert check("backprop-linear-backward", stub).status == "not attempted"
    feedback = check("backprop-linear-backward", transposed)
    assert feedback.status == "not yet" and "grad_weight" in feedback.message
    feedback = check("backprop-linear-backward", mean_bias)
    assert feedback.status == "not yet" and "grad_bias" in feedback.message
    # The reference is what torch computes.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(4, 3)), dtype=torch.float64, requires_grad=True)
    lin = torch.nn.Linear(3, 2, dtype=torch.float64)
    grad_out = torch.tensor(rng.normal(size=(4, 2)), dtype=torch.float64)
    lin(x).backward(grad_out)
    got = right(x.detach().numpy(), lin.weight.detach().numpy(), grad_out.numpy())
    for g, t in zip(got, (x.grad, lin.weight.grad, lin.bias.grad), strict=True):
        np.testing.assert_allclose(g, t.numpy(), rtol=1e-12)


def _expected_numbers(arrays):
    """Every expected value as the checks would print it (6 and 4 significant digits)."""
    return {f"{v:{fmt}}" for a in arrays for v in np.ravel(a) for fmt in (".6g", ".4g")}


def test_linear_backward_hints_point_at_shapes_not_formulas():
    def transposed(x, weight, grad_out):
        return grad_out @ weight, x.T @ grad_out, grad_out.sum(axis=0)

    def x_wrong(x, weight, grad_out):
        return 2 * grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0)

    for wrong in (transposed, x_wrong):
        message = check("backprop-linear-backward", wrong).message
        assert "shape" in message and "chain rule" in message
        for formula in ("grad_out.T @ x", "grad_out @ weight", ".sum(", "transposed"):
            assert formula not in message
    rng = np.random.default_rng(4)
    x, weight, grad_out = (rng.normal(size=s) for s in ((5, 3), (2, 3), (5, 2)))
    want = (grad_out @ weight, grad_out.T @ x, grad_out.sum(axis=0))
    message = check("backprop-linear-backward", transposed).message
    assert not any(number in message for number in _expected_numbers(want))


@pytest.mark.parametrize("key, typical_wrong", [("backprop-chain-rule", 3)])
def test_a_string_gets_its_type_named_before_any_hint(key, typical_wrong):
    assert "de/db" in check(key, typical_wrong).message
    feedback = check(key, str(typical_wrong))
    assert feedback.status == "not yet" and "your answer is a str" in feedback.message, feedback
    assert "de/db" not in feedback.message and "path" not in feedback.message


def test_number_exercises_take_a_0d_tensor():
    torch = pytest.importorskip("torch")
    assert check("backprop-chain-rule", torch.tensor(-4.5)).status == "correct"


def test_div_backward_accepts_any_pair():
    def as_array(a, b, out_grad):
        return np.array([out_grad / b, -a / b**2 * out_grad])

    def as_list(a, b, out_grad):
        return [out_grad / b, -a / b**2 * out_grad]

    def one_element_arrays(a, b, out_grad):
        return np.array([out_grad / b]), np.array([-a / b**2 * out_grad])

    for right in (as_array, as_list, one_element_arrays):
        feedback = check("backprop-div-backward", right)
        assert feedback.status == "correct", feedback


def test_div_backward_names_wrong_types():
    expected = {
        (lambda a, b, g: "1 / b, -a / b**2"): "your function returns a str",
        (lambda a, b, g: ("1 / b", "-a / b**2")): "grad_a for a=6, b=3, out_grad=1 is a str",
        (lambda a, b, g: (np.array([g / b, 1.0]), 0.0)): "has shape (2,); expected a single number",
        (lambda a, b, g: (np.nan, 0.0)): "is nan",
        (lambda a, b, g: (1, 2, 3)): "a tuple of length 3",
    }
    for answer, says in expected.items():
        feedback = check("backprop-div-backward", answer)
        assert feedback.status == "not yet" and says in feedback.message, feedback
        assert "raised" not in feedback.message


def test_linear_backward_turns_a_shape_error_into_a_shape_hint():
    def weight_transposed(x, weight, grad_out):
        return grad_out @ weight.T, grad_out.T @ x, grad_out.sum(axis=0)

    def dot_transposed(x, weight, grad_out):
        return np.dot(grad_out, weight.T), grad_out.T @ x, grad_out.sum(axis=0)

    for wrong in (weight_transposed, dot_transposed):
        feedback = check("backprop-linear-backward", wrong)
        assert feedback.status == "not yet" and "shape" in feedback.message, feedback
        assert "raised" not in feedback.message and "core dimension" not in feedback.message
        for formula in ("grad_out.T @ x", "grad_out @ weight", ".sum(", "transpos"):
            assert formula not in feedback.message


def _mlp_from(source: str):
    import random

    from dlhelpers.scratch import Value

    namespace = {"Value": Value, "random": random}
    exec(source, namespace)  # noqa: S102 - the course's own answers
    return namespace["MLP"]


def test_mlp_right_stub_and_typical_mistakes():
    from dlhelpers.checks import load_exercises

    right = load_exercises()["backprop-mlp"].solution
    assert check("backprop-mlp", _mlp_from(right)).status == "correct"
    stub = right.replace(
        "        return [p for layer in self.layers for p in layer.parameters()]", "        ..."
    )
    assert check("backprop-mlp", _mlp_from(stub)).status == "not attempted"
    half = right.replace("[Neuron(n_in, activation) for _ in range(n_out)]", "...")
    assert check("backprop-mlp", _mlp_from(half)).status == "not attempted"
    mistakes = {
        "last layer": right.replace("activation=i < last", "activation=True"),
        "without any tanh": right.replace("activation=i < last", "activation=False"),
        "bias": right.replace("zip(self.w, x)), self.b)", "zip(self.w, x)), 0)"),
        "ReLU": right.replace("z.tanh() if", "z.relu() if"),
        "appear twice": right.replace(
            "[Neuron(n_in, activation) for _ in range(n_out)]", "[Neuron(n_in, activation)] * n_out"
        ),
        "no bias": right.replace("return self.w + [self.b]", "return self.w"),
        ".data": right.replace("wi * xi", "wi.data * xi"),
        "flatten": right.replace(
            "[p for neuron in self.neurons for p in neuron.parameters()]",
            "[neuron.parameters() for neuron in self.neurons]",
        ),
        "neuron by neuron": right.replace("return self.w + [self.b]", "return [self.b] + self.w"),
    }
    for word, source in mistakes.items():
        assert source != right, word
        feedback = check("backprop-mlp", _mlp_from(source))
        assert feedback.status == "not yet" and word in feedback.message, (word, feedback)
    assert "class MLP itself" in check("backprop-mlp", _mlp_from(right)(2, [3])).message
    assert check("backprop-mlp", "MLP").status == "not yet"


def test_mlp_judge_agrees_with_the_package_twin():
    from dlhelpers.scratch.value_nn import MLP

    class Learners(MLP):  # the package's own class is refused as an answer; a copy of it passes
        pass

    assert check("backprop-mlp", Learners).status == "correct"
    assert check("backprop-mlp", MLP).status == "not yet"
