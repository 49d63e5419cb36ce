"""The Summary's sentences, built by formulas from the Summary's own cells.

The recommendation and the gap to the best threshold are spreadsheet formulas (``TEXT`` over the
KPI cells, ``IF`` for the wording), so after a parameter change in the workbook they say the new
numbers; each also carries the text as computed here (the cached value) for readers that do not
recalculate. Sentences that cannot follow the parameters (the champion/challenger verdict, which
comes from resampling) are written as text and marked "as exported".
"""

from __future__ import annotations

import math

from roistudio.core.glossary import THRESHOLD_DIGITS, format_threshold
from roistudio.core.money import format_money
from roistudio.reports.xlsx.book import Alignment, Font, Sheet
from roistudio.reports.xlsx.context import SheetContext, random_baseline_sql
from roistudio.reports.xlsx.layout import put_formula, put_text

_BOLD = Font(name="Calibri", size=11, bold=True)
_PLAIN = Font(name="Calibri", size=10, color="262626")
_WRAP = Alignment(wrap_text=True, vertical="top")
# Differences below half a cent are float noise, not a better policy.
CENT = 0.005


def _quote(text: str) -> str:
    """A string literal for a formula."""
    return '"' + text.replace('"', '""') + '"'


def _threshold_sql(ref: str) -> str:
    """The threshold in ``ref`` as text with the reports' precision (:func:`format_threshold`: six
    significant digits), or the cell's text ("flag nobody")."""
    digits = THRESHOLD_DIGITS - 1
    rounded = f"ROUND({ref},{digits}-INT(LOG10(ABS({ref}))))"
    return f'IF(ISNUMBER({ref}),IF({ref}=0,"0",TEXT({rounded},"General")),{ref})'


def _row_col(ref: str) -> tuple[int, int]:
    """(row, column) of a cell reference such as ``$B$12`` or ``B12``."""
    text = ref.replace("$", "")
    letters = "".join(ch for ch in text if ch.isalpha())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch.upper()) - 64
    return int(text[len(letters) :]), col


def _paragraph(
    ws: Sheet, row: int, last: int, formula: str | None, text: str, font: Font, per_line: int
) -> None:
    cell = ws.cell(row, 1)
    if formula is None:
        put_text(cell, text, font)
    else:
        put_formula(cell, formula, text, "General", font)
    cell.alignment = _WRAP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
    # Spreadsheets do not grow merged rows to fit wrapped text: room for the longest wording.
    lines = max(1, math.ceil(len(text) * 1.15 / per_line))
    ws.heights[row] = lines * font.size * 1.4 + 6


