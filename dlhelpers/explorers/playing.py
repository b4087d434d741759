"""An explorer that trains while the learner watches: Play, Step and Reset (notebooks 06 and 10).

The ``ipywidgets.Play`` widget ticks *in the browser* every ``interval_ms``;
each tick calls :meth:`PlayingExplorer.step` in the kernel, so there is no
kernel thread to start or stop.

Every steppable explorer has the same contract: ``step(n=None)`` trains
``n`` units of work (an epoch of the playground, an iteration of GAN Lab;
by default one tick's worth, ``per_tick``) and redraws; ``reset()`` goes
back to the start and stops playing. Both return ``None``: what changed is
in the picture, the status line and the explorer's model. Subclasses say
what a unit of work and a restart are (:meth:`PlayingExplorer.advance`,
:meth:`PlayingExplorer.restart`) and whether training went wrong
(:meth:`PlayingExplorer.keep_playing`).
"""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as W

from dlhelpers.explorers.base import Explorer
from dlhelpers.validate import check_positive_int

__all__ = ["PlayingExplorer"]


class PlayingExplorer(Explorer):
    """An :class:`Explorer` with Play, Step and Reset; subclasses define :meth:`advance` and :meth:`restart`.

    Attributes
    ----------
    per_tick : int
        Units of work per tick of Play, per press of Step, and per ``step()``.
    play : ipywidgets.Play
        Ticks in the browser every ``interval_ms`` ms while playing.
    step_button, reset_button : ipywidgets.Button
    """

    def __init__(
        self,
        name: str,
        controls: dict,
        figure,
        draw,
        *,
        per_tick: int,
        interval_ms: int = 250,
        **kw: Any,
    ):
        self.per_tick = per_tick
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

    def step(self, n: int | None = None) -> None:
        """Train ``n`` units of work (default :attr:`per_tick`) and redraw.

        ``n`` is a whole number of at least 1 (``step(0)`` would silently
        train nothing); NumPy integers are fine.
        """
        n = self.per_tick if n is None else check_positive_int("n", n)
        self.advance(n)
        self.refresh()
        if not self.keep_playing():
            self.play.playing = False

    def reset(self) -> None:
        """Back to the start (same weights, same batches); stops playing."""
        self.play.playing = False
        self.restart()
        self.refresh()

    def advance(self, n: int) -> None:
        """Train ``n`` units of work; no drawing."""
        raise NotImplementedError

    def restart(self) -> None:
        """Back to the start; no drawing."""
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
        self._last_tick = time.monotonic()
