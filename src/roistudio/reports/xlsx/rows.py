"""The Rows sheet: every labelled row with its payoff as formulas, when the payoff is not linear.

A payoff such as ``fn = -max(r * d * balance, c)`` cannot be split into per-parameter aggregates,
so a workbook reprices its policies only by recomputing the payoff on every row. This sheet holds
one line per labelled row (champion first, sorted by score, highest first; then the challenger's):

- ``Model`` (1 champion, 2 challenger), ``Rank`` (the curve index of the row's score: the row is
  flagged at curve point ``k`` iff ``Rank <= k``, the engine's rule ``score >= threshold`` written
  as a comparison of whole numbers; tied scores share a rank), ``Score``, ``Positive`` (1/0);
- the columns the payoff uses and, per breakdown, the group key and a group number (formulas
  match numbers: spreadsheet text criteria ignore case and read ``*``, ``?``, ``>`` as patterns);
- ``If flagged`` (TP for a positive, FP for a negative) and ``If not flagged`` (FN, TN): formulas
  of the payoff (:mod:`roistudio.core.payoff.excel`) over the row's cells and the Assumptions
  sheet's named parameters;
- for the champion, the running value of flagging every row down to there, and ``Value at this
  threshold`` on the last row of each rank (the other rows of a rank are no policy: tied scores
  are flagged together). The line above the first row is "flag nobody" (the sum of every row's
  not-flagged payoff); each row down adds its flagged payoff and takes off its not-flagged one.

Every money figure then reads this sheet: a sweep row flagging ``n`` rows is
``INDEX(value column, n + 1)``; the best policy is the highest value in that column (ties go to
the first, the higher threshold, within the engine's tie tolerance); segment, trend and
challenger figures are ``SUMIFS`` over model, rank and group number. Each formula carries the
value computed in Python, so readers that do not recalculate see the numbers.

The sheet is hidden (it is the workings, not a page to print) and has no print area: LibreOffice
prints a hidden sheet's print area.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from roistudio.core.engine.curve import TIE_TOLERANCE, Curve
from roistudio.core.engine.payoff_rows import ModelRows, PayoffRows, policy_values
from roistudio.core.payoff.excel import ExcelFormulaError, excel_formula
from roistudio.core.payoff.language import Payoff
from roistudio.reports.cells import safe_text
from roistudio.reports.xlsx.book import Font
from roistudio.reports.xlsx.layout import (
    absolute_ref,
    add_header_row,
    add_note,
    column_letter,
    prepare_sheet,
    put_formula,
    put_number,
    put_text,
    put_threshold,
)
from roistudio.reports.xlsx.style import INTEGER, LABEL_FONT, THRESHOLD
from roistudio.reports.xlsx.worksheet import (
    ROW_TOKEN,
    BoolColumn,
    Column,
    FormulaColumn,
    NumberColumn,
    TextColumn,
    write_columns,
)

__all__ = ["ROWS_SHEET", "RowsSheet", "add_rows_section", "group_formulas", "plan_rows_sheet"]

ROWS_SHEET = "Rows"
_HEADER_ROW = 5
_ROW_TOKEN = "\x00"  # stands for the row number in a row's formula text until it is known


@dataclass
class RowsSheet:
    """Where the Rows sheet's columns are, and the formulas other sheets build over it.

    Attributes
    ----------
    rows
        The rows it holds (see :func:`roistudio.core.engine.payoff_rows.payoff_rows`).
    formulas
        ``(if flagged, if not flagged)`` formula text per model, with :data:`_ROW_TOKEN` for the row.
    col
        Column by role: ``model``, ``rank``, ``score``, ``positive``, ``flag``, ``keep``,
        ``running``, ``value``; ``key:<breakdown>`` and ``id:<breakdown>``;
        ``column:<name>`` for payoff columns.
    group_ids
        Breakdown -> group key -> its number in the ``id:`` column.
    """

    rows: PayoffRows
    formulas: list[tuple[str, str]]
    col: dict[str, int]
    group_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    title: str = ROWS_SHEET

    @property
    def zero(self) -> int:
        """The sheet row of "flag nobody", the first of the value column."""
        return _HEADER_ROW + 1

    @property
    def first(self) -> int:
        """The first row of data."""
        return self.zero + 1

    @property
    def champion_last(self) -> int:
        return self.zero + len(self.rows.models[0])

    @property
    def last(self) -> int:
        return self.zero + self.rows.rows

    @property
    def champion_values(self) -> np.ndarray:
        """Value of flagging the champion's first ``n`` rows, ``n = 0 .. rows`` (cached values)."""
        return policy_values(self.rows.models[0])

    def column(self, role: str, first: int | None = None, last: int | None = None) -> str:
        """``'Rows'!$J$7:$J$22612``: a column of the data rows (by role)."""
        letter = column_letter(self.col[role])
        a, b = first or self.first, last or self.last
        return f"{_quote(self.title)}!${letter}${a}:${letter}${b}"

    @property
    def values(self) -> str:
        """The champion's value column, from "flag nobody" down to its last row."""
        return self.column("value", self.zero, self.champion_last)

    @property
    def scores(self) -> str:
        return self.column("score", self.zero, self.champion_last)

    def cell(self, role: str, row: int) -> str:
        """``'Rows'!$J$123``: one cell of a column (by role)."""
        return f"{_quote(self.title)}!${column_letter(self.col[role])}${row}"

    def challenger_point(self, flagged: int) -> str:
        """Formula body: the challenger's value when its ``flagged`` highest-scoring rows are flagged
        (the running value of its rows; nothing flagged: the sum of their not-flagged payoffs)."""
        if flagged == 0:
            return f"SUM({self.column('keep', self.champion_last + 1, self.last)})"
        return self.cell("running", self.champion_last + flagged)

    def group_points(self, breakdown: str, key: str, flagged: np.ndarray) -> list[str]:
        """Formula bodies: a group's champion value when its ``flagged`` highest-scoring rows are
        flagged, for each count in ``flagged`` (its running value; 0: its not-flagged payoffs)."""
        m = self.rows.models[0]
        positions = np.flatnonzero(m.keys[breakdown].astype(str) == key)
        crit = [self.column("model", self.first, self.champion_last), "1"] if "model" in self.col else []
        crit += [
            self.column("id:" + breakdown, self.first, self.champion_last),
            str(self.group_ids[breakdown][key]),
        ]
        nobody = f"SUMIFS({self.column('keep', self.first, self.champion_last)},{','.join(crit)})"
        rows = (self.first + positions).tolist()
        return [nobody if n == 0 else self.cell("grun:" + breakdown, rows[n - 1]) for n in flagged.tolist()]

    def value_at(self, flagged: int | str) -> str:
        """Formula body: the champion's value when its ``flagged`` highest-scoring rows are flagged."""
        return f"INDEX({self.values},{flagged}+1)"

    def best_position(self) -> str:
        """Formula body (an array formula): the first row of the value column within the tie
        tolerance of its maximum, so ties go to the higher threshold as in the engine."""
        v = self.values
        return f"MATCH(1,ISNUMBER({v})*({v}>=MAX({v})-{TIE_TOLERANCE!r}),0)"

    def best_index(self) -> int:
        """The cached counterpart of :meth:`best_position` (1-based position in the value column)."""
        values = self.champion_values
        ends = np.zeros(len(values), bool)
        ends[0] = True
        rank = self.rows.models[0].rank
        ends[1:] = np.append(rank[1:] != rank[:-1], True) if len(rank) else ends[1:]
        masked = np.where(ends, values, -np.inf)
        return int(np.argmax(masked >= masked.max() - TIE_TOLERANCE)) + 1

    def policy_sum(
        self, model: int, rank: int | None, group: tuple[str, str] | None = None
    ) -> tuple[str, float]:
        """Formula body and cached value of a policy summed over one model's rows (of one group).

        ``rank`` flags the rows with ``Rank <= rank`` (0: nobody); ``None`` is perfect knowledge
        (every positive flagged, no negative).
        """
        m = self.rows.models[model - 1]
        crit = [self.column("model"), str(model)] if "model" in self.col else []
        mask = np.ones(len(m), bool)
        if group is not None:
            breakdown, key = group
            gid = self.group_ids[breakdown][key]
            crit += [self.column("id:" + breakdown), str(gid)]
            mask &= m.keys[breakdown] == key
        if rank is None:
            flagged_crit, keep_crit = [self.column("positive"), "1"], [self.column("positive"), "0"]
            flagged = m.positive
        else:
            flagged_crit, keep_crit = (
                [self.column("rank"), f'"<={rank}"'],
                [self.column("rank"), f'">{rank}"'],
            )
            flagged = m.rank <= rank
        flag_sum = f"SUMIFS({self.column('flag')},{','.join(crit + flagged_crit)})"
        keep_sum = f"SUMIFS({self.column('keep')},{','.join(crit + keep_crit)})"
        value = float(np.sum(m.if_flagged[mask & flagged]) + np.sum(m.if_not_flagged[mask & ~flagged]))
        return f"{flag_sum}+{keep_sum}", value


