"""One place for where data lives: the cache folder, checksums, mirrors and the offline switch."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DATA_VARIABLE", "OFFLINE_VARIABLE"]

OFFLINE_VARIABLE = "DLHELPERS_OFFLINE"


DATA_VARIABLE = "DLHELPERS_DATA"


def _default_cache() -> Path:
    root = os.environ.get(DATA_VARIABLE)
    return Path(root) / "mnist" if root else Path.home() / ".cache" / "dlhelpers" / "mnist"


def _env_offline() -> bool:
    return os.environ.get(OFFLINE_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def _hash_ok(path: Path, known: str) -> bool:
    algorithm, _, digest = known.rpartition(":")
    h = hashlib.new(algorithm or "sha256")
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == digest.lower()


def _download(
    name: str, known: str, cache: Path, mirrors: Sequence[str], progressbar: bool
) -> tuple[str | None, list[str]]:
    """Fetch ``name`` into ``cache`` from the first mirror that serves it right."""
    import pooch

    errors = []
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch logs every download at INFO level
    try:
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                pooch.retrieve(
                    url,
                    known_hash=known,
                    fname=name,
                    path=cache,
                    downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=30),
                )
            except Exception as err:  # HTTP errors, timeouts, hash mismatches: next mirror
                errors.append(f"{url}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
                continue
            return mirror, errors
    finally:
        logger.setLevel(level)
    return None, errors
