"""The PDF's charts: matplotlib figures rendered to pixels and placed as image flowables.

A chart is drawn on a fresh Figure at :data:`CHART_DPI` when its page is drawn, or beforehand
by a forked copy of the process (:func:`charts_rendered_meanwhile`, batch commands on Linux
only). Either way it reaches the PDF as a :class:`ChartStream`: the RGB pixels, deflated once,
written as the page's image XObject as reportlab's ``drawImage`` writes one (the same
dictionary and filter), without ``drawImage``'s copy of the pixels into a PIL image and its
MD5 over the raw bytes. A copy sends each chart's stream as soon as it is rendered, so the
pages before it are laid out meanwhile.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import signal
import sys
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from PIL import Image as PILImage
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc
from reportlab.platypus import Flowable

__all__ = [
    "CHART_DPI",
    "ChartStream",
    "FillChart",
    "chart_image",
    "charts_rendered_meanwhile",
    "collected_charts",
    "spare_core",
]

CHART_DPI = 220


@dataclass(frozen=True)
class ChartStream:
    """A rendered chart: its size in pixels and its RGB rows, deflated (a PDF ``FlateDecode`` stream)."""

    width: int
    height: int
    data: bytes

    @classmethod
    def of(cls, pixels: np.ndarray) -> ChartStream:
        """Deflate an ``(height, width, 3)`` array of bytes (zlib's default level, as reportlab)."""
        height, width = pixels.shape[:2]
        return cls(width, height, zlib.compress(np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()))

    def pixels(self) -> np.ndarray:
        return np.frombuffer(zlib.decompress(self.data), dtype=np.uint8).reshape(self.height, self.width, 3)


def draw_stream(canv: object, stream: ChartStream, width: float, height: float) -> None:
    """Place ``stream`` at the origin of ``canv``, ``width`` x ``height`` points.

    The image XObject is registered and drawn the way ``Canvas.drawImage`` does it for an RGB
    image; on a reportlab without those canvas internals, ``drawImage`` itself is called.
    """
    try:
        doc, code, in_use = canv._doc, canv._code, canv._formsinuse  # type: ignore[attr-defined]
        register = canv._setXObjects  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - another reportlab release
        reader = ImageReader(PILImage.fromarray(stream.pixels()))
        canv.drawImage(reader, 0, 0, width=width, height=height)  # type: ignore[attr-defined]
        return
    # Numbered per document in drawing order: the same report names its images the same way.
    number = getattr(canv, "_roistudio_charts", 0) + 1
    canv._roistudio_charts = number  # type: ignore[attr-defined]
    name = f"Chart{number:04d}"
    image = pdfdoc.PDFImageXObject(name)
    image.width, image.height = stream.width, stream.height
    image.bitsPerComponent, image.colorSpace = 8, "DeviceRGB"
    image._filters, image.streamContent, image.mask = ("FlateDecode",), stream.data, None
    reference = doc.getXObjectName(name)
    register(image)
    doc.Reference(image, reference)
    doc.addForm(name, image)
    canv._currentPageHasImages = 1  # type: ignore[attr-defined]
    canv.saveState()  # type: ignore[attr-defined]
    canv.scale(width, height)  # type: ignore[attr-defined]
    code.append(f"/{reference} Do")
    canv.restoreState()  # type: ignore[attr-defined]
    in_use.append(name)  # the page's resources list the XObjects it uses


class _ChartImage(Flowable):  # type: ignore[misc]  # reportlab has no type stubs
    """A chart placed at its physical size, rendered when first drawn (or by a copy, see
    :func:`charts_rendered_meanwhile`)."""

    def __init__(self, draw: Callable[[Axes], object], width: float, height: float):
        super().__init__()
        self._draw, self.width, self.height = draw, width, height
        self._stream: ChartStream | None = None
        self._stream_from: Callable[[], ChartStream | None] | None = None
        collected = _collected.get()
        if collected is not None:
            collected.append(self)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def pixels(self) -> np.ndarray:
        """The rendered chart as an RGB array."""
        return _render(self._draw, self.width, self.height)

    def draw(self) -> None:
        if self._stream is None:
            done = self._stream_from() if self._stream_from is not None else None
            self._stream = done if done is not None else ChartStream.of(self.pixels())
        draw_stream(self.canv, self._stream, self.width, self.height)


# Per thread (and task): the app may write a PDF on a worker thread while another is built.
_collected: contextvars.ContextVar[list[_ChartImage] | None] = contextvars.ContextVar("charts", default=None)


def chart_image(draw: Callable[[Axes], object], width: float, height: float) -> Flowable:
    """A chart drawn on a fresh Figure at :data:`CHART_DPI`, sized ``width`` x ``height`` points."""
    return _ChartImage(draw, width, height)


class FillChart(Flowable):  # type: ignore[misc]  # reportlab has no type stubs
    """A chart as tall as the space left on the page (between ``low`` and ``high`` points).

    Page 1 ends with its chart: sized at layout time, it fills the page whatever the text above
    took (A4 or Letter, with or without an estimate box), so no band of the page is left empty.
    Rendered once, at the height of its first layout.
    """

    def __init__(self, draw: Callable[[Axes], object], width: float, low: float, high: float):
        super().__init__()
        self._draw, self.width, self._low, self._high = draw, width, low, high
        self.height = low
        self._stream: ChartStream | None = None

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self._stream is None:
            self.height = max(self._low, min(self._high, available_height - 1))
        return self.width, self.height

    def draw(self) -> None:
        if self._stream is None:
            self._stream = ChartStream.of(_render(self._draw, self.width, self.height))
        draw_stream(self.canv, self._stream, self.width, self.height)


def _render(draw: Callable[[Axes], object], width: float, height: float) -> np.ndarray:
    fig = Figure(
        figsize=(width / inch, height / inch), dpi=CHART_DPI, layout="constrained", facecolor="white"
    )
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(w_pad=0.04, h_pad=0.04)
    draw(fig.add_subplot())
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib leaves the Agg canvas untyped
    # An opaque RGB image: smaller than RGBA and needs no soft mask in the PDF.
    rgba = canvas.buffer_rgba()  # type: ignore[no-untyped-call]  # untyped in matplotlib
    return np.ascontiguousarray(np.asarray(rgba)[..., :3])


def spare_core() -> bool:
    """Whether a forked copy of this process would have a core to itself (Linux only).

    Two cores or more and a one-minute load average below the number of cores (the command
    itself counts for about one, so other work takes less than a core): on a machine already
    busy (measured at a load average of 7 to 15 on 2 cores) a second process only competes for
    the same cores, and its copy-on-write work made the report slower, not faster.
    """
    if not sys.platform.startswith("linux"):
        return False
    cores = os.cpu_count() or 1
    return cores >= 2 and os.getloadavg()[0] < cores


@contextlib.contextmanager
def collected_charts() -> Iterator[list[_ChartImage]]:
    """The charts (:func:`chart_image`) made inside the block, in the order they were made."""
    charts: list[_ChartImage] = []
    token = _collected.set(charts)
    try:
        yield charts
    finally:
        _collected.reset(token)


@contextlib.contextmanager
def charts_rendered_meanwhile(charts: Sequence[_ChartImage]) -> Iterator[None]:
    """Render the later of ``charts`` in a forked copy of this process while the block runs.

    For a batch command on Linux with a core to spare (:func:`spare_core`; never the app: a copy
    of a Qt process is not safe). The block lays out and draws the pages; the charts come in
    page order, so the copy takes the later ones (two thirds: the pages before them take the
    parent a while) and the parent draws the first ones itself. The copy writes each chart's
    stream to a temporary file and then its number to a pipe; a page waits only for its own
    chart. If the copy failed for any reason, the parent renders what is missing itself. The
    copy ends with ``os._exit`` and never touches the parent's DuckDB connection or threads; it
    is reaped (killed first if the block failed) before the block's exit.
    """
    theirs = list(charts[len(charts) // 3 :])
    if not theirs or not spare_core():
        yield
        return
    with tempfile.TemporaryDirectory(prefix="roistudio-charts-") as tmp:
        files = [os.path.join(tmp, f"{i}.chart") for i in range(len(theirs))]
        sys.stdout.flush()
        sys.stderr.flush()
        done_read, done_write = os.pipe()
        with warnings.catch_warnings():
            # Python 3.12+ warns on fork in a process with threads (DuckDB's pool): see above.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            gc.disable()  # the copy must not finalise a garbage object of the parent's
            code = 1
            try:
                os.close(done_read)
                for i, (chart, file) in enumerate(zip(theirs, files, strict=True)):
                    stream = ChartStream.of(chart.pixels())
                    with open(file, "wb") as out:
                        out.write(np.array([stream.width, stream.height], dtype=np.int64).tobytes())
                        out.write(stream.data)
                    os.write(done_write, bytes([i % 256]))
                code = 0
            finally:
                os._exit(code)
        os.close(done_write)
        ready = _Arrivals(done_read, pid)

        def reader(i: int, file: str) -> Callable[[], ChartStream | None]:
            def read() -> ChartStream | None:
                if not ready.wait_for(i):
                    return None
                with open(file, "rb") as source:
                    width, height = np.frombuffer(source.read(16), dtype=np.int64).tolist()
                    return ChartStream(width, height, source.read())

            return read

        for i, (chart, file) in enumerate(zip(theirs, files, strict=True)):
            chart._stream_from = reader(i, file)
        try:
            yield
        except BaseException:
            ready.stop()
            raise
        finally:
            ready.close()
            for chart in theirs:
                chart._stream_from = None


class _Arrivals:
    """The charts a copy reported done (their numbers, in order, on a pipe) and its exit."""

    def __init__(self, fd: int, pid: int):
        self.fd, self.pid = fd, pid
        self.count = 0  # charts reported so far
        self.ended = False
        self.status: int | None = None

    def wait_for(self, i: int) -> bool:
        """Block until chart ``i`` is reported; False if the copy ended without it."""
        while self.count <= i and not self.ended:
            got = os.read(self.fd, 64)
            if got:
                self.count += len(got)
            else:
                self.ended = True
        return self.count > i

    def stop(self) -> None:
        """Kill the copy (the block failed)."""
        if self.status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Reap the copy and close the pipe."""
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        with contextlib.suppress(OSError):
            os.close(self.fd)
