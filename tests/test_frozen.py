"""train.frozen: parameters frozen and eval mode inside, everything restored after, even on error."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dlhelpers.train.frozen import frozen  # noqa: E402


def test_freezes_then_restores_flags_and_mode_even_after_an_error():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(), torch.nn.Linear(2, 1))
    model[2].weight.requires_grad_(False)  # one frozen already: it must stay frozen
    with pytest.raises(RuntimeError), frozen(model):
        assert not model.training
        assert not any(p.requires_grad for p in model.parameters())
        raise RuntimeError("boom")
    assert model.training
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, True]
    with frozen(model, eval_mode=False):
        assert model.training


def test_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="torch.nn.Module"), frozen("lenet"):
        pass
