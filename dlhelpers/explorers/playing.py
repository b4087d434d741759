"""An explorer that trains while the learner watches: Play, Step and Reset (notebooks 06 and 10).

The ``ipywidgets.Play`` widget ticks *in the browser* every ``interval_ms``;
each tick calls :meth:`PlayingExplorer.step` in the kernel, so there is no
kernel thread to start or stop. Subclasses say what one step and a reset do.
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as W

from dlhelpers.explorers.base import Explorer

__all__ = ["PlayingExplorer"]


class PlayingExplorer(Explorer):
    """An :class:`Explorer` with Play, Step and Reset; subclasses define :meth:`step` and :meth:`reset`.

    Attributes
    ----------
    play : ipywidgets.Play
        Ticks in the browser every ``interval_ms`` ms while playing.
    step_button, reset_button : ipywidgets.Button
    """

    def __init__(
        self, name: str, controls: dict, figure, draw, *, interval_ms: int = 250, **kw: Any
    ):
        self.play = W.Play(
            value=0,
            min=0,
            max=10**9,
            step=1,
            interval=interval_ms,
            show_repeat=False,
            description="play / pause",
        )
        self.step_button = W.Button(
            description="step", icon="step-forward", layout=W.Layout(width="90px")
        )
        self.reset_button = W.Button(
            description="reset", icon="undo", layout=W.Layout(width="90px")
        )
        self.play.observe(self._on_tick, names="value")
        self.step_button.on_click(lambda _b: self.step())
        self.reset_button.on_click(lambda _b: self.reset())
        self._last_tick = float("-inf")
        buttons = W.HBox([self.play, self.step_button, self.reset_button])
        super().__init__(name, controls, figure, draw, extra=[buttons], **kw)

    def step(self, n: int | None = None) -> Any:
        """Train a little (``n`` units of work, or the subclass's default) and redraw."""
        raise NotImplementedError

    def reset(self) -> None:
        """Back to the start; stops playing."""
        raise NotImplementedError

    def keep_playing(self) -> bool:
        """Checked after every tick: False stops the Play widget (a diverged model)."""
        return True

    def _on_tick(self, change) -> None:
        # The Play widget's stop button sends the value back to 0: not a tick.
        if change["new"] <= change["old"]:
            return
        # If the kernel fell behind, ticks queue up and would keep training after
        # a pause; drop those that arrive sooner than half an interval apart.
        now = time.monotonic()
        if now - self._last_tick < 0.5 * self.play.interval / 1000:
            return
        self.step()
        if not self.keep_playing():
            self.play.playing = False
        self._last_tick = time.monotonic()
