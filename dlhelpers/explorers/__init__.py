"""Interactive explorers: one module per explorer, each with its pure part, its view and its ``build_*``.

Import a builder from its module, for example
``from dlhelpers.explorers.activation import build_activation_explorer``; the
shared base (:class:`~dlhelpers.explorers.base.Explorer`, ``slider``,
``dropdown``) is in :mod:`dlhelpers.explorers.base`. A ``build_*`` function
returns an :class:`Explorer` without displaying it, so a test can move a
control and assert that the picture changed.
"""
