"""Evaluation helpers, the NumPy training loop against torch, and notebook 05's exercises."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from dlhelpers.checks import check
from dlhelpers.scratch import Adam, CrossEntropyLoss, Linear, ReLU, Sequential
from dlhelpers.scratch.training import evaluate_scratch, fit_scratch, train_epoch
from dlhelpers.train import accuracy, confusion_matrix, misclassified
from dlhelpers.viz import plot_confusion_matrix, plot_digits


def test_confusion_matrix_counts(rng):
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, 200))
    cm = confusion_matrix(y_true, y_pred)
    assert cm.shape == (4, 4) and cm.sum() == 200
    assert np.array_equal(cm.sum(axis=1), np.bincount(y_true, minlength=4))
    assert np.array_equal(cm.sum(axis=0), np.bincount(y_pred, minlength=4))
    assert np.trace(cm) / 200 == pytest.approx(accuracy(y_true, y_pred))
    for i, j in [(0, 1), (2, 3), (3, 3)]:
        assert cm[i, j] == np.sum((y_true == i) & (y_pred == j))
    assert confusion_matrix([0, 1], [1, 1], n_classes=10).shape == (10, 10)
    sklearn = pytest.importorskip("sklearn.metrics")
    assert np.array_equal(cm, sklearn.confusion_matrix(y_true, y_pred))
    with pytest.raises(ValueError):
        confusion_matrix([0, 1], [1])


def test_misclassified_sorted_by_confidence():
    y_true = np.array([0, 1, 2, 1, 0])
    y_pred = np.array([0, 2, 2, 0, 1])
    assert misclassified(y_true, y_pred).tolist() == [1, 3, 4]
    proba = np.full((5, 3), 0.1)
    proba[1, 2], proba[3, 0], proba[4, 1] = 0.5, 0.9, 0.7
    assert misclassified(y_true, y_pred, proba).tolist() == [3, 4, 1]
    assert misclassified(y_true, y_pred, proba, limit=2).tolist() == [3, 4]
    assert misclassified(y_true, y_true).size == 0


def test_plot_confusion_matrix_writes_the_counts():
    cm = np.array([[5, 1], [0, 4]])
    fig = Figure()
    ax = fig.subplots()
    image, texts = plot_confusion_matrix(cm, ax=ax)
    assert [t.get_text() for t in texts.ravel()] == ["5", "1", "0", "4"]
    assert np.array_equal(image.get_array(), cm)
    _, texts = plot_confusion_matrix(cm, ax=Figure().subplots(), normalize=True)
    assert [t.get_text() for t in texts.ravel()] == ["0.83", "0.17", "0.00", "1.00"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"


def test_plot_digits_titles_and_colours(rng):
    images = rng.integers(0, 256, (5, 28, 28))
    artists = plot_digits(images, np.array([1, 2, 3, 4, 5]), np.array([1, 7, 3, 4, 0]), ncols=3)
    assert len(artists) == 5
    axes = [a.axes for a in artists]
    assert [ax.get_title() for ax in axes] == ["1→1", "2→7", "3→3", "4→4", "5→0"]
    assert axes[1].title.get_color() == "crimson" and axes[0].title.get_color() == "black"
    assert np.array_equal(artists[2].get_array(), images[2])
    flat = plot_digits(images.reshape(5, -1)[:2], np.array([1, 2]))
    assert flat[0].get_array().shape == (28, 28) and flat[1].axes.get_title() == "2"


def test_numpy_epoch_matches_torch_epoch(rng):
    torch = pytest.importorskip("torch")
    X = rng.normal(size=(100, 12))
    y = rng.integers(0, 4, 100)
    model = Sequential(Linear(12, 8, rng=rng), ReLU(), Linear(8, 4, rng=rng))
    twin = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    twin = twin.to(torch.float64)
    with torch.no_grad():
        for name, p in twin.named_parameters():
            p.copy_(torch.from_numpy(model.state_dict()[name]))
    loss = train_epoch(
        model, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), X, y, batch_size=16
    )  # in order: no rng
    opt = torch.optim.Adam(twin.parameters(), lr=0.01)
    losses = []
    for start in range(0, 100, 16):
        xb = torch.from_numpy(X[start : start + 16])
        yb = torch.from_numpy(y[start : start + 16])
        out = torch.nn.functional.cross_entropy(twin(xb), yb)
        opt.zero_grad()
        out.backward()
        opt.step()
        losses.append(out.item() * len(yb))
    assert loss == pytest.approx(sum(losses) / 100, rel=1e-12)
    for name, p in twin.named_parameters():
        np.testing.assert_allclose(model.state_dict()[name], p.detach().numpy(), atol=1e-12)


def test_fit_scratch_learns(rng):
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    model = Sequential(Linear(2, 16, rng=rng), ReLU(), Linear(16, 2, rng=rng))
    history = fit_scratch(
        model,
        (X, y),
        epochs=10,
        optimizer=Adam(model.parameters(), lr=0.02),
        loss_fn=CrossEntropyLoss(),
        val=(X, y),
    )
    assert len(history["loss"]) == 10 and history["loss"][-1] < history["loss"][0] / 2
    assert history["val_accuracy"][-1] > 0.95
    scores = evaluate_scratch(model, X, y, CrossEntropyLoss(), batch_size=64)
    assert scores["accuracy"] == pytest.approx(history["val_accuracy"][-1])


# --- exercises -----------------------------------------------------------------------------


def test_logits_loss_exercise():
    nn = pytest.importorskip("torch.nn")
    assert check("pytorch-logits-loss", nn.CrossEntropyLoss())
    assert check("pytorch-logits-loss", nn.CrossEntropyLoss)
    assert "LogSoftmax" in check("pytorch-logits-loss", nn.NLLLoss()).message
    assert check("pytorch-logits-loss", nn.MSELoss()).status == "not yet"
    assert check("pytorch-logits-loss", "CrossEntropyLoss").status == "not yet"
    assert check("pytorch-logits-loss", ...).status == "not attempted"


def test_accuracy_exercise():
    def right(logits, y):
        return float((np.argmax(logits, axis=1) == y).mean())

    def hits(logits, y):
        return int((np.argmax(logits, axis=1) == y).sum())

    def wrong_axis(logits, y):
        return float((np.argmax(logits, axis=0)[: len(y)] == y).mean())

    def stub(logits, y): ...

    assert check("pytorch-accuracy", right)
    assert "divide" in check("pytorch-accuracy", hits).message
    assert check("pytorch-accuracy", wrong_axis).status == "not yet"
    assert check("pytorch-accuracy", stub).status == "not attempted"


def test_prediction_explorer_moves(rng):
    from dlhelpers.explorers.predictions import build_prediction_explorer

    images = rng.integers(0, 256, (6, 28, 28))
    labels = np.array([0, 1, 2, 3, 4, 5])
    proba = np.full((6, 10), 0.02)
    proba[np.arange(6), [0, 7, 2, 9, 4, 5]] = 0.82  # images 1 and 3 are mistakes
    ex = build_prediction_explorer(images, labels, proba)
    assert ex.controls["index"].max == 1  # two mistakes
    assert "true <b>3</b>" in ex.status.value or "true <b>1</b>" in ex.status.value
    before, first = ex.image.value, ex.status.value
    ex.controls["index"].value = 1
    assert ex.image.value != before and ex.status.value != first
    ex.controls["show"].value = "all"
    assert ex.controls["index"].max == 5
    ex.controls["index"].value = 4
    assert "predicted <b>4</b>" in ex.status.value and "(right)" in ex.status.value
    heights = [bar.get_height() for bar in ex.figure.axes[1].patches]
    assert np.allclose(heights, proba[4])
    assert repr(ex) == "PredictionExplorer(show=all, index=4)"


def test_plot_digits_draws_on_the_given_axes(rng):
    fig = Figure()
    row = fig.subfigures(2, 1)[1].subplots(1, 4)
    artists = plot_digits(rng.random((3, 8, 8)), np.array([1, 2, 3]), ax=row)
    assert [a.axes for a in artists] == list(row[:3]) and len(fig.axes) == 4
    new = plot_digits(rng.random((3, 8, 8)), ncols=2)
    grid = new[0].axes.figure.axes
    assert len(grid) == 4 and not grid[3].get_visible()
    with pytest.raises(ValueError, match="at least 3 Axes"):
        plot_digits(rng.random((3, 8, 8)), ax=row[:2])
