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

from PySide6.QtCore import QObject


def dispose(obj: QObject) -> None:
    """Delete ``obj`` (and its children) from the GUI thread's event loop.

    Call it once a modal dialog's results are read. ``deleteLater`` runs the C++ destructor
    when control returns to the event loop, on the object's thread (the GUI thread); the Python
    wrappers that remain afterwards are empty shells that Python may free anywhere.
    """
    obj.deleteLater()
