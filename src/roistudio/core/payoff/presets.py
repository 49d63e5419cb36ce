"""Ready-made payoffs for common decisions, to start from instead of a blank editor.

Every preset is written in the payoff language (see :mod:`roistudio.core.payoff.language`) over one
placeholder money column (``Preset.money_hint``, e.g. ``amount``) and named parameters with
typical values. :func:`apply_preset` puts the user's own money column in place of the
placeholder. All four outcomes of a preset are measured from the same reference, "do nothing
for this row", as the demo's payoff is (see :mod:`roistudio.core.project.demo`): counting a recovered
amount as a gain while a missed one is a loss would credit the model with each amount twice.

Conventions: gains positive, costs negative; a row is flagged (acted on) when its score is at or
above the threshold; the positive class is the event the model predicts (fraud, churn, default,
response).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from roistudio.core.column_types import is_numeric_type

__all__ = ["PRESETS", "Preset", "apply_preset", "find_money_column"]

# Words that make a numeric column look like money, in order of preference after the preset's own.
_MONEY_WORDS = (
    "amount",
    "value",
    "balance",
    "revenue",
    "price",
    "cost",
    "spend",
    "ltv",
    "clv",
    "usd",
    "eur",
    "gbp",
)


@dataclass(frozen=True)
class Preset:
    """A payoff template for one kind of decision.

    Attributes
    ----------
    name
        Short title shown in menus.
    description
        What the outcomes mean and where the default values come from (shown as a tooltip).
    expressions
        Outcome (``tp``, ``fp``, ``tn``, ``fn``) -> expression over ``money_hint`` and the parameters.
    parameters
        Parameter name -> typical value.
    money_hint
        The placeholder money column the expressions use (the user's column replaces it).
    money_words
        Words that identify a matching money column in the user's data, best first.
    money_default
        A typical per-row amount, used as the parameter ``avg_<money_hint>`` when the data has
        no money column at all.
    """

    name: str
    description: str
    expressions: dict[str, str]
    parameters: dict[str, float]
    money_hint: str
    money_words: tuple[str, ...] = field(default=())
    money_default: float = 100.0


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="Fraud review",
            description=(
                "Flagged transactions are reviewed by an analyst. tp: fraud caught, only the part not "
                "recovered is lost, plus the review; fp: a good customer reviewed (analyst time and "
                "customer friction); tn: a good transaction passes; fn: fraud missed, the whole amount "
                "plus the chargeback fee. Recovery 85%, review $4.50, friction $2, chargeback fee $15."
            ),
            expressions={
                "tp": "-amount * (1 - recovery_rate) - review_cost",
                "fp": "-review_cost - friction_cost",
                "tn": "0",
                "fn": "-amount - chargeback_fee",
            },
            parameters={
                "recovery_rate": 0.85,
                "review_cost": 4.50,
                "friction_cost": 2.00,
                "chargeback_fee": 15.00,
            },
            money_hint="amount",
            money_words=("amount", "amt", "value", "transaction"),
            money_default=120.0,
        ),
        Preset(
            name="Churn retention offer",
            description=(
                "Customers predicted to leave get a retention offer. tp: a leaver gets the offer and "
                "stays with probability save_rate, keeping their customer lifetime value (clv), at the "
                "cost of the offer; fp: a customer who would have stayed takes the offer anyway (its "
                "cost is given away); tn, fn: no offer, nothing changes against doing nothing. "
                "Save rate 25%, offer $50."
            ),
            expressions={
                "tp": "clv * save_rate - offer_cost",
                "fp": "-offer_cost",
                "tn": "0",
                "fn": "0",
            },
            parameters={"save_rate": 0.25, "offer_cost": 50.0},
            money_hint="clv",
            money_words=("clv", "ltv", "lifetime", "customer_value", "value", "revenue", "spend"),
            money_default=1200.0,
        ),
        Preset(
            name="Credit approval",
            description=(
                "The score is the probability of default; flagged applications are declined. "
                "tn: a good borrower is approved and the lender earns its net margin on the loan; "
                "fn: a defaulter is approved and the lender loses the loss-given-default share of the "
                "loan; tp, fp: declined, no loan, nothing earned or lost. Net margin 8% over the life of "
                "the loan, loss given default 45% (the Basel foundation value for senior unsecured loans)."
            ),
            expressions={
                "tp": "0",
                "fp": "0",
                "tn": "loan_amount * net_margin",
                "fn": "-loan_amount * loss_given_default",
            },
            parameters={"net_margin": 0.08, "loss_given_default": 0.45},
            money_hint="loan_amount",
            money_words=("loan", "principal", "credit", "amount", "exposure", "balance"),
            money_default=10_000.0,
        ),
        Preset(
            name="Marketing contact",
            description=(
                "Flagged customers are contacted (mail, call, ad). tp: a responder is contacted and buys, "
                "earning the gross margin on the order less the contact cost; fp: a non-responder is "
                "contacted, the contact cost is lost; tn, fn: not contacted, no cost and (assumed) no "
                "purchase. Gross margin 30%, contact $1.50."
            ),
            expressions={
                "tp": "order_value * gross_margin - contact_cost",
                "fp": "-contact_cost",
                "tn": "0",
                "fn": "0",
            },
            parameters={"gross_margin": 0.30, "contact_cost": 1.50},
            money_hint="order_value",
            money_words=("order", "revenue", "basket", "value", "spend", "amount", "balance"),
            money_default=80.0,
        ),
    )
}


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]


def find_money_column(preset: Preset, columns: Mapping[str, str] | Sequence[str]) -> str | None:
    """The user's column that best matches the preset's money column, or None.

    Parameters
    ----------
    preset
        The preset whose ``money_hint`` is to be replaced.
    columns
        Column name -> DuckDB type (only numeric columns qualify), or a list of candidate money
        columns (e.g. the mapping's money columns), all taken as numeric.

    Returns
    -------
    str or None
        The exact placeholder name if present, else the first column whose name contains one
        of the preset's money words (in the preset's order of preference), else one containing
        a general money word.
    """
    if isinstance(columns, Mapping):
        names = [c for c, t in columns.items() if is_numeric_type(str(t))]
    else:
        names = list(columns)
    if preset.money_hint in names:
        return preset.money_hint
    for word in (*preset.money_words, *_MONEY_WORDS):
        for name in names:
            if word in _words(name) or word in name.lower():
                return name
    return None


def _reference(column: str) -> str:
    """How the payoff language writes a column: bare if an identifier, else in backticks."""
    if column.isidentifier() and not keyword.iskeyword(column):
        return column
    return "`" + column.replace("`", "``") + "`"


def apply_preset(
    preset: Preset,
    columns: Mapping[str, str] | Sequence[str],
    *,
    money_column: str | None = None,
) -> tuple[dict[str, str], dict[str, float]]:
    """The preset's expressions and parameters with the user's money column in place.

    Parameters
    ----------
    preset
        One of :data:`PRESETS` (or any :class:`Preset`).
    columns
        Column name -> DuckDB type of the user's data, or a list of candidate money columns.
    money_column
        The column to use; found with :func:`find_money_column` when not given.

    Returns
    -------
    (expressions, parameters)
        New dicts. When no money column is found the placeholder becomes the parameter
        ``avg_<money_hint>`` with the preset's typical amount, so the payoff still parses and
        the user sees which number to adjust.

    Examples
    --------
    >>> expressions, _ = apply_preset(PRESETS["Fraud review"], {"Txn Amount": "DOUBLE"})
    >>> expressions["fn"]
    '-`Txn Amount` - chargeback_fee'
    """
    parameters = dict(preset.parameters)
    column = money_column or find_money_column(preset, columns)
    if column is None:
        replacement = f"avg_{preset.money_hint}"
        parameters[replacement] = preset.money_default
    else:
        replacement = _reference(column)
    # The templates are ours: the placeholder only ever appears as a whole identifier.
    pattern = re.compile(rf"(?<![\w`]){re.escape(preset.money_hint)}(?![\w`])")
    expressions = {o: pattern.sub(lambda _m: replacement, text) for o, text in preset.expressions.items()}
    return expressions, parameters
