"""Read and write IDX files, the format of the original MNIST distribution (http://yann.lecun.com/exdb/mnist/)."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "write_idx"]

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of the MNIST files), gzipped or not.

    The header is two zero bytes, a type code (``0x08`` for unsigned bytes),
    the number of dimensions, then each size as a big-endian int32; the data
    follow in C order.

    Returns
    -------
    ndarray of the shape the header gives
        E.g. (10000, 28, 28) uint8 for ``t10k-images-idx3-ubyte.gz``.

    Raises
    ------
    ValueError
        If the file is not IDX (bad magic number), is truncated, is longer
        than its header says, or is a broken gzip stream.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(
            f"{path.name}: not a readable gzip file ({err}); delete it and load again"
        ) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path.name}: not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path.name}: truncated IDX header")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        kind = "truncated" if found < expected else "too long"
        raise ValueError(
            f"{path.name}: {kind}: the header says {shape}, which is {expected:,} "
            f"bytes of data, but the file has {found:,}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file.

    Gzipped if ``path`` ends in ``.gz``. The inverse of :func:`read_idx`; the
    tests use it to serve small fake MNIST files.
    """
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    big = array.astype(native.newbyteorder(">"))
    payload = (
        bytes([0, 0, codes[native], array.ndim])
        + np.asarray(array.shape, dtype=">i4").tobytes()
        + big.tobytes()
    )
    path = Path(path)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path
