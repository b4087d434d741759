"""Bad input to scratch/, data/, viz/ and env, by family: each test runs one family over every
function it concerns, and, where a torch twin exists, compares with torch in float64.

Families: NaN in -> NaN out (never a number); refused instead of silently wrong; zero-size
inputs that torch accepts; NumPy scalars accepted; wrong types and out-of-range values named.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import matplotlib.pyplot as plt  # noqa: E402

from dlhelpers import env, scratch  # noqa: E402
from dlhelpers.data import cache, load_mnist, load_mnist_sample, write_idx  # noqa: E402
from dlhelpers.data.images import grey_levels  # noqa: E402
from dlhelpers.data.small_digits import few_labels, split_small_digits  # noqa: E402
from dlhelpers.data.targets2d import (  # noqa: E402
    count_modes,
    histogram2d,
    js_divergence,
    mode_centres,
    sample_target,
)
from dlhelpers.data.text import random_windows  # noqa: E402
from dlhelpers.data.toy import make_circles, make_moons, make_spiral  # noqa: E402
from dlhelpers.data.transforms import shift_images  # noqa: E402
from dlhelpers.validate import ArgumentTypeError  # noqa: E402
from dlhelpers.viz import plot_digits  # noqa: E402


def _t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _same(ours, theirs):
    """Equal NaN positions, and equal values elsewhere."""
    ours, theirs = np.asarray(ours, dtype=float), theirs.detach().numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, equal_nan=True)


_R = np.random.default_rng(0)
_Q = _R.normal(size=(2, 3, 4))
_QN = _Q.copy()
_QN[0, 1, 2] = np.nan  # one query row of one batch
_KN = _Q.copy()
_KN[1, 0, 0] = np.nan  # one key: every query of that batch
_X = _R.normal(size=(2, 1, 4, 4))
_XN = _X.copy()
_XN[0, 0, 1, 1] = np.nan
_W = _R.normal(size=(2, 1, 3, 3))
_L = _R.normal(size=(3, 5))
_LN = _L.copy()
_LN[1, 2] = np.nan

# (name, ours, torch's) on inputs holding NaN
NAN_TWINS = [
    ("sdpa NaN key", lambda: scratch.scaled_dot_product_attention(_Q, _KN, _Q),
     lambda: F.scaled_dot_product_attention(_t(_Q), _t(_KN), _t(_Q))),
    ("softmax", lambda: scratch.softmax(_LN), lambda: torch.softmax(_t(_LN), -1)),
    ("log_softmax", lambda: scratch.log_softmax(_LN), lambda: torch.log_softmax(_t(_LN), -1)),
    ("relu", lambda: scratch.relu(_LN), lambda: torch.relu(_t(_LN))),
    ("sigmoid", lambda: scratch.sigmoid(_LN), lambda: torch.sigmoid(_t(_LN))),
    ("tanh", lambda: scratch.tanh(_LN), lambda: torch.tanh(_t(_LN))),
    ("gelu", lambda: scratch.gelu(_LN), lambda: F.gelu(_t(_LN))),
    ("leaky_relu", lambda: scratch.leaky_relu(_LN), lambda: F.leaky_relu(_t(_LN))),
    ("conv2d", lambda: scratch.conv2d(_XN, _W, padding=1),
     lambda: F.conv2d(_t(_XN), _t(_W), padding=1)),
    ("max_pool2d", lambda: scratch.max_pool2d(_XN, 2), lambda: F.max_pool2d(_t(_XN), 2)),
    ("avg_pool2d", lambda: scratch.avg_pool2d(_XN, 2), lambda: F.avg_pool2d(_t(_XN), 2)),
    ("cross_entropy", lambda: scratch.cross_entropy(_LN, np.array([0, 1, 2])),
     lambda: F.cross_entropy(_t(_LN), torch.tensor([0, 1, 2]))),
    ("mse", lambda: scratch.mse(_LN, _L), lambda: F.mse_loss(_t(_LN), _t(_L))),
]  # fmt: skip


@pytest.mark.parametrize("name, ours, theirs", NAN_TWINS, ids=[c[0] for c in NAN_TWINS])
def test_nan_in_gives_nan_out_as_torch(name, ours, theirs):
    with np.errstate(invalid="ignore"):
        _same(ours(), theirs())


@pytest.mark.parametrize("causal", [False, True])
def test_a_nan_query_row_stays_nan_and_the_other_rows_equal_torch(causal):
    """A query row holding NaN gives a NaN output row. Torch is no judge of that row: up to
    2.13 it gives NaN, 2.14 gives zeros (its safe softmax), which would hide the NaN."""
    ours = scratch.scaled_dot_product_attention(_QN, _Q, _Q, is_causal=causal)
    theirs = F.scaled_dot_product_attention(_t(_QN), _t(_Q), _t(_Q), is_causal=causal).numpy()
    assert np.isnan(ours[0, 1]).all()
    rest = np.ones(ours.shape[:2], dtype=bool)
    rest[0, 1] = False
    assert not np.isnan(ours[rest]).any()
    np.testing.assert_allclose(ours[rest], theirs[rest], rtol=1e-10, atol=1e-12)


def test_nan_in_the_attention_layer_gives_nan_out_as_torch():
    mha = scratch.MultiheadAttention(4, 2, batch_first=True)
    twin = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    twin.load_state_dict({k: _t(v) for k, v in mha.state_dict().items()})
    out, w = mha(_QN, _Q, _Q)
    t_out, t_w = twin(_t(_QN), _t(_Q), _t(_Q))
    _same(out, t_out)
    _same(w, t_w)


_RING = mode_centres("ring")
# NaN (or nothing) in, NaN out, for what has no torch twin: never 0 ("identical", "no modes")
NAN_OWN = [
    ("js_divergence NaN", lambda: js_divergence(np.array([0.5, np.nan]), np.array([0.5, 0.5]))),
    ("js_divergence empty", lambda: js_divergence(np.zeros(0), np.zeros(0))),
    ("js_divergence all zero", lambda: js_divergence(np.zeros(4), np.ones(4))),
    ("js of NaN points", lambda: js_divergence(
        histogram2d(np.full((5, 2), np.nan)), histogram2d(sample_target("ring", 50)))),
    ("count_modes NaN points", lambda: count_modes(np.full((5, 2), np.nan), _RING, 0.1)),
    ("count_modes some NaN", lambda: count_modes(np.r_[_RING, [[np.nan, 0]]], _RING, 0.1)),
    ("count_modes no points", lambda: count_modes(np.zeros((0, 2)), _RING, 0.1)),
]  # fmt: skip


@pytest.mark.parametrize("name, call", NAN_OWN, ids=[c[0] for c in NAN_OWN])
def test_nan_never_becomes_a_number(name, call):
    assert np.isnan(call())


def test_the_scores_still_work_on_finite_input():
    points = np.repeat(_RING, 10, axis=0)
    assert count_modes(points, _RING, 0.1) == 8
    h = histogram2d(points)
    assert js_divergence(h, h) == 0.0 and js_divergence(h, np.roll(h, 7)) > 0.5


def _float_mnist(tmp_path):
    files = {}
    for name, array in [
        ("xtr.idx", np.full((3, 28, 28), 0.5)),
        ("ytr.idx", np.arange(3, dtype=np.uint8)),
        ("xte.idx", np.zeros((2, 28, 28), np.uint8)),
        ("yte.idx", np.arange(2, dtype=np.uint8)),
    ]:
        path = write_idx(tmp_path / name, array)
        files[name] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return load_mnist(cache_dir=tmp_path, files=files, offline=True, verbose=False)


# (name, call, exception, words of the message): refused, never a silent wrong answer
REFUSED = [
    ("sdpa integer mask", lambda: scratch.scaled_dot_product_attention(
        _Q, _Q, _Q, attn_mask=np.ones((3, 3), int)), TypeError, "attn_mask of dtype int64"),
    ("MHA integer attn_mask", lambda: scratch.MultiheadAttention(4, 2)(
        _Q, _Q, _Q, attn_mask=np.zeros((2, 2), int)), TypeError, "attn_mask of dtype int64"),
    ("MHA integer key_padding_mask", lambda: scratch.MultiheadAttention(4, 2)(
        _Q, _Q, _Q, key_padding_mask=np.zeros((3, 2), int)), TypeError, "key_padding_mask of dtype"),
    ("float images for bytes", _float_mnist, ValueError, "holds float64 images"),
    ("floats above 1 as grey levels", lambda: grey_levels(np.full((2, 2), 200.0)),
     ValueError, "outside [0, 1]"),
    ("NaN grey levels", lambda: grey_levels(np.full((2, 2), np.nan)), ValueError, "NaN"),
    ("int32 pixels", lambda: grey_levels(np.zeros((2, 2), np.int32)), TypeError, "int32"),
    ("float class indices", lambda: scratch.cross_entropy(_L, np.array([0.0, 1.0, 2.5])),
     TypeError, "integer class indices"),
    ("float embedding indices", lambda: scratch.Embedding(3, 2)(np.array([0.5])),
     TypeError, "integer indices"),
    ("text as numbers", lambda: scratch.relu(np.array(["1"])), TypeError, "text"),
    ("NaN labels for few_labels", lambda: few_labels(np.array([0.0, np.nan, 1.0]), 1, 0),
     TypeError, "integer labels"),
    ("RNN over no steps (torch refuses)", lambda: scratch.RNN(3, 4)(np.zeros((0, 2, 3))),
     ValueError, "T >= 1"),
]  # fmt: skip


@pytest.mark.parametrize("name, call, error, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_instead_of_silently_wrong(name, call, error, words, tmp_path, monkeypatch):
    if call is _float_mnist:
        call = lambda: _float_mnist(tmp_path)  # noqa: E731
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


@pytest.mark.parametrize(
    "value", ["$DLHELPERS_UNSET_XYZ/data", "${DLHELPERS_UNSET_XYZ}", "~/$NOPE_XYZ"]
)
def test_an_unset_variable_in_the_data_folder_is_refused(value, monkeypatch, tmp_path):
    monkeypatch.delenv("DLHELPERS_UNSET_XYZ", raising=False)
    monkeypatch.delenv("NOPE_XYZ", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(cache.DATA_VARIABLE, value)
    with pytest.raises(ValueError, match="which is not set"):
        cache.data_dir("mnist")
    assert list(tmp_path.iterdir()) == []  # no literal '$VAR' folder
    monkeypatch.setenv("DLHELPERS_UNSET_XYZ", str(tmp_path))
    monkeypatch.setenv("NOPE_XYZ", "x")
    assert "$" not in str(cache.data_dir("mnist"))


# --- zero-size inputs that torch accepts, compared with torch (values and gradients) --------


def _conv_empty():
    x, w, b = np.zeros((0, 1, 5, 5)), _W, np.zeros(2)
    y = scratch.conv2d(x, w, b)
    gx, gw, gb = scratch.conv2d_backward(np.zeros(y.shape), x, w)
    tx, tw = _t(x).requires_grad_(), _t(w).requires_grad_()
    ty = F.conv2d(tx, tw, _t(b))
    ty.sum().backward()
    return [y, gx, gw, gb], [ty, tx.grad, tw.grad, torch.zeros(2, dtype=torch.float64)]


def _pool_empty(ours, backward, theirs):
    def run():
        x = np.zeros((0, 1, 4, 4))
        y = ours(x, 2)
        tx = _t(x).requires_grad_()
        ty = theirs(tx, 2)
        ty.sum().backward()
        return [y, backward(np.zeros(y.shape), x, 2)], [ty, tx.grad]

    return run


def _layer_empty(make, twin, x):
    def run():
        layer = make()
        t_layer = twin()
        if hasattr(t_layer, "weight") and getattr(layer, "weight", None) is not None:
            t_layer.load_state_dict({k: _t(v) for k, v in layer.state_dict().items()})
        y = layer(x)
        gx = layer.backward(np.zeros(y.shape))
        tx = _t(x).requires_grad_()
        ty = t_layer(tx)
        ty.sum().backward()
        return [y, gx], [ty, torch.zeros_like(tx)]

    return run


def _attention_zero_keys():
    k, v = np.zeros((2, 0, 4)), np.zeros((2, 0, 5))
    y, w = scratch.scaled_dot_product_attention(_Q, k, v, return_weights=True)
    grads = scratch.scaled_dot_product_attention_backward(np.ones(y.shape), _Q, k, v, w)
    tq, tk, tv = (_t(a).requires_grad_() for a in (_Q, k, v))
    ty = F.scaled_dot_product_attention(tq, tk, tv)
    ty.sum().backward()
    return [y, *grads], [ty, tq.grad, tk.grad, tv.grad]


def _attention_empty_batch():
    q, k, v = np.zeros((0, 3, 4)), np.zeros((0, 2, 4)), np.zeros((0, 2, 5))
    return [scratch.scaled_dot_product_attention(q, k, v)], [
        F.scaled_dot_product_attention(_t(q), _t(k), _t(v))
    ]


def _mha(q, k):
    def run():
        mha = scratch.MultiheadAttention(4, 2, batch_first=True)
        twin = torch.nn.MultiheadAttention(4, 2, batch_first=True)
        twin.load_state_dict({n: _t(v) for n, v in mha.state_dict().items()})
        out, w = mha(q, k, k)
        t_out, t_w = twin(_t(q), _t(k), _t(k))
        return [out, w, *mha.backward(np.zeros(out.shape))], [
            t_out, t_w, torch.zeros(q.shape), torch.zeros(k.shape), torch.zeros(k.shape)]  # fmt: skip

    return run


def _recurrent(cls, twin):
    def run():
        layer = cls(3, 4)
        t_layer = twin(3, 4)
        t_layer.load_state_dict({n: _t(v) for n, v in layer.state_dict().items()})
        x = np.zeros((5, 0, 3))
        out, _ = layer(x)
        t_out, _ = t_layer(_t(x))
        return [out, layer.backward(np.zeros(out.shape))], [t_out, torch.zeros(5, 0, 3)]

    return run


EMPTY = [
    ("conv2d N=0", _conv_empty),
    ("max_pool2d N=0", _pool_empty(scratch.max_pool2d, scratch.max_pool2d_backward, F.max_pool2d)),
    ("avg_pool2d N=0", _pool_empty(scratch.avg_pool2d, scratch.avg_pool2d_backward, F.avg_pool2d)),
    ("Conv2d N=0", _layer_empty(lambda: scratch.Conv2d(1, 2, 3), lambda: torch.nn.Conv2d(1, 2, 3),
                                np.zeros((0, 1, 5, 5)))),
    ("MaxPool2d N=0", _layer_empty(lambda: scratch.MaxPool2d(2), lambda: torch.nn.MaxPool2d(2),
                                   np.zeros((0, 1, 4, 4)))),
    ("AvgPool2d N=0", _layer_empty(lambda: scratch.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2),
                                   np.zeros((0, 1, 4, 4)))),
    ("Linear N=0", _layer_empty(lambda: scratch.Linear(3, 2), lambda: torch.nn.Linear(3, 2),
                                np.zeros((0, 3)))),
    ("Flatten N=0", _layer_empty(scratch.Flatten, torch.nn.Flatten, np.zeros((0, 2, 3)))),
    ("LayerNorm N=0", _layer_empty(lambda: scratch.LayerNorm(3), lambda: torch.nn.LayerNorm(3),
                                   np.zeros((0, 3)))),
    ("ReLU N=0", _layer_empty(scratch.ReLU, torch.nn.ReLU, np.zeros((0, 3)))),
    ("softmax C=0", lambda: ([scratch.softmax(np.zeros((2, 0)))], [torch.softmax(torch.zeros(2, 0), -1)])),
    ("log_softmax N=0", lambda: ([scratch.log_softmax(np.zeros((0, 3)))],
                                 [torch.log_softmax(torch.zeros(0, 3), -1)])),
    ("attention over zero keys", _attention_zero_keys),
    ("attention, empty batch", _attention_empty_batch),
    ("MultiheadAttention, empty batch", _mha(np.zeros((0, 3, 4)), np.zeros((0, 2, 4)))),
    ("MultiheadAttention over zero keys", _mha(_Q, np.zeros((2, 0, 4)))),
    ("RNN B=0", _recurrent(scratch.RNN, torch.nn.RNN)),
    ("LSTM B=0", _recurrent(scratch.LSTM, torch.nn.LSTM)),
    ("GRU B=0", _recurrent(scratch.GRU, torch.nn.GRU)),
]  # fmt: skip


@pytest.mark.parametrize("name, run", EMPTY, ids=[c[0] for c in EMPTY])
def test_zero_size_inputs_work_as_in_torch(name, run):
    torch.set_default_dtype(torch.float64)
    try:
        ours, theirs = run()
    finally:
        torch.set_default_dtype(torch.float32)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        _same(a, b)


# --- NumPy scalars accepted; wrong types and out-of-range values named ---------------------

_P = [scratch.Parameter(np.ones(2))]
_IDS = np.arange(50) % 7
# (argument, call(value), a NumPy value it takes, a wrong type, an out-of-range value)
SCALARS = [
    ("in_features", lambda v: scratch.Linear(v, 2), np.int64(3), "3", -1),
    ("out_channels", lambda v: scratch.Conv2d(1, v, 3), np.int32(2), 2.5, 0),
    ("stride", lambda v: scratch.conv2d(_X, _W, stride=v), np.int64(2), "1", 0),
    ("kernel_size", lambda v: scratch.max_pool2d(_X, v), np.int64(2), None, 0),
    ("size", lambda v: scratch.conv2d_output_size(v, 3), np.int64(28), "28", -1),
    ("lr", lambda v: scratch.Adam(_P, lr=v), np.float32(1e-3), "0.1", -1.0),
    ("momentum", lambda v: scratch.SGD(_P, lr=0.1, momentum=v), np.float32(0.9), [0.9], -0.5),
    ("p", lambda v: scratch.Dropout(v), np.float32(0.5), "0.5", 1.5),
    ("eps", lambda v: scratch.LayerNorm(3, eps=v), np.float32(1e-5), "1e-5", -1.0),
    ("num_embeddings", lambda v: scratch.Embedding(v, 2), np.int64(5), 5.5, 0),
    ("hidden_size", lambda v: scratch.LSTM(3, v), np.int64(4), "4", 0),
    ("num_heads", lambda v: scratch.MultiheadAttention(4, v), np.int64(2), "2", 0),
    ("scale", lambda v: scratch.scaled_dot_product_attention(_Q, _Q, _Q, scale=v),
     np.float32(0.5), "0.5", np.inf),
    ("eps", lambda v: scratch.numerical_gradient(np.sum, np.ones(2), eps=v), np.float32(1e-4), "1e-6", 0.0),
    ("n", lambda v: sample_target("ring", v), np.int64(10), "10", 0),
    ("bins", lambda v: histogram2d(np.zeros((3, 2)), bins=v), np.int64(10), 2.5, 0),
    ("threshold", lambda v: count_modes(_RING, _RING, 0.1, threshold=v), np.float32(0.1), "0.1", 2.0),
    ("n_samples", lambda v: make_moons(v), np.int64(20), "20", 0),
    ("noise", lambda v: make_circles(20, noise=v), np.float32(0.1), "0.1", -0.1),
    ("seed", lambda v: make_spiral(20, seed=v), np.int64(3), 1.5, -1),
    ("batch_size", lambda v: random_windows(_IDS, v, 4, 0), np.int64(3), "3", 0),
    ("seq_len", lambda v: random_windows(_IDS, 3, v, 0), np.int64(4), 4.5, 0),
    ("n_test", lambda v: load_mnist_sample(n_test=v), np.int64(100), "100", 5000),
    ("n_pool", lambda v: split_small_digits(np.zeros((9, 2)), np.arange(9), v), np.int64(4), "4", 0),
    ("per_class", lambda v: few_labels(np.arange(20) % 2, v, 0), np.int64(2), "2", 0),
    ("dx", lambda v: shift_images(np.zeros((2, 5, 5)), dx=v), np.int64(1), 1.5, None),
    ("seed", lambda v: env.set_seed(v), np.int64(0), "0", -1),
    ("ncols", lambda v: plot_digits(np.zeros((2, 4, 4)), ncols=v), np.int64(2), "2", 0),
]  # fmt: skip


@pytest.mark.parametrize(
    "name, call, good, wrong, out", SCALARS, ids=[f"{i}-{c[0]}" for i, c in enumerate(SCALARS)]
)
def test_numpy_scalars_pass_wrong_types_and_ranges_are_named(name, call, good, wrong, out):
    call(good)  # a NumPy scalar is a number like any other
    if wrong is not None:
        with pytest.raises(ArgumentTypeError, match=rf"^{name}="):
            call(wrong)
    if out is not None:
        with pytest.raises(ValueError, match=rf"^{name}=") as info:
            call(out)
        assert not isinstance(info.value, TypeError)  # a number, just out of range
    plt.close("all")


from dlhelpers import viz  # noqa: E402

# (name, call, words): each plot helper refuses what it cannot draw, in one line
UNDRAWABLE = [
    ("confusion matrix of floats", lambda: viz.plot_confusion_matrix(np.array([[1.5, 0], [0, 2]])),
     "counts"),
    ("confusion matrix with NaN", lambda: viz.plot_confusion_matrix(np.array([[np.nan, 0], [0, 2]])),
     "no NaN"),
    ("empty confusion matrix", lambda: viz.plot_confusion_matrix(np.zeros((0, 0), int)), "square"),
    ("no runs", lambda: viz.plot_histories({}), "runs is empty"),
    ("no digits", lambda: viz.plot_digits(np.zeros((0, 4, 4))), "nothing to draw"),
    ("no filters", lambda: viz.plot_filters(np.zeros((0, 1, 3, 3))), "nothing to draw"),
    ("no feature maps", lambda: viz.plot_feature_maps(np.zeros((0, 3, 3))), "nothing to draw"),
    ("no layer outputs", lambda: viz.plot_layer_outputs([], []), "0 outputs"),
    ("a one-layer network", lambda: viz.plot_network((3,)), "at least an input and an output"),
    ("an empty layer", lambda: viz.plot_network((3, 0)), "layer_sizes[1]=0"),
    ("too few axes", lambda: viz.plot_digits(np.zeros((3, 4, 4)), ax=plt.subplots(1, 2)[1]),
     "at least 3 Axes"),
    ("an unknown activation", lambda: viz.plot_activation("swish"), "name='swish'"),
]  # fmt: skip


@pytest.mark.parametrize("name, call, words", UNDRAWABLE, ids=[c[0] for c in UNDRAWABLE])
def test_plot_helpers_refuse_what_they_cannot_draw(name, call, words):
    try:
        with pytest.raises(ValueError) as info:
            call()
        assert words in str(info.value)
    finally:
        plt.close("all")