def rank_of(curve: Curve, threshold: float | None) -> int:
    """The curve index of a threshold that is one of its scores (0 for flag nobody)."""
    if threshold is None:
        return 0
    return int(curve.at(threshold).index)


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def plan_rows_sheet(rows: PayoffRows, payoff: Payoff, parameter_names: Mapping[str, str]) -> RowsSheet | str:
    """Lay out the Rows sheet and compile the payoff's formulas; or say why it cannot be.

    Returns
    -------
    RowsSheet or str
        The layout; or one sentence (a payoff construct no spreadsheet computes with the
        language's meaning, see :mod:`roistudio.core.payoff.excel`).
    """
    col: dict[str, int] = {}
    # A model column only when there are two models to tell apart.
    for role in ("model", "rank", "score", "positive")[0 if len(rows.models) > 1 else 1 :]:
        col[role] = len(col) + 1
    for name in rows.columns:
        col["column:" + name] = len(col) + 1
    for b in rows.breakdowns:
        col["key:" + b] = len(col) + 1
        col["id:" + b] = len(col) + 1
    for role in ("flag", "keep", "running", "value"):
        col[role] = len(col) + 1
    # Each breakdown group's running value along its own rows, so its best threshold can be found
    # again by formula (reports.xlsx.curves).
    for b in rows.breakdowns:
        col["grun:" + b] = len(col) + 1
    cells = {name: f"${column_letter(col['column:' + name])}{_ROW_TOKEN}" for name in rows.columns}
    try:
        outcome = {o: excel_formula(payoff.tree(o), columns=cells, parameters=parameter_names)
                   for o in ("tp", "fp", "tn", "fn")}  # fmt: skip
    except ExcelFormulaError as error:
        return f"The payoff cannot be a spreadsheet formula: {error}"
    positive = f"${column_letter(col['positive'])}{_ROW_TOKEN}=1"

    def either(a: str, b: str) -> str:
        return "=" + a if a == b else f"=IF({positive},{a},{b})"

    formulas = [(either(outcome["tp"], outcome["fp"]), either(outcome["fn"], outcome["tn"]))] * len(
        rows.models
    )
    group_ids: dict[str, dict[str, int]] = {}
    for b in rows.breakdowns:
        keys = sorted({str(k) for m in rows.models for k in m.keys[b]})
        group_ids[b] = {k: n for n, k in enumerate(keys, start=1)}
    return RowsSheet(rows, formulas, col, group_ids)


