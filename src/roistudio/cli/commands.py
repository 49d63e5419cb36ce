"""The work behind ``roistudio sweep`` and ``roistudio report``."""

from __future__ import annotations

import argparse
import errno
import json
import math
import re
import sys
from pathlib import Path

from roistudio.core.data.mapping import ColumnMapping, table_columns
from roistudio.core.data.mapping_proposal import propose_for_table
from roistudio.core.data.provenance import shown_path as shown_text
from roistudio.core.engine.analysis import Analysis, AnalysisRequest, analyse
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import CurvePoint
from roistudio.core.engine.filters import Filters
from roistudio.core.errors import DataError, MappingError, OutputError, RoiError
from roistudio.core.money import format_money
from roistudio.core.payoff.language import OUTCOMES, parse_parameter_assignment, parse_payoff
from roistudio.core.progress import ConsoleProgress

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


def load_data(con, args: argparse.Namespace):
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
    args: argparse.Namespace, columns: dict[str, str], con=None
) -> tuple[AnalysisRequest, dict]:
    """Turn command-line options into an analysis request (demo defaults fill the gaps)."""
    extras: dict = {"title": None, "currency": None, "notes": []}
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
        given = "--from" if args.date_from is not None else "--until"
        raise MappingError(f"{given} needs a time column to filter on; pass --time COL")
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


def decision_options(args: argparse.Namespace):
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


def _outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    if args.command == "sweep":
        return [("JSON result", args.json)] if args.json else []
    outputs = (
        ("workbook", args.xlsx),
        ("PDF report", args.pdf),
        ("JSON result", getattr(args, "json", None)),
    )
    return [(what, path) for what, path in outputs if path]


def _input_path(args: argparse.Namespace) -> Path | None:
    if args.demo:
        from roistudio.core.project.demo import demo_data_path

        return Path(demo_data_path())
    return Path(args.data) if args.data else None


def run_command(args: argparse.Namespace) -> int:
    import duckdb

    from roistudio.core.atomic import check_targets
    from roistudio.core.data.provenance import source_stamp, verify_source_unchanged

    if args.data and args.demo:
        raise RoiError("pass either a data file or --demo, not both")
    if args.command == "report" and not args.xlsx and not args.pdf and not args.json:
        raise RoiError("nothing to write; pass --xlsx PATH, --pdf PATH and/or --json PATH")
    for option in ("xlsx", "pdf"):
        if args.command == "report" and getattr(args, option) == "-":
            raise OutputError(
                f"--{option} - (standard output) is not supported for a binary file; give a file path"
            )
    if args.engine == "spark":
        from roistudio.cli.spark import run_spark_command

        return run_spark_command(args)
    if args.spark_master or args.table:
        raise RoiError("--spark-master and --table need --engine spark")
    source = _input_path(args)
    stamp = source_stamp(source) if source is not None else None  # a dataset: each of its files
    # Before any work: no output on the input, no two outputs on one path, nothing unwritable.
    check_targets(_outputs(args), [source] if source is not None else [], force=args.force)
    from roistudio.core.sql import pin_session_time_zone

    con = duckdb.connect()
    pin_session_time_zone(con)  # periods and date filters must not depend on the machine's TZ
    report = load_data(con, args)
    columns = table_columns(con, TABLE)
    request, extras = build_request(args, columns, con)
    options = decision_options(args)
    if request.mapping.timestamp and not request.mapping.time_zone:
        from dataclasses import replace

        from roistudio.core.data.time_zones import data_time_zones

        # Periods of zone-aware times are formed in the data's own zone when the file records one.
        # A dataset's files share one schema: the first names the zone.
        first = report.source.files[0].path if report.source.files else report.source.path
        zone = data_time_zones(con, first, report.format).get(request.mapping.timestamp)
        if zone:
            request = replace(request, mapping=request.mapping.with_changes(time_zone=zone))
    from roistudio.core.engine.decision import decide
    from roistudio.core.engine.sweep import ColumnSumsCache

    # With parameter ranges, per-score column sums kept from the sweep let the sensitivity
    # re-read the curve at any parameter value without another scan.
    cache = ColumnSumsCache() if options.ranges else None
    analysis = analyse(con, TABLE, request, progress=ConsoleProgress(), cache=cache)
    # Before the stamp check: the estimate and the decision read the data again, and must read
    # the same file.
    label_delay = compute_label_delay(con, analysis, args)
    decision = decide(con, analysis, options, progress=ConsoleProgress(), cache=cache)
    if source is not None and stamp is not None:
        # A Parquet view is read during the analysis: the numbers belong to the fingerprint
        # only if the file is still the version stamped before the import.
        verify_source_unchanged(source, stamp)
    for note in extras["notes"]:
        print(note, file=sys.stderr)
    if args.command == "sweep":
        return _emit_sweep(args, analysis, report, decision, label_delay)
    return _emit_report(args, analysis, report, con, extras, decision, label_delay)


