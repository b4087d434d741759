"""The training loop: learning, history, callbacks, early stops that keep the model."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from dlhelpers.data import make_dataset  # noqa: E402
from dlhelpers.train import (  # noqa: E402
    Callback,
    EarlyStopping,
    History,
    LiveCurves,
    ProgressBar,
    evaluate,
    fit,
    predict,
    predict_proba,
    shuffle_split,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def blobs(n=400, seed=0):
    """Two well separated Gaussian blobs: any working loop gets them right."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) * 0.5 + np.where(y[:, None] == 1, 2.0, -2.0)
    return X.astype(np.float32), y


def small_net(seed=0, hidden=16):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))


def train(model, data, *, lr=0.05, epochs=5, **kw):
    return fit(
        model,
        data,
        epochs=epochs,
        optimizer=torch.optim.Adam(model.parameters(), lr=lr),
        loss_fn=nn.CrossEntropyLoss(),
        **kw,
    )


def test_fit_learns_a_separable_problem():
    X, y = blobs()
    model = small_net()
    before = evaluate(model, (X, y), nn.CrossEntropyLoss())
    history = train(model, (X, y), epochs=5)
    after = evaluate(model, (X, y), nn.CrossEntropyLoss())
    assert isinstance(history, History) and history.stop_reason is None
    assert after["accuracy"] == 1.0
    assert after["loss"] < before["loss"] / 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert (predict(model, X) == y).all()
    proba = predict_proba(model, X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_fit_learns_moons_with_tensors():
    X, y = make_dataset("moons", 600, noise=0.1, seed=1)
    model = small_net(hidden=32)
    history = train(model, (torch.tensor(X), torch.tensor(y)), lr=0.02, epochs=30, batch_size=64)
    assert history.history["accuracy"][-1] > 0.97


def test_history_keys_and_lengths():
    X, y = blobs()
    history = train(
        small_net(), (X[:300], y[:300]), epochs=4, val=(X[300:], y[300:]), batch_size=50
    )
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 4 for v in history.history.values())
    assert history.epoch == [1, 2, 3, 4]
    assert len(history.batch_losses) == 4 * 6  # 300 samples / 50 per batch
    assert history.params["n_train"] == 300 and history.params["n_val"] == 100
    assert all(math.isfinite(v) for values in history.history.values() for v in values)
    no_val = train(small_net(), (X, y), epochs=2)
    assert list(no_val.history) == ["loss", "accuracy"]


def test_fit_is_deterministic_given_the_seed():
    X, y = blobs()
    a = train(small_net(), (X, y), epochs=3, validation_split=0.25, seed=3)
    b = train(small_net(), (X, y), epochs=3, validation_split=0.25, seed=3)
    c = train(small_net(), (X, y), epochs=3, validation_split=0.25, seed=4)
    assert a.history == b.history
    assert a.batch_losses != c.batch_losses


def test_validation_split_shuffles_before_splitting():
    # sorted by class: Keras' "last 20 %" would hold out class 1 only
    X, y = blobs(500)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    seen = []

    class Spy(Callback):
        def on_train_begin(self, state):
            seen.append((state.n_train, state.n_val))

    model = small_net()
    history = train(model, (X, y), epochs=3, validation_split=0.2, callbacks=[Spy()])
    assert seen == [(400, 100)]
    # both classes in the validation part: its accuracy is meaningful and high
    assert history.history["val_accuracy"][-1] > 0.95
    # reproduce the split to check that both classes are held out
    (_, y_train), (_, y_val) = shuffle_split(torch.tensor(X), torch.tensor(y), 0.2, seed=0)
    assert set(y_val.tolist()) == {0, 1} and set(y_train.tolist()) == {0, 1}
    assert len(y_val) == 100 and len(y_train) == 400
    # the same split for NumPy arrays, as notebook 05 uses it
    (X_np, y_np), (_, yv_np) = shuffle_split(X, y, 0.2, seed=0)
    assert isinstance(X_np, np.ndarray) and np.array_equal(yv_np, y_val.numpy())
    with pytest.raises(ValueError, match=r"validation_split=1.5 must be in \(0, 1\)"):
        shuffle_split(X, y, 1.5)
    with pytest.raises(ValueError, match="either val or validation_split"):
        train(model, (X, y), val=(X, y), validation_split=0.2)


