"""Data sets, offline first: one cache/checksum/mirror mechanism, MNIST, toy 2-D sets.

NumPy only (plus pooch for downloads); nothing here imports torch.
"""

from dlhelpers.data.cache import DATA_VARIABLE, OFFLINE_VARIABLE
from dlhelpers.data.idx import read_idx, write_idx
from dlhelpers.data.mnist import MNIST, load_mnist, load_mnist_sample
from dlhelpers.data.toy import (
    DATASETS,
    make_blobs,
    make_circles,
    make_dataset,
    make_gaussians,
    make_line,
    make_moons,
    make_spiral,
    make_xor,
)

__all__ = [
    "DATASETS",
    "DATA_VARIABLE",
    "MNIST",
    "OFFLINE_VARIABLE",
    "load_mnist",
    "load_mnist_sample",
    "make_blobs",
    "make_circles",
    "make_dataset",
    "make_gaussians",
    "make_line",
    "make_moons",
    "make_spiral",
    "make_xor",
    "read_idx",
    "write_idx",
]