def compute_label_delay(con, analysis: Analysis, args: argparse.Namespace):
    """The calibration check and estimate for rows not yet labelled (``--calibration``).

    With the default calibration, a dataset that cannot be estimated (say, raw scores with one
    class labelled, or payoffs missing on unlabelled rows) still gets its sweep, with one line
    saying why there is no estimate; an explicit ``--calibration`` makes that an error.
    """
    from roistudio.core.engine.calibration import DEFAULT_METHOD
    from roistudio.core.engine.estimate import estimate_label_delay

    try:
        return estimate_label_delay(
            con,
            analysis,
            method=args.calibration or DEFAULT_METHOD,
            calibration_periods=args.calibration_periods,
            progress=ConsoleProgress(),
        )
    except RoiError as error:
        if args.calibration is not None or args.calibration_periods is not None:
            raise
        print(f"roistudio: no estimate for rows not yet labelled: {error}", file=sys.stderr)
        return None


def result_json_text(analysis: Analysis, report, decision, label_delay=None) -> str:
    """The ``--json`` document of ``sweep`` and ``report`` alike, as text (one rule for both)."""
    from roistudio.core.engine.result_json import analysis_to_json

    doc = analysis_to_json(
        analysis, source=report.to_dict(), decision=decision.to_json_blocks(), label_delay=label_delay
    )
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def _emit_sweep(args: argparse.Namespace, analysis: Analysis, report, decision, label_delay=None) -> int:
    if args.json:
        text = result_json_text(analysis, report, decision, label_delay)
        if args.json == "-":
            sys.stdout.write(text)
        else:
            from roistudio.core.atomic import write_text_atomic

            try:
                write_text_atomic(args.json, text)
            except OSError as exc:
                raise OutputError(f"cannot write the JSON result to {args.json}: {_os_reason(exc)}") from exc
            print(f"wrote {args.json}", file=sys.stderr)
        if args.json == "-":
            return 0
    print(format_summary(analysis, report, decision, label_delay))
    return 0


def _money(v: float | None) -> str:
    return format_money(v, None, decimals=2)


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def _thr(t: float | None) -> str:
    return "flag nobody" if t is None else f"{t:.6g}"


def _point_line(p: CurvePoint) -> str:
    return (
        f"value {_money(p.value)}; flags {p.flagged:,} rows ({_pct(p.flag_rate)}), "
        f"precision {_pct(p.precision)}, recall {_pct(p.recall)}"
    )


