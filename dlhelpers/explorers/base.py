"""Interactive explorers, built to be tested without a browser.

Each explorer has three layers: a pure function that computes (in
:mod:`dlhelpers.scratch`, :mod:`dlhelpers.data` or :mod:`dlhelpers.train`),
a view that draws and updates in place, and a ``build_*`` function that
makes its settings (:mod:`dlhelpers.explorers.settings`), wires their
controls to the view and *returns* an :class:`Explorer` without displaying
it. The picture is an ``ipywidgets.Image`` holding a PNG, so there is no
``Output`` widget to capture (which nbval cannot compare) and the stored
notebook shows the last picture even where widgets do not run.

In a test::

    ex = build_activation_explorer()
    before = ex.image.value
    ex.controls["weight"].value = 3.0
    assert ex.image.value != before
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets as W
from matplotlib.figure import Figure

from dlhelpers.viz.live import figure_png, freeze_layout

__all__ = ["Explorer"]


class Explorer:
    """Controls wired to a figure. Display it (last line of a cell) to use it.

    Parameters
    ----------
    name : str
        Shown in the text summary, ``name(control=value, ...)``.
    controls : dict of str to ipywidgets.Widget
        Their values are passed to ``draw`` as keyword arguments.
    figure : matplotlib.figure.Figure
    draw : callable
        ``draw(**values)`` updates the figure in place and returns the status line (HTML),
        or a function of no arguments that returns it: then the picture drawn so far is
        sent at once, and the slow rest runs after it (a sampled text, or a retraining
        whose figure shows "training..." until the function has drawn the result).
    dpi : int
        Pixels per inch of the PNG.
    extra : list of ipywidgets.Widget, optional
        Shown between the controls and the picture (buttons).
    view : object, optional
        The view object that draws (``explorer.view``), for tests and notebooks.
    controls_box : ipywidgets.Widget, optional
        The controls laid out by the builder (a grid of kernel entries);
        by default one wrapping row of all controls.
    on_change : dict of str to callable, optional
        ``on_change[name](new_value)`` runs when control ``name`` changes,
        before the redraw and inside :meth:`hold`, so it may set other
        controls (a new surface resets the start point) with one redraw.
    notices : sequence of str, optional
        Shown before the first status line: the settings' notices of
        clamped values (``Settings.notices``).

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        Set ``controls[name].value`` to move a control from code.
    figure : matplotlib.figure.Figure
    image : ipywidgets.Image
        The rendered figure; its ``value`` (PNG bytes) changes on every redraw.
    widget : ipywidgets.VBox
        Controls above the image; what is displayed.
    view : object or None
    redraws : int
        How many times the figure was drawn.
    """

    def __init__(
        self,
        name: str,
        controls: dict[str, W.Widget],
        figure: Figure,
        draw: Callable[..., Any],
        *,
        dpi: int = 80,
        extra: list[W.Widget] | None = None,
        view: Any = None,
        on_change: dict[str, Callable[[Any], None]] | None = None,
        controls_box: W.Widget | None = None,
        notices: Sequence[str] = (),
    ):
        self.name, self.controls, self.figure, self._draw, self.dpi = (
            name,
            controls,
            figure,
            draw,
            dpi,
        )
        self.view = view
        self._hooks = dict(on_change or {})
        self._held, self._pending, self._restoring = 0, False, False
        self._good = {key: control.value for key, control in controls.items()}
        self.status = W.HTML()
        # align_self: a flex column would otherwise stretch (and blur) the PNG to full width.
        self.image = W.Image(
            format="png", layout=W.Layout(max_width="100%", align_self="flex-start")
        )
        row = controls_box or W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap"))
        self.widget = W.VBox([row, *(extra or []), self.image, self.status])
        self.redraws = 0
        for key, control in controls.items():
            control.observe(lambda change, key=key: self._on_change(key, change), names="value")
        self.refresh()
        # The layout engine runs once, for the first picture; later redraws keep its
        # margins (a constrained layout would cost a third of every redraw).
        freeze_layout(self.figure)
        if notices:
            self.status.value = " · ".join([*notices, self.status.value])

    @property
    def values(self) -> dict[str, Any]:
        return {key: control.value for key, control in self.controls.items()}

    def _on_change(self, key: str, change) -> None:
        if self._restoring:  # the good value coming back: the picture already shows it
            return
        control, new = self.controls[key], change["new"]
        if isinstance(new, float) and not math.isfinite(new):
            good = self._good[key]
            label = getattr(control, "description", "") or key
            self._restoring = True
            try:
                control.value = good
            finally:
                self._restoring = False
            self.status.value = f"{label}: {new} is not a number; kept {good:g}"
            return
        self._good[key] = new
        with self.hold():
            self._pending = True
            if key in self._hooks:
                self._hooks[key](new)

    @contextmanager
    def hold(self) -> Iterator[Explorer]:
        """Change several controls with one redraw at the end (none if nothing changed).

        ``with ex.hold(): ex.controls["a"].value = 1; ex.controls["b"].value = 2``
        """
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if self._held == 0 and self._pending:
                self.refresh()

    def refresh(self) -> None:
        """Redraw with the current control values and update the image."""
        self._pending = False
        message = self._draw(**self.values)
        if callable(message):  # the picture so far first, then the part that takes time
            self.image.value = figure_png(self.figure, dpi=self.dpi)
            self.status.value = message() or ""
            if self.figure.stale:  # the slow part drew (a result), not only the status (a text)
                self.image.value = figure_png(self.figure, dpi=self.dpi)
        else:
            self.status.value = message or ""
            self.image.value = figure_png(self.figure, dpi=self.dpi)
        self.redraws += 1

    def summary(self) -> str:
        settings = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.values.items()
        )
        return f"{self.name}({settings})"

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The widget view for JupyterLab, the PNG for GitHub/nbviewer, and a
        # short stable text (not the widget's huge repr) for nbval to compare.
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/plain"] = self.summary()
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle
