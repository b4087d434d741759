"""Character-level text, offline first: tiny-shakespeare, else Python's own documentation.

For notebooks 08 ("08_recurrent_networks.ipynb") and 09 ("09_transformers.ipynb")::

    corpus = load_text()               # prints one line: which source it used
    train, val = corpus.split(0.9)     # int64 ids, contiguous
    x, y = random_windows(train, 32, 64, rng)  # (32, 64) each, y shifted by one

Sources in order: the cached ``input.txt`` in ``$DLHELPERS_DATA/shakespeare``
(else ``~/.cache/dlhelpers/shakespeare``) if its MD5 is right; a checked
download of tiny-shakespeare (1,115,394 characters, Andrej Karpathy's char-rnn
data set of public-domain Shakespeare) through :func:`dlhelpers.data.cache.fetch`;
offline (``DLHELPERS_OFFLINE=1``, as in CI) or when every mirror fails, the
prose that ships with the interpreter, ``pydoc_data.topics`` (about 465,000
characters, PSF licence), its topics joined in sorted order so the text is the
same everywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from dlhelpers.data.cache import (
    OFFLINE_VARIABLE,
    Fetched,
    check_mirrors,
    check_source,
    fetch,
    report,
)
from dlhelpers.validate import (
    ArgumentTypeError,
    check_choice,
    check_positive_int,
    check_probability,
    check_seed,
)

__all__ = ["Corpus", "batches", "load_text", "random_windows"]

FILE = "input.txt"
MD5 = "md5:6fb458f1232090904fb40fe944165e91"
MIRRORS = ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/",)
SHAKESPEARE = "tiny shakespeare (char-rnn, Andrej Karpathy; public-domain Shakespeare)"
PYDOC = "Python's own documentation (pydoc_data.topics, PSF licence)"
MIN_FALLBACK_CHARS = 300_000
NAMES = ("shakespeare", "pydoc")


def _count(n: int) -> str:
    return f"{n:,} character{'s' * (n != 1)}"


@dataclass(frozen=True, repr=False)
class Corpus:
    """A text and its character vocabulary; ``Corpus("any text")`` works too.

    Attributes
    ----------
    text : str
        The whole text (not empty).
    source : str
        ``"cache"``, ``"download"``, ``"fallback: pydoc_data.topics"``,
        ``"pydoc_data.topics"`` or ``"custom"`` (built by hand).
    note, details : str, tuple of str
        The one line :func:`load_text` printed; one line per mirror that failed.
    vocab : tuple of str
        The sorted unique characters; character ``vocab[i]`` has id ``i``.
    """

    text: str
    source: str = "custom"
    note: str = ""
    details: tuple[str, ...] = ()
    vocab: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        if not isinstance(self.text, str):
            raise TypeError(f"text must be a str, not {type(self.text).__name__}")
        if not self.text:
            raise ValueError("the text is empty: a corpus needs at least one character")
        object.__setattr__(self, "vocab", tuple(sorted(set(self.text))))
        # sorted characters are sorted code points, so searchsorted maps characters to ids
        object.__setattr__(self, "_codes", np.array([ord(c) for c in self.vocab], np.uint32))

    @property
    def vocab_size(self) -> int:
        """Number of distinct characters, ``len(vocab)``."""
        return len(self.vocab)

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"Corpus(source={self.source!r}, {_count(len(self.text))}, vocab_size={self.vocab_size})"

    def encode(self, s: str) -> np.ndarray:
        """Character ids of ``s``: ``s : str`` -> ndarray of shape (len(s),), int64.

        A character that is not in the vocabulary raises a ValueError naming it.
        """
        if not isinstance(s, str):
            raise TypeError(f"encode takes a str, not {type(s).__name__}")
        points = np.frombuffer(s.encode("utf-32-le"), dtype="<u4")  # (len(s),)
        ids = np.searchsorted(self._codes, points)
        clipped = np.minimum(ids, len(self._codes) - 1)
        unknown = np.flatnonzero(self._codes[clipped] != points)
        if unknown.size:
            i = int(unknown[0])
            raise ValueError(f"character {s[i]!r} (position {i}) is not in the vocabulary")
        return ids.astype(np.int64)

    def decode(self, ids: ArrayLike) -> str:
        """The inverse of :meth:`encode`: ``ids : array_like of shape (n,), int`` -> str of length n.

        An id outside ``0 .. vocab_size - 1`` raises a ValueError naming it.
        """
        ids = np.asarray(ids)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"decode takes integer ids, not {ids.dtype}")
        if ids.ndim > 1:
            raise ValueError(f"decode takes ids of shape (n,), got shape {ids.shape}")
        ids = ids.reshape(-1).astype(np.int64)
        bad = np.flatnonzero((ids < 0) | (ids >= self.vocab_size))
        if bad.size:
            raise ValueError(
                f"id {int(ids[bad[0]])} (position {int(bad[0])}) is out of range: "
                f"the vocabulary has ids 0 to {self.vocab_size - 1}"
            )
        return self._codes[ids].astype("<u4").tobytes().decode("utf-32-le")

    def split(self, fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """The whole text as ids in two contiguous parts, the first ``fraction`` of it first.

        Returns ``train_ids`` of shape (n_train,) and ``val_ids`` of shape
        (len(text) - n_train,), int64; ``fraction`` must lie in (0, 1).
        """
        fraction = check_probability("fraction", fraction, open_ends=True)
        ids = self.encode(self.text)
        n = int(len(ids) * fraction)
        if n == 0 or n == len(ids):
            raise ValueError(
                f"fraction={fraction} of {_count(len(ids))} leaves one part empty; "
                "use a fraction nearer 0.5 or a longer text"
            )
        return ids[:n], ids[n:]


def _check_windows(ids: ArrayLike, batch_size: int, seq_len: int) -> tuple[np.ndarray, int, int]:
    batch_size = check_positive_int("batch_size", batch_size)
    seq_len = check_positive_int("seq_len", seq_len)
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer array, got {ids.dtype} of shape {ids.shape}")
    if seq_len > len(ids) - 1:
        raise ValueError(
            f"seq_len={seq_len} is too long for {len(ids):,} ids: a window and its "
            f"shifted target need seq_len + 1 ids, so seq_len can be at most {len(ids) - 1}"
        )
    return ids.astype(np.int64, copy=False), batch_size, seq_len


def random_windows(
    ids: ArrayLike, batch_size: int, seq_len: int, rng: np.random.Generator | int
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of random windows and their targets, the next character at each step.

    Parameters
    ----------
    ids : array_like of shape (n,), int
        Character ids, e.g. one part of :meth:`Corpus.split`.
    batch_size, seq_len : int, at least 1
        ``seq_len`` at most ``n - 1``.
    rng : numpy.random.Generator or int
        Picks the window starts (an int seeds a new generator).

    Returns
    -------
    x : ndarray of shape (batch_size, seq_len), int64
        ``ids[s : s + seq_len]`` for random starts ``s``.
    y : ndarray of shape (batch_size, seq_len), int64
        ``ids[s + 1 : s + seq_len + 1]``: ``y[:, t]`` is what follows ``x[:, t]``.
    """
    ids, batch_size, seq_len = _check_windows(ids, batch_size, seq_len)
    if not isinstance(rng, np.random.Generator):
        rng = check_seed("rng", rng) if rng is not None else None
        if rng is None:
            raise ArgumentTypeError("rng=None: give a numpy.random.Generator or an int seed")
    rng = np.random.default_rng(rng)  # a Generator passes through unchanged
    starts = rng.integers(0, len(ids) - seq_len, batch_size)  # each still has a target
    index = starts[:, None] + np.arange(seq_len)  # (B, T)
    return ids[index], ids[index + 1]


