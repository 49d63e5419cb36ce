"""A matplotlib canvas for Qt that draws the shared charts and can redraw a few artists fast.

The figure is a plain ``matplotlib.figure.Figure`` (never the global plotting state), drawn by the same
``roistudio.charts`` functions as the PDF. ``FigureCanvasQTAgg`` renders at the screen's device
pixel ratio, so charts stay sharp on high-DPI screens; the logical size is what layouts see.

Blitting: artists registered with :meth:`MplCanvas.set_moving_artists` are marked animated, so a
full draw leaves them out; right after each full draw the canvas copies the background and paints
them on top. :meth:`MplCanvas.blit_moving` then restores that background and redraws only those
artists, which is what keeps a slider over a million-point curve interactive.

Hidden canvases (a view on another tab) do not draw: :meth:`MplCanvas.draw_idle` leaves the
draw for the next paint, which showing the view brings, and :meth:`MplCanvas.set_chart` leaves
building the chart itself for the next show.

Colours: each :meth:`MplCanvas.clear` picks the chart palette for the current system scheme
(:data:`~roistudio.charts.style.DARK` when it is dark), so a chart drawn after ``clear()`` with
``palette=canvas.chart_palette`` matches the window around it. Reports always use the light palette.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import shiboken6
from matplotlib.artist import Artist
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from roistudio.charts import style as chart_style
from roistudio.gui import theme

__all__ = ["MplCanvas"]


class MplCanvas(FigureCanvasQTAgg):
    """A Qt widget holding one matplotlib Figure with a constrained layout.

    Parameters
    ----------
    parent
        Parent widget.
    width, height
        Initial figure size in inches (the layout resizes it).
    dpi
        Logical dots per inch; the device pixel ratio is applied on top by the backend.
    """

    def __init__(
        self, parent: QWidget | None = None, *, width: float = 6.0, height: float = 4.0, dpi: float = 100
    ):
        self.chart_palette = _current_palette()
        figure = Figure(
            figsize=(width, height), dpi=dpi, layout="constrained", facecolor=self.chart_palette.background
        )
        super().__init__(figure)  # type: ignore[no-untyped-call]  # matplotlib's Qt backend is unannotated
        self.setParent(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 220)
        self._moving: tuple[Artist, ...] = ()
        self._background = None
        self.full_draws = 0  # counted so tests can check a slider move does not redraw everything
        self.hidden_draws = 0  # draws asked for while hidden, left for the next paint
        self._pending_build: Callable[[], None] | None = None  # a chart to build when shown
        self.mpl_connect("draw_event", self._on_draw)

    # -- drawing --------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every artist and the cached background; the next draw starts from scratch.

        Also re-reads the system scheme into :attr:`chart_palette`, for the chart about to be drawn.
        """
        self.chart_palette = _current_palette()
        self.figure.set_facecolor(self.chart_palette.background)
        self.figure.clear()
        self._moving = ()
        self._background = None
        self._pending_build = None  # what is drawn next replaces a chart still waiting

    def set_chart(self, build: Callable[[], None]) -> None:
        """Build the chart with ``build`` (which clears, draws and calls :meth:`draw_idle`) now if
        the canvas is shown, else when it is next shown; a later call or :meth:`clear` replaces a
        build still waiting.

        Views on tabs not shown hear of every analysis and threshold move; building their
        figures then (tens of milliseconds each) is GUI-thread work for charts nobody sees.
        The scheme's palette is read now, so the canvas says which colours its chart will have.
        """
        if self.isVisible():
            self._pending_build = None
            build()
            return
        self._pending_build = build
        self.chart_palette = _current_palette()
        self.figure.set_facecolor(self.chart_palette.background)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)  # type: ignore[no-untyped-call]
        build, self._pending_build = self._pending_build, None
        if build is not None:
            build()

    def set_moving_artists(self, artists: Iterable[Artist]) -> None:
        """Artists that change often (an operating marker): left out of full draws, blitted instead."""
        self._moving = tuple(artists)
        for artist in self._moving:
            artist.set_animated(True)

    def draw(self) -> None:
        # A deferred draw_idle can fire while or after Qt deletes the widget (its window was
        # closed and garbage-collected); there is nothing left to paint then.
        if not shiboken6.isValid(self):
            return
        try:
            super().draw()  # type: ignore[no-untyped-call]
        except RuntimeError:
            if shiboken6.isValid(self):
                raise

    def redraw(self) -> None:
        """Draw the whole figure now (after new data), which also refreshes the blit background."""
        self.draw()

    def blit_moving(self) -> None:
        """Repaint only the moving artists over the cached background.

        Falls back to a deferred full draw when there is no background yet (never drawn, or
        the canvas was resized and has not been drawn since).
        """
        if self._background is None or not self._moving:
            self.draw_idle()
            return
        self.restore_region(self._background)
        self._draw_moving()
        self.blit(self.figure.bbox)

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        """Redraw when Qt is next idle; a canvas not shown, when it is next painted.

        A view on another tab is told about every analysis; drawing it then would cost the GUI
        thread a full figure draw per publish for a chart nobody sees. Marking the draw pending
        is enough: the backend's ``paintEvent`` draws a pending figure first, and showing or
        grabbing the widget paints it.
        """
        if not self.isVisible():
            self._draw_pending = True
            self.hidden_draws += 1
            return
        super().draw_idle(*args, **kwargs)  # type: ignore[no-untyped-call]

    # -- internals --------------------------------------------------------------------------------
    def _on_draw(self, _event: object) -> None:
        # Called at the end of every full draw: the buffer now holds everything but the moving
        # artists, which is exactly the background to restore before each blit.
        self.full_draws += 1
        self._background = self.copy_from_bbox(self.figure.bbox)  # type: ignore[no-untyped-call]
        self._draw_moving()

    def _draw_moving(self) -> None:
        for artist in self._moving:
            if artist.figure is self.figure and artist.axes is not None:
                artist.axes.draw_artist(artist)


def _current_palette() -> chart_style.ChartPalette:
    return chart_style.DARK if theme.is_dark() else chart_style.LIGHT