def test_early_stopping_stops_and_restores_best_weights():
    X, y = blobs(200)
    # the validation labels are flipped: val_loss gets worse as the model learns
    val = (X, 1 - y)
    model = small_net()
    stopper = EarlyStopping(monitor="val_loss", patience=2)
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, state):
            snapshots.append({k: v.clone() for k, v in state.model.state_dict().items()})

    history = train(model, (X, y), epochs=20, val=val, callbacks=[Snapshot(), stopper])
    assert len(history.epoch) < 20
    assert history.stop_reason.startswith("early stopping at epoch")
    best = int(np.argmin(history.history["val_loss"]))
    assert len(history.epoch) == best + 1 + 2  # patience epochs after the best
    for key, value in model.state_dict().items():
        assert torch.equal(value, snapshots[best][key])
    assert not torch.equal(model.state_dict()["0.weight"], snapshots[-1]["0.weight"])


def test_early_stopping_needs_the_monitored_key():
    X, y = blobs(100)
    with pytest.raises(KeyError, match="val_loss"):
        train(small_net(), (X, y), epochs=2, callbacks=[EarlyStopping()])


def test_nan_loss_stops_with_a_message_and_no_exception(capsys):
    X, y = blobs()
    model = small_net()
    history = fit(
        model,
        (X * 1e4, y),
        epochs=5,
        optimizer=torch.optim.SGD(model.parameters(), lr=1e6),
        loss_fn=nn.CrossEntropyLoss(),
    )
    reason = history.stop_reason
    assert reason is not None and "epoch 1, batch" in reason
    assert "lower the learning rate" in reason or "learning rate is probably too high" in reason
    assert reason.endswith("restored the initial weights")
    assert capsys.readouterr().out.strip() == reason
    assert len(history.epoch) == len(history.history["loss"]) < 5
    assert all(math.isfinite(v) for v in history.batch_losses)
    assert all(torch.isfinite(p).all() for p in model.parameters())


class NanAt:
    """Cross-entropy that returns NaN from a given (epoch, batch) on, as a diverging run does."""

    def __init__(self, epoch, batch, batches):
        self.at, self.batches, self.calls = (epoch - 1) * batches + batch, batches, 0
        self.loss = nn.CrossEntropyLoss()

    def __call__(self, logits, y):
        self.calls += 1
        loss = self.loss(logits, y)
        return loss * float("nan") if self.calls >= self.at else loss


class Snapshots(Callback):
    def on_train_begin(self, state):
        self.weights = {}

    def on_epoch_end(self, state):
        self.weights[state.epoch] = {k: v.clone() for k, v in state.model.state_dict().items()}


@pytest.mark.parametrize("early", [False, True])
def test_nan_restores_the_last_finite_weights(capsys, early):
    X, y = blobs(400)
    model, snaps = small_net(), Snapshots()
    callbacks = [snaps] + ([EarlyStopping(monitor="loss", patience=10)] if early else [])
    history = fit(
        model,
        (X, y),
        epochs=5,
        batch_size=20,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        loss_fn=NanAt(3, 12, batches=20),
        callbacks=callbacks,
        check_every=7,
    )
    restored = "the best weights (epoch 2)" if early else "the weights of epoch 2"
    assert history.stop_reason == (
        f"loss became nan at epoch 3, batch 12: lower the learning rate; restored {restored}"
    )
    assert capsys.readouterr().out.strip() == history.stop_reason
    assert history.epoch == [1, 2] and len(history.batch_losses) == 2 * 20 + 11
    for k, v in model.state_dict().items():
        assert torch.equal(v, snaps.weights[2][k])


