"""Opening a project into the document: a ``.roiproj`` file, or the bundled demo.

The data is re-imported on the database worker (from the import cache when it can be); a project
whose data file changed since it was saved waits in :attr:`ProjectDocument.pending_source` until
the analyst accepts the data as it is now (:func:`accept_changed_source`) or starts anew.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from roistudio.core.data.loading import TABLE, ImportResult
from roistudio.core.project.defaults import project_for_demo
from roistudio.core.project.project import DataSource, load_project
from roistudio.gui import operations

if TYPE_CHECKING:
    from roistudio.gui.document import ProjectDocument
    from roistudio.gui.workers import Job


def load_demo(doc: ProjectDocument, on_done: Callable[[], None] | None = None) -> Job:
    """Import the bundled demo and analyse it with its default mapping and payoff."""
    from roistudio.core.project.demo import demo_data_path

    def done(result: ImportResult) -> None:
        doc.reset(project_for_demo(result), None, result)
        if on_done is not None:
            on_done()

    return operations.load_data(
        doc.worker, str(demo_data_path()), table=TABLE, cache_dir=doc.import_cache_dir,
        description="Loading the demo data", on_done=done, on_failure=doc.dataFailed.emit,
    )  # fmt: skip


def open_project(
    doc: ProjectDocument,
    path: str,
    on_done: Callable[[], None] | None = None,
    *,
    relocated: str | None = None,
) -> Job | None:
    """Load a project file and re-import its data on the worker.

    Parameters
    ----------
    doc
        The document the project opens in.
    path
        The ``.roiproj`` file; a bad one raises :class:`~roistudio.core.errors.ProjectError` (one line).
    on_done
        Called once the project is open.
    relocated
        Replaces the path of a data file that moved (its fingerprint is still checked).

    Returns
    -------
    Job or None
        The import job; ``None`` for a project without data (opened at once).

    Notes
    -----
    When the data file changed since the project was saved, ``doc.sourceChanged`` is emitted and
    the project waits for :func:`accept_changed_source`.
    """
    project = load_project(path)
    if project.spark is not None:  # nothing imported: reconnect to Spark (gui.spark_source)
        from roistudio.gui.spark_source import open_spark

        return open_spark(doc, project.spark, project=project, path=str(path), on_done=on_done)
    if relocated and project.sources:
        first = project.sources[0]
        moved = DataSource(replace(first.info, path=str(Path(relocated).resolve())), first.table)
        project = project.with_changes(sources=(moved, *project.sources[1:]))
    if not project.sources:
        doc.reset(project, str(path), None)
        if on_done is not None:
            on_done()
        return None
    source = project.sources[0]

    def done(result: ImportResult) -> None:
        if not source.info.same_data(result.report.source):
            doc.pending_source = (project, str(path), result, on_done)
            doc.sourceChanged.emit([source.name])
            return
        doc.reset(project, str(path), result)
        if on_done is not None:
            on_done()

    return operations.load_data(
        doc.worker, source.path, table=source.table, cache_dir=doc.import_cache_dir,
        description=f"Loading {source.name}", on_done=done, on_failure=doc.dataFailed.emit,
    )  # fmt: skip


def accept_changed_source(doc: ProjectDocument) -> None:
    """Use the data as it is now for the project waiting after ``sourceChanged``."""
    if doc.pending_source is None:
        return
    project, path, result, on_done = doc.pending_source
    doc.pending_source = None
    sources = (DataSource(result.report.source, project.sources[0].table), *project.sources[1:])
    doc.reset(project.with_changes(sources=sources), path, result)
    # The saved fingerprint is now out of date: saving would record the new one.
    doc.mark_unsaved()
    if on_done is not None:
        on_done()
