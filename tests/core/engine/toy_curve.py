"""The five-row case worked by hand that the curve, constraints and baselines tests share.

The ``toy`` fixture (``conftest.py``) is its champion.
"""

from __future__ import annotations

import pandas as pd

# Five rows worked by hand with tp = amount * 0.9 - 5, fp = -5, tn = 0, fn = -amount:
#   score  label amount   TP value  FN value
#   0.9    1     100      85        -100
#   0.8    0     50       (FP -5)
#   0.8    1     20       13        -20
#   0.4    0     10       (FP -5)
#   0.2    1     3        -2.3      -3
# flag nobody: -123; t=0.9: 85-20-3 = 62; t=0.8: 85-5+13-3 = 90; t=0.4: 85; t=0.2: 85.7
TOY = pd.DataFrame(
    {
        "score": [0.9, 0.8, 0.8, 0.4, 0.2],
        "label": [1, 0, 1, 0, 1],
        "amount": [100.0, 50.0, 20.0, 10.0, 3.0],
    }
)
TOY_PAYOFF = {"tp": "amount * recovery - review", "fp": "-review", "tn": "0", "fn": "-amount"}
TOY_PARAMS = {"recovery": 0.9, "review": 5.0}
