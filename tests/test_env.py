"""The notebooks' preamble (setup, set_seed) and notebook 00's environment report."""

import builtins
import importlib.metadata

import numpy as np
import pytest

from dlhelpers import env
from dlhelpers.env import environment_report, set_seed

# (not `from dlhelpers.env import setup`: pytest 8.0 runs a module-level `setup` as a fixture)


def test_environment_report_lists_versions_and_devices():
    import torch

    report = environment_report()
    text = str(report)
    assert report.ok, report.problems
    # the installed distribution's version ("2.14.1"; torch.__version__ may add "+cu130")
    assert report.packages["torch"] == importlib.metadata.version("torch")
    assert torch.__version__.startswith(report.packages["torch"])
    assert report.device in {"cpu", "cuda", "mps"}
    for word in ("numpy", "torch", "CPU cores", "GPU", "all good"):
        assert word in text


def test_set_seed_makes_numpy_and_torch_repeatable():
    import torch

    set_seed(5)
    a = (np.random.rand(3), torch.rand(3))  # noqa: NPY002 (the legacy global state is the point)
    rng = set_seed(5)
    b = (np.random.rand(3), torch.rand(3))  # noqa: NPY002
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    assert isinstance(rng, np.random.Generator)
    assert 1 <= torch.get_num_threads() <= 2


def test_available_cores_respects_omp_num_threads(monkeypatch):
    from dlhelpers.env import available_cores

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert available_cores() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert available_cores() >= 1


def test_setup_seeds_pins_one_thread_and_prints_versions(capsys, monkeypatch):
    import torch

    monkeypatch.delenv(env.THREADS_VARIABLE, raising=False)
    threads = torch.get_num_threads()
    try:
        rng = env.setup(3)
        out = capsys.readouterr().out
        assert torch.get_num_threads() == 1
        assert out.startswith("versions: Python ") and "torch pinned to 1 thread" in out
        assert rng.integers(1000) == np.random.default_rng(3).integers(1000)
        monkeypatch.setenv(env.THREADS_VARIABLE, "2")
        env.setup(3)
        assert torch.get_num_threads() == min(2, env.available_cores())
        monkeypatch.setenv(env.THREADS_VARIABLE, "two")
        with pytest.raises(ValueError, match="DLHELPERS_THREADS must be a whole number"):
            env.setup(3)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_set_seed_refuses_what_is_not_a_seed(seed):
    with pytest.raises(ValueError, match=r"seed=.* (is not a whole number|is a bool|must be in)"):
        set_seed(seed)


def test_set_seed_refuses_zero_threads():
    with pytest.raises(ValueError, match="threads=0 must be at least 1"):
        set_seed(0, threads=0)


def _hide_torch(monkeypatch, error: type[Exception], message: str, *, installed: bool):
    real_import = builtins.__import__
    real_version = importlib.metadata.version

    def fake_import(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise error(message)
        return real_import(name, *args, **kwargs)

    def fake_version(name):
        if name == "torch" and not installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(importlib.metadata, "version", fake_version)
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)


def test_environment_report_without_torch_says_so(monkeypatch):
    _hide_torch(monkeypatch, ImportError, "No module named 'torch'", installed=False)
    report = environment_report()
    assert not report.ok
    assert "torch is not installed" in report.problems
    assert "NOT INSTALLED" in str(report) and report.device == "cpu"


def test_environment_report_with_a_broken_torch_says_so(monkeypatch):
    _hide_torch(
        monkeypatch, OSError, "libtorch_cpu.so: cannot open shared object file", installed=True
    )
    report = environment_report()
    assert not report.ok
    (problem,) = report.problems
    assert "does not import (OSError: libtorch_cpu.so" in problem
    assert "reinstall" in problem
