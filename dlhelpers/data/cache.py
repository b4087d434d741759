"""One place for where data lives: the cache folder, checksums, mirrors and the offline switch.

:func:`fetch` gets one file: a cached copy that passes its checksum, else a
download from the first mirror that serves it right, else nothing, and a
:class:`Fetched` report that says what happened in one line (``.note``) and
per mirror (``.details``). It never deletes a file it did not just write: a
cached file that fails its checksum stays where it is, and is moved aside to
``NAME.bad-1`` (``.bad-2``, ...) only once a good copy replaces it.

A new data set plugs in with its file name, hash and mirrors, then keeps only
its own parsing and fallback::

    from dlhelpers.data.cache import data_dir, fetch

    got = fetch(
        "input.txt",
        "md5:6fb458f1232090904fb40fe944165e91",
        folder=data_dir("shakespeare"),
        mirrors=["https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"],
    )
    text = got.path.read_text() if got.path else offline_text()  # print(got.note) to say why
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "DATA_VARIABLE",
    "OFFLINE_VARIABLE",
    "Fetched",
    "check_mirrors",
    "check_source",
    "data_dir",
    "env_offline",
    "fetch",
    "hash_ok",
    "report",
]

OFFLINE_VARIABLE = "DLHELPERS_OFFLINE"
DATA_VARIABLE = "DLHELPERS_DATA"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")
_PART = ".part-"  # our temporary downloads are ".NAME.part-<random>"; nothing else matches
_STALE_S = 3600  # an older partial file cannot belong to a download still running


def data_dir(subdir: str = "") -> Path:
    """The cache folder: ``$DLHELPERS_DATA/subdir`` (``~`` and ``$VARS`` expanded), else ``~/.cache/dlhelpers/subdir``.

    Raises
    ------
    ValueError
        ``DLHELPERS_DATA`` names a variable that is not set (``$UNSET/data``):
        a literal ``$UNSET`` folder would be made in the working directory.
    """
    root = os.environ.get(DATA_VARIABLE, "").strip()
    if not root:
        return Path.home() / ".cache" / "dlhelpers" / subdir
    expanded = os.path.expanduser(os.path.expandvars(root))
    unset = re.findall(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", expanded)
    if unset:
        raise ValueError(
            f"{DATA_VARIABLE}={root!r} names {', '.join(unset)}, which is not set; "
            f"set it, or give {DATA_VARIABLE} a full path"
        )
    return Path(expanded) / subdir


def env_offline() -> bool:
    """Whether ``DLHELPERS_OFFLINE`` asks for no network.

    ``1``/``true``/``yes``/``on`` mean offline and ``0``/``false``/``no``/``off``
    or empty (or unset) mean online, in any case. Any other value prints a
    one-line warning naming it and counts as **offline**, the safe side.
    """
    value = os.environ.get(OFFLINE_VARIABLE, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    print(
        f"warning: {OFFLINE_VARIABLE}={os.environ[OFFLINE_VARIABLE]!r} is not one of "
        f"1/true/yes/on or 0/false/no/off; treating it as offline"
    )
    return True


def check_source(
    cache_dir: str | os.PathLike | None, offline: bool | None, default: str
) -> tuple[Path, bool, bool]:
    """A loader's ``cache_dir`` and ``offline`` checked: ``(folder, offline, from_env)``.

    ``cache_dir=None`` is :func:`data_dir` ``(default)``; ``offline=None`` is
    :func:`env_offline` (and ``from_env`` says so, for the message).
    """
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a path (str or Path), not {type(cache_dir).__name__}")
    if offline is not None and not isinstance(offline, bool):
        raise TypeError(f"offline must be True, False or None, not {offline!r}")
    folder = Path(os.path.expanduser(cache_dir)) if cache_dir else data_dir(default)
    return folder, env_offline() if offline is None else offline, offline is None


def report(line: str, details: Sequence[str], verbose: bool | int) -> None:
    """Print a loader's one line (``verbose``), and each failed mirror's error too (``verbose=2``)."""
    if verbose:
        print(line)
    if verbose and verbose is not True and verbose > 1:
        for d in details:
            print("  " + d)


def check_mirrors(mirrors: str | Sequence[str]) -> tuple[str, ...]:
    """``mirrors`` as a tuple of http(s) base URLs; one string counts as one mirror."""
    if isinstance(mirrors, str):
        mirrors = (mirrors,)
    try:
        mirrors = tuple(mirrors)
    except TypeError:
        raise TypeError(f"mirrors must be a URL or a list of URLs, not {mirrors!r}") from None
    for m in mirrors:
        if not isinstance(m, str) or not m.lower().startswith(("http://", "https://")):
            raise ValueError(f"mirror {m!r} is not an http(s) URL; give e.g. 'https://host/path/'")
    return mirrors


def hash_ok(path: str | os.PathLike, known: str) -> bool:
    """Whether the file's digest matches ``known`` (``"sha256:..."``, ``"md5:..."`` or bare sha256)."""
    algorithm, _, digest = known.rpartition(":")
    h = hashlib.new(algorithm or "sha256")
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == digest.lower()


