"""NumPy RNN, LSTM and GRU against torch.nn in float64: outputs, BPTT gradients, numerical checks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dlhelpers.scratch.gradcheck import gradcheck
from dlhelpers.scratch.recurrent import (
    GRU,
    LSTM,
    RNN,
    grad_norms_through_time,
    lstm_cell,
    lstm_step,
    lstm_step_backward,
)

torch = pytest.importorskip("torch")
F64 = torch.float64
TOL = dict(rtol=1e-9, atol=1e-11)
KINDS = {
    "rnn_tanh": (RNN, torch.nn.RNN, {}),
    "rnn_relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTM, torch.nn.LSTM, {}),
    "gru": (GRU, torch.nn.GRU, {}),
}
CELLS = {RNN: torch.nn.RNNCell, LSTM: torch.nn.LSTMCell, GRU: torch.nn.GRUCell}


def _configs(n: int, seed: int = 0) -> list[dict]:
    r = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append(
            dict(
                C=int(r.integers(1, 7)),
                H=int(r.integers(1, 9)),
                T=int(r.integers(1, 12)),
                B=int(r.integers(1, 5)),
                batch_first=bool(i % 2),
                bias=bool(i % 3),
                hx=bool(i % 4 < 2),
                batched=i % 5 != 4,
            )
        )
    return out


CONFIGS = _configs(12)


def _pair(kind: str, cfg: dict, rng):
    cls, tcls, kw = KINDS[kind]
    ours = cls(cfg["C"], cfg["H"], bias=cfg["bias"], batch_first=cfg["batch_first"], rng=rng, **kw)
    twin = tcls(
        cfg["C"], cfg["H"], bias=cfg["bias"], batch_first=cfg["batch_first"], dtype=F64, **kw
    )
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return ours, twin


def _shapes(layer, cfg):
    T, B, C, H = cfg["T"], cfg["B"], cfg["C"], cfg["H"]
    if not cfg["batched"]:
        return (T, C), (1, H)
    return ((B, T, C) if layer.batch_first else (T, B, C)), (1, B, H)


@pytest.mark.parametrize("cfg", CONFIGS, ids=[f"cfg{i}" for i in range(len(CONFIGS))])
@pytest.mark.parametrize("kind", list(KINDS))
def test_matches_torch(kind, cfg, rng):
    ours, twin = _pair(kind, cfg, rng)
    x_shape, h_shape = _shapes(ours, cfg)
    lstm = isinstance(ours, LSTM)
    x = rng.normal(size=x_shape)
    states = [rng.normal(size=h_shape) for _ in range(2 if lstm else 1)] if cfg["hx"] else []
    xt = torch.tensor(x, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in states]
    hx = (tuple(states) if lstm else states[0]) if states else None
    hxt = (tuple(st) if lstm else st[0]) if st else None

    out, h_n = ours(x, hx)
    out_t, h_n_t = twin(xt, hxt)
    finals, finals_t = (h_n, h_n_t) if lstm else ((h_n,), (h_n_t,))
    np.testing.assert_allclose(out, out_t.detach().numpy(), **TOL)
    assert len(finals) == len(finals_t)
    for a, b in zip(finals, finals_t, strict=True):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a, b.detach().numpy(), **TOL)

    g = rng.normal(size=out.shape)
    g_finals = [rng.normal(size=f.shape) for f in finals]
    loss = (out_t * torch.tensor(g)).sum()
    for f, gf in zip(finals_t, g_finals, strict=True):
        loss = loss + (f * torch.tensor(gf)).sum()
    loss.backward()
    dx = ours.backward(g, *g_finals)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL)
    grads_hx = ours.grad_hx if lstm else (ours.grad_hx,)
    for ours_g, s in zip(grads_hx, st, strict=False):
        np.testing.assert_allclose(ours_g, s.grad.numpy(), **TOL)
    params_t = dict(twin.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(params_t)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, params_t[name].grad.numpy(), **TOL, err_msg=name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_names_shapes_and_init_follow_torch(kind, rng):
    cls, tcls, kw = KINDS[kind]
    ours, twin = cls(3, 7, rng=rng, **kw), tcls(3, 7, **kw)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in twin.state_dict().items()
    }
    bound = 1 / np.sqrt(7)
    for p in ours.parameters():
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > bound / 2
    assert [n for n, _ in cls(3, 7, bias=False, **kw).named_parameters()] == [
        "weight_ih_l0",
        "weight_hh_l0",
    ]


@pytest.mark.parametrize("kind", list(KINDS))
def test_numerical_gradients(kind, rng):
    cls, _, kw = KINDS[kind]
    layer = cls(2, 3, batch_first=True, rng=rng, **kw)
    x = rng.normal(size=(2, 4, 2))
    out = layer(x)[0]
    g = rng.normal(size=out.shape)
    layer.zero_grad()
    dx = layer.backward(g)
    assert gradcheck(lambda v: layer(v)[0], x, dx, grad_output=g, rtol=1e-6, atol=1e-8)
    for name, p in layer.named_parameters():
        try:
            gradcheck(lambda _: layer(x)[0], p.data, p.grad, grad_output=g, rtol=1e-6, atol=1e-8)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None


def test_lstm_numerical_gradient_of_the_initial_state(rng):
    lstm = LSTM(2, 3, rng=rng)
    x, h0, c0 = rng.normal(size=(5, 2)), rng.normal(size=(1, 3)), rng.normal(size=(1, 3))
    loss = lambda: lstm(x, (h0, c0))[1][1].sum() + lstm(x, (h0, c0))[0][-2].sum()
    out, (_, c_n) = lstm(x, (h0, c0))
    g = np.zeros_like(out)
    g[-2] = 1
    lstm.backward(g, None, np.ones_like(c_n))
    dh0, dc0 = lstm.grad_hx
    assert gradcheck(lambda _: loss(), h0, dh0) and gradcheck(lambda _: loss(), c0, dc0)


def test_backward_accumulates_and_takes_a_loss_on_h_n_only(rng):
    rnn = RNN(3, 4, rng=rng)
    x = rng.normal(size=(6, 2, 3))
    _, h_n = rnn(x)
    gh = rng.normal(size=h_n.shape)
    dx = rnn.backward(None, gh)
    once = {n: p.grad.copy() for n, p in rnn.named_parameters()}
    np.testing.assert_allclose(rnn.backward(np.zeros((6, 2, 4)), gh), dx)
    for name, p in rnn.named_parameters():
        np.testing.assert_allclose(p.grad, 2 * once[name], err_msg=name)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("batch_first", [False, True])
def test_grad_norms_through_time_match_torch_cells(cls, batch_first, rng):
    layer = cls(3, 5, batch_first=batch_first, rng=rng)
    T, B = 9, 2
    x = rng.normal(size=(B, T, 3) if batch_first else (T, B, 3))
    before = {n: p.grad for n, p in layer.named_parameters()}
    norms = grad_norms_through_time(layer, x)
    assert norms.shape == (T,) and all(p.grad is before[n] for n, p in layer.named_parameters())
    assert np.isclose(norms[-1], np.sqrt(B * 5))  # dL/dh_T is the ones of the sum
    cell = CELLS[cls](3, 5, dtype=F64)
    cell.load_state_dict(
        {k.removesuffix("_l0"): torch.tensor(v) for k, v in layer.state_dict().items()}
    )
    xt = torch.tensor(x if not batch_first else x.transpose(1, 0, 2))
    h = torch.zeros(B, 5, dtype=F64)
    state, hs = (h, h.clone()) if cls is LSTM else h, []
    for t in range(T):
        state = cell(xt[t], state)
        h = state[0] if cls is LSTM else state
        h.retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    np.testing.assert_allclose(norms, [float(h.grad.norm()) for h in hs], **TOL)
    assert layer.hidden_states.shape == (T + 1, B, 5)
    np.testing.assert_allclose(layer.hidden_states[-1], hs[-1].detach().numpy(), **TOL)


def test_grad_norms_vanish_for_a_small_tanh_rnn(rng):
    rnn = RNN(2, 4, rng=rng)
    for p in rnn.parameters():
        p.data *= 0.5
    norms = grad_norms_through_time(rnn, rng.normal(size=(30, 2)), grad_last=np.ones(4))
    assert norms[0] < 1e-6 * norms[-1] and np.isclose(norms[-1], 2.0)


def test_float32_stays_float32(rng):
    gru = GRU(3, 4, dtype=np.float32, rng=rng)
    out, h_n = gru(rng.normal(size=(5, 2, 3)).astype(np.float32))
    assert out.dtype == np.float32 and h_n.dtype == np.float32
    assert gru.backward(np.ones_like(out)).dtype == np.float32


def test_wrong_shapes_and_arguments_are_refused(rng):
    rnn, lstm = RNN(3, 4, rng=rng), LSTM(3, 4, batch_first=True, rng=rng)
    with pytest.raises(
        ValueError, match=r"expected input of shape \(T, B, C\) .* got shape \(5, 2, 2\)"
    ):
        rnn(np.zeros((5, 2, 2)))
    with pytest.raises(ValueError, match=r"\(B, T, C\) or \(T, C\) .* got shape \(3,\)"):
        lstm(np.zeros(3))
    with pytest.raises(ValueError, match=r"got shape \(0, 2, 3\)"):
        rnn(np.zeros((0, 2, 3)))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(1, 2, 4\), got shape \(2, 4\)"):
        rnn(np.zeros((5, 2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"expected hx\[1\] = c_0 of shape \(1, 2, 4\)"):
        lstm(np.zeros((2, 5, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 4))))
    with pytest.raises(ValueError, match=r"hx = \(h_0, c_0\), a pair"):
        lstm(np.zeros((2, 5, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match=r"expected h_0 of shape \(1, 4\)"):
        rnn(np.zeros((5, 3)), np.zeros((1, 2, 4)))  # unbatched input, batched state
    out, _ = rnn(np.zeros((5, 2, 3)))
    with pytest.raises(
        ValueError, match=r"grad_output of shape \(5, 2, 4\), got shape \(2, 5, 4\)"
    ):
        rnn.backward(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"expected grad_h_n of shape \(1, 2, 4\)"):
        rnn.backward(out, np.zeros((2, 4)))
    lstm(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"expected grad_c_n of shape \(1, 2, 4\)"):
        lstm.backward(None, None, np.zeros(4))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        GRU(3, 4).backward(np.zeros((5, 2, 4)))
    with pytest.raises(
        ValueError, match="nonlinearity='sigmoid' is not one of the choices: tanh, relu"
    ):
        RNN(3, 4, "sigmoid")
    with pytest.raises(ValueError, match="hidden_size=.* must be at least 1"):
        LSTM(3, 0)


def test_repr_and_state_dict_round_trip(rng):
    assert repr(RNN(3, 4, "relu", bias=False)) == "RNN(3, 4, bias=False, nonlinearity='relu')"
    assert repr(LSTM(2, 3, batch_first=True)) == "LSTM(2, 3, batch_first=True)"
    twin = torch.nn.GRU(2, 3, dtype=F64)
    gru = GRU(2, 3)
    gru.load_state_dict(twin.state_dict())
    for name, value in twin.state_dict().items():
        np.testing.assert_array_equal(gru.state_dict()[name], value.numpy())


def _cell_args(rng, B=3, C=4, H=5):
    shapes = [(B, C), (B, H), (B, H), (4 * H, C), (4 * H, H), (4 * H,), (4 * H,)]
    return [rng.normal(size=s) for s in shapes]


@pytest.mark.parametrize("size", [(3, 4, 5), (1, 2, 1), (2, 7, 3)])
def test_lstm_cell_matches_torch_lstm_cell_outputs_and_gradients(size, rng):
    x, h, c, w_ih, w_hh, b_ih, b_hh = _cell_args(rng, *size)
    cell = torch.nn.LSTMCell(size[1], size[2], dtype=F64)
    cell.load_state_dict(
        {
            n: torch.tensor(v)
            for n, v in zip(dict(cell.named_parameters()), [w_ih, w_hh, b_ih, b_hh], strict=True)
        }
    )
    xt, ht, ct = (torch.tensor(v, requires_grad=True) for v in (x, h, c))
    h_t, c_t = cell(xt, (ht, ct))
    h_new, c_new = lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_allclose(h_new, h_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(c_new, c_t.detach().numpy(), **TOL)
    # the step's backward (what the LSTM layer runs) against autograd through the cell
    gh, gc = rng.normal(size=h_new.shape), rng.normal(size=c_new.shape)
    ((h_t * torch.tensor(gh)).sum() + (c_t * torch.tensor(gc)).sum()).backward()
    _, _, cache = lstm_step(x @ w_ih.T + b_ih, h @ w_hh.T + b_hh, h, c)
    d_xw, d_hw, _, dc_prev = lstm_step_backward(gh, gc, cache)
    np.testing.assert_allclose(d_xw @ w_ih, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_hw @ w_hh, ht.grad.numpy(), **TOL)
    np.testing.assert_allclose(dc_prev, ct.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_xw.T @ x, cell.weight_ih.grad.numpy(), **TOL)
    np.testing.assert_allclose(d_hw.sum(0), cell.bias_hh.grad.numpy(), **TOL)


def test_lstm_cell_numerical_gradients_and_the_cell_path(rng):
    x, h, c, w_ih, w_hh, b_ih, b_hh = _cell_args(rng, 2, 3, 4)
    gh, gc = rng.normal(size=(2, 4)), rng.normal(size=(2, 4))

    def loss_terms(**new):
        args = dict(x=x, h=h, c=c) | new
        h_new, c_new = lstm_cell(args["x"], args["h"], args["c"], w_ih, w_hh, b_ih, b_hh)
        return h_new * gh + c_new * gc

    _, _, cache = lstm_step(x @ w_ih.T + b_ih, h @ w_hh.T + b_hh, h, c)
    d_xw, d_hw, _, dc_prev = lstm_step_backward(gh, gc, cache)
    assert gradcheck(lambda v: loss_terms(x=v), x, d_xw @ w_ih, grad_output=np.ones((2, 4)))
    assert gradcheck(lambda v: loss_terms(h=v), h, d_hw @ w_hh, grad_output=np.ones((2, 4)))
    assert gradcheck(lambda v: loss_terms(c=v), c, dc_prev, grad_output=np.ones((2, 4)))
    # c_t is linear in c_{t-1} with slope f: the forget gate, element by element
    f = 1 / (1 + np.exp(-(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)[:, 4:8]))
    c_a, c_b = (
        lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh)[1],
        lstm_cell(x, h, c + 1, w_ih, w_hh, b_ih, b_hh)[1],
    )
    np.testing.assert_allclose(c_b - c_a, f, **TOL)


def test_lstm_cell_without_biases_and_bad_shapes(rng):
    x, h, c, w_ih, w_hh, b_ih, b_hh = _cell_args(rng)
    np.testing.assert_allclose(
        lstm_cell(x, h, c, w_ih, w_hh)[0],
        lstm_cell(x, h, c, w_ih, w_hh, 0 * b_ih, 0 * b_hh)[0],
        **TOL,
    )
    bad = {
        "weight_ih": (x, h, c, w_ih.T, w_hh),
        "x (": (x[0], h, c, w_ih, w_hh),
        "c (": (x, h, c[:, :2], w_ih, w_hh),
        "weight_hh": (x, h, c, w_ih, w_hh[:5]),
    }
    for says, args in bad.items():
        with pytest.raises(ValueError, match=re.escape(says)):
            lstm_cell(*args)
    with pytest.raises(ValueError, match="bias_hh of shape"):
        lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh[:3])
    with pytest.raises(ValueError, match="complex|real"):
        lstm_cell(x + 1j, h, c, w_ih, w_hh)
