"""The practice exercise of notebook 00: how checks work."""

from __future__ import annotations

import numpy as np

from dlhelpers.checks import Wrong, as_numbers, exercise
from dlhelpers.data.toy import make_line

__all__ = ["WELCOME_LINE"]

#: The points of notebook 00's line explorer and its practice exercise.
WELCOME_LINE = {"n_samples": 20, "slope": 2.0, "intercept": -1.0, "noise": 0.4, "seed": 0}


@exercise(
    "welcome-fit",
    "Find (w, b) whose line has a mean squared error below 0.3.",
    hint="move one slider at a time and watch the error in the figure's title: first the slope w "
    "until the line runs parallel to the points, then the intercept b to shift it onto them.",
    solution=r"""my_line = (2.0, -1.0)  # (w, b), for example (1.5, 0.5)
""",
)
def _welcome_fit(answer):
    w, b = as_numbers(answer, 2, example="(1.5, 0.5)")
    x, y = make_line(**WELCOME_LINE)
    mse = float(np.mean((w * x + b - y) ** 2))
    if mse >= 0.3:
        hint = "steeper or flatter? Compare the slope of the points with your line's."
        if abs(float(np.mean(w * x + b - y))) > 0.3:
            hint = "your line is mostly above or below the points: adjust b."
        raise Wrong(f"mean squared error {mse:.2f}, not yet below 0.3; {hint}")
    return (
        f"mean squared error {mse:.2f}. Turning knobs to make a loss small is what training does."
    )
