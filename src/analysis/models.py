"""Count models and tests of association, with tidy summaries a report can show.

Counts of detected victims are rarely Poisson: one contributor's year can double a country's
count. So a Poisson GLM is fitted first, its Pearson chi2/df is checked, and when that ratio
exceeds `DISPERSION_LIMIT` a negative binomial GLM is fitted instead (alpha estimated by
maximum likelihood, then held fixed in the GLM so both families share one interface).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats as sps
from statsmodels.tools.sm_exceptions import ConvergenceWarning

DISPERSION_LIMIT = 1.5  # Pearson chi2/df above this: Poisson standard errors are too small


@dataclass
class CountModel:
    family: str  # "poisson" or "negative binomial"
    result: object  # statsmodels GLMResults of the chosen family
    poisson: object  # the Poisson fit, kept for the comparison of fits
    dispersion: float  # Pearson chi2/df of the Poisson fit
    alpha: float | None  # NB2 dispersion parameter (None for Poisson)


def pearson_dispersion(result) -> float:
    """Pearson chi2 / residual df: about 1 for a well-specified Poisson model."""
    if result.df_resid <= 0:
        raise ValueError("the model has no residual degrees of freedom: too few rows for its terms")
    return float(result.pearson_chi2 / result.df_resid)


def _check_counts(data: pd.DataFrame, response: str) -> None:
    if response not in data.columns:
        raise ValueError(f"count column {response!r} is missing; columns are {list(data.columns)}")
    values = data[response]
    bad = values.isna() | (values < 0) | (values.astype(float) % 1 != 0)
    if bad.any():
        raise ValueError(
            f"count column {response!r} must hold non-negative integers; rows "
            f"{values.index[bad].tolist()[:10]} do not"
        )


def fit_poisson(formula: str, data: pd.DataFrame, offset=None, cov: str = "model", groups=None):
    """Poisson GLM with a log link. `cov`: "model" (Poisson standard errors), "quasi-poisson"
    (scaled by Pearson chi2/df) or "poisson-clustered" (robust, clustered by `groups`)."""
    _check_counts(data, formula.split("~")[0].strip())
    model = smf.glm(formula, data, family=sm.families.Poisson(), offset=offset)
    if cov == "quasi-poisson":
        return model.fit(scale="X2")
    return _clustered(model, groups) if cov == "poisson-clustered" else model.fit()


def _clustered(model, groups):
    """Robust standard errors, clustered by `groups` (rows of one group are not independent)."""
    return model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(np.asarray(groups))[0]})


def _fit_nb(formula: str, data: pd.DataFrame, start, kind: str, offset=None):
    """A negative binomial model by maximum likelihood (statsmodels' discrete model, `kind`
    "nb2" or "nb1"), started from the Poisson coefficients; alpha is its last parameter."""
    nb = smf.negativebinomial(formula, data, loglike_method=kind, offset=offset)
    start_params = np.append(np.asarray(start), 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return nb.fit(start_params=start_params, method="bfgs", maxiter=2000, disp=0)


def fit_nb1(formula: str, data: pd.DataFrame, offset=None):
    """NB1 (variance proportional to the mean) by maximum likelihood."""
    start = fit_poisson(formula, data, offset=offset).params
    result = _fit_nb(formula, data, start, "nb1", offset)
    if not result.mle_retvals.get("converged", True):
        raise ValueError("the NB1 model did not converge")
    return result


def fit_counts(
    formula: str, data: pd.DataFrame, dispersion_limit: float = DISPERSION_LIMIT, offset=None
) -> CountModel:
    """Poisson, or negative binomial (NB2) when the Poisson fit is overdispersed (a limit of 0:
    always NB2). `offset`: log exposure per row."""
    poisson = fit_poisson(formula, data, offset=offset)
    dispersion = pearson_dispersion(poisson)
    if dispersion <= dispersion_limit:
        return CountModel("poisson", poisson, poisson, dispersion, None)
    alpha = float(_fit_nb(formula, data, poisson.params, "nb2", offset).params.iloc[-1])
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(
            f"the negative binomial alpha did not converge to a positive value ({alpha})"
        )
    family = sm.families.NegativeBinomial(alpha=alpha)
    result = smf.glm(formula, data, family=family, offset=offset).fit()
    return CountModel("negative binomial", result, poisson, dispersion, alpha)


def fit_share(successes: str, failures: str, terms: str, data: pd.DataFrame, groups=None):
    """Binomial GLM (logit) of `successes` out of `successes + failures` per row, its standard
    errors scaled by Pearson chi2/df (quasi-binomial: records are not independent trials), or,
    with `groups`, robust and clustered by them (rows of one group are not independent)."""
    for column in (successes, failures):
        _check_counts(data, column)
    formula = f"{successes} + {failures} ~ {terms}"
    model = smf.glm(formula, data, family=sm.families.Binomial())
    if groups is not None:
        return _clustered(model, groups)
    # scale="X2" does not see the trials of a two-column response: Pearson chi2/df, computed
    # by the fit itself, is the quasi-binomial dispersion
    first = model.fit()
    return model.fit(scale=float(first.pearson_chi2 / first.df_resid))


def tidy(result, confidence: float = 0.95) -> pd.DataFrame:
    """One row per term: coefficient, incidence-rate ratio with its interval, p-value."""
    ci = result.conf_int(alpha=1 - confidence)
    return pd.DataFrame(
        {
            "term": result.params.index,
            "coef": result.params.to_numpy(),
            "se": result.bse.to_numpy(),
            "irr": np.exp(result.params.to_numpy()),
            "irr_lower": np.exp(ci.iloc[:, 0].to_numpy()),
            "irr_upper": np.exp(ci.iloc[:, 1].to_numpy()),
            "p_value": result.pvalues.to_numpy(),
        }
    )


def diagnostics(model: CountModel) -> dict:
    """Fit statistics of the chosen model, and the Poisson dispersion that chose it."""
    result = model.result
    return {
        "family": model.family,
        "n_obs": int(result.nobs),
        "df_resid": float(result.df_resid),
        "poisson_dispersion": model.dispersion,
        "dispersion": pearson_dispersion(result),
        "deviance": float(result.deviance),
        "deviance_per_df": float(result.deviance / result.df_resid),
        "aic": float(result.aic),
        "poisson_aic": float(model.poisson.aic),
        "alpha": model.alpha,
        "converged": bool(result.converged),
    }


def combined_irr(result, terms: list[str], confidence: float = 0.95) -> dict:
    """IRR of a sum of coefficients (e.g. the year slope plus a year x group interaction)."""
    if missing := [t for t in terms if t not in result.params.index]:
        raise ValueError(f"terms not in the model: {missing}; it has {list(result.params.index)}")
    weights = pd.Series(0.0, index=result.params.index)
    weights[terms] = 1.0
    estimate = float(weights @ result.params)
    se = float(np.sqrt(weights @ result.cov_params() @ weights))
    z = sps.norm.ppf(0.5 + confidence / 2)
    return {
        "irr": float(np.exp(estimate)),
        "lower": float(np.exp(estimate - z * se)),
        "upper": float(np.exp(estimate + z * se)),
        "p_value": float(2 * sps.norm.sf(abs(estimate / se))),
    }


def slope_by_group(
    result, slope: str, group: str, levels: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """IRR per unit of `slope` within each level of a treatment-coded `C(group)` interaction:
    the reference level's slope is the main effect; another level adds its interaction term."""
    rows = []
    for level in levels:
        names = [f"{slope}:C({group})[T.{level}]", f"C({group})[T.{level}]:{slope}"]
        found = [n for n in names if n in result.params.index]
        if level != levels[0] and not found:
            raise ValueError(f"no interaction of {slope!r} with {group}={level!r} in the model")
        rows.append({group: level, **combined_irr(result, [slope, *found[:1]], confidence)})
    return pd.DataFrame(rows)