def _headers(plan: RowsSheet) -> list[str]:
    names = {"model": "Model", "rank": "Rank", "score": "Score", "positive": "Positive", "flag": "If flagged",
             "keep": "If not flagged", "running": "Value flagging down to here",
             "value": "Value at this threshold"}  # fmt: skip
    out = []
    for role in sorted(plan.col, key=plan.col.__getitem__):
        kind, _, name = role.partition(":")
        if kind == "column":
            out.append(name)
        elif kind == "key":
            out.append(f"{name.partition(':')[2] or name} (group)")
        elif kind == "id":
            out.append(f"{name.partition(':')[2] or name} (number)")
        elif kind == "grun":
            out.append(f"Value flagging down to here, this {name.partition(':')[2] or name}")
        else:
            out.append(names[role])
    return out


def add_rows_sheet(wb: Any, plan: RowsSheet, *, money: str, model_names: list[str]) -> Any:
    """Add the hidden Rows sheet to the workbook buffer; the rows themselves are written in bulk
    when the workbook is saved (see :func:`write_rows`)."""
    ws = wb.create_sheet(plan.title)
    prepare_sheet(ws, "Rows", "Every labelled row and its payoff: the workings behind the money figures")
    models = ", ".join(f"{n} = {safe_text(name)}" for n, name in enumerate(model_names, start=1))
    models = f"Model {models}. " if len(model_names) > 1 else f"Model {safe_text(model_names[0])}. "
    add_note(
        ws, 3,
        f"{models}Rows are sorted by score, highest first; Rank is the row's place among the distinct "
        "scores, and a threshold flags the rows whose rank is at most its own. 'If flagged' and 'If not flagged' "
        "are the payoff formulas over the row and the parameters on the Assumptions sheet. Do not sort: the "
        "threshold sweep reads the running totals by position.",
        len(plan.col),
    )  # fmt: skip
    add_header_row(ws, _HEADER_ROW, _headers(plan))
    ws.freeze = (plan.first, 1)
    ws.hidden = True
    # No print area: LibreOffice prints a hidden sheet that has one (a page of headers in every printout).
    ws.bulk.append(lambda book, sheet: write_rows(book, sheet, plan, money))
    for role, c in plan.col.items():
        ws.widths[c] = 14 if role not in ("running", "value") else 18
    return ws