def format_summary(analysis: Analysis, report, decision=None, label_delay=None) -> str:
    """The short human summary printed by ``roistudio sweep`` without ``--json``."""
    champ = analysis.champion
    curve = champ.curve
    lines = [
        f"{report.source.name}: {report.rows:,} rows; swept {curve.rows:,} labelled rows "
        f"({curve.positives:,} positive '{analysis.validation.label.positive_text}'), "
        f"{curve.unlabeled:,} not yet known"
        + (f", {analysis.excluded_rows:,} excluded for bad scores" if analysis.excluded_rows else ""),
    ]
    if report.rejected_count:
        details = report.summary_lines()
        lines.extend(f"  {line}" for line in details[:6])
        if len(details) > 6:
            lines.append("  (all rejected rows: --json, under source.rejected)")
    nobody, everyone = champ.flag_nobody, champ.flag_everyone
    opt = champ.optimum
    lines.append(f"Best threshold {_thr(opt.threshold)} ({champ.name}): {_point_line(opt)}")
    lines.append(
        f"  vs flag nobody {_money(opt.value - nobody.value)} (flag nobody: {_money(nobody.value)}); "
        f"vs flag everyone {_money(opt.value - everyone.value)} (flag everyone: {_money(everyone.value)})"
    )
    if champ.constrained is not None or not analysis.request.constraints.is_empty():
        c = champ.constrained
        desc = analysis.request.constraints.describe()
        lines.append(
            f"Under {desc}: "
            + (
                "no threshold satisfies the constraints"
                if c is None
                else f"threshold {_thr(c.threshold)}: {_point_line(c)}"
            )
        )
        if c is not None:
            # Only the baselines the constraints allow (core rule: core.engine.baselines).
            allowed = champ.baselines
            compared = "; ".join(f"vs {b.label} {_money(c.value - b.value)}" for b in allowed)
            forbidden = all(b.kind != "flag_everyone" for b in allowed)
            lines.append(
                f"  {compared}" + (" (the constraints do not allow flagging everyone)" if forbidden else "")
            )
    if analysis.policy == "user":
        lines.append(
            f"At operating threshold {_thr(champ.operating.threshold)}: {_point_line(champ.operating)}"
        )
    for p in champ.at:
        lines.append(f"At {_thr(p.threshold)}: {_point_line(p)}")
    if champ.break_even:
        lines.append(
            "Break-even thresholds (value of the model crosses zero; the side that pays): "
            + ", ".join(repr(t) for t in champ.break_even)
        )
    comp = analysis.comparison
    if comp is not None:
        lines.append(
            f"Challenger {comp.challenger.name}: best threshold {_thr(comp.challenger.optimum.threshold)}, "
            f"value {_money(comp.challenger.optimum.value)} ({_money(comp.difference_at_best)} vs champion at each "
            f"one's best; {_money(comp.difference_at_common)} at the common threshold {_thr(comp.common_threshold)})"
        )
    for col, groups in analysis.segments.items():
        worst = groups[:3]
        lines.append(
            f"Segments by {col} (money lost at the operating threshold): "
            + "; ".join(f"{g.key} {_money(g.money_lost)}" for g in worst)
            + (" ..." if len(groups) > 3 else "")
        )
    if analysis.periods:
        known = [p for p in analysis.periods if not p.fully_unlabeled]
        unknown = [p for p in analysis.periods if p.fully_unlabeled]
        lines.append(
            f"By {analysis.request.period}: {len(known)} period{'s' * (len(known) != 1)} with labels"
            + (f", {len(unknown)} not yet known ({', '.join(p.key for p in unknown)})" if unknown else "")
            + _periods_note(analysis)
        )
    if label_delay is not None:
        lines.extend(label_delay_lines(analysis, label_delay))
    if decision is not None:
        lines.extend(decision_lines(decision))
    return "\n".join(lines)


def label_delay_lines(analysis: Analysis, label_delay) -> list[str]:
    """Summary lines of the calibration check and the estimate for rows not yet labelled."""
    from roistudio.core.engine.estimate import estimate_summary

    cal = label_delay.calibration
    brier = "n/a (raw scores)" if cal.brier is None else f"{cal.brier:.4f}"
    fitted = f"{cal.fitted_on_rows:,} labelled rows" + (
        f" of {', '.join(cal.fitted_on_periods)}" if cal.fitted_on_periods else ""
    )
    calibrated = "n/a" if cal.brier_calibrated is None else f"{cal.brier_calibrated:.4f}"
    ece = "n/a" if cal.ece is None else f"{cal.ece:.4f}"
    lines = [
        f"Calibration: {cal.method} on {fitted}; Brier score {brier} raw, {calibrated} calibrated; "
        f"expected calibration error {ece}"
    ]
    lines.extend(f"  {text}" for text in (*cal.notes, cal.warning) if text)
    threshold = analysis.operating.threshold
    summary = estimate_summary(label_delay, threshold)
    if summary:
        lines.append(summary)
    estimates = label_delay.periods_at(threshold)
    for period in analysis.periods:
        est = estimates.get(period.key)
        if period.fully_unlabeled and est is not None:
            lines.append(
                f"  {period.key} (labels not yet known): estimated value {_money(est.value)} "
                f"({round(label_delay.confidence * 100)}% interval {_money(est.low)} to {_money(est.high)})"
            )
    return lines


def _periods_note(analysis: Analysis) -> str:
    """How periods were formed, when it is not plain dates: year not given, or the time zone."""
    time = analysis.validation.time
    if time is None or time.form.name == "date":
        return ""
    return f" ({time.describe()})"


def _span(low: float | None, high: float | None) -> str:
    return f"{_money(low)} to {_money(high)}"