def add_live_sentences(ctx: SheetContext, ws: Sheet, row: int, last: int, refs: dict[str, str]) -> None:
    """Write the recommendation, the gap to the best and the comparison sentence from ``row`` down.

    ``refs`` names the Summary cells: ``value``, ``of_model``, ``best_threshold``, ``best``, ``gap``.
    """
    model = ctx.model
    head = model.headline
    symbol = model.symbol.replace('"', "")
    fmt = _quote(f'"{symbol}"#,##0;-"{symbol}"#,##0')  # the money format without colour

    def money_text(ref: str) -> str:
        return f"TEXT({ref},{fmt})"

    def money(value: float) -> str:
        return format_money(value, model.currency)

    kv = ctx.key_values
    # The better baseline's name follows the parameters too (ties go to flag nobody, the core's rule).
    if "nobody" in kv:
        if head.random_flagged:
            label_sql = (f'IF({kv["nobody"]}>={random_baseline_sql(ctx)},"flag nobody",'
                         f'"flag {head.random_flagged:,} at random")')  # fmt: skip
        elif head.everyone_forbidden:
            label_sql = '"flag nobody"'
        else:
            label_sql = f'IF({kv["nobody"]}>={kv["everyone"]},"flag nobody","flag everyone")'
    else:
        label_sql = _quote(head.better_baseline)
    t = head.threshold
    lead = "Flag no row" if t is None else f"Flag rows scoring {format_threshold(t)} or more"
    lead += f" (the operating threshold): on these {head.rows:,} labelled rows that policy "
    worse_tail = (
        ": the model does not beat it under this payoff; revisit the payoff or the model before deploying it."
    )
    value_ref, of_model_ref = refs["value"], refs["of_model"]
    value, of_model = head.value, head.value_of_model
    lead_sql = _quote(lead)
    if "limited_of_model" in refs:
        # The operating threshold is the best within the limits: the sentence follows that search (the
        # threshold, its value and what the model adds there move with the parameters and the limits).
        value_ref, of_model_ref = refs["limited"], refs["limited_of_model"]
        cells = ws
        value = float(cells.cell(*_row_col(value_ref)).cached)
        of_model = float(cells.cell(*_row_col(of_model_ref)).cached)
        tail = f" (the best threshold within the limits): on these {head.rows:,} labelled rows that policy "
        lt = refs["limited_threshold"]
        lead_sql = (f'IF(ISNUMBER({lt}),"Flag rows scoring "&{_threshold_sql(lt)}&" or more","Flag no row")'
                    f"&{_quote(tail)}")  # fmt: skip
        cached_t = cells.cell(*_row_col(lt)).cached
        lead = (
            "Flag no row"
            if isinstance(cached_t, str)
            else f"Flag rows scoring {format_threshold(float(cached_t))} or more"
        ) + tail
    # Page 1's framing (reports.briefing.costs_money), over the cells: when the policy and the better
    # baseline both cost money, the policy "costs" and the model "saves" a share of the baseline's cost;
    # otherwise the policy "is worth" its value, the model earning more (or less) than the baseline.
    v, m = value_ref, of_model_ref
    saves_sql = f"AND({v}<=0,{v}-{m}<0,{m}>0)"
    formula = (
        f'={lead_sql}&IF({saves_sql},"costs "&{money_text("-" + v)}&": the model saves "&{money_text(m)}'
        f'&" ("&TEXT({m}/({m}-{v}),"0.0%")&") against "&{label_sql}&".",'
        f'"is worth "&{money_text(v)}&", "&IF({m}>0,'
        f'{money_text(m)}&" more than "&{label_sql}&".",'
        f'{money_text("-" + m)}&" less than "&{label_sql}&{_quote(worse_tail)}))'
    )
    baseline = head.better_baseline
    if value <= 0 and value - of_model < 0 and of_model > 0:
        share = f"{of_model / (of_model - value):.1%}"
        text = f"{lead}costs {money(-value)}: the model saves {money(of_model)} ({share}) against {baseline}."
    elif of_model > 0:
        text = f"{lead}is worth {money(value)}, {money(of_model)} more than {baseline}."
    else:
        text = f"{lead}is worth {money(value)}, {money(-of_model)} less than {baseline}{worse_tail}"
    _paragraph(ws, row, last, formula, text, _BOLD, 95)

    bt = refs["best_threshold"]
    every = ctx.rows is not None or (ctx.curves is not None and "champion" in ctx.curves.blocks)
    best_lead = "The best threshold in the sweep table, " if not every else "The best threshold, "
    where = " in the sweep table" if not every else " of every threshold"
    formula = (
        f"=IF({refs['gap']}>{CENT},{_quote(best_lead)}&{_threshold_sql(bt)}"
        f'&", is worth "&{money_text(refs["best"])}&", "&{money_text(refs["gap"])}'
        f'&" more than the operating threshold.",'
        f'"The operating threshold is the best{where} ("&{money_text(refs["best"])}&").")'
    )
    gap = head.optimum_value - head.value
    if gap > CENT:
        text = (
            f"{best_lead}{format_threshold(head.optimum_threshold)}, is worth {money(head.optimum_value)}, "
            f"{money(gap)} more than the operating threshold."
        )
    else:
        text = f"The operating threshold is the best{where} ({money(head.optimum_value)})."
    _paragraph(ws, row + 1, last, formula, text, _PLAIN, 110)

    if model.comparison_sentence:
        text = model.comparison_sentence
        if ctx.linear is not None:
            text += " (As exported: this sentence does not follow parameter changes; the Comparison sheet's figures do.)"
        _paragraph(ws, row + 2, last, None, text, _PLAIN, 110)
