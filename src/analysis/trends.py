"""Trend models of victim counts: has the yearly count changed, and differently for women and men?

Female and male records per year x destination (destination-years without any record are not
counted as zero) are modelled as `records ~ year_c * C(gender) + C(destination) * C(gender)`:
a log-linear trend per gender, within destinations that each have their own level and gender
ratio. `models.fit_counts` picks Poisson or negative binomial. The same trend is refitted with one
gender ratio for all destinations: where the two differ, the gender trend is partly a shift
between destinations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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


def model_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """The counts a trend model uses: female and male, with year centred on the first year."""
    data = grid[grid["gender"].isin(GENDERS)].copy()
    data["year_c"] = data["year"] - data["year"].min()
    data["gender"] = data["gender"].astype(str)
    data["destination"] = data["destination"].astype(str)
    return data.reset_index(drop=True)


def gender_trend(grid: pd.DataFrame, confidence: float) -> GenderTrend:
    """Fit the trend per gender (one destination: no destination terms)."""
    data = model_grid(grid)
    levels = [g for g in GENDERS if g in set(data["gender"])]
    several = data["destination"].nunique() > 1
    formula = TREND + (" + C(destination) * C(gender)" if several else "")
    model = models.fit_counts(formula, data)
    interactions = [t for t in model.result.params.index if t.startswith("year_c:C(gender)")]
    common = models.fit_counts(TREND + (" + C(destination)" if several else ""), data)
    trend, common_trend = (
        models.slope_by_group(m.result, "year_c", "gender", levels, confidence)
        for m in (model, common)
    )
    ratio = models.combined_irr(model.result, interactions, confidence) if len(levels) > 1 else None
    diagnostics = models.diagnostics(model)
    return GenderTrend(formula, data, levels, model, diagnostics, trend, ratio, common_trend)


def coefficients(fit: GenderTrend, confidence: float) -> pd.DataFrame:
    """Every IRR of the model but the intercept (`models.tidy`)."""
    coef = models.tidy(fit.model.result, confidence)
    return coef[~coef["term"].str.startswith("Intercept")]


def fitted(fit: GenderTrend) -> pd.DataFrame:
    """The modelled counts with their fitted values and Pearson residuals."""
    result = fit.model.result
    return fit.data.assign(fitted=result.fittedvalues, resid=result.resid_pearson)


# --- Does the trend hold? The same question under other models and data ---------------------

MIN_YEARS = 3  # a destination enters the sensitivity table only with at least this many years


@dataclass
class Specification:
    """One row of the sensitivity table: a model and the data it is fitted to."""

    name: str  # how the report names it
    family: str  # "nb2", "nb1", "quasi-poisson", "poisson-clustered"
    drop_destination: str | None = None
    drop_years: tuple[int, ...] = ()
    exposure: bool = False  # offset: log of the destination-year's records of any gender
    drop_zeros: bool = False  # without the destination-years with a zero for either gender


def _fit_trend(spec: Specification, data: pd.DataFrame, confidence: float) -> dict:
    """The female and male IRRs per year under one specification, and its AIC if any."""
    several = data["destination"].nunique() > 1
    formula = TREND + (" + C(destination) * C(gender)" if several else "")
    offset = np.log(data["exposure"]) if spec.exposure else None
    if spec.family == "nb2":
        result = models.fit_counts(formula, data, dispersion_limit=0.0, offset=offset).result
    elif spec.family == "nb1":
        result = models.fit_nb1(formula, data, offset=offset)
    else:
        result = models.fit_poisson(formula, data, offset=offset, cov=spec.family,
                                    groups=data["destination"])  # fmt: skip
    aic = float(result.aic) if spec.family in ("nb2", "nb1") else None  # quasi fits have none
    levels = [g for g in GENDERS if g in set(data["gender"])]
    slopes = models.slope_by_group(result, "year_c", "gender", levels, confidence)
    slopes = slopes.set_index("gender")[["irr", "lower", "upper", "p_value"]].stack()
    row = {"model": spec.name, "n_obs": int(len(data)), "aic": aic}
    return row | {f"{gender}_{key}": float(v) for (gender, key), v in slopes.items()}


def sensitivity_data(grid: pd.DataFrame, min_years: int = MIN_YEARS) -> pd.DataFrame:
    """The counts of the destinations with `min_years` years or more, with their `exposure`."""
    exposure = grid.groupby(["year", "destination"])["records"].transform("sum")
    data = model_grid(grid.assign(exposure=exposure))
    years = data.groupby("destination")["year"].nunique()
    return data[data["destination"].isin(years.index[years >= min_years])].reset_index(drop=True)


def sensitivity(
    grid: pd.DataFrame,
    confidence: float,
    hotline_years: tuple[int, ...] = (),
    redacted_below: int = 0,
) -> pd.DataFrame:
    """The gender trend under every specification, a row each; a failed fit says why in `note`.
    With `redacted_below` (k-anonymised), one row leaves out the zeros that may be redactions."""
    data = sensitivity_data(grid)
    # the first row says how many destinations of the report's model have too few years
    left_out = model_grid(grid)["destination"].nunique() - data["destination"].nunique()
    first = "negative binomial (NB2), the report's model"
    if left_out:
        which = f"the {left_out} destinations" if left_out > 1 else "the one destination"
        first += f", without {which} with fewer than {MIN_YEARS} years of records"
    specs = [
        Specification(first, "nb2"),
        Specification("negative binomial (NB1)", "nb1"),
        Specification("quasi-Poisson", "quasi-poisson"),
        Specification("Poisson, standard errors clustered by destination", "poisson-clustered"),
        Specification("NB2 with the destination-year's records as exposure", "nb2",
                      exposure=True),
    ]  # fmt: skip
    if hotline_years:
        first, last = min(hotline_years), max(hotline_years)
        specs.append(Specification(f"NB2 without the hotline years ({first}–{last})", "nb2",
                                   drop_years=tuple(hotline_years)))  # fmt: skip
    if redacted_below:  # k-anonymised: a zero may be up to k - 1 redacted records
        specs.append(Specification(
            f"NB2 without the destination-years with a zero for either gender (a zero may hide "
            f"1–{redacted_below - 1} redacted records)", "nb2", drop_zeros=True))  # fmt: skip
    for destination in sorted(data["destination"].unique()):
        specs.append(Specification(f"NB2 without {destination}", "nb2",
                                   drop_destination=destination))  # fmt: skip
    rows = []
    for spec in specs:
        part = data[~data["year"].isin(spec.drop_years)]
        if spec.drop_zeros:  # k-anonymised: a 0 is a range from 0 to k - 1
            part = part[part.groupby(["destination", "year"])["records"].transform("min") > 0]
        if spec.drop_destination:
            part = part[part["destination"] != spec.drop_destination]
        part = part.assign(year_c=part["year"] - part["year"].min()).reset_index(drop=True)
        try:
            rows.append({**_fit_trend(spec, part, confidence), "note": ""})
        except (ValueError, np.linalg.LinAlgError) as exc:
            rows.append({"model": spec.name, "n_obs": int(len(part)), "note": str(exc)})
    return pd.DataFrame(rows)


def direction(lower, upper) -> str | None:
    """'rising' or 'falling' where every interval lies above or below 1; None otherwise."""
    if np.all(np.asarray(lower) > 1):
        return "rising"
    if np.all(np.asarray(upper) < 1):
        return "falling"
    return None


def robust_direction(table: pd.DataFrame, gender: str) -> str | None:
    """`direction` of every row for `gender`; None where a row has no fit."""
    fitted = table.dropna(subset=[f"{gender}_lower", f"{gender}_upper"])
    if fitted.empty or len(fitted) < len(table):
        return None
    return direction(fitted[f"{gender}_lower"], fitted[f"{gender}_upper"])


def share_trend(grid: pd.DataFrame, confidence: float, redacted_below: int = 0) -> dict:
    """The female share of records of known gender within destination-years: a quasi-binomial
    GLM `female share ~ year_c + C(destination)`, odds ratio per year. Its second look: errors
    clustered by destination, without each destination in turn and (k-anonymised) without the
    zeros that may be redactions; `robust` is the direction all of them agree on."""
    data = sensitivity_data(grid)
    wide = data.pivot_table(index=["year", "destination"], columns="gender", values="records",
                            fill_value=0).reset_index()  # fmt: skip
    wide = wide[(wide["female"] + wide["male"]) > 0].reset_index(drop=True)
    wide["year_c"] = wide["year"] - wide["year"].min()
    found = {"n_obs": int(len(wide)), **_share_odds(wide, confidence)}
    if wide["destination"].nunique() > 1:
        found["clustered"] = _checked_odds(wide, confidence, clustered=True)
    if wide["destination"].nunique() > 2:
        found["without"] = {
            d: _checked_odds(wide[wide["destination"] != d], confidence)
            for d in sorted(wide["destination"].unique())
        }
    if redacted_below:
        zero = (wide["female"] == 0) | (wide["male"] == 0)
        found["zero_rows"] = int(zero.sum())
        if zero.any():
            found["without_zeros"] = _checked_odds(wide[~zero], confidence)
    records = (wide["female"] + wide["male"]).groupby(wide["destination"]).sum()
    found["largest"] = {"destination": str(records.idxmax()),
                        "share": float(records.max() / records.sum())}  # fmt: skip
    found["robust"] = share_direction(found)
    return found


def _checked_odds(wide: pd.DataFrame, confidence: float, clustered: bool = False) -> dict:
    """`_share_odds` of a check; a failed fit is {'failed': why}: then no direction is stated."""
    if wide.empty:
        return {"failed": "no destination-year left"}
    try:
        return _share_odds(wide, confidence, clustered)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"failed": f"{type(exc).__name__}: {exc}"[:200]}


def _share_odds(wide: pd.DataFrame, confidence: float, clustered: bool = False) -> dict:
    several = wide["destination"].nunique() > 1
    terms = "year_c" + (" + C(destination)" if several else "")
    groups = wide["destination"] if clustered else None
    result = models.fit_share("female", "male", terms, wide, groups)
    return models.combined_irr(result, ["year_c"], confidence)


def share_direction(found: dict) -> str | None:
    """`direction` of the model and all its checks; None where a check failed."""
    checks = [found, found.get("clustered"), found.get("without_zeros"),
              *found.get("without", {}).values()]  # fmt: skip
    checks = [c for c in checks if c is not None]
    if any("failed" in c for c in checks):
        return None
    return direction([c["lower"] for c in checks], [c["upper"] for c in checks])