def write_rows(book: Any, ws: Any, plan: RowsSheet, money: str) -> None:
    """Write every row with XlsxWriter (``book`` its Workbook, ``ws`` the worksheet): the flag
    nobody line cell by cell, then each model's rows as one block of columns
    (:func:`roistudio.reports.xlsx.worksheet.write_columns`)."""
    money_fmt = book.add_format({"num_format": money, "font_size": 9})
    plain = book.add_format({"font_size": 9})
    col = {k: v - 1 for k, v in plan.col.items()}
    values = plan.champion_values
    running = column_letter(plan.col["running"])
    flag, keep = column_letter(plan.col["flag"]), column_letter(plan.col["keep"])
    # "Flag nobody": every row keeps its not-flagged payoff. Each row down flips one row to flagged.
    r0 = plan.zero - 1
    ws.write_number(r0, col["rank"], 0, plain)
    ws.write_string(r0, col["score"], "flag nobody", plain)
    keep_range = f"${keep}${plan.first}:${keep}${plan.champion_last}"
    ws.write_formula(r0, col["running"], f"=SUM({keep_range})", money_fmt, float(values[0]))
    ws.write_formula(r0, col["value"], f"={running}{plan.zero}", money_fmt, float(values[0]))
    r = r0 + 1
    for n, m in enumerate(plan.rows.models, start=1):
        columns = model_columns(n, m, plan, plan.formulas[n - 1], (plain, money_fmt))
        rows = range(r + 1, r + len(m) + 1)  # the spreadsheet's row numbers
        if n == 2:  # the challenger's running value, from the sum of its rows' not-flagged payoffs
            start = f"SUM(${keep}${r + 1}:${keep}${r + len(m)})"
            texts = [f"{start if x == r + 1 else f'{running}{x - 1}'}+{flag}{x}-{keep}{x}" for x in rows]
            columns.append(
                FormulaColumn(col["running"], policy_values(m)[1:].tolist(), money_fmt, texts=texts)
            )
        if n == 1:
            columns += group_running_columns(r, m, plan, money_fmt)
            cached = values[1:].tolist()
            texts = [f"{running}{x - 1}+{flag}{x}-{keep}{x}" for x in rows]
            columns.append(FormulaColumn(col["running"], cached, money_fmt, texts=texts))
            # Only the last row of a rank is a policy (tied scores are flagged together); the
            # ranks are the analysis', so the other rows' cells stay empty.
            ends = np.append(m.rank[1:] != m.rank[:-1], True).tolist()
            policies = [f"{running}{x}" if end else None for x, end in zip(rows, ends, strict=True)]
            columns.append(FormulaColumn(col["value"], cached, money_fmt, texts=policies))
        write_columns(ws, r, columns)
        r += len(m)


def group_running_columns(start: int, m: ModelRows, plan: RowsSheet, money_fmt: Any) -> list[Column]:
    """Each breakdown group's running value down the champion's rows (from 0-based sheet row
    ``start``): the group's not-flagged payoffs, plus flagged minus not-flagged on each of its rows
    so far. One formula per row and breakdown, each pointing at the group's previous row."""
    flag_letter, keep_letter = column_letter(plan.col["flag"]), column_letter(plan.col["keep"])
    out: list[Column] = []
    for b in plan.rows.breakdowns:
        c = plan.col["grun:" + b]
        letter = column_letter(c)
        keys = m.keys[b].astype(str)
        previous = np.full(len(m), -1, dtype=np.int64)
        cached = np.zeros(len(m))
        nobody: dict[str, str] = {}
        for key in plan.group_ids[b]:  # one pass per group, not per row
            pos = np.flatnonzero(keys == key)
            if len(pos) == 0:
                continue
            previous[pos[1:]] = pos[:-1]
            delta = m.if_flagged[pos] - m.if_not_flagged[pos]
            cached[pos] = float(np.sum(m.if_not_flagged[pos])) + np.cumsum(delta)
            nobody[key] = plan.group_points(b, key, np.zeros(1, dtype=np.int64))[0]
        prev, key_list = previous.tolist(), keys.tolist()
        texts = [
            f"{nobody[key] if p < 0 else f'{letter}{start + p + 1}'}+{flag_letter}{x}-{keep_letter}{x}"
            for x, p, key in zip(range(start + 1, start + len(m) + 1), prev, key_list, strict=True)
        ]
        out.append(FormulaColumn(c - 1, cached.tolist(), money_fmt, texts=texts))
    return out


