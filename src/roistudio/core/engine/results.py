"""What an analysis reads off a curve: one model's policies, and one segment value's or period's.

:class:`ModelResult` is a model's curve with the policies read off it (optimum, constrained
optimum, operating point, asked thresholds, break-even thresholds) and the baselines the
constraints allow; :class:`GroupResult` is one segment value or one period read at the overall
operating threshold. Both are frozen and touch no database: a threshold move re-reads them from
their curves (:func:`roistudio.core.engine.analysis.reread`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from roistudio.core.engine.baselines import Baseline, allowed_baselines, better_allowed_baseline
from roistudio.core.engine.constraints import Constraints
from roistudio.core.engine.curve import Curve, CurvePoint


@dataclass(frozen=True, eq=False)
class ModelResult:
    """One model's curve and the policies read off it."""

    name: str
    score_column: str
    curve: Curve
    optimum: CurvePoint
    constrained: CurvePoint | None
    operating: CurvePoint
    at: tuple[CurvePoint, ...]
    break_even: tuple[float, ...]
    # The constraints the policies were read under: they decide which baselines are compared.
    constraints: Constraints = field(default_factory=Constraints)

    @property
    def flag_nobody(self) -> CurvePoint:
        return self.curve.flag_nobody()

    @property
    def flag_everyone(self) -> CurvePoint:
        return self.curve.flag_everyone()

    @property
    def baselines(self) -> tuple[Baseline, ...]:
        """The policies needing no model that the constraints allow (see :func:`~roistudio.core.engine.baselines.allowed_baselines`)."""
        return allowed_baselines(self.curve, self.constraints)

    @property
    def better_baseline(self) -> Baseline:
        """The most valuable allowed baseline: never one the constraints forbid."""
        return better_allowed_baseline(self.curve, self.constraints)

    @property
    def value_of_model(self) -> float:
        """Value at the operating threshold minus the better allowed baseline."""
        return self.operating.value - self.better_baseline.value

    @property
    def perfect_value(self) -> float:
        """Value with perfect knowledge: every positive flagged, no negative flagged."""
        return float(self.curve.tp_value[-1]) + self.curve.tn_value_total

    @property
    def savings(self) -> float | None:
        """Cost-sensitive savings: 1 - cost(model) / min(cost(flag nobody), cost(flag everyone)).

        Costs are negated values. ``None`` when the better baseline costs nothing or gains money
        (the ratio is then meaningless).
        """
        best_baseline_cost = -self.better_baseline.value
        if best_baseline_cost <= 0:
            return None
        return 1.0 - (-self.operating.value) / best_baseline_cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score_column": self.score_column,
            "optimal": self.optimum.to_dict(),
            "operating": self.operating.to_dict(),
            "constrained": None if self.constrained is None else self.constrained.to_dict(),
            "at": [p.to_dict() for p in self.at],
            "baselines": baselines_dict(self),
            "break_even": list(self.break_even),
            "value_of_model": self.value_of_model,
            "savings": self.savings,
        }


def baselines_dict(model: ModelResult) -> dict[str, Any]:
    """The two baselines and the model's value against each, for the JSON result."""
    nobody, everyone = model.flag_nobody, model.flag_everyone
    better = model.better_baseline
    return {
        "flag_nobody": {"value": nobody.value},
        "flag_everyone": {"value": everyone.value, "threshold": everyone.threshold},
        "better": better.kind,
        "better_value": better.value,
        "allowed": [
            {"kind": b.kind, "label": b.label, "value": b.value, "flagged": b.flagged}
            for b in model.baselines
        ],
        "optimal_vs_flag_nobody": model.optimum.value - nobody.value,
        "optimal_vs_flag_everyone": model.optimum.value - everyone.value,
        "operating_vs_flag_nobody": model.operating.value - nobody.value,
        "operating_vs_flag_everyone": model.operating.value - everyone.value,
    }


@dataclass(frozen=True, eq=False)
class GroupResult:
    """One segment value or one period, read at the overall operating threshold.

    ``money_lost`` is what errors cost at that threshold: the perfect-knowledge value minus the
    value achieved (missed positives and false alarms, in money).
    """

    key: str
    curve: Curve
    operating: CurvePoint
    optimum: CurvePoint
    challenger_operating: CurvePoint | None = None
    challenger_optimum: CurvePoint | None = None
    # Kept so that a threshold move re-reads the challenger too (see _breakdowns).
    challenger_curve: Curve | None = None

    @property
    def rows(self) -> int:
        return self.curve.rows

    @property
    def positives(self) -> int:
        return self.curve.positives

    @property
    def unlabeled(self) -> int:
        return self.curve.unlabeled

    @property
    def fully_unlabeled(self) -> bool:
        """True when no row of this group has a label yet (e.g. the latest month)."""
        return self.curve.rows == 0 and self.curve.unlabeled > 0

    @property
    def perfect_value(self) -> float:
        return float(self.curve.tp_value[-1]) + self.curve.tn_value_total

    @property
    def money_lost(self) -> float:
        return self.perfect_value - self.operating.value

    def to_dict(self) -> dict[str, Any]:
        out = {
            "key": self.key,
            "rows": self.rows,
            "positives": self.positives,
            "unlabeled": self.unlabeled,
            "labels_known": not self.fully_unlabeled,
            "value": self.operating.value,
            "money_lost": self.money_lost,
            "perfect_value": self.perfect_value,
            "flagged": self.operating.flagged,
            "flagged_unlabeled": self.operating.flagged_unlabeled,
            "precision": self.operating.precision,
            "recall": self.operating.recall,
            "tp": self.operating.tp,
            "fp": self.operating.fp,
            "tn": self.operating.tn,
            "fn": self.operating.fn,
            "best_threshold": self.optimum.threshold,
            "best_value": self.optimum.value,
        }
        if self.challenger_operating is not None:
            out["challenger_value"] = self.challenger_operating.value
            out["challenger_best_value"] = self.challenger_optimum.value if self.challenger_optimum else None
        return out
