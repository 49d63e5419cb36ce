"""The open project: its state, its undo history, and the latest analysis of it.

:class:`ProjectDocument` holds a core :class:`~roistudio.core.project.project.Project` (mapping, payoff,
parameters and ranges, threshold, constraints, filters, period, view) and is the one place the
GUI changes it. Every user edit is a :class:`QUndoCommand` on :attr:`ProjectDocument.undo_stack`,
so Undo/Redo and the "unsaved changes" flag (the stack's clean state) come for free.

Edits that change the numbers start :func:`roistudio.core.engine.analysis.analyse` on the database
worker; a newer edit supersedes an older sweep still running. Moving the threshold runs no query:
:func:`roistudio.core.engine.analysis.reread_at` reads the new policy off the curves already computed.
The base analysis is always the automatic one (optimum or constrained optimum); a threshold the
user set is applied on top of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoStack

from roistudio.core.data.filter_options import FilterOptions
from roistudio.core.data.loading import TABLE, ImportResult, import_data
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import RoiError
from roistudio.core.glossary import format_threshold
from roistudio.core.project.defaults import project_for_import
from roistudio.core.project.edits import Rerun, rerun_for
from roistudio.core.project.project import VIEWS, Project, save_project
from roistudio.gui import operations
from roistudio.gui.analysis_runner import AnalysisRunner
from roistudio.gui.edit_command import EditCommand

__all__ = ["TABLE", "EditCommand", "FilterOptions", "ImportResult", "ProjectDocument", "import_data"]

if TYPE_CHECKING:
    from roistudio.core.data.importer import ImportReport
    from roistudio.core.data.mapping import ColumnMapping
    from roistudio.core.engine.analysis import Analysis, AnalysisRequest
    from roistudio.core.engine.column_sums import ColumnSumsCache
    from roistudio.gui.workers import DatabaseWorker


class ProjectDocument(QObject):
    """State of the open project, its undo stack and its latest analysis.

    Parameters
    ----------
    worker
        The database worker that owns the DuckDB connection.

    Signals
    -------
    projectChanged()
        Any field changed (undo/redo included).
    mappingChanged(), payoffChanged()
        The mapping / the payoff (expressions, parameters or ranges) changed.
    thresholdChanged(object)
        The operating threshold (``float`` or ``None`` = flag nobody) changed.
    constraintsChanged(object), filtersChanged(object), viewChanged(str)
    analysisChanged(object)
        A new :class:`~roistudio.core.engine.analysis.Analysis` (or ``None``) is current.
    analysisFailed(str)
        The sweep failed; one line for the user. The previous analysis stays shown.
    dataLoaded(object)
        An :class:`~roistudio.core.data.importer.ImportReport` of the data now in the table.
    dataFailed(str)
        Loading the project's data failed (one line).
    sourceChanged(list)
        An opened project's data differs from when it was saved (names); call
        :func:`roistudio.gui.project_loading.accept_changed_source` or :meth:`new`.
    optionsChanged(object)
        New :class:`FilterOptions`.
    thresholdMoved(str)
        The analysis moved a threshold the analyst had not set (the best threshold changed
        after an edit); one line for the status bar, naming the edit and how to undo it.
    dirtyChanged(bool), pathChanged(str)
    busyChanged(bool, str), progress(float, str)
        Work on the database thread started/ended, and how far it is.
    """

    projectChanged = Signal()
    mappingChanged = Signal()
    payoffChanged = Signal()
    thresholdChanged = Signal(object)
    constraintsChanged = Signal(object)
    filtersChanged = Signal(object)
    viewChanged = Signal(str)
    analysisChanged = Signal(object)
    analysisFailed = Signal(str)
    dataLoaded = Signal(object)
    dataFailed = Signal(str)
    sourceChanged = Signal(list)
    optionsChanged = Signal(object)
    thresholdMoved = Signal(str)
    dirtyChanged = Signal(bool)
    pathChanged = Signal(str)
    busyChanged = Signal(bool, str)
    progress = Signal(float, str)

    def __init__(self, worker: DatabaseWorker, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.project = Project()
        self.path: str | None = None
        self.import_report: ImportReport | None = None
        self.columns: dict[str, str] = {}
        self.options = FilterOptions()
        self.analysis: Analysis | None = None
        self.base_analysis: Analysis | None = None
        self.analysis_error: str | None = None
        self.last_edit = ""  # the edit (or undo) last applied, for the "threshold moved" line
        self.undo_stack = QUndoStack(self)
        # Folder of imports kept between sessions (core.import_cache); None imports every time.
        self.import_cache_dir: Path | None = None
        self._forced_dirty = False
        self._was_dirty = False
        # An opened project whose data changed, waiting for
        # gui.project_loading.accept_changed_source (with its on_done).
        self.pending_source: tuple[Project, str, ImportResult, Callable[[], None] | None] | None = None
        self.runner = AnalysisRunner(worker)  # sweeps and the caches that make re-runs cheap
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        worker.busyChanged.connect(self.busyChanged)
        worker.jobProgress.connect(self.progress)

    # -- state ------------------------------------------------------------------------------------
    @property
    def has_data(self) -> bool:
        return self.import_report is not None

    @property
    def sums_cache(self) -> ColumnSumsCache | None:
        """The column-sums cache of the open data's sweeps (see ``AnalysisRunner.sums_cache``)."""
        return self.runner.sums_cache

    @property
    def mapping(self) -> ColumnMapping | None:
        return self.project.mapping

    @property
    def threshold(self) -> float | None:
        return self.project.threshold

    def is_dirty(self) -> bool:
        return self._forced_dirty or not self.undo_stack.isClean()

    def display_name(self) -> str:
        if self.path:
            return Path(self.path).name
        if self.project.sources:
            return f"{self.project.sources[0].name} (unsaved project)"
        if self.project.spark is not None:
            return f"{self.project.spark.name} on Spark (unsaved project)"
        return "Untitled"

    @Slot(bool)
    def _on_clean_changed(self, _clean: bool) -> None:
        with contextlib.suppress(RuntimeError):  # the stack is being destroyed with the document
            self._emit_dirty()

    def _emit_dirty(self) -> None:
        dirty = self.is_dirty()
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.dirtyChanged.emit(dirty)

    # -- whole-document operations (not undoable) -------------------------------------------------------
    def new(self) -> None:
        """Forget the project (the table stays in the cache until replaced)."""
        self.pending_source = None
        self.reset(Project(), None, None)

    def reset(self, project: Project, path: str | None, result: ImportResult | None) -> None:
        """Make ``project`` (at ``path``, on the data ``result`` imported) the open one, with no history."""
        old_table = self.import_report.table if self.import_report else None
        if old_table and (result is None or result.report.table != old_table):
            self._drop_table(old_table)  # the cache holds only the open project's data
        self.project = project
        self.path = path
        self.import_report = result.report if result else None
        self.columns = dict(result.report.columns) if result else {}
        self.base_analysis = self.analysis = None
        self.analysis_error = None
        self.runner.forget_data()
        self.options = FilterOptions()
        self.undo_stack.clear()
        self._forced_dirty = False
        self._emit_dirty()
        self.pathChanged.emit(path or "")
        if result is not None:
            self.dataLoaded.emit(result.report)
        self.analysisChanged.emit(None)
        for signal in (self.mappingChanged, self.payoffChanged, self.projectChanged):
            signal.emit()
        self.filtersChanged.emit(project.filters)
        self.constraintsChanged.emit(project.constraints)
        self.thresholdChanged.emit(project.threshold)
        self.viewChanged.emit(project.view)
        if project.mapping is not None and result is not None:
            self._refresh_options()
            self._request_analysis()

    def _drop_table(self, table: str) -> None:
        from roistudio.core.sql import drop_relation

        self.worker.submit(lambda con, _p: drop_relation(con, table))

    def adopt_import(
        self, result: ImportResult, mapping: ColumnMapping, *, period: str | None = "month"
    ) -> None:
        """Start a new project on data just imported (by the wizard) into the table."""
        self.reset(project_for_import(result, mapping, period=period), None, result)

    def save(self, path: str | None = None) -> None:
        """Write the project (atomically) and mark the current state as saved."""
        target = path or self.path
        if not target:
            raise ValueError("no path to save to")
        save_project(self.project, target)
        changed = target != self.path
        self.path = str(target)
        self._forced_dirty = False
        self.undo_stack.setClean()
        self._emit_dirty()
        if changed:
            self.pathChanged.emit(self.path)

    def mark_recovered(self, original_path: str | None) -> None:
        """After opening an autosaved copy: it belongs to ``original_path`` and is unsaved work."""
        self.path = original_path
        self.mark_unsaved()
        self.pathChanged.emit(original_path or "")

    def mark_unsaved(self) -> None:
        """The state differs from the file although no edit is on the undo stack."""
        self._forced_dirty = True
        self._emit_dirty()

    def write_recovery(self, path: str) -> None:
        """Save a copy for crash recovery without touching the saved/dirty state."""
        save_project(self.project, path)

    def apply_link(
        self,
        view: str | None,
        threshold: float | None,
        has_threshold: bool,
        filters: Filters | None,
        segment: str | None = None,
    ) -> None:
        """Show what a link names: view, segment column, threshold and filters (navigation, not undoable)."""
        changes: dict[str, Any] = {}
        if segment:
            changes["segment"] = segment
        if filters is not None:
            changes["filters"] = filters
        if has_threshold:
            changes |= {"threshold": threshold, "threshold_user_set": True}
        if view in VIEWS:
            changes["view"] = view
        if changes:
            self._apply(changes)

    # -- undoable edits --------------------------------------------------------------------------------
    def _edit(self, text: str, **after: Any) -> None:
        before = {key: getattr(self.project, key) for key in after}
        if before == after:
            return
        self.undo_stack.push(EditCommand(self, text, before, after))

    def set_mapping(self, mapping: ColumnMapping) -> None:
        self._edit("Change column mapping", mapping=mapping)

    def set_payoff(
        self,
        expressions: Mapping[str, str],
        parameters: Mapping[str, float],
        ranges: Mapping[str, tuple[float, float]],
    ) -> None:
        after: dict[str, Any] = {"payoff": dict(expressions), "parameters": dict(parameters),
                 "ranges": {k: tuple(v) for k, v in ranges.items()}}  # fmt: skip
        before = {key: getattr(self.project, key) for key in after}
        # Compared with order: the parameter table's order is the analyst's and is saved as is.
        if {k: list(dict(v).items()) for k, v in before.items()} == {
            k: list(v.items()) for k, v in after.items()
        }:
            return
        # An edit makes the payoff the analyst's own; Undo brings the "suggested" mark back.
        before["payoff_suggested"], after["payoff_suggested"] = self.project.payoff_suggested, False
        if before["payoff"] == after["payoff"] and before["ranges"] == after["ranges"]:
            changed = [
                k for k in after["parameters"] if before["parameters"].get(k) != after["parameters"][k]
            ]
            text = f"Change parameter {changed[0]}" if len(changed) == 1 else "Change parameters"
        else:
            text = "Edit payoff"
        self.undo_stack.push(EditCommand(self, text, before, after))

    def confirm_payoff(self) -> None:
        """The analyst accepts the suggested payoff as it is (undoable)."""
        if self.project.payoff_suggested:
            self._edit("Confirm payoff", payoff_suggested=False)

    def set_threshold(self, threshold: float | None) -> None:
        """The user moved the threshold: merge with the previous move if it was a moment ago."""
        after = {"threshold": threshold, "threshold_user_set": True}
        before = {"threshold": self.project.threshold, "threshold_user_set": self.project.threshold_user_set}
        if before == after:
            return
        self.undo_stack.push(EditCommand(self, "Move threshold", before, after, merge=True))

    def use_optimum(self) -> None:
        """Let the analysis pick the threshold again (optimum or constrained optimum)."""
        if self.project.threshold_user_set:
            self._edit("Use the best threshold", threshold_user_set=False)

    def set_constraints(self, constraints: Constraints) -> None:
        """A threshold the analyst set stays; the best one under the constraints is shown beside it."""
        self._edit("Change constraints", constraints=constraints)

    def set_filters(self, filters: Filters) -> None:
        self._edit("Change filters", filters=filters)

    def set_period(self, period: str | None) -> None:
        self._edit("Change period", period=period)

    def set_view(self, view: str) -> None:
        """Remember the open view (saved with the project; not an edit)."""
        if view in VIEWS and view != self.project.view:
            self.project = self.project.with_changes(view=view)

    def set_segment(self, column: str) -> None:
        """Remember the segment column shown (saved with the project and in links; not an edit)."""
        if column and column != self.project.segment:
            self.project = self.project.with_changes(segment=column)

    def set_report_details(self, *, title: str | None = None, currency: str | None = None) -> None:
        changes = {k: v for k, v in (("title", title), ("currency", currency)) if v is not None}
        if changes:
            self._edit("Change report details", **changes)

    # -- applying changes ----------------------------------------------------------------------------
    def _apply(self, changes: dict[str, Any]) -> None:
        old = self.project
        self.project = old.with_changes(**changes)
        changed = {k for k in changes if getattr(old, k) != getattr(self.project, k)}
        if not changed:
            return
        if "mapping" in changed:
            self.mappingChanged.emit()
            self._refresh_options()
        if changed & {"payoff", "parameters", "ranges", "currency", "payoff_suggested"}:
            self.payoffChanged.emit()
        if "filters" in changed:
            self.filtersChanged.emit(self.project.filters)
        if "constraints" in changed:
            self.constraintsChanged.emit(self.project.constraints)
        if "view" in changed:
            self.viewChanged.emit(self.project.view)
        self.projectChanged.emit()
        rerun = rerun_for(changed)  # the rule, in core.project.edits
        if rerun is Rerun.RESWEEP:
            self.runner.forget_validation()  # other rows: validate the mapping again
            self._request_analysis()
        elif rerun is Rerun.REAGGREGATE:
            self._request_analysis()  # the cached validation is reused
        elif rerun is Rerun.REREAD:
            if "constraints" not in changed:
                self._publish()  # a threshold move: read off the existing curves
            elif not self._reread_constraints():
                self._request_analysis()
        elif rerun is Rerun.REDRAW and self.analysis is not None:
            self.analysisChanged.emit(self.analysis)

    def _refresh_options(self) -> None:
        mapping = self.project.mapping
        if mapping is None or not self.has_data:
            return
        table = self.import_report.table if self.import_report else TABLE

        def done(options: FilterOptions) -> None:
            self.options = options
            self.optionsChanged.emit(options)

        if self.project.spark is not None:  # read by Spark (gui.spark_source)
            from roistudio.gui.spark_source import read_filter_options

            read_filter_options(self.worker, self.project.spark, mapping, on_done=done)
            return
        operations.read_filter_options(self.worker, mapping, table, on_done=done)

    def build_request(self) -> AnalysisRequest:
        """The :class:`~roistudio.core.engine.analysis.AnalysisRequest` of the current state (automatic threshold)."""
        from roistudio.core.project.request import analysis_request

        return analysis_request(self.project, self.columns)

    def _request_analysis(self) -> None:
        report = self.import_report
        if self.project.mapping is None or report is None:
            return
        try:
            request = self.build_request()
        except RoiError as exc:
            self._fail(str(exc))
            return

        def done(analysis: Analysis) -> None:
            from dataclasses import replace

            from roistudio.core.engine.analysis import reread

            if analysis.request.constraints != self.project.constraints:
                # Constraints were edited while this sweep ran: apply them to its curves.
                analysis = reread(analysis, replace(analysis.request, constraints=self.project.constraints))
            self._analysis_done(analysis)

        if self.project.spark is not None:  # aggregated by Spark: no DuckDB table, no column-sums cache
            from roistudio.gui.spark_source import submit_analysis

            self.runner.job = submit_analysis(
                self.worker, self.project.spark, request, on_done=done, on_failure=self._fail
            )
            return
        self.runner.submit(report.table, report.rows, request, on_done=done, on_failure=self._fail)

    def _reread_constraints(self) -> bool:
        """Apply a constraint edit to the current curves; False if a sweep is needed instead."""
        from dataclasses import replace

        from roistudio.core.engine.analysis import reread

        base = self.base_analysis
        if base is None or self.analysis_error is not None:
            return False
        self.base_analysis = reread(base, replace(base.request, constraints=self.project.constraints))
        self._publish()
        return True

    def _fail(self, message: str) -> None:
        self.analysis_error = message
        self.analysisFailed.emit(message)

    def _analysis_done(self, analysis: Analysis) -> None:
        self.base_analysis = analysis
        self.analysis_error = None
        self._publish()

    def _publish(self) -> None:
        """Make ``analysis`` the base analysis, read at the user's threshold if there is one."""
        from roistudio.core.engine.analysis import reread_at

        base = self.base_analysis
        if base is None:
            self.thresholdChanged.emit(self.project.threshold)
            return
        previous = self.analysis
        if self.project.threshold_user_set:
            self.analysis = reread_at(base, self.project.threshold)
        else:
            self.analysis = base
            # Informative only (saved with the project); not an edit.
            self.project = self.project.with_changes(threshold=base.operating.threshold)
            if previous is not None and previous.operating.threshold != base.operating.threshold:
                self.thresholdMoved.emit(_moved_message(previous, base, self.last_edit))
        self.thresholdChanged.emit(self.project.threshold)
        self.analysisChanged.emit(self.analysis)


def _moved_message(previous: Analysis, current: Analysis, edit: str) -> str:
    """``Threshold moved from 0.2 to 0.4099 (best ...) after "Change filters"; Undo (Ctrl+Z) restores it``."""
    from roistudio.core.engine.curve import CurvePoint

    def text(point: CurvePoint) -> str:
        return format_threshold(point.threshold)

    after = f" after {edit}" if edit else ""
    back = "Redo (Ctrl+Shift+Z)" if edit.startswith("undoing") else "Undo (Ctrl+Z)"
    return (
        f"Threshold moved from {text(previous.operating)} to {text(current.operating)} "
        f"({current.policy_description()}){after}; {back} restores it"
    )
