"""Shares with confidence intervals (Wilson by default), for every analysis that reports one."""

from __future__ import annotations

import numpy as np
import pandas as pd


def proportion_ci(
    successes, totals, confidence: float = 0.95, method: str = "wilson"
) -> pd.DataFrame:
    """Share with its confidence interval (Wilson by default; 'beta' is Clopper-Pearson)."""
    # Imported here: statsmodels takes about 2 s to import, and most kernels that import the
    # publishing layer (through disclosure) never compute an interval.
    from statsmodels.stats.proportion import proportion_confint

    both_series = isinstance(successes, pd.Series) and isinstance(totals, pd.Series)
    if both_series and not successes.index.equals(totals.index):
        raise ValueError("successes and totals must have the same index")
    successes = pd.Series(successes, dtype="float64")
    totals = pd.Series(np.asarray(totals, dtype="float64"), index=successes.index)
    if ((successes < 0) | (successes > totals)).any():
        bad = successes.index[(successes < 0) | (successes > totals)].tolist()
        raise ValueError(f"successes must lie between 0 and the total; rows {bad}")
    valid = totals > 0
    lower = pd.Series(np.nan, index=successes.index)
    upper = pd.Series(np.nan, index=successes.index)
    if valid.any():
        low, high = proportion_confint(
            successes[valid], totals[valid], alpha=1 - confidence, method=method
        )
        lower[valid], upper[valid] = low, high
    share = (successes / totals).where(valid)
    return pd.DataFrame(
        {"successes": successes, "total": totals, "share": share, "lower": lower, "upper": upper}
    )
