"""Exercise judges, one module per topic; :func:`dlhelpers.checks.check` loads them all.

Each module registers its exercises with :func:`dlhelpers.checks.exercise`.
The expected answers live here, out of the notebooks, so a check cell can
say *not yet* with a hint without printing them.
"""