def test_divergence_is_flagged_once_and_stops(capsys):
    X, y = blobs(400)
    model = small_net()
    history = fit(
        model,
        (X * 100, y),
        epochs=5,
        optimizer=torch.optim.Adam(model.parameters(), lr=1e6),
        loss_fn=nn.CrossEntropyLoss(),
    )
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0] == history.stop_reason
    assert history.stop_reason is not None
    assert "learning rate" in history.stop_reason
    assert all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(batch_size=0), "batch_size=0 must be at least 1"),
        (dict(batch_size=-3), "batch_size=-3 must be at least 1"),
        (dict(epochs=-1), "epochs=-1 must be at least 1"),
        (dict(epochs=0), "epochs=0 must be at least 1"),
        (dict(epochs=2.5), "epochs=2.5 is not a whole number"),
        (dict(check_every=0), "check_every=0 must be at least 1"),
        (dict(seed=-1), "seed=-1 must be at least 0"),
        (dict(validation_split=1.0), r"validation_split=1 must be in \(0, 1\)"),
        (dict(validation_split=-0.1), r"validation_split=-0.1 must be in \(0, 1\)"),
        (dict(metrics="acc"), "metric='acc' is not one of the choices: accuracy, token_accuracy"),
    ],
)
def test_bad_settings_are_refused(kw, match):
    X, y = blobs(100)
    with pytest.raises(ValueError, match=match):
        train(small_net(), (X, y), **{"epochs": 1, **kw})


def test_bad_data_is_refused():
    X, y = blobs(100)
    with pytest.raises(ValueError, match="the data set is empty"):
        train(small_net(), (X[:0], y[:0]), epochs=1)
    with pytest.raises(ValueError, match=r"X has shape \(100, 2\) and y \(99,\)"):
        train(small_net(), (X, y[:99]), epochs=1)
    with pytest.raises(ValueError, match="the data set is empty"):
        evaluate(small_net(), (X[:0], y[:0]), nn.CrossEntropyLoss())
    with pytest.raises(ValueError, match="batch_size=0 must be at least 1"):
        evaluate(small_net(), (X, y), nn.CrossEntropyLoss(), batch_size=0)


def test_nan_inputs_are_named_before_training():
    X, y = blobs(100)
    X[17, 0] = X[20, 1] = X[30, 0] = np.nan
    X[40, 1] = np.inf
    with pytest.raises(ValueError) as err:
        train(small_net(), (X, y), epochs=1)
    assert str(err.value) == (
        "the training inputs hold 3 NaN values and 1 inf value (first at row 17): "
        "clean the data first"
    )
    clean = blobs(100)[0]
    with pytest.raises(ValueError, match="the validation inputs hold 3 NaN values"):
        train(small_net(), (clean, y), epochs=1, val=(X, y))


class FailAt(Callback):
    def __init__(self, epoch, hook="on_epoch_end"):
        self.epoch, self.hook = epoch, hook

    def on_epoch_end(self, state):
        if self.hook == "on_epoch_end" and state.epoch == self.epoch:
            raise RuntimeError("boom")

    def on_train_end(self, state):
        if self.hook == "on_train_end":
            raise RuntimeError("boom at the end")


@pytest.mark.parametrize("hook", ["on_epoch_end", "on_train_end"])
def test_a_failing_callback_keeps_the_history_and_closes_the_bar(hook):
    X, y = blobs(100)
    bar = ProgressBar(file=io.StringIO(), mininterval=0)
    with pytest.raises(RuntimeError, match="boom") as err:
        train(small_net(), (X, y), epochs=3, callbacks=[FailAt(2, hook), bar])
    history = err.value.history
    assert isinstance(history, History)
    assert history.epoch == ([1, 2] if hook == "on_epoch_end" else [1, 2, 3])
    assert bar.bar.disable  # tqdm marks a closed bar disabled
    assert any("history" in note for note in err.value.__notes__)


def test_early_stopping_ignores_a_nan_validation_loss():
    stopper = EarlyStopping(patience=2)
    state = type("S", (), {})()
    state.model, state.logs = small_net(), {}
    stops = []
    state.stop = stops.append
    stopper.on_train_begin(state)
    for epoch, value in enumerate([0.5, float("nan"), 0.4, float("nan"), float("nan")], 1):
        state.epoch, state.logs = epoch, {"val_loss": value}
        stopper.on_epoch_end(state)
    assert stopper.best == 0.4 and stopper.best_epoch == 3
    assert len(stops) == 1 and "best 0.4 at epoch 3" in stops[0] and "nan" not in stops[0]


@pytest.mark.parametrize("metrics", ["accuracy", ["accuracy"]])
def test_a_single_metric_name_is_one_metric(metrics):
    X, y = blobs(100)
    history = train(small_net(), (X, y), epochs=1, metrics=metrics)
    assert set(history.history) == {"loss", "accuracy"}
    assert history.last("accuracy") > 0.5
    with pytest.raises(ValueError, match=r"metric='acc' is not one of the choices"):
        train(small_net(), (X, y), epochs=1, metrics="acc")


