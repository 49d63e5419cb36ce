"""Command-line options turned into what the core takes: the data, the analysis request, the decision options.

Shared by ``roistudio sweep`` and ``roistudio report`` (and the Spark engine's run of them).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from roistudio.core.data.mapping import ColumnMapping
from roistudio.core.data.mapping_proposal import propose_for_table
from roistudio.core.engine.analysis import AnalysisRequest
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import DataError, MappingError, RoiError
from roistudio.core.payoff.language import OUTCOMES, parse_parameter_assignment, parse_payoff
from roistudio.core.progress import ConsoleProgress

if TYPE_CHECKING:
    import duckdb

    from roistudio.core.data.import_report import ImportReport
    from roistudio.core.engine.decision import DecisionOptions

TABLE = "data"


def _float_option(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise RoiError(f"{name} expects a number, got '{text}'") from None
    if not math.isfinite(value):
        raise RoiError(f"{name} expects a finite number, got '{text}'")
    return value


def _fraction_option(name: str, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise RoiError(f"{name} expects a fraction between 0 and 1, got {value:g}")
    return value


def parse_capacity(text: str | None) -> tuple[int | None, float | None]:
    """``--capacity 500`` -> (500, None); ``--capacity 2.5%`` -> (None, 0.025): a rate is a fraction."""
    if text is None:
        return None, None
    raw = text.strip()
    if raw.endswith("%"):
        pct = _float_option("--capacity", raw[:-1])
        if not 0 <= pct <= 100:
            raise RoiError(f"--capacity percentage must be between 0% and 100%, got '{text}'")
        return None, pct / 100.0
    try:
        n = int(raw.replace(",", "").replace("_", ""))
    except ValueError:
        raise RoiError(f"--capacity expects a row count N or a percentage P%, got '{text}'") from None
    if n < 0:
        raise RoiError(f"--capacity must not be negative, got '{text}'")
    return n, None


def _threshold_option(name: str, text: str) -> float | None:
    if text.strip().lower() in ("none", "nobody", "null"):
        return None
    return _float_option(name, text)


def load_data(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> ImportReport:
    """Import the data file (or the demo) into ``con``; returns the ImportReport."""
    from roistudio.core.data.importer import import_file

    if args.demo:
        from roistudio.core.project.demo import demo_data_path

        path = demo_data_path()
    elif args.data:
        path = Path(args.data)
    else:
        raise DataError("no data file given; pass a CSV/Parquet/XLSX file or --demo")
    progress = ConsoleProgress()
    return import_file(con, path, table=TABLE, materialize=False, progress=progress)


def build_request(
    args: argparse.Namespace, columns: dict[str, str], con: duckdb.DuckDBPyConnection | None = None
) -> tuple[AnalysisRequest, dict[str, Any]]:
    """Turn command-line options into an analysis request (demo defaults fill the gaps)."""
    extras: dict[str, Any] = {"title": None, "currency": None, "notes": []}
    defaults = None
    if args.demo:
        from roistudio.core.project.demo import demo_defaults

        defaults = demo_defaults()
        extras["title"], extras["currency"] = defaults.title, defaults.currency
    score = args.score or (defaults.score if defaults else None)
    label = args.label or (defaults.label if defaults else None)
    if (not score or not label) and con is not None:
        # Options always win; only what was not given is taken from the proposal.
        proposal = propose_for_table(con, TABLE).mapping
        if proposal is not None:
            guessed = [f"--score {proposal.score}"] * (not score) + [f"--label {proposal.label}"] * (
                not label
            )
            score, label = score or proposal.score, label or proposal.label
            # Said only once the run succeeds: a failed run prints its one error line alone.
            extras["notes"].append(f"roistudio: using the proposed mapping: {' '.join(guessed)}")
    if not score:
        raise MappingError("no score column found; pass --score COL")
    if not label:
        raise MappingError("no label column found; pass --label COL")
    demo_challenger = defaults.challenger_score if defaults and not args.model and not args.score else None
    time_col = args.time or (defaults.timestamp if defaults else None)
    mapping = ColumnMapping(
        score=score,
        label=label,
        positive=args.positive if args.positive is not None else (defaults.positive if defaults else None),
        challenger_score=args.challenger_score or demo_challenger,
        model=args.model,
        champion=args.champion,
        id=args.id or (defaults.id if defaults else None),
        timestamp=time_col,
        segments=tuple(args.segment) or (tuple(defaults.segments) if defaults else ()),
        money=tuple(defaults.money) if defaults else (),
        raw_scores=args.raw_scores,
        exclude_bad_scores=args.exclude_bad_scores,
        time_year=args.time_year,
        time_zone=args.time_zone,
    )
    if mapping.challenger_score and mapping.model:
        raise MappingError("use either --challenger-score or --model, not both")
    given = {o: getattr(args, o) for o in OUTCOMES}
    if defaults and all(v is None for v in given.values()):
        expressions = dict(defaults.payoff)
        parameters = dict(defaults.parameters)
    else:
        expressions = {o: (v if v is not None else "0") for o, v in given.items()}
        parameters = {}
    for text in args.param:
        name, value = parse_parameter_assignment(text)
        parameters[name] = value
    payoff = parse_payoff(expressions, parameters, columns)
    if all(str(e).strip() in ("", "0") for e in expressions.values()):
        extras["notes"].append(
            "roistudio: every payoff is 0, so every threshold is worth 0; pass --tp/--fp/--tn/--fn"
        )
    max_flagged, max_rate = parse_capacity(args.capacity)
    constraints = Constraints(
        max_flagged=max_flagged,
        max_flag_rate=max_rate,
        min_precision=_fraction_option("--min-precision", args.min_precision),
        min_recall=_fraction_option("--min-recall", args.min_recall),
        max_fpr=_fraction_option("--max-fpr", args.max_fpr),
    )
    segment_filters: dict[str, tuple[str, ...]] = {}
    for text in args.segment_filter:
        col, sep, values = text.partition("=")
        if not sep or not col:
            raise RoiError(f"--segment-filter expects COL=V1,V2, got '{text}'")
        segment_filters[col] = tuple(v for v in values.split(",") if v)
        if not segment_filters[col]:
            # An empty list would silently keep every row while the report says a filter applied.
            raise RoiError(f"--segment-filter {col}= names no value; expects COL=V1,V2")
    for col in segment_filters:
        if col not in columns:
            raise MappingError(f"--segment-filter column '{col}' not found")
    for name, value in (("--from", args.date_from), ("--until", args.date_until)):
        if value is not None:
            import datetime as dt

            try:
                dt.datetime.fromisoformat(value)
            except ValueError:
                raise RoiError(f"{name} expects a date like 2026-01-31, got '{value}'") from None
    if (args.date_from is not None or args.date_until is not None) and not time_col:
        option = "--from" if args.date_from is not None else "--until"
        raise MappingError(f"{option} needs a time column to filter on; pass --time COL")
    filters = Filters(segment_filters, args.date_from, args.date_until)
    period = args.period or (defaults.period if defaults and time_col else None)
    if args.period and not time_col:
        raise MappingError(f"--period {args.period} needs a time column; pass --time COL")
    threshold_text = getattr(args, "threshold", None)
    request = AnalysisRequest(
        mapping=mapping,
        payoff=payoff,
        constraints=constraints,
        threshold=None if threshold_text is None else _threshold_option("--threshold", threshold_text),
        use_threshold=threshold_text is not None,
        at=tuple(_threshold_option("--at", t) for t in args.at),
        period=period,
        filters=filters,
    )
    return request, extras


def decision_options(args: argparse.Namespace) -> DecisionOptions:
    """``--bootstrap/--seed/--confidence/--range/--promote-at`` -> DecisionOptions (checked)."""
    from roistudio.core.engine.decision import DecisionOptions
    from roistudio.core.engine.parameter_ranges import parse_range

    def whole(name: str, text: str) -> int:
        try:
            return int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise RoiError(f"{name} expects a whole number, got '{text}'") from None

    options = DecisionOptions(
        replicates=whole("--bootstrap", args.bootstrap),
        confidence=_float_option("--confidence", args.confidence),
        promote_at=_float_option("--promote-at", args.promote_at),
        ranges=tuple(parse_range(t) for t in args.range),
        **({} if args.seed is None else {"seed": whole("--seed", args.seed)}),
    )
    if options.seed < 0:
        raise RoiError(f"--seed expects a whole number >= 0, got '{args.seed}'")
    options.check()
    return options
