"""Where Qt objects die: always on the GUI thread, never in Python's cyclic collector.

Python's cyclic garbage collector runs on whichever thread happens to allocate when a
generation's threshold is crossed, and during an export or a sweep that is the database worker.
A Qt widget whose last owner is a Python reference cycle is destroyed by that collector, hence
possibly on the worker thread: its timers are stopped from the wrong thread
(``QBasicTimer::stop: Failed. Possibly trying to stop from a different thread``) and the
process dies with a segmentation fault.

PySide hands a dialog back to Python when ``exec()`` returns (the dialog is Python-owned from
then on, whatever its parent), so every modal dialog the app builds and runs is disposed of
with :func:`dispose` once its results are read, and the widgets inside it hold no strong
reference back up the tree (see ``roistudio.gui.import_wizard._Page``).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


def dispose(obj: QObject) -> None:
    """Delete ``obj`` (and its children) from the GUI thread's event loop.

    Call it once a modal dialog's results are read. ``deleteLater`` runs the C++ destructor
    when control returns to the event loop, on the object's thread (the GUI thread); the Python
    wrappers that remain afterwards are empty shells that Python may free anywhere.
    """
    obj.deleteLater()


class GuiThreadCollector(QObject):
    """Python's cyclic collector, run on the GUI thread only, while a worker thread runs.

    A Qt object can end up in a reference cycle in ways no review catches (a slot's closure, a
    matplotlib canvas, a widget built for a tab not yet shown), and the automatic collector then
    finalises it on whichever thread crosses a threshold: the database worker, during an import,
    and the process dies (seen once in CI's soak test). So while a worker runs, automatic
    collection is off and this timer, on the GUI thread, collects the generations whose
    thresholds were crossed, as the automatic collector would. Held by a count: the last
    :meth:`release` switches automatic collection back on (tests start and stop many workers).

    Parameters
    ----------
    parent
        Owner on the GUI thread (the worker object).
    interval_ms
        How often the generation counts are checked.
    """

    _holders = 0
    _was_enabled = True

    def __init__(self, parent: QObject | None = None, interval_ms: int = 250) -> None:
        super().__init__(parent)
        self._held = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)

    def hold(self) -> None:
        """Switch automatic collection off (first holder) and start collecting on this thread."""
        if self._held:
            return
        self._held = True
        if GuiThreadCollector._holders == 0:
            GuiThreadCollector._was_enabled = gc.isenabled()
            gc.disable()
        GuiThreadCollector._holders += 1
        self._timer.start()

    def release(self) -> None:
        """Stop; the last holder collects once and gives collection back to Python."""
        if not self._held:
            return
        self._held = False
        self._timer.stop()
        GuiThreadCollector._holders -= 1
        if GuiThreadCollector._holders == 0:
            gc.collect()
            if GuiThreadCollector._was_enabled:
                gc.enable()

    def collect_due(self) -> None:
        """Collect the oldest generation whose threshold is crossed (the collector's own rule)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
        gc.collect(generation)