def model_columns(
    model_id: int,
    m: ModelRows,
    plan: RowsSheet,
    texts: tuple[str, str],
    formats: tuple[Any, Any],
) -> list[Column]:
    """One model's rows: values, keys and the payoff formulas, as columns of a block."""
    plain, money_fmt = formats
    col = {k: v - 1 for k, v in plan.col.items()}
    out: list[Column] = [
        *([NumberColumn(col["model"], [model_id] * len(m), plain)] if "model" in col else []),
        NumberColumn(col["rank"], m.rank.tolist(), plain),
        NumberColumn(col["score"], m.score.tolist(), plain),
        NumberColumn(col["positive"], m.positive.astype(np.int64).tolist(), plain),
    ]
    for name in plan.rows.columns:
        kind, values = plan.rows.column_kinds[name], m.columns[name]
        c = col["column:" + name]
        if kind == "num":
            out.append(NumberColumn(c, values.tolist(), plain))
        elif kind == "bool":
            out.append(BoolColumn(c, values.tolist(), plain))
        else:
            out.append(TextColumn(c, [safe_text(v) for v in values.tolist()], plain))
    for b in plan.rows.breakdowns:
        ids = plan.group_ids[b]
        keys = m.keys[b].tolist()
        shown = {k: safe_text(k) for k in set(keys)}  # data text, written as text (never a formula)
        out.append(TextColumn(col["key:" + b], [shown[k] for k in keys], plain))
        out.append(NumberColumn(col["id:" + b], [ids[str(k)] for k in keys], plain))
    for role, text, cached in (("flag", texts[0], m.if_flagged), ("keep", texts[1], m.if_not_flagged)):
        template = text.removeprefix("=").replace(_ROW_TOKEN, ROW_TOKEN)
        out.append(FormulaColumn(col[role], cached.tolist(), money_fmt, template=template))
    return out


# --------------------------------------------------------------------------------------------------
# What the other sheets write over the Rows sheet


def rows_policies(ctx: Any, plan: RowsSheet) -> list[tuple[str, str, object, int | None, str, float]]:
    """The key policies as formulas over the Rows sheet: (key, label, threshold, rows flagged,
    formula body, cached value). ``best`` is found over every threshold, so it follows the parameters."""
    model = ctx.model
    champ = model.champion
    head = model.headline
    labelled = len(plan.rows.models[0])
    best_rank = plan.best_index()  # 1-based position in the value column
    policies: list[tuple[str, str, object, int | None, str, float]] = [
        ("operating", "Operating threshold", head.threshold, head.flagged, plan.value_at(head.flagged), head.value),
        ("nobody", "Flag nobody", None, 0, plan.value_at(0), champ.flag_nobody.value),
        ("everyone", "Flag everyone", champ.flag_everyone.threshold, labelled, plan.value_at(labelled),
         champ.flag_everyone.value),
        ("best", "Best threshold (searched over all)", champ.optimum.threshold,
         best_rank - 1, f"MAX({plan.values})", float(plan.champion_values[best_rank - 1])),
    ]  # fmt: skip
    comp = model.analysis.comparison
    if comp is not None and len(plan.rows.models) > 1:
        challenger = comp.challenger.curve
        for key, label, point in (
            ("challenger_best", "Challenger at its best threshold (as exported)", comp.challenger.optimum),
            ("challenger_common", "Challenger at the common threshold", comp.challenger_at_common),
        ):
            body, value = plan.policy_sum(2, rank_of(challenger, point.threshold))
            policies.append((key, label, point.threshold, point.flagged, body, value))
    return policies


