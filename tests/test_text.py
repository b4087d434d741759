"""The text loader: the real tiny-shakespeare, the download path against a local server, the fallback."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from test_data import Server

from dlhelpers.data import cache, load_text, random_windows
from dlhelpers.data import text as data
from dlhelpers.data.text import Corpus, batches

SHARED_TEXT = Path(__file__).resolve().parents[2] / "shared" / "data" / "text"
REAL = SHARED_TEXT / "tinyshakespeare.txt"
FAKE = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n" * 20
FAKE_MD5 = "md5:" + hashlib.md5(FAKE.encode()).hexdigest()
FALLBACK_LEN = len(data.pydoc_text())


@pytest.fixture
def fake(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.OFFLINE_VARIABLE, raising=False)
    monkeypatch.setenv(cache.DATA_VARIABLE, str(tmp_path / "data"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server = Server({data.FILE: FAKE.encode()})
    yield server, tmp_path / "data" / "shakespeare"
    server.close()


def load(server, kinds, **kw):
    return load_text(mirrors=[server.url(k) for k in kinds], known_hash=FAKE_MD5, **kw)


# --- the real file, where this machine has it -------------------------------------------


@pytest.mark.skipif(not REAL.is_file(), reason="../shared/data/text is not on this machine")
def test_real_tinyshakespeare(tmp_path, monkeypatch):
    body = REAL.read_bytes()
    assert "md5:" + hashlib.md5(body).hexdigest() == data.MD5
    text = body.decode("utf-8")
    assert len(text) == 1_115_394 and text.startswith("First Citizen:\nBefore we proceed")
    monkeypatch.setenv(cache.DATA_VARIABLE, str(tmp_path))
    (tmp_path / "shakespeare").mkdir()
    (tmp_path / "shakespeare" / "input.txt").write_bytes(body)
    corpus = load_text(offline=True, verbose=False)  # the real checksum, from the cache
    assert corpus.source == "cache" and corpus.text == text
    assert corpus.vocab_size == 65 and corpus.vocab[:3] == ("\n", " ", "!")
    assert "1,115,394 characters" in corpus.note and "Andrej Karpathy" in corpus.note
    train, val = corpus.split()
    assert len(train) == 1_003_854 and len(val) == 111_540
    assert corpus.decode(train[:14]) == "First Citizen:"


# --- sources and the one line --------------------------------------------------------------


def test_download_from_the_first_good_mirror_then_cache(fake, capsys):
    server, folder = fake
    corpus = load(server, ["missing", "good"])
    assert corpus.source == "download" and corpus.text == FAKE
    assert server.requests == ["/missing/input.txt", "/good/input.txt"]
    assert sorted(p.name for p in folder.iterdir()) == ["input.txt"]
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.strip() == corpus.note
    assert out.startswith(f"text: {data.SHAKESPEARE}, downloaded from {server.url('good')}")
    assert f"({len(FAKE):,} characters)" in out
    again = load(server, ["good"])
    assert again.source == "cache" and len(server.requests) == 2  # no HTTP at all
    assert capsys.readouterr().out.startswith(f"text: {data.SHAKESPEARE}, cached copy in {folder}")


@pytest.mark.parametrize("bad", ["corrupt", "truncated"])
def test_a_bad_mirror_is_skipped_and_leaves_nothing(fake, bad):
    server, folder = fake
    corpus = load(server, [bad, "good"], verbose=False)
    assert corpus.source == "download" and corpus.text == FAKE
    assert server.requests == [f"/{bad}/input.txt", "/good/input.txt"]
    assert [p.name for p in folder.iterdir()] == ["input.txt"]  # no temporary file left


def test_all_mirrors_bad_falls_back_with_nothing_cached(fake, capsys):
    server, folder = fake
    corpus = load(server, ["corrupt", "truncated", "missing"], verbose=2)
    assert corpus.source == "fallback: pydoc_data.topics" and len(corpus) == FALLBACK_LEN
    assert list(folder.iterdir()) == []
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == corpus.note and len(lines) == 4  # the line, then one per mirror
    assert "could not download input.txt (3 mirrors failed)" in lines[0]
    assert f"using {data.PYDOC}" in lines[0] and "Error" not in lines[0]
    assert len(corpus.details) == 3 and "HTTPError" in corpus.details[-1]


def test_a_bad_cached_file_is_replaced(fake):
    server, folder = fake
    folder.mkdir(parents=True)
    (folder / "input.txt").write_text("garbage")
    corpus = load(server, ["good"], verbose=False)
    assert corpus.source == "download" and corpus.text == FAKE
    assert (folder / "input.txt.bad-1").read_text() == "garbage"  # moved aside, never deleted
    assert corpus.note.endswith("; cached input.txt failed its checksum, moved to input.txt.bad-1")


def test_offline_variable_means_no_http_and_the_fallback(fake, monkeypatch, capsys):
    server, folder = fake
    monkeypatch.setenv(cache.OFFLINE_VARIABLE, "1")
    corpus = load(server, ["good"])
    assert server.requests == [] and not folder.exists()
    assert corpus.source == "fallback: pydoc_data.topics"
    assert capsys.readouterr().out == (
        f"text: offline ({cache.OFFLINE_VARIABLE} is set); using Python's own documentation "
        f"(pydoc_data.topics, PSF licence) ({FALLBACK_LEN:,} characters)\n"
    )
    # a good cache wins even offline; the argument overrides the variable
    load(server, ["good"], offline=False, verbose=False)
    assert load(server, [], verbose=False).source == "cache"
    monkeypatch.setenv(cache.OFFLINE_VARIABLE, "0")
    assert load(server, ["good"], offline=True, cache_dir=folder.parent / "other").note.startswith(
        "text: offline; using"
    )


def test_the_fallback_is_the_sorted_topics_and_long_enough(monkeypatch):
    from pydoc_data import topics

    text = load_text("pydoc", verbose=False).text
    assert text == "".join(topics.topics[k] for k in sorted(topics.topics))
    assert len(text) >= data.MIN_FALLBACK_CHARS and FALLBACK_LEN == len(text)
    monkeypatch.setattr(topics, "topics", {"b": "short", "a": "x"})
    with pytest.raises(RuntimeError, match=r"only 6 characters, fewer than the 300,000"):
        load_text("pydoc")


def test_max_chars_keeps_the_start(fake):
    corpus = load_text("pydoc", max_chars=1000, verbose=False)
    assert len(corpus) == 1000 and corpus.text == data.pydoc_text()[:1000]
    assert corpus.note.endswith(f"(first 1,000 of {FALLBACK_LEN:,} characters)")


# --- the corpus and its batches --------------------------------------------------------------


def test_encode_decode_round_trip():
    corpus = Corpus("hello, world\nßü—")
    assert corpus.vocab == tuple(sorted(set(corpus.text))) and corpus.vocab_size == 13
    ids = corpus.encode(corpus.text)
    assert ids.dtype == np.int64 and ids.shape == (len(corpus.text),)
    assert [corpus.vocab[i] for i in ids] == list(corpus.text)
    assert corpus.decode(ids) == corpus.text and corpus.decode(ids.tolist()) == corpus.text
    assert corpus.decode([]) == "" and corpus.encode("").shape == (0,)
    assert corpus.decode(np.int64(ids[0])) == "h"


def test_encode_decode_refuse_what_is_not_there():
    corpus = Corpus("abc")
    with pytest.raises(ValueError, match=r"character 'z' \(position 2\) is not in the vocabulary"):
        corpus.encode("abz")
    with pytest.raises(ValueError, match=r"character '\\x00'"):
        corpus.encode("\0")
    with pytest.raises(ValueError, match=r"id 3 \(position 1\) is out of range: .* ids 0 to 2"):
        corpus.decode([0, 3])
    with pytest.raises(ValueError, match="id -1"):
        corpus.decode([-1])
    with pytest.raises(ValueError, match=r"shape \(n,\), got shape \(1, 2\)"):
        corpus.decode([[0, 1]])
    with pytest.raises(TypeError, match="integer ids"):
        corpus.decode([0.5])
    with pytest.raises(TypeError, match="takes a str"):
        corpus.encode(b"abc")


def test_refuses_an_empty_text():
    with pytest.raises(ValueError, match="the text is empty"):
        Corpus("")
    with pytest.raises(TypeError, match="text must be a str"):
        Corpus(None)


def test_split_is_contiguous():
    corpus = Corpus("abcdefghij" * 10)
    train, val = corpus.split(0.9)
    assert train.shape == (90,) and val.shape == (10,)
    np.testing.assert_array_equal(np.concatenate([train, val]), corpus.encode(corpus.text))
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"fraction=.* must be in \(0, 1\)"):
            corpus.split(bad)
    with pytest.raises(ValueError, match="leaves one part empty"):
        corpus.split(0.001)
    with pytest.raises(TypeError, match="fraction='0.5' is not a number"):
        corpus.split("0.5")


def test_random_windows_shapes_shift_and_seed():
    ids = np.arange(100) * 3
    x, y = random_windows(ids, 16, 7, np.random.default_rng(0))
    assert x.shape == y.shape == (16, 7) and x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])  # y is x moved on by one
    np.testing.assert_array_equal(np.diff(x, axis=1), 3)
    assert y.max() <= ids[-1]
    x2, _ = random_windows(ids, 16, 7, 0)
    np.testing.assert_array_equal(x, x2)
    # the longest window still reaches the last id
    x, y = random_windows(np.arange(5), 3, 4, 1)
    assert (x == np.arange(4)).all() and (y == np.arange(1, 5)).all()


def test_batches_cover_the_ids_in_order():
    ids = np.arange(23)
    got = list(batches(ids, 2, 5))
    assert [x.shape for x, _ in got] == [(2, 5), (2, 5)]
    x = np.concatenate([x for x, _ in got])
    y = np.concatenate([y for _, y in got])
    np.testing.assert_array_equal(x.ravel(), np.arange(20))
    np.testing.assert_array_equal(y.ravel(), np.arange(1, 21))
    assert [x.shape for x, _ in batches(ids, 3, 5)] == [(3, 5), (1, 5)]


@pytest.mark.parametrize("fn", [random_windows, lambda *a: next(batches(*a[:3]))])
@pytest.mark.parametrize(
    "args, error, match",
    [
        ((10, 0, 3), ValueError, "batch_size=0 must be at least 1"),
        ((10, 2, 0), ValueError, "seq_len=0 must be at least 1"),
        ((10, 2, 10), ValueError, "seq_len=10 is too long for 10 ids.*at most 9"),
        ((1, 1, 1), ValueError, "seq_len=1 is too long for 1 ids"),
        ((10, 2.5, 3), TypeError, "batch_size=2.5 is not a whole number"),
    ],
)
def test_windows_refuse_bad_sizes(fn, args, error, match):
    n, batch_size, seq_len = args
    with pytest.raises(error, match=match):
        fn(np.arange(n), batch_size, seq_len, 0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="1-D integer array"):
        random_windows(np.zeros((3, 4), int), 1, 1, 0)
    with pytest.raises(TypeError, match="rng='seed' is not a whole number"):
        random_windows(np.arange(10), 1, 1, "seed")
    with pytest.raises(
        ValueError, match="name='poems' is not one of the choices: shakespeare, pydoc"
    ):
        load_text("poems")
    with pytest.raises(ValueError, match="max_chars=0 must be at least 1"):
        load_text(max_chars=0)
    with pytest.raises(TypeError, match="offline must be"):
        load_text(offline="yes")