def test_a_callback_that_does_nothing_is_not_called():
    calls = []

    class Quiet(Callback):
        def __getattribute__(self, name):
            calls.append(name)
            return object.__getattribute__(self, name)

    X, y = blobs(100)
    train(small_net(), (X, y), epochs=2, callbacks=[Quiet()])
    assert "on_batch_end" not in calls and "on_epoch_end" not in calls


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, state):
        if (state.epoch, state.batch) == self.at:
            raise KeyboardInterrupt


def test_keyboard_interrupt_keeps_history_and_model(capsys):
    X, y = blobs()
    model = small_net()
    history = train(
        model, (X, y), epochs=5, val=(X, y), batch_size=40, callbacks=[InterruptAt(3, 4)]
    )
    assert history.stop_reason.startswith("interrupted at epoch 3, batch 4")
    assert "interrupted" in capsys.readouterr().out
    assert history.epoch == [1, 2] and all(len(v) == 2 for v in history.history.values())
    assert len(history.batch_losses) == 2 * 10 + 4
    assert not model.training
    assert evaluate(model, (X, y), nn.CrossEntropyLoss())["accuracy"] > 0.95
    # the model and its optimizer still work: training can go on
    more = train(model, (X, y), epochs=1)
    assert more.stop_reason is None


def test_live_curves_draw_and_throttle():
    X, y = blobs()
    curves = LiveCurves(min_interval=0.0)
    history = train(small_net(), (X, y), epochs=3, val=(X, y), callbacks=[curves])
    assert curves.live.refreshes >= 3 * len(X) // 32  # every batch when not throttled
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        xdata, ydata = curves.lines[key].get_data()
        assert list(xdata) == [1, 2, 3] and np.allclose(ydata, history.history[key])
    assert len(curves.lines["batch_loss"].get_xdata()) > 0
    assert set(curves.axes) == {"loss", "accuracy"}

    slow = LiveCurves(min_interval=3600.0)
    train(small_net(), (X, y), epochs=3, callbacks=[slow])
    assert slow.live.refreshes == 1  # throttled: only the final, forced redraw
    xdata, _ = slow.lines["loss"].get_data()
    assert list(xdata) == [1, 2, 3]  # ...which shows the final state


def test_progress_bar_counts_batches():
    X, y = blobs(100)
    out = io.StringIO()
    bar = ProgressBar(file=out, mininterval=0)
    train(small_net(), (X, y), epochs=2, batch_size=10, callbacks=[bar])
    assert bar.bar.n == 20 and bar.bar.total == 20
    assert "20/20" in out.getvalue()
    quiet = ProgressBar(quiet=True)
    train(small_net(), (X, y), epochs=1, callbacks=[quiet])
    assert quiet.bar.disable


def test_fit_follows_the_model_dtype():
    X, y = blobs(100)
    model = small_net().double()
    history = train(model, (X, y), epochs=1)
    assert history.stop_reason is None
    assert predict_proba(model, X).dtype == np.float64


class Ids(nn.Module):
    """A sequence model that insists on integer ids, as nn.Embedding does."""

    def __init__(self, vocab=5):
        super().__init__()
        self.embed, self.head = nn.Embedding(vocab, 8), nn.Linear(8, vocab)

    def forward(self, x):
        assert x.dtype == torch.int64, x.dtype
        return self.head(self.embed(x))  # (B, T, V)


def copy_task(n=256, T=6, vocab=5, seed=0):
    X = np.random.default_rng(seed).integers(0, vocab, (n, T))
    return X, X.copy()


def sequence_loss(logits, y):
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def test_integer_inputs_stay_integers_and_token_accuracy_is_one_name():
    torch.manual_seed(0)
    model = Ids()
    X, Y = copy_task()
    history = fit(
        model,
        (X, Y),
        epochs=3,
        batch_size=32,
        val=copy_task(seed=1),
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        loss_fn=sequence_loss,
        metrics="token_accuracy",
    )
    assert list(history.history) == ["loss", "token_accuracy", "val_loss", "val_token_accuracy"]
    assert 0.9 < history.last("val_token_accuracy") <= 1.0
    scores = evaluate(model, copy_task(seed=2), sequence_loss, metrics=("token_accuracy",))
    assert scores["token_accuracy"] == pytest.approx(history.last("val_token_accuracy"), abs=0.1)


