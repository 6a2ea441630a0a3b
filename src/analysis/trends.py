"""Trend models of victim counts: has the yearly count changed, and differently for women and men?

Female and male records per year x destination (destination-years without any record are not
counted as zero) are modelled as `records ~ year_c * C(gender) + C(destination) * C(gender)`:
a log-linear trend per gender, within destinations that each have their own level and gender
ratio. `models.fit_counts` picks Poisson or negative binomial. The same trend is refitted with one
gender ratio for all destinations: where the two differ, the gender trend is partly a shift
between destinations.

    fit = trends.gender_trend(vic.year_destination_gender(chosen, top_codes), confidence=0.95)
    fit.trend          # IRR per year for each gender
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis import models

GENDERS = ("female", "male")  # the genders modelled; the first is the reference level
TREND = "records ~ year_c * C(gender)"


@dataclass
class GenderTrend:
    formula: str  # the model with a gender ratio per destination
    data: pd.DataFrame  # the counts modelled: year, year_c, destination, gender, records
    levels: list[str]  # the genders present, reference first
    model: models.CountModel
    diagnostics: dict  # models.diagnostics of `model`
    trend: pd.DataFrame  # IRR per year (irr, lower, upper, p_value) for each gender
    ratio: dict | None  # IRR of the male trend against the female one (None with one gender)
    common_ratio_trend: pd.DataFrame  # `trend` refitted with one gender ratio for all destinations


def model_grid(grid: pd.DataFrame, genders: tuple[str, ...] = GENDERS) -> pd.DataFrame:
    """The counts a trend model uses: chosen genders, with year centred on the first year."""
    data = grid[grid["gender"].isin(genders)].copy()
    data["year_c"] = data["year"] - data["year"].min()
    data["gender"] = data["gender"].astype(str)
    data["destination"] = data["destination"].astype(str)
    return data.reset_index(drop=True)


def gender_trend(grid: pd.DataFrame, confidence: float) -> GenderTrend:
    """Fit the trend per gender on a `victims.year_destination_gender` grid (one destination:
    no destination terms)."""
    data = model_grid(grid)
    levels = [g for g in GENDERS if g in set(data["gender"])]
    several = data["destination"].nunique() > 1
    formula = TREND + (" + C(destination) * C(gender)" if several else "")
    model = models.fit_counts(formula, data)
    interactions = [t for t in model.result.params.index if t.startswith("year_c:C(gender)")]
    common = models.fit_counts(TREND + (" + C(destination)" if several else ""), data)
    return GenderTrend(
        formula=formula,
        data=data,
        levels=levels,
        model=model,
        diagnostics=models.diagnostics(model),
        trend=models.slope_by_group(model.result, "year_c", "gender", levels, confidence),
        ratio=models.combined_irr(model.result, interactions, confidence)
        if len(levels) > 1
        else None,
        common_ratio_trend=models.slope_by_group(
            common.result, "year_c", "gender", levels, confidence
        ),
    )


def coefficients(fit: GenderTrend, confidence: float) -> pd.DataFrame:
    """Every IRR of the model but the intercept (`models.tidy`)."""
    coef = models.tidy(fit.model.result, confidence)
    return coef[~coef["term"].str.startswith("Intercept")]


def fitted(fit: GenderTrend) -> pd.DataFrame:
    """The modelled counts with their fitted values and Pearson residuals."""
    result = fit.model.result
    return fit.data.assign(fitted=result.fittedvalues, resid=result.resid_pearson)
