"""Generate the bundled demo data: a synthetic card-fraud prediction export.

Writes ``resources/demo/card_fraud_predictions.parquet`` (zstd): about 200,000 card transactions from
2025-12-01 to 2026-11-30, each scored by two fraud models (a champion and a better challenger), with the
actual fraud label for every month except the last, whose labels are not known yet.

The generator is deterministic (one numpy ``default_rng`` with a fixed seed, no other randomness) and
imports nothing from ``roistudio``, so the committed file can always be reproduced::

    python scripts/make_demo_data.py            # rewrite resources/demo/card_fraud_predictions.parquet
    python scripts/make_demo_data.py --out x.parquet

How the data is made (all vectorised, a second or two):

1. Days are drawn with weights for the weekday, the season and shopping peaks; hours from a daily profile.
2. Channel depends on day/night, region is independent; the amount is lognormal per channel and region.
3. Whether the card is compromised (stolen details, a bot session) is drawn with log-odds that depend on
   channel, region, night-time, a seasonal drift by month and a mobile-app attack starting in June 2026.
   The latent log-odds of fraud is a low background, a large jump when compromised, a rise with the
   amount, and a behavioural signal (device, velocity...); ``is_fraud`` is a Bernoulli draw from it.
   The mixture keeps most risk in a few percent of rows, as in real card fraud.
4. The challenger sees the latent log-odds with little noise and is calibrated (logistic recalibration fitted
   on the labelled months). The champion sees a noisier view, misses the new mobile-app pattern, and is
   overconfident (its log-odds are stretched around a pivot), as an older model often is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20251201
N_ROWS = 200_000
OUTPUT_NAME = "card_fraud_predictions.parquet"
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "resources" / "demo" / OUTPUT_NAME

START = np.datetime64("2025-12-01", "D")
N_DAYS = 365  # through 2026-11-30
UNLABELLED_FROM = np.datetime64("2026-11-01", "D")  # last month: chargebacks not in yet

CHANNELS = np.array(["card_present", "online", "mobile_app", "phone"])
REGIONS = np.array(["North", "South", "East", "West", "International"])

# Share of each channel by day (06:00-23:59) and by night (00:00-05:59): at night fewer shops are open.
CHANNEL_SHARE_DAY = np.array([0.52, 0.24, 0.18, 0.06])
CHANNEL_SHARE_NIGHT = np.array([0.22, 0.44, 0.30, 0.04])
REGION_SHARE = np.array([0.25, 0.24, 0.22, 0.23, 0.06])

# Transaction volume by weekday (Monday first), by calendar month (December first) and by hour of day.
WEEKDAY_WEIGHT = np.array([0.95, 0.94, 0.97, 1.00, 1.12, 1.16, 0.90])
MONTH_WEIGHT = np.array([1.22, 0.88, 0.86, 0.95, 0.97, 1.00, 1.02, 1.06, 1.04, 0.96, 1.00, 1.10])
HOUR_WEIGHT = np.array([
    0.9, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.4, 3.6, 4.4, 5.0, 5.6,  # 00:00 to 11:00
    6.4, 6.2, 5.4, 5.2, 5.6, 6.2, 6.6, 6.2, 5.2, 4.0, 2.6, 1.6,  # 12:00 to 23:00
])  # fmt: skip
SHOPPING_PEAKS = {
    "2025-12-20": 1.5,
    "2025-12-22": 1.4,
    "2025-12-23": 1.6,
    "2026-11-27": 1.8,
    "2026-11-30": 1.5,
}

# Amount: lognormal with a median per channel (USD), scaled for international purchases.
CHANNEL_MEDIAN = np.array([34.0, 62.0, 45.0, 80.0])
INTERNATIONAL_AMOUNT_FACTOR = 1.45
AMOUNT_SIGMA = 1.0
AMOUNT_MIN, AMOUNT_MAX = 1.00, 8_500.00

# Fraud comes mostly from compromised cards and bot sessions: a small share of transactions with a high
# fraud probability, beside a low background rate. The share of compromised transactions (log-odds):
COMPROMISED_INTERCEPT = -4.2
CHANNEL_EFFECT = np.array([-1.0, 0.75, 0.35, 0.25])
REGION_EFFECT = np.array([0.0, 0.12, -0.08, 0.05, 1.25])
NIGHT_EFFECT = 0.6
# Seasonal drift by calendar month, December 2025 first: holiday fraud, a quiet spring, a summer wave.
MONTH_EFFECT = np.array([0.30, 0.10, -0.15, -0.10, -0.05, 0.00, 0.15, 0.25, 0.10, -0.05, 0.05, 0.20])
MOBILE_ATTACK_FROM = 6  # month index (June 2026) when a new mobile-app attack starts
MOBILE_ATTACK_EFFECT = 1.1
# The fraud probability itself (log-odds): background, the jump when compromised, larger amounts riskier.
FRAUD_INTERCEPT = -6.0
COMPROMISED_SHIFT = 5.5
AMOUNT_EFFECT = 0.45  # per unit of log(amount / 45)
SIGNAL_SD = 1.0  # behavioural signal the models observe (device, velocity, merchant history)

# What each model sees of the latent log-odds.
CHALLENGER_NOISE_SD = 0.8
CHAMPION_NOISE_SD = 1.1
CHAMPION_ATTACK_BLINDNESS = 0.6  # share of the new attack's shift the champion does not see
CHAMPION_STRETCH = 1.6  # >1: overconfident
CHAMPION_PIVOT = -3.0  # log-odds around which the champion's scores are stretched


def _draw_days(rng: np.random.Generator, n: int) -> np.ndarray:
    """Day offsets from START, weighted by weekday, calendar month and shopping peaks."""
    days = START + np.arange(N_DAYS)
    weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday
    month_index = (days.astype("datetime64[M]") - START.astype("datetime64[M]")).astype("int64")
    weight = WEEKDAY_WEIGHT[weekday] * MONTH_WEIGHT[month_index]
    for day, factor in SHOPPING_PEAKS.items():
        weight[days == np.datetime64(day)] *= factor
    return rng.choice(N_DAYS, size=n, p=weight / weight.sum())


def _draw_categories(rng: np.random.Generator, shares: np.ndarray) -> np.ndarray:
    """One category index per row; ``shares`` has one row of probabilities per input row."""
    cumulative = np.cumsum(shares, axis=1)
    cumulative[:, -1] = 1.0  # guard against rounding leaving a gap at the top
    u = rng.random(shares.shape[0])
    return (u[:, None] >= cumulative).sum(axis=1)


def _fit_logistic(x: np.ndarray, y: np.ndarray, iterations: int = 25) -> tuple[float, float]:
    """Intercept and slope of a one-feature logistic regression, by Newton's method."""
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(iterations):  # 2 parameters: a handful of vectorised passes, not a row loop
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (y - p)
        hessian = (design * (p * (1.0 - p))[:, None]).T @ design
        beta = beta + np.linalg.solve(hessian, gradient)
    return float(beta[0]), float(beta[1])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def generate(seed: int = SEED, n_rows: int = N_ROWS) -> pd.DataFrame:
    """Build the demo frame.

    Parameters
    ----------
    seed
        Seed of the single ``numpy.random.default_rng`` used for every draw.
    n_rows
        Number of transactions.

    Returns
    -------
    pandas.DataFrame
        Columns ``transaction_id`` (str), ``event_time`` (datetime64[us]), ``amount`` (float64, 2 decimals),
        ``channel`` (str), ``region`` (str), ``champion_score`` and ``challenger_score`` (float64, 4
        decimals) and ``is_fraud`` (nullable Int8, missing for November 2026), sorted by time.
    """
    rng = np.random.default_rng(seed)

    # When: day, then hour and second within the day; rows are sorted by time so ids follow the clock.
    day = _draw_days(rng, n_rows)
    hour = rng.choice(24, size=n_rows, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    second = rng.integers(0, 3600, size=n_rows)
    offset_s = day.astype("int64") * 86_400 + hour * 3600 + second
    order = np.argsort(offset_s, kind="stable")
    offset_s, hour, day = offset_s[order], hour[order], day[order]
    event_time = START.astype("datetime64[s]") + offset_s.astype("timedelta64[s]")
    month_index = (event_time.astype("datetime64[M]") - START.astype("datetime64[M]")).astype("int64")

    # Where and how: channel by day/night, region, amount.
    night = hour < 6
    channel_shares = np.where(night[:, None], CHANNEL_SHARE_NIGHT, CHANNEL_SHARE_DAY)
    channel = _draw_categories(rng, channel_shares)
    region = rng.choice(len(REGIONS), size=n_rows, p=REGION_SHARE)
    median = CHANNEL_MEDIAN[channel] * np.where(region == 4, INTERNATIONAL_AMOUNT_FACTOR, 1.0)
    amount = np.exp(np.log(median) + AMOUNT_SIGMA * rng.standard_normal(n_rows))
    amount = np.round(np.clip(amount, AMOUNT_MIN, AMOUNT_MAX), 2)

    # Truth: is the card compromised, then the latent log-odds of fraud, then the label.
    mobile_attack = (channel == 2) & (month_index >= MOBILE_ATTACK_FROM)
    compromised_logit = (
        COMPROMISED_INTERCEPT
        + CHANNEL_EFFECT[channel]
        + REGION_EFFECT[region]
        + NIGHT_EFFECT * night
        + MONTH_EFFECT[month_index]
        + MOBILE_ATTACK_EFFECT * mobile_attack
    )
    compromised = rng.random(n_rows) < _sigmoid(compromised_logit)
    latent = (
        FRAUD_INTERCEPT
        + COMPROMISED_SHIFT * compromised
        + AMOUNT_EFFECT * np.log(amount / 45.0)
        + SIGNAL_SD * rng.standard_normal(n_rows)
    )
    fraud = rng.random(n_rows) < _sigmoid(latent)
    labelled = day < (UNLABELLED_FROM - START).astype("int64")

    # Models: a view of the latent risk plus noise, recalibrated on the labelled months. The champion was
    # trained before the mobile-app attack and sees only part of it.
    challenger_view = latent + CHALLENGER_NOISE_SD * rng.standard_normal(n_rows)
    champion_view = (
        latent
        - CHAMPION_ATTACK_BLINDNESS * COMPROMISED_SHIFT * (compromised & mobile_attack)
        + CHAMPION_NOISE_SD * rng.standard_normal(n_rows)
    )
    y = fraud[labelled].astype(float)
    a, b = _fit_logistic(challenger_view[labelled], y)
    challenger = _sigmoid(a + b * challenger_view)
    a, b = _fit_logistic(champion_view[labelled], y)
    champion = _sigmoid(CHAMPION_PIVOT + CHAMPION_STRETCH * (a + b * champion_view - CHAMPION_PIVOT))

    is_fraud = pd.array(np.where(labelled, fraud.astype("int8"), 0), dtype="Int8")
    is_fraud[~labelled] = pd.NA
    ids = np.char.add("T", np.char.zfill(np.arange(1, n_rows + 1).astype(str), 7))
    return pd.DataFrame(
        {
            "transaction_id": pd.array(ids, dtype="str"),
            "event_time": event_time.astype("datetime64[us]"),
            "amount": amount,
            "channel": pd.array(CHANNELS[channel], dtype="str"),
            "region": pd.array(REGIONS[region], dtype="str"),
            "champion_score": np.round(champion, 4),
            "challenger_score": np.round(challenger, 4),
            "is_fraud": is_fraud,
        }
    )


DELTA_COLUMNS = {"transaction_id": "DELTA_BYTE_ARRAY", "event_time": "DELTA_BINARY_PACKED"}


def write(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as zstd Parquet with a fixed schema and no pandas index."""
    schema = pa.schema(
        [
            ("transaction_id", pa.string()),
            ("event_time", pa.timestamp("us")),
            ("amount", pa.float64()),
            ("channel", pa.string()),
            ("region", pa.string()),
            ("champion_score", pa.float64()),
            ("challenger_score", pa.float64()),
            ("is_fraud", pa.int8()),
        ]
    )
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    # Delta encodings suit the time-sorted timestamps and sequential ids (1.7 MB instead of 2.4 MB);
    # the low-cardinality columns (rounded scores, amounts, categories) keep dictionary encoding.
    pq.write_table(
        table,
        tmp,
        compression="zstd",
        compression_level=3,
        use_dictionary=[name for name in schema.names if name not in DELTA_COLUMNS],
        column_encoding=DELTA_COLUMNS,
    )
    tmp.replace(path)  # atomic: a half-written demo file is never left behind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="output Parquet file")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rows", type=int, default=N_ROWS)
    args = parser.parse_args(argv)
    frame = generate(args.seed, args.rows)
    write(frame, args.out)
    print(f"wrote {len(frame):,} rows to {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