def test_accuracy_refuses_sequence_logits_and_names_the_metric():
    model = Ids()
    with pytest.raises(ValueError, match=r"for sequences use metrics=\('token_accuracy',\)") as err:
        fit(
            model,
            copy_task(),
            epochs=1,
            optimizer=torch.optim.Adam(model.parameters()),
            loss_fn=sequence_loss,
        )
    assert "(32, 6, 5)" in str(err.value) and len(str(err.value).splitlines()) == 1
    with pytest.raises(ValueError, match="'accuracy' metric reads logits"):
        evaluate(model, copy_task(), sequence_loss)
    with pytest.raises(ValueError, match=r"predict reads logits \(N, n_classes\)"):
        predict(model, copy_task()[0])
    with pytest.raises(ValueError, match="'token_accuracy' metric reads logits"):
        evaluate(small_net(), blobs(50), nn.CrossEntropyLoss(), metrics="token_accuracy")


def test_float_targets_train_a_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = X @ np.array([[1.0], [-2.0]], dtype=np.float32)
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    history = fit(
        model,
        (X, y),
        epochs=30,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.05),
        loss_fn=nn.MSELoss(),
        metrics=(),
    )
    assert history.last("loss") < 0.01 * history.history["loss"][0]


@pytest.mark.parametrize(
    "data, match",
    [
        ((np.zeros((10, 2), np.uint8), np.zeros(10, int)), "bytes"),
        ((np.zeros((10, 2), bool), np.zeros(10, int)), "bool"),
        ((np.zeros((10, 2), complex), np.zeros(10, int)), "complex"),
        ((np.zeros((10, 2)), np.full(10, np.nan)), "training targets hold 10 NaN"),
        ((np.zeros((10, 2)), 3), "one label per sample"),
    ],
)
def test_data_fit_cannot_read_is_refused(data, match):
    with pytest.raises((TypeError, ValueError), match=match):
        train(small_net(), data, epochs=1)


def test_numpy_scalars_are_accepted():
    X, y = blobs(100)
    model = small_net()
    history = fit(
        model,
        (X, y),
        epochs=np.int64(2),
        batch_size=np.int32(25),
        seed=np.uint8(3),
        check_every=np.int16(2),
        validation_split=np.float32(0.2),
        optimizer=torch.optim.Adam(model.parameters(), lr=np.float32(0.01)),
        loss_fn=nn.CrossEntropyLoss(),
        callbacks=[EarlyStopping(patience=np.int64(2), min_delta=np.float32(0.0))],
    )
    assert history.epoch == [1, 2] and len(history.batch_losses) == 2 * 4
    assert evaluate(model, (X, y), nn.CrossEntropyLoss(), batch_size=np.int64(7))["accuracy"] > 0.9


def test_a_callback_puts_back_its_own_weights_after_a_divergence(capsys):
    X, y = blobs(400)
    model = small_net()

    class KeepFirst(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 1:
                self.weights = {k: v.clone() for k, v in state.model.state_dict().items()}

        def on_divergence(self, state):
            state.model.load_state_dict(self.weights)
            state.restored = "the weights KeepFirst kept"

    keep = KeepFirst()
    history = fit(
        model,
        (X, y),
        epochs=5,
        batch_size=20,
        optimizer=torch.optim.Adam(model.parameters(), lr=0.01),
        loss_fn=NanAt(3, 5, batches=20),
        callbacks=[keep],
    )
    assert history.stop_reason.endswith("; restored the weights KeepFirst kept")
    for k, v in model.state_dict().items():
        assert torch.equal(v, keep.weights[k])
    capsys.readouterr()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: EarlyStopping(patience=-1), "patience=-1 must be at least 0"),
        (lambda: EarlyStopping(mode="best"), "mode='best' is not one of the choices"),
        (lambda: EarlyStopping(min_delta=float("nan")), "min_delta=nan"),
        (lambda: ProgressBar(mininterval=-1), "mininterval=-1"),
    ],
)
def test_bad_callback_settings_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()
