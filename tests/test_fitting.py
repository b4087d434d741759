"""The 1-D fitting explorer of notebook 02: pure fit, then the widget."""

from __future__ import annotations

import numpy as np
import pytest

from dlhelpers.explorers.fitting import TARGETS, build_fit_explorer, fit_hidden_units


@pytest.mark.parametrize("target", ["sin", "bump", "|x|"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_more_units_fit_better(target, activation):
    few = fit_hidden_units(target, 1, activation)
    many = fit_hidden_units(target, 20, activation)
    assert many.mse < 0.2 * few.mse
    assert many.mse < 0.01


def test_fit_result_is_consistent_and_deterministic():
    result = fit_hidden_units("sin", 7, "sigmoid")
    assert result.contributions.shape == (7, result.x.size)
    np.testing.assert_allclose(
        result.contributions.sum(0) + result.output_bias, result.prediction, atol=1e-12
    )
    np.testing.assert_allclose(result.model(result.x[:, None])[:, 0], result.prediction, atol=1e-12)
    np.testing.assert_allclose(result.target, TARGETS["sin"](result.x))
    assert result.n_parameters == 3 * 7 + 1
    assert result.switch_points.shape == (7,)
    assert result.losses[-1] <= result.losses[0]  # training did not make it worse
    again = fit_hidden_units("sin", 7, "sigmoid")
    np.testing.assert_array_equal(again.prediction, result.prediction)


def test_fit_accepts_a_function_and_rejects_bad_arguments():
    result = fit_hidden_units(lambda x: 0.5 * x, 2, "relu")
    assert result.mse < 1e-3
    with pytest.raises(ValueError, match="target='cosh' is not one of the choices"):
        fit_hidden_units("cosh", 3)
    with pytest.raises(ValueError, match="activation='gelu' is not one of the choices"):
        fit_hidden_units("sin", 3, "gelu")
    with pytest.raises(ValueError, match="at least 1"):
        fit_hidden_units("sin", 0)


def test_explorer_redraws_when_controls_move():
    ex = build_fit_explorer(target="sin", n_hidden=2, activation="relu")
    image, fit = ex.image.value, ex.view.fit_line.get_ydata().copy()
    mse_2 = ex.view.result.mse
    assert "2 hidden units" in ex.status.value
    ex.controls["n_hidden"].value = 25
    assert ex.image.value != image
    assert not np.allclose(ex.view.fit_line.get_ydata(), fit)
    assert ex.view.result.mse < mse_2
    assert len(ex.view.units.get_segments()) == 25
    assert "25 hidden units" in ex.status.value
    image = ex.image.value
    ex.controls["target"].value = "step"
    assert ex.image.value != image
    np.testing.assert_allclose(ex.view.target_line.get_ydata(), TARGETS["step"](ex.view.result.x))
    image = ex.image.value
    ex.controls["activation"].value = "tanh"
    assert ex.image.value != image
    assert ex.summary() == "FitExplorer(target=step, n_hidden=25, activation=tanh)"


def test_fit_explorer_bad_input_names_the_choices():
    with pytest.raises(ValueError, match="target='cos' is not one of the choices: sin"):
        build_fit_explorer(target="cos")
    with pytest.raises(ValueError, match="n_hidden=2.5 is not a whole number"):
        build_fit_explorer(n_hidden=2.5)
