"""Data sets, offline first: one cache/checksum/mirror mechanism, MNIST, toy 2-D sets, text.

NumPy only (plus pooch for downloads); nothing here imports torch.
"""

from dlhelpers.data.cache import DATA_VARIABLE, OFFLINE_VARIABLE
from dlhelpers.data.idx import read_idx, write_idx
from dlhelpers.data.mnist import MNIST, load_mnist, load_mnist_sample
from dlhelpers.data.text import Corpus, load_text, random_windows
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
    "Corpus",
    "DATA_VARIABLE",
    "MNIST",
    "OFFLINE_VARIABLE",
    "load_mnist",
    "load_mnist_sample",
    "load_text",
    "make_blobs",
    "make_circles",
    "make_dataset",
    "make_gaussians",
    "make_line",
    "make_moons",
    "make_spiral",
    "make_xor",
    "random_windows",
    "read_idx",
    "write_idx",
]