def best_threshold_formula(plan: RowsSheet) -> tuple[str, object]:
    """Array formula (with braces) of the best threshold over the Rows sheet, and its cached value."""
    body = f"INDEX({plan.scores},{plan.best_position()})"
    position = plan.best_index()
    cached: object = "flag nobody" if position == 1 else float(plan.rows.models[0].score[position - 2])
    return "{=" + body + "}", cached


def group_formulas(ctx: Any, plan: RowsSheet, breakdown: str, group: Any) -> dict[str, tuple[str, float]]:
    """A breakdown group's money figures as SUMIFS over the Rows sheet: ``value`` (at the overall
    operating threshold), ``perfect``, ``best`` (at the group's own best threshold, as exported) and
    ``challenger`` (the challenger at its operating threshold): formula body and cached value."""
    if breakdown not in plan.group_ids or group.key not in plan.group_ids[breakdown]:
        return {}
    model = ctx.model
    champion = model.champion.curve
    key = (breakdown, group.key)
    out = {
        "value": plan.policy_sum(1, rank_of(champion, group.operating.threshold), key),
        "perfect": plan.policy_sum(1, None, key),
        "best": plan.policy_sum(1, rank_of(champion, group.optimum.threshold), key),
    }
    challenger = model.challenger
    if challenger is not None and group.challenger_operating is not None and len(plan.rows.models) > 1:
        out["challenger"] = plan.policy_sum(
            2, rank_of(challenger.curve, group.challenger_operating.threshold), key
        )
    return out


_BOLD = Font(name="Calibri", size=10, bold=True)


def add_rows_section(wb: Any, ws: Any, ctx: Any, row: int, last: int) -> int:
    """The Assumptions sheet's account of per-row formulas and its key-policy block over the Rows sheet.

    Adds the hidden Rows sheet, sets ``ctx.rows``, ``ctx.key_values`` and ``ctx.best_threshold_ref``;
    when the payoff cannot be a spreadsheet formula, says so and leaves the figures fixed. Returns
    the next free row.
    """
    model = ctx.model
    plan = plan_rows_sheet(model.labelled_rows, model.analysis.request.payoff, ctx.names)
    if isinstance(plan, str):
        return add_note(ws, row, f"{ctx.nonlinear_reason or ''} {plan} {FIXED_FIGURES}".strip(), last)
    ctx.rows = plan
    names = [m.name for m in plan.rows.models]
    add_rows_sheet(wb, plan, money=ctx.money2, model_names=names)
    row = add_note(
        ws, row,
        "The payoff is not linear in its parameters, so the workbook recomputes it on every labelled row: the "
        f"hidden '{plan.title}' sheet (right-click a sheet tab, Unhide) holds each of the {plan.rows.rows:,} rows "
        "with its payoff as a formula over the yellow cells above. The money figures on the Summary, the "
        "Threshold sweep, the segment and trend sheets and the Comparison are sums over those rows: change a "
        "parameter and they update. The best threshold below is searched over every threshold (ties go to the "
        "higher one); the other thresholds stay those of the analysis. Sentences, charts' titles, the "
        "Uncertainty and Estimate sheets are as exported.",
        last,
    )  # fmt: skip
    row += 1
    add_header_row(ws, row, ["Policy", "Threshold", "Rows flagged", "Value"])
    row += 1
    for key, label, threshold, flagged, body, value in rows_policies(ctx, plan):
        put_text(ws.cell(row, 1), label, LABEL_FONT)
        if key == "best":
            formula, cached = best_threshold_formula(plan)
            cell = ws.cell(row, 2)
            cell.kind, cell.value, cell.cached = "a", formula, cached
            cell.number_format, cell.font = THRESHOLD, _BOLD
            ctx.best_threshold_ref = absolute_ref(ws, row, 2)
            count = ws.cell(row, 3)  # the rows down to the best value's row, "flag nobody" not counted
            count.kind, count.value, count.cached = "a", "{=" + plan.best_position() + "-1}", flagged
            count.number_format = INTEGER
        else:
            put_threshold(ws.cell(row, 2), threshold)  # type: ignore[arg-type]
            put_number(ws.cell(row, 3), flagged, INTEGER)
        put_formula(ws.cell(row, 4), "=" + body, value, ctx.money2, _BOLD)
        ctx.key_values[key] = absolute_ref(ws, row, 4)
        row += 1
    return row


FIXED_FIGURES = (
    "The money figures of the Summary, the Threshold sweep, the segment, trend and comparison sheets are "
    "therefore fixed values computed with the parameters above."
)