# Cohen's (1988) conventions for the effect size w of a chi-square test: small, medium, large.
COHEN_W = ((0.5, "large"), (0.3, "medium"), (0.1, "small"))


def effect_size(v: float, df_star: int) -> str:
    """Cramér's V in Cohen's words: w = V·√df*, where df* = min(rows, columns) − 1, so that
    the same V is a larger association in a table with more rows and columns."""
    w = v * np.sqrt(df_star)
    return next((label for bound, label in COHEN_W if w >= bound), "negligible")


def association(table: pd.DataFrame) -> dict:
    """Chi-square test of independence with Cramér's V, its size in Cohen's words for the
    table's degrees of freedom (`effect_size`) and the smallest expected count."""
    table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        raise ValueError(
            f"a test of association needs at least 2 x 2 non-empty cells, got {table.shape}"
        )
    observed = np.asarray(table, dtype=float)
    chi2, p, dof, expected = sps.chi2_contingency(observed, correction=False)
    df_star = min(table.shape) - 1
    v = float(np.sqrt(chi2 / (observed.sum() * df_star)))  # Cramér's V
    return {
        "chi2": float(chi2),
        "dof": int(dof),
        "p_value": float(p),
        "cramers_v": v,
        "df_star": df_star,
        "effect": effect_size(v, df_star),
        "n": int(observed.sum()),
        "min_expected": float(expected.min()),
    }


def adjusted_residuals(table: pd.DataFrame) -> pd.DataFrame:
    """Haberman's adjusted standardised residuals: which cells drive the association (|r| > 2)."""
    return sm.stats.Table(table, shift_zeros=False).standardized_resids
