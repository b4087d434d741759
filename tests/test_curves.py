"""Comparison plots, the results table and learning-rate schedules (notebook 06)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

torch = pytest.importorskip("torch")

from dlhelpers.train import History, ScheduleStep, fit, scheduled_learning_rates  # noqa: E402
from dlhelpers.viz import plot_histories, results_table  # noqa: E402


def test_plot_histories_draws_each_run_train_and_val():
    runs = {
        "a": {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6]},
        "b": History(history={"loss": [0.9, 0.8, 0.7]}),
    }
    fig, ax = plt.subplots()
    lines = plot_histories(runs, "loss", ax=ax, logy=True)
    assert set(lines) == {"a", "a (val)", "b"}
    np.testing.assert_array_equal(lines["a (val)"].get_ydata(), [1.1, 0.7, 0.6])
    np.testing.assert_array_equal(lines["b"].get_xdata(), [1, 2, 3])
    assert lines["a"].get_color() == lines["a (val)"].get_color() != lines["b"].get_color()
    assert lines["a (val)"].get_linestyle() == "--"
    assert ax.get_yscale() == "log" and "validation dashed" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)


def test_plot_histories_without_val_and_new_figure():
    lines = plot_histories({"x": {"loss": [1, 2], "val_loss": [3, 4]}}, val=False)
    assert set(lines) == {"x"}
    assert lines["x"].axes.get_title() == "loss"
    plt.close(lines["x"].axes.figure)


def test_plot_histories_unknown_key():
    with pytest.raises(KeyError, match="no 'accuracy' curve"):
        plot_histories({"x": {"loss": [1.0]}}, "accuracy")


def test_results_table_formats():
    text = results_table(
        {
            "plain": {"acc": 0.875, "loss": 1.23456, "epochs": 200},
            "early stopping": {"acc": 0.9, "epochs": 26},
        },
        percent=("acc",),
    )
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].split() == ["acc", "loss", "epochs"]
    assert lines[1].split() == ["plain", "87.5%", "1.235", "200"]
    assert lines[2].split() == ["early", "stopping", "90.0%", "-", "26"]
    assert len({len(line) for line in lines}) == 1  # aligned


def test_scheduled_learning_rates_match_the_formulas():
    step_lr = torch.optim.lr_scheduler.StepLR
    step = scheduled_learning_rates(
        lambda opt: step_lr(opt, step_size=10, gamma=0.5), lr=0.2, epochs=30
    )
    k = np.arange(30)
    np.testing.assert_allclose(step, 0.2 * 0.5 ** (k // 10), rtol=1e-12)
    cosine = scheduled_learning_rates(
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30), lr=0.1, epochs=30
    )
    np.testing.assert_allclose(cosine, 0.05 * (1 + np.cos(np.pi * k / 30)), rtol=1e-10, atol=1e-15)
    assert len(step) == 30 and step[0] == 0.2


def test_schedule_step_in_fit_records_and_applies_the_rates():
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2, dtype=torch.float32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    callback = ScheduleStep(torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1))
    X = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    history = fit(
        model,
        (X, y),
        epochs=5,
        optimizer=optimizer,
        batch_size=10,
        loss_fn=torch.nn.CrossEntropyLoss(),
        callbacks=[callback],
    )
    assert len(history.epoch) == 5
    np.testing.assert_allclose(callback.learning_rates, [0.1, 0.1, 0.01, 0.01, 0.001], rtol=1e-9)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)  # 5 steps: 0.1 * 0.1 ** (5 // 2)
