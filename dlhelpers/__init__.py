"""Helpers for the hands-on *Deep Learning Fundamentals* course.

Import what you need from its modules, by name::

    from dlhelpers.scratch import sigmoid, Value      # NumPy only
    from dlhelpers.plots import plot_activation
    from dlhelpers.widgets import build_activation_explorer

Importing the package itself has no side effects and does not import torch.
"""

__version__ = "0.1.0"
