"""Money as people read it: currency symbols and amounts with thousands separators.

One place for the app's tiles and tables and for both reports, so a figure reads the same in
each. Deliberately light (no numpy, pandas or DuckDB): the window's first paint imports it.
"""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "CAD": "C$", "AUD": "A$",
                    "INR": "₹", "CNY": "¥", "SEK": "kr ", "NOK": "kr ", "DKK": "kr ", "PLN": "zł ", "BRL": "R$"}  # fmt: skip


# Reports in these currencies are read in the US or Canada and print on US Letter; every other
# currency prints on A4. Both the PDF and the workbook follow this one rule.
LETTER_CURRENCIES = frozenset({"USD", "CAD"})


def prints_on_letter(currency: str) -> bool:
    """Whether a report in ``currency`` prints on US Letter (US and Canadian dollars) rather than A4.

    Parameters
    ----------
    currency
        ISO 4217 code, any case.

    Returns
    -------
    bool
        True for ``USD`` and ``CAD``.
    """
    return currency.upper() in LETTER_CURRENCIES


def currency_symbol(currency: str) -> str:
    """Symbol written before amounts: ``"USD"`` -> ``"$"``; unknown codes are written as ``"XYZ "``."""
    return CURRENCY_SYMBOLS.get(currency, f"{currency} ")


def format_money(
    value: float | None, currency: str | None, *, signed: bool = False, decimals: int = 0
) -> str:
    """``-$1,234`` / ``+€56`` (``signed``); ``n/a`` for None, NaN or infinity.

    The one money formatter: the app's tiles and tables, both reports and the CLI call it.
    Never ``-$0``: the sign follows the rounded amount, so float noise around zero prints as zero.

    Parameters
    ----------
    value
        Amount in currency units.
    currency
        ISO code (``"USD"``); its symbol is written before the digits (see :func:`currency_symbol`).
        None writes no symbol (the CLI's plain figures).
    signed
        Write ``+`` before gains (for differences).
    decimals
        Digits after the decimal point.

    Examples
    --------
    >>> format_money(-1234.4, "USD")
    '-$1,234'
    >>> format_money(56, "EUR", signed=True)
    '+€56'
    >>> format_money(-0.001, None, decimals=2)
    '0.00'
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    symbol = "" if currency is None else currency_symbol(currency)
    rounded = round(value, decimals) + 0.0
    sign = "-" if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return f"{sign}{symbol}{abs(rounded):,.{decimals}f}"