@dataclass
class Fetched:
    """What :func:`fetch` did for one file.

    Attributes
    ----------
    path : Path or None
        The good file, or None when there is none.
    status : str
        ``"cached"``, ``"downloaded"``, ``"offline"``, ``"bad-cache"``
        (offline with a cached file that fails its checksum, kept as is),
        ``"unwritable"`` or ``"failed"`` (every mirror failed).
    note : str
        One line for the user: why there is no file, or what was moved aside.
    details : list of str
        One line per mirror tried, with the error (for ``verbose`` modes).
    mirror : str or None
        The mirror that served the download.
    """

    path: Path | None
    status: str
    note: str = ""
    details: list[str] = field(default_factory=list)
    mirror: str | None = None


def _free_bad_name(path: Path) -> Path:
    n = 1
    while path.with_name(f"{path.name}.bad-{n}").exists():
        n += 1
    return path.with_name(f"{path.name}.bad-{n}")


def _remove_stale_parts(folder: Path, name: str) -> None:
    for part in folder.glob(f".{name}{_PART}*"):
        try:
            if time.time() - part.stat().st_mtime > _STALE_S:
                part.unlink()
        except OSError:
            pass  # another process's file, or gone already: not ours to fight over


def _no_network(err: BaseException) -> bool:
    text = f"{type(err).__name__} {err}"
    return any(k in text for k in ("NameResolution", "ConnectionError", "Max retries", "Timeout"))


def _download_one(url: str, known: str, target: Path, progressbar: bool) -> Path | None:
    """Download ``url`` to a temporary file beside ``target``; move it there only if its hash is right."""
    import pooch

    part = target.with_name(f".{target.name}{_PART}{secrets.token_hex(4)}")
    try:
        pooch.HTTPDownloader(progressbar=progressbar, timeout=30)(url, str(part), None)
        if not hash_ok(part, known):
            raise ValueError(f"checksum mismatch (expected {known})")
        moved = None
        if target.exists():
            moved = _free_bad_name(target)
            target.replace(moved)  # never delete a file we did not write
        part.replace(target)
        return moved
    finally:
        part.unlink(missing_ok=True)  # any failure, KeyboardInterrupt included


def fetch(
    name: str,
    known_hash: str,
    *,
    folder: str | os.PathLike,
    mirrors: str | Sequence[str] = (),
    offline: bool = False,
    progressbar: bool = False,
) -> Fetched:
    """Get file ``name`` into ``folder``: the cached copy if it passes ``known_hash``, else a download.

    Parameters
    ----------
    name : str
        The file name, appended to each mirror URL and used in the cache.
    known_hash : str
        ``"sha256:<hex>"`` or ``"md5:<hex>"``.
    folder : path
        The cache folder; created when a download needs it.
    mirrors : str or sequence of str
        Base URLs, http(s), tried in order.
    offline : bool, default False
        Use only the cache.
    progressbar : bool, default False
        Show a progress bar while downloading (needs tqdm).

    Returns
    -------
    Fetched
        ``.path`` is the good file or None; ``.note`` says why in one line.
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(f"folder must be a path, not {type(folder).__name__}")
    mirrors = check_mirrors(mirrors)
    folder = Path(folder)
    target = folder / name
    try:
        bad = target.is_file()
        if bad and hash_ok(target, known_hash):
            return Fetched(target, "cached")
    except OSError as err:
        return Fetched(None, "unwritable", f"cannot read {target} ({err.strerror or err})")
    kept = f"cached {name} fails its checksum (kept as is)" if bad else ""
    if offline:
        return Fetched(None, "bad-cache" if bad else "offline", kept)
    try:
        _prepare(folder, name)
    except OSError as err:
        return Fetched(None, "unwritable", f"cannot write to {folder} ({err.strerror or err})")
    return _download(name, known_hash, target, mirrors, progressbar, kept)


def _prepare(folder: Path, name: str) -> None:
    """Make ``folder``, clear our stale partial downloads, and prove it is writable (OSError)."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(folder, name)
    probe = folder / f".{name}{_PART}probe-{secrets.token_hex(4)}"
    probe.touch()
    probe.unlink()


def _download(
    name: str, known_hash: str, target: Path, mirrors: tuple[str, ...], progressbar: bool, kept: str
) -> Fetched:
    """Try each mirror in turn; the first good download wins, else a one-line reason."""
    details, unreachable = [], 0
    logger = logging.getLogger("pooch")
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch logs every download at INFO level
    try:
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                moved = _download_one(url, known_hash, target, progressbar)
            except Exception as err:  # HTTP errors, timeouts, hash mismatches: next mirror
                unreachable += _no_network(err)
                details.append(f"{url}: {type(err).__name__}: {str(err).splitlines()[0][:300]}")
                continue
            note = f"cached {name} failed its checksum, moved to {moved.name}" if moved else ""
            return Fetched(target, "downloaded", note, details, mirror)
    finally:
        logger.setLevel(level)
    n = len(mirrors)
    if not n:
        why = "no mirrors given"
    elif unreachable == n:
        why = f"no network ({n} mirror{'s' * (n != 1)} unreachable)"
    else:
        why = f"could not download {name} ({n} mirror{'s' * (n != 1)} failed)"
    return Fetched(None, "failed", why + (f"; {kept}" if kept else ""), details)
