"""Helpers for the hands-on *Deep Learning Fundamentals* course.

One folder per concern; import what you need by name::

    from dlhelpers.scratch import Linear, Value, sigmoid   # NumPy reference code, NumPy only
    from dlhelpers.data import load_mnist, make_moons      # data sets, offline first
    from dlhelpers.train import fit, evaluate              # the torch training loop
    from dlhelpers.viz import plot_activation              # plot helpers (ax=None)
    from dlhelpers.explorers.activation import build_activation_explorer
    from dlhelpers.checks import check                     # exercise checks
    from dlhelpers.env import setup                        # the notebooks' first code cell

Importing the package itself has no side effects and does not import torch.
"""

__version__ = "0.1.0"