def batches(
    ids: ArrayLike, batch_size: int, seq_len: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every non-overlapping window in order, in batches (for a validation loss).

    Arguments as in :func:`random_windows`; yields ``(x, y)``, ndarrays of shape
    (b, seq_len), int64, with ``b = batch_size`` except maybe in the last batch.
    """
    ids, batch_size, seq_len = _check_windows(ids, batch_size, seq_len)
    n = (len(ids) - 1) // seq_len
    x = ids[: n * seq_len].reshape(n, seq_len)  # (n, T)
    y = ids[1 : n * seq_len + 1].reshape(n, seq_len)  # (n, T), shifted by one
    for start in range(0, n, batch_size):
        yield x[start : start + batch_size], y[start : start + batch_size]


def pydoc_text() -> str:
    """Python's documentation topics (``pydoc_data.topics``), joined in sorted key order."""
    from pydoc_data import topics  # in every CPython's standard library

    text = "".join(topics.topics[k] for k in sorted(topics.topics))
    if len(text) < MIN_FALLBACK_CHARS:
        raise RuntimeError(
            f"pydoc_data.topics has only {_count(len(text))}, fewer than the "
            f"{MIN_FALLBACK_CHARS:,} a language model needs; download tiny-shakespeare instead"
        )
    return text


def load_text(
    name: str = "shakespeare",
    *,
    offline: bool | None = None,
    verbose: bool | int = True,
    max_chars: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    mirrors: str | Sequence[str] | None = None,
    known_hash: str = MD5,
) -> Corpus:
    """A character corpus from the best source available (see the module docstring).

    Returns a :class:`Corpus`; its ``.note`` is the one line printed.

    Parameters
    ----------
    name : {"shakespeare", "pydoc"}, default "shakespeare"
        ``"pydoc"`` skips the cache and the network and takes Python's documentation.
    offline : bool, optional
        Skip the network. Default: from ``DLHELPERS_OFFLINE``, as :func:`load_mnist` does.
    verbose : bool or int, default True
        ``True``: print the one line (and a progress bar while downloading);
        ``2``: also each failed mirror's error; ``False``: nothing.
    max_chars : int, optional
        Keep only the first ``max_chars`` characters (faster demos).
    cache_dir : path, optional
        Default ``$DLHELPERS_DATA/shakespeare``, else ``~/.cache/dlhelpers/shakespeare``.
    mirrors : str or sequence of str, optional
        Base http(s) URLs tried in order; default :data:`MIRRORS`.
    known_hash : str, default :data:`MD5`
        Checksum of ``input.txt``; tests pass their own small file's.
    """
    name = check_choice("name", name, NAMES)
    cache, offline, from_env = check_source(cache_dir, offline, "shakespeare")
    if max_chars is not None:
        max_chars = check_positive_int("max_chars", max_chars)
    got = None
    if name == "shakespeare":
        mirrors = MIRRORS if mirrors is None else check_mirrors(mirrors)
        got = fetch(
            FILE,
            known_hash,
            folder=cache,
            mirrors=mirrors,
            offline=offline,
            progressbar=bool(verbose),
        )
        text, source, line = _from_fetched(got, cache, from_env)
    else:
        text, source, line = pydoc_text(), "pydoc_data.topics", f"text: {PYDOC}"
    text, line = _cut(text, line, max_chars)
    if got is not None and got.path is not None and got.note:
        line += f"; {got.note}"  # a bad cached file moved aside
    details = tuple(got.details) if got is not None else ()
    report(line, details, verbose)
    return Corpus(text, source=source, note=line, details=details)


def _cut(text: str, line: str, max_chars: int | None) -> tuple[str, str]:
    """The first ``max_chars`` characters (all of them for None), the line saying how many."""
    total = len(text)
    if max_chars is not None and max_chars < total:
        return text[:max_chars], line + f" (first {max_chars:,} of {_count(total)})"
    return text, line + f" ({_count(total)})"


def _from_fetched(got: Fetched, cache: Path, from_env: bool) -> tuple[str, str, str]:
    """The text, its source and the line that says so: the fetched file, else pydoc's topics."""
    if got.path is not None:
        where = f"downloaded from {got.mirror} into" if got.mirror else "cached copy in"
        text = got.path.read_text(encoding="utf-8")
        return text, "download" if got.mirror else "cache", f"text: {SHAKESPEARE}, {where} {cache}"
    why = got.note
    if got.status in ("offline", "bad-cache"):
        flag = f"offline ({OFFLINE_VARIABLE} is set)" if from_env else "offline"
        why = flag if not why else f"{flag}; {why}"
    return pydoc_text(), "fallback: pydoc_data.topics", f"text: {why}; using {PYDOC}"