def decision_lines(decision) -> list[str]:
    """The decision-grade figures in a few lines (intervals, verdict, backtest, sensitivity)."""
    lines = []
    u = decision.uncertainty
    if u is not None:
        thr = u.optimal_threshold
        lines.append(
            f"{u.confidence:.0%} intervals ({u.replicates:,} bootstrap replicates, seed {u.seed}): "
            f"value at the operating threshold {_span(u.operating_value.low, u.operating_value.high)}; "
            f"value of the model {_span(u.value_of_model.low, u.value_of_model.high)}; "
            f"best threshold {_thr(thr.low)} to {_thr(thr.high)}"
        )
        if u.p_challenger_better is not None:
            lines.append(
                f"Challenger minus champion: {_span(u.difference_at_best.low, u.difference_at_best.high)} at each "
                f"one's best threshold, {_span(u.difference_at_common.low, u.difference_at_common.high)} at the "
                f"common threshold; P(challenger better) = {u.p_challenger_better:.3f}"
            )
    if decision.recommendation.get("challenger_verdict") is not None or u is not None:
        lines.append(decision.recommendation["text"])
    cov = decision.coverage
    if cov is not None:
        lines.append(
            f"Covers {cov.first} to {cov.last} ({cov.labelled_periods} labelled periods; "
            f"{cov.unlabelled_rows:,} rows not yet labelled): {_money(cov.value_per_month)} per month, "
            f"{_money(cov.value_per_year)} per year"
        )
    bt = decision.backtest
    if bt is not None:
        lines.append(
            f"Walk-forward ({len(bt.rows)} {bt.period}s, threshold tuned on earlier {bt.period}s): "
            f"{_money(bt.value)} vs {_money(bt.in_sample_value)} tuned in-sample "
            f"({_money(bt.optimism)} optimism); a stale threshold {_thr(bt.stale_threshold)} "
            f"would have cost {_money(bt.stale_cost)}"
        )
    sens = decision.sensitivity
    if sens is not None:
        for bar in sens.parameters:
            lines.append(
                f"{bar.name} {bar.low:g} to {bar.high:g}: value {_money(bar.value_at_low)} to "
                f"{_money(bar.value_at_high)} at the operating threshold; best {_money(bar.best_value_at_low)} "
                f"to {_money(bar.best_value_at_high)}"
                + (
                    "; break-even at " + ", ".join(f"{v:.6g}" for v in sens.break_even[bar.name])
                    if sens.break_even.get(bar.name)
                    else "; no break-even in range"
                )
            )
        if sens.draws:
            doc = sens.to_dict()["monte_carlo"]
            lines.append(
                f"Monte Carlo ({sens.draws:,} draws): value of the model p5 {_money(doc['value_of_model']['p5'])}, "
                f"median {_money(doc['value_of_model']['p50'])}, p95 {_money(doc['value_of_model']['p95'])}; "
                f"pays off in {sens.p_positive:.0%} of draws"
            )
    return lines


def _emit_report(
    args, analysis: Analysis, report, con, extras: dict, decision=None, label_delay=None, build_model=None
) -> int:
    """Write the workbook/PDF. Another engine (``con`` None) passes ``build_model(title, currency)``."""
    from roistudio.reports.model import build_project_report

    # The JSON of the analysis behind the report, made before any file is written (a figure that
    # cannot be written as JSON fails the command before the workbook and PDF are replaced).
    json_text = result_json_text(analysis, report, decision, label_delay) if args.json else None
    currency = (args.currency or extras.get("currency") or "USD").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise RoiError(
            f"--currency expects a 3-letter ISO code such as USD, EUR or JPY, got '{shown_text(currency)}'"
        )
    title = args.title or extras.get("title") or f"Model value report: {report.source.name}"
    if build_model is not None:
        model = build_model(title, currency)
    else:
        model = build_project_report(
            con,
            analysis,
            report,
            title=title,
            currency=currency,
            # The per-parameter aggregates serve the workbook's live formulas only: a PDF alone
            # does not pay for their extra scans.
            live=bool(args.xlsx),
            label_delay=label_delay,
            decision=decision,
        )
    from roistudio.core.atomic import atomic_group

    # The workbook and the PDF are one unit: both are rendered to temporaries and renamed only
    # once both succeeded, so a failure never leaves a new workbook beside an old PDF.
    try:
        with atomic_group() as group:
            if args.xlsx:
                from roistudio.reports.xlsx import write_xlsx

                write_xlsx(model, group.stage(args.xlsx))
            if args.pdf:
                from roistudio.reports.pdf import write_pdf

                write_pdf(model, group.stage(args.pdf))
            if json_text is not None and args.json != "-":
                group.stage(args.json).write_text(json_text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the report: {_os_reason(exc)}") from exc
    for path in (args.xlsx, args.pdf, None if args.json == "-" else args.json):
        if path:
            print(f"wrote {path}", file=sys.stderr)
    if json_text is not None and args.json == "-":
        sys.stdout.write(json_text)  # stdout holds the JSON alone, as with sweep --json -
        return 0
    print(format_summary(analysis, report, decision, label_delay))
    return 0


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    return (exc.strerror or str(exc)).lower()
