"""The exercise checks: correct, not yet with a hint, not attempted, never the answer."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.checks import Feedback, check, load_exercises
from dlhelpers.scratch import leaky_relu, tanh


def test_every_exercise_module_loads_and_keys_are_unique():
    exercises = load_exercises()
    assert {"neuron-output", "leaky-relu", "tanh-derivative", "separate-blobs"} <= set(exercises)
    for key, ex in exercises.items():
        assert ex.key == key and ex.prompt


@pytest.mark.parametrize("stub", [None, ...])
def test_stub_answers_are_not_attempted(stub):
    result = check("neuron-output", stub)
    assert result.status == "not attempted" and not result


def test_function_that_is_still_a_stub_is_not_attempted():
    def body_is_ellipsis(x): ...

    def raises(x):
        raise NotImplementedError

    assert check("leaky-relu", body_is_ellipsis).status == "not attempted"
    assert check("leaky-relu", raises).status == "not attempted"


def test_correct_answers_pass():
    assert check("neuron-output", lambda X, w, b, activation: activation(X @ w + b))
    assert check("leaky-relu", lambda x: np.where(x > 0, x, 0.1 * x))
    assert check("tanh-derivative", lambda x: 1 - np.tanh(x) ** 2)
    assert check("separate-blobs", (1.0, 1.0, 0.0))


def test_wrong_answers_get_a_hint_but_never_the_answer():
    result = check("neuron-output", lambda X, w, b, activation: X @ w + b)
    assert result.status == "not yet"
    assert "weighted sum" in result.message and "activation" in result.message

    result = check("leaky-relu", lambda x: leaky_relu(x, 0.01))
    assert result.status == "not yet" and "0.1" in result.message
    wrong_at = -3.0 * 0.1
    assert f"{wrong_at:.6g}" not in result.message  # the expected value is never shown

    assert check("separate-blobs", (1.0, -1.0, 0.0)).status == "not yet"
    assert check("tanh-derivative", tanh).status == "not yet"


def test_crashing_answers_are_reported_not_raised():
    result = check("leaky-relu", lambda x: x.nonexistent)
    assert result.status == "not yet" and "AttributeError" in result.message
    assert check("separate-blobs", "abc").status == "not yet"
    assert check("neuron-output", "a string").status == "not yet"


def test_wrong_shape_is_named():
    result = check("tanh-derivative", lambda x: np.zeros(3))
    assert result.status == "not yet" and "shape" in result.message


def test_unknown_exercise_lists_known_ones():
    with pytest.raises(KeyError, match="neuron-output"):
        check("no-such-exercise", 1)


def test_feedback_text_and_truthiness():
    good = Feedback("k", "correct", "well done")
    assert bool(good) and str(good).startswith("✅ [k] correct")
    assert not Feedback("k", "not yet", "hint")


def test_welcome_fit_practice_exercise():
    assert check("welcome-fit", (2.0, -1.0))
    steep = check("welcome-fit", (4.0, -1.0))
    assert steep.status == "not yet" and "slope" in steep.message
    high = check("welcome-fit", (2.0, 1.0))
    assert high.status == "not yet" and "adjust b" in high.message
    assert check("welcome-fit", ...).status == "not attempted"


@pytest.mark.parametrize(
    "answer,status,says",
    [
        (..., "not attempted", "replace the `...`"),
        ((5.0, 5.0), "not yet", "adjust b"),
        ("2, -1", "not yet", "your answer is a str; expected a tuple of 2 numbers"),
        ({"w": 2}, "not yet", "your answer is a dict"),
        (print, "not yet", "expected a tuple of 2 numbers"),
        (3, "not yet", "your answer is an int"),
        ((2.0, "x"), "not yet", "item 1 of your answer is a str; expected a number"),
        ((float("nan"), 0), "not yet", "item 0 of your answer is nan"),
        ((float("inf"), 0), "not yet", "item 0 of your answer is inf"),
        ((2.0, -1.0), "correct", "mean squared error"),
        ([2.0, -1.0], "correct", "mean squared error"),
        (np.array([2.0, -1.0]), "correct", "mean squared error"),
    ],
)
def test_welcome_fit_matrix(answer, status, says):
    fb = check("welcome-fit", answer)
    assert fb.status == status, fb
    assert says in fb.message, fb


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "0.5", [0.5], True, print])
def test_number_close_never_passes_nan_or_a_non_number(bad):
    from dlhelpers.checks import Wrong, number_close

    with pytest.raises(Wrong):
        number_close(bad, 0.5, hint="")


def test_compare_arrays_blames_the_type_not_a_value_error():
    from dlhelpers.checks import Wrong, compare_arrays

    with pytest.raises(
        Wrong, match="your output is a str; expected an array of numbers of shape \\(2,\\)"
    ):
        compare_arrays("ab", np.zeros(2), what="your output")
    with pytest.raises(Wrong, match="inf or nan"):
        compare_arrays([np.nan, 0.0], np.zeros(2), what="your output")


def test_a_scalar_tensor_counts_as_its_number_but_never_nan_or_a_bool():
    torch = pytest.importorskip("torch")
    from dlhelpers.checks import Wrong, as_number, count_equal

    assert as_number(torch.tensor(3.5)) == 3.5
    assert as_number(torch.tensor(52650)) == 52650.0
    count_equal(torch.tensor(52650), 52650, hint="a 0-d tensor holds its count")  # no Wrong
    for bad, says in [
        (torch.tensor(True), "a bool"),
        (torch.tensor([1.0, 2.0]), "shape"),
        (torch.tensor(float("nan")), "finite"),
    ]:
        with pytest.raises(Wrong, match=says):
            as_number(bad)


def test_a_torch_module_is_not_taken_for_the_function_asked_for():
    torch = pytest.importorskip("torch")
    from dlhelpers.checks import Wrong, call_answer

    with pytest.raises(Wrong, match=r"expected a function \(a `def`\), got a Linear module"):
        call_answer(torch.nn.Linear(2, 2), np.zeros(2))
    assert call_answer(lambda x: x + 1, 1) == 2


def test_tanh_derivative_hint_points_to_the_table_not_the_formula():
    message = check("tanh-derivative", lambda x: 1 - np.tanh(x)).message
    assert "section 2" in message
    for giveaway in ("square", "1 minus", "1 - tanh", "1 - np.tanh", "tanh(x) ** 2", "tanh^2"):
        assert giveaway not in message


@pytest.mark.parametrize(
    "name, said",
    [("int", "an int"), ("str", "a str"), ("Linear", "a Linear"), ("LSTM", "an LSTM"),
     ("RNN", "an RNN"), ("GRU", "a GRU"), ("ndarray", "an ndarray"), ("Tensor", "a Tensor"),
     ("LSTMCell", "an LSTMCell"), ("GRUCell", "a GRUCell"), ("MLP", "an MLP")],
)  # fmt: skip
def test_type_names_get_the_article_they_are_read_with(name, said):
    from dlhelpers.checks import a_name

    assert a_name(name) == said


def test_text_is_never_read_as_numbers():
    from dlhelpers.checks import Wrong, array_of_shape, compare_arrays, float_array

    for text in ("12", ["1", "2"], np.array(["1", "2"]), [1.0, "2"]):
        with pytest.raises(TypeError):
            float_array(text)
        assert array_of_shape(text, (2,)) is None
    with pytest.raises(Wrong, match=r"your output holds a str; expected an array of numbers"):
        compare_arrays(["1", "2"], np.array([1.0, 2.0]), what="your output")
    assert float_array([1, 2]).dtype == np.float64 and float_array(np.float32(3)).shape == ()
    kernel = [["1", "0", "-1"], ["2", "0", "-2"], ["1", "0", "-1"]]
    assert check("cnn-horizontal-edges", kernel).status == "not yet"


@pytest.mark.parametrize(
    "bad, says",
    [
        (52650 + 0j, "complex"),
        (np.complex128(52650), "complex"),
        (np.array(52650, dtype=complex), "complex"),
        (True, "a bool"),
        (np.True_, "a bool"),
        ("52650", "a str"),
        (float("inf"), "finite"),
        (np.float32("nan"), "finite"),
        (10**400, "too large"),
        (np.array([1.0, 2.0]), r"shape \(2,\)"),
        (print, "expected a number"),
    ],
)
def test_the_number_reader_refuses_what_is_not_a_real_number(bad, says):
    from dlhelpers.checks import Wrong, as_count, as_number

    for read in (as_number, as_count):
        if read is as_count and isinstance(bad, int) and not isinstance(bad, bool):
            continue  # a huge int is a count, kept exact
        with pytest.raises(Wrong, match=says):
            read(bad)


def test_counts_are_exact_and_whole():
    from dlhelpers.checks import Wrong, as_count, count_equal

    big = 2 * 32 * 784 * 64
    count_equal(big, big, hint="")
    for near in (big - 1, big + 1, float(big) + 0.5):  # a relative tolerance would pass these
        with pytest.raises(Wrong):
            count_equal(near, big, hint="")
    assert as_count(np.int64(7)) == 7 and as_count(7.0) == 7 and as_count(np.array(7)) == 7
    with pytest.raises(Wrong, match="not a whole number"):
        as_count(6.5)


def test_the_array_reader_refuses_complex_booleans_and_text_and_reads_tensors():
    torch = pytest.importorskip("torch")
    from dlhelpers.checks import Wrong, compare_arrays, float_array, not_numbers

    assert not_numbers(np.array([1 + 0j])) == "holds complex numbers"
    assert not_numbers([1.0, 2j]) == "holds complex numbers"
    assert not_numbers(np.array([True, False])).startswith("holds booleans")
    assert not_numbers([1.0, "2"]) == "holds a str"
    for bad in (np.array([1 + 0j, 2]), [True, False]):
        with pytest.raises(TypeError):
            float_array(bad)
        with pytest.raises(Wrong):
            compare_arrays(bad, np.array([1.0, 0.0]), what="your output")
    grad = torch.tensor([1.0, 2.0], requires_grad=True)
    assert float_array(grad).tolist() == [1.0, 2.0]
    compare_arrays(grad, np.array([1.0, 2.0]), what="your output")


def test_a_solution_is_shown_only_after_a_first_attempt(monkeypatch):
    from dlhelpers import checks

    monkeypatch.setattr(checks, "_ATTEMPTED", set())
    before = checks.solution("leaky-relu")
    assert isinstance(before, Feedback) and before.status == "not attempted"
    assert "try it first" in str(before) and "0.1" not in str(before)
    # a stub is not an attempt, nor is the stub cell's function whose body is still `...`
    check("leaky-relu", ...)
    check("leaky-relu", lambda x: ...)
    assert isinstance(checks.solution("leaky-relu"), Feedback)
    check("leaky-relu", lambda x: x)  # a wrong attempt counts
    shown = checks.solution("leaky-relu")
    assert isinstance(shown, checks.Solution)
    assert "def my_leaky_relu" in str(shown) and "```python" in shown._repr_markdown_()
    with pytest.raises(KeyError, match="known exercises"):
        checks.solution("no-such-exercise")


def test_every_solution_is_code_that_parses_and_a_hint_never_reads_as_correct():
    import ast

    from dlhelpers import checks

    for key, found in load_exercises().items():
        assert found.solution.strip(), f"{key} has no worked solution"
        assert len(found.hint) > 20, f"{key} has no hint"
        ast.parse(found.solution)  # a SyntaxError names the exercise's code
        given = checks.hint(key)
        assert not given and "hint:" in str(given), key


def test_the_course_own_function_is_not_an_answer(monkeypatch):
    from dlhelpers import checks
    from dlhelpers.scratch import leaky_relu as package_leaky_relu
    from dlhelpers.scratch.diffusion import alphas_bar

    monkeypatch.setattr(checks, "_ATTEMPTED", set())
    for key, own in [("leaky-relu", package_leaky_relu), ("diff-alphas-bar", alphas_bar)]:
        said = check(key, own)
        assert said.status == "not yet" and "course's own" in str(said), key
    # the learner's own function that calls numpy is fine
    assert check("leaky-relu", lambda x: np.where(x > 0, x, 0.1 * x))
