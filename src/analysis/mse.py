"""Multiple systems estimation (MSE): the hidden total behind several overlapping lists.

Poisson log-linear models over all 2^t - 1 observable capture histories, with every main effect
and two-list interactions chosen stepwise (Chan, Silverman and Vincent 2021) or by BIC. Sparse
tables push some interactions to minus infinity, so every candidate is checked for existence of
the extended MLE (Fienberg-Rinaldo) and identifiability, and refused with the reason. BCa
bootstrap intervals repeat the whole selection in every replicate. Conventions (p-value, BIC
sample size, BCa quantiles) follow the R package MultipleSystemsEstimation, so published figures
can be reproduced.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special, stats
from tqdm import tqdm

from analysis.data import mse_tables
from analysis.data.errors import DataError

# BIC fits every subset of two-list interactions: 2^10 = 1,024 models for 5 lists, 32,768 for
# 6, so BIC stops at 5 lists (the selection, the sensitivity table and the overview alike).
MAX_BIC_LISTS = 5
# Models refit in each bootstrap replicate under BIC (the best on the original data), as in
# the R package: exhaustive refitting of 2^10 or 2^15 models per replicate is not practical.
BIC_TOP_MODELS = {4: 20, 5: 100}  # all of them for up to 3 lists
_LP_TOLERANCE = 1e-7


class ModelError(ValueError):
    """A log-linear model that cannot be fitted to a table (the message says why)."""


# --------------------------------------------------------------------------------------------
# Tables


@dataclass(frozen=True)
class Table:
    """Counts for every observable history 1 .. 2^t - 1; bit i of history h: on list i."""

    lists: tuple[str, ...]
    counts: np.ndarray  # int64, length 2^t - 1, counts[h - 1] for history h
    label: str = "table"

    @property
    def t(self) -> int:
        return len(self.lists)

    @property
    def observed(self) -> int:
        return int(self.counts.sum())


def _rows(mask: pd.Series, limit: int = 5) -> str:
    where = [str(i) for i in mask[mask].index[:limit]]
    more = f" and {int(mask.sum()) - limit} more" if mask.sum() > limit else ""
    return ", ".join(where) + more


def as_table(frame: pd.DataFrame, label: str = "table") -> Table:
    """Validate a frame with one 0/1 column per list and a last column of counts (repeated
    histories summed, absent ones zero); errors name the table, the column and the rows."""
    if frame.shape[1] < 3:
        raise DataError(
            f"{label}: needs at least two list columns and a count column, "
            f"found columns {list(frame.columns)}"
        )
    *list_cols, count_col = [str(c) for c in frame.columns]
    frame = frame.set_axis(list_cols + [count_col], axis=1)
    if len(set(list_cols)) != len(list_cols):
        raise DataError(f"{label}: list columns must have distinct names, found {list_cols}")
    bits = frame[list_cols].apply(pd.to_numeric, errors="coerce")
    counts = pd.to_numeric(frame[count_col], errors="coerce")
    for column in list_cols:
        if (bad := ~bits[column].isin([0, 1])).any():
            held = sorted(map(str, frame.loc[bad, column].unique()))[:5]
            raise DataError(
                f"{label}: list column {column!r} must hold only 0 or 1; rows {_rows(bad)} "
                f"hold {held}"
            )
    checks = {
        f"count column {count_col!r} is not a whole number in": counts.isna()
        | (counts != np.floor(counts)),
        f"count column {count_col!r} is negative in": counts < 0,
    }
    for what, bad in checks.items():
        if bad.any():
            raise DataError(f"{label}: {what} rows {_rows(bad)}")
    hist = bits.astype("int64").to_numpy() @ (1 << np.arange(len(list_cols)))
    bad = pd.Series((hist == 0) & (counts.to_numpy() > 0), index=frame.index)
    if bad.any():
        raise DataError(
            f"{label}: rows {_rows(bad)} count cases on no list at all; such cases cannot be "
            "observed (the unobserved history is what MSE estimates)"
        )
    full = np.zeros(2 ** len(list_cols), dtype=np.int64)
    np.add.at(full, hist, counts.to_numpy().astype(np.int64))
    table = Table(tuple(list_cols), full[1:], label)
    total = table.observed
    if total == 0:
        raise DataError(f"{table.label}: no cases at all")
    hist = np.flatnonzero(table.counts) + 1
    if len(hist) == 1 and bin(int(hist[0])).count("1") == 1:
        only = table.lists[int(hist[0]).bit_length() - 1]
        raise DataError(
            f"{table.label}: all {total} cases are on list {only!r} alone; with no second "
            "list to overlap with, nothing can be estimated"
        )
    for i, name in enumerate(table.lists):
        if table.counts[[h - 1 for h in range(1, 2**table.t) if h >> i & 1]].sum() == 0:
            raise DataError(f"{table.label}: list {name!r} has no cases; drop it or merge it")
    return table


def read_table(name: str) -> Table:
    """One of the registered published tables (`data.mse_tables`), e.g. "UKdat_5", validated."""
    return as_table(mse_tables.read(name), label=mse_tables.file_name(name))


# --------------------------------------------------------------------------------------------
# Models: a model is a sorted tuple of pair indices into _pairs(t); main effects always in.


@cache
def _pairs(t: int) -> tuple[tuple[int, int], ...]:
    return tuple(combinations(range(t), 2))


@cache
def _design(t: int) -> np.ndarray:
    """0/1 design: rows histories 1..2^t-1; columns intercept, t main effects, all pairs."""
    hist = np.arange(1, 2**t)
    masks = [0] + [1 << i for i in range(t)] + [(1 << i) | (1 << j) for i, j in _pairs(t)]
    return np.array([[(h & m) == m for m in masks] for h in hist], dtype=float)


def pair_label(table: Table, pair: tuple[int, int]) -> str:
    return f"{table.lists[pair[0]]}×{table.lists[pair[1]]}"


@dataclass(frozen=True)
class Check:
    """Whether a model can be fitted to a table with this support (which histories are seen)."""

    exists: bool  # extended MLE exists (Fienberg-Rinaldo)
    identifiable: bool  # design on the histories left has full column rank
    neginf: tuple[int, ...]  # pairs with no common case: interaction at minus infinity
    keep: np.ndarray = field(repr=False)  # histories not forced to zero
    columns: tuple[int, ...] = ()  # design columns of the finite parameters
    rank: int = 0

    @property
    def ok(self) -> bool:
        return self.exists and self.identifiable

    def reason(self, table: Table) -> str:
        """Why the model cannot be fitted ("" when it can), naming the lists."""
        reasons = []
        if not self.exists:
            reasons.append(
                "no extended MLE: the observed margins force a zero fitted count on some "
                "history (the Fienberg-Rinaldo condition fails)"
            )
        if not self.identifiable:
            at = ", ".join(pair_label(table, _pairs(table.t)[k]) for k in self.neginf)
            reasons.append(
                f"not identifiable: {len(self.columns)} parameters but the design on the "
                f"{int(self.keep.sum())} histories left (interactions at minus infinity: "
                f"{at or 'none'}) has rank {self.rank}"
            )
        return "; ".join(reasons)


@cache
def _check(t: int, model: tuple[int, ...], support: bytes) -> Check:
    """Existence and identifiability depend on the model and the support only (cached). A pair
    (or, in a bootstrap replicate, a list) with no case is at minus infinity: its histories are
    fitted as zero and left out, with that parameter."""
    seen = np.frombuffer(support, dtype=bool)
    design = _design(t)
    model_cols = list(range(1, 1 + t)) + [1 + t + k for k in model]
    at_minus_inf = [c for c in model_cols if not (design[seen, c] > 0).any()]
    keep = (design[:, at_minus_inf] == 0).all(axis=1)
    columns = (0, *(c for c in model_cols if c not in at_minus_inf))
    x = design[np.ix_(keep, columns)]
    rank = int(np.linalg.matrix_rank(x))
    exists = _mle_exists(x, seen[keep])
    neginf = tuple(c - 1 - t for c in at_minus_inf if c > t)
    return Check(exists, rank == len(columns), neginf, keep, columns, rank)


def clear_cache() -> None:
    """Forget the cached model checks, so that a benchmark times a cold start."""
    _check.cache_clear()


def _mle_exists(x: np.ndarray, seen: np.ndarray) -> bool:
    """Fienberg-Rinaldo: the extended MLE exists unless some direction d = x @ b is zero on
    every seen history, non-negative on the unseen ones and positive on one of them. Such b lie
    in the null space of the seen rows; a small linear programme over it decides."""
    if seen.all():
        return True
    null = linalg.null_space(x[seen])
    if null.shape[1] == 0:
        return True
    d = x[~seen] @ null  # directions on the unseen histories
    res = optimize.linprog(
        c=-d.sum(axis=0),
        A_ub=np.vstack([-d, d]),
        b_ub=np.r_[np.zeros(len(d)), np.ones(len(d))],
        bounds=[(None, None)] * null.shape[1],
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"linear programme for the Fienberg-Rinaldo check failed: {res.message}")
    return -res.fun <= _LP_TOLERANCE


def _check_table(table: Table, model: tuple[int, ...]) -> Check:
    return _check(table.t, model, (table.counts > 0).tobytes())


@dataclass(frozen=True)
class Fit:
    model: tuple[int, ...]
    estimate: float
    loglik: float
    bic: float
    fitted: np.ndarray  # fitted counts of histories 1..2^t-1 (zero where forced to zero)
    neginf: tuple[int, ...]
    params: dict[int, float] = field(default_factory=dict, repr=False)  # design column: value


def _fit(
    table: Table, model: tuple[int, ...], check: Check | None = None, start: Fit | None = None
) -> Fit:
    """Poisson GLM on the histories left; `start` (a nested model's fit) speeds up IRLS."""
    check = check or _check_table(table, model)
    if not check.ok:
        name = f"model {_labels(table, model)}" if model else "main-effects model"
        raise ModelError(f"{table.label}: {name}: {check.reason(table)}")
    x = _design(table.t)[np.ix_(check.keep, check.columns)]
    y = table.counts[check.keep].astype(float)
    res = _glm(y, x, [start.params.get(c, 0.0) for c in check.columns]) if start else None
    res = res or _glm(y, x, None)
    if res is None:
        raise ModelError(
            f"{table.label}: the Poisson fit of {_labels(table, model)} did not converge"
        )
    params, mu = res
    loglik = float(np.sum(special.xlogy(y, mu) - mu - special.gammaln(y + 1)))
    n_params = 1 + table.t + len(model)  # minus-infinity parameters count in the penalty
    fitted = np.zeros(len(table.counts))
    fitted[check.keep] = mu
    return Fit(
        model=model,
        estimate=table.observed + math.exp(params[0]),
        loglik=loglik,
        bic=n_params * math.log(table.observed) - 2 * loglik,
        fitted=fitted,
        neginf=check.neginf,
        params=dict(zip(check.columns, map(float, params), strict=True)),
    )


def _glm(y: np.ndarray, x: np.ndarray, start: list[float] | None):
    """Poisson log-linear fit by IRLS: (params, fitted counts), or None when it fails. The same
    iterations as statsmodels' GLM without its per-fit set-up, which made the bootstrap five
    times slower; tests hold both to the same estimates on every published table."""
    eta = np.log((y + y.mean()) / 2) if start is None else x @ np.asarray(start, dtype=float)
    mu, deviance = np.exp(eta), np.inf
    with np.errstate(all="ignore"):
        for _ in range(100):
            weighted = x.T * mu
            try:
                params = np.linalg.solve(weighted @ x, weighted @ (eta + (y - mu) / mu))
            except np.linalg.LinAlgError:
                return None
            eta = x @ params
            mu = np.exp(eta)
            previous, deviance = deviance, 2 * np.sum(special.xlogy(y, y / mu) - (y - mu))
            if not np.isfinite(deviance) or not np.all(np.isfinite(params)):
                return None
            if abs(deviance - previous) <= 1e-8:
                return params, mu
    return None


# --------------------------------------------------------------------------------------------
# Selection


@dataclass(frozen=True)
class Move:
    """One cycle of the stepwise search: the interaction added (or None when it stopped)."""

    added: str | None
    p_value: float
    estimate_after: float


@dataclass(frozen=True)
class Selection:
    fit: Fit
    moves: tuple[Move, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (model, reason) of candidates that failed


def _labels(table: Table, model: Sequence[int]) -> str:
    return "[" + ", ".join(pair_label(table, _pairs(table.t)[k]) for k in model) + "]"


def select_stepwise(table: Table, pthresh: float = 0.02) -> Selection:
    """Forward selection (Chan, Silverman and Vincent 2021): add the pair whose overlap n has the
    smaller Poisson tail, P(X <= n) or P(X >= n) under the current fit, while below `pthresh`;
    candidates whose model fails the checks are skipped."""
    if not 0 <= pthresh <= 1:
        raise ValueError(f"pthresh must lie in [0, 1], got {pthresh}")
    pair_cols = _design(table.t)[:, 1 + table.t :]
    overlaps = table.counts @ pair_cols  # cases seen on both lists of each pair
    current = _fit(table, ())
    moves, skipped = [], {}
    while True:
        expected = current.fitted @ pair_cols
        at_least = np.where(overlaps > 0, special.pdtrc(overlaps - 1, expected), 1.0)
        p_values = np.minimum(special.pdtr(overlaps, expected), at_least)  # Poisson tails
        chosen, best_p = None, 1.0
        for k in np.argsort(p_values, kind="stable"):
            if k in current.model:
                continue
            if p_values[k] >= pthresh:
                best_p = float(p_values[k])
                break
            candidate = tuple(sorted((*current.model, int(k))))
            check = _check_table(table, candidate)
            if check.ok:
                chosen, best_p = candidate, float(p_values[k])
                break
            skipped[_labels(table, candidate)] = check.reason(table)
        if chosen is None:
            moves.append(Move(None, best_p, current.estimate))
            break
        added = next(k for k in chosen if k not in current.model)
        current = _fit(table, chosen, start=current)
        moves.append(Move(pair_label(table, _pairs(table.t)[added]), best_p, current.estimate))
    return Selection(current, tuple(moves), tuple(skipped.items()))


def bic_table(table: Table, models: Iterable[tuple[int, ...]] | None = None) -> pd.DataFrame:
    """Every model (all main effects, any subset of two-list interactions): estimate and BIC,
    sorted by BIC; models failing the checks are kept with their reason and no BIC."""
    if models is None:
        if table.t > MAX_BIC_LISTS:
            raise ModelError(
                f"{table.label}: BIC over all two-list models is limited to {MAX_BIC_LISTS} "
                f"lists ({2 ** len(_pairs(MAX_BIC_LISTS)):,} models); this table has {table.t}. "
                "Use method='stepwise' or merge lists."
            )
        n = len(_pairs(table.t))
        models = [m for size in range(n + 1) for m in combinations(range(n), size)]
    rows = []
    for model in models:
        check = _check_table(table, model)
        fit = _fit(table, model, check) if check.ok else None
        numbers = (fit.estimate, fit.bic) if fit else (np.nan, np.nan)
        rows.append((model, _labels(table, model), *numbers, check.reason(table)))
    out = pd.DataFrame(rows, columns=["pairs", "model", "estimate", "bic", "reason"])
    return out.sort_values("bic", kind="stable", na_position="last").reset_index(drop=True)


def _select(table: Table, method: str, pthresh: float, models=None) -> Selection:
    """Stepwise, or the smallest BIC (sample size: number of cases, as in the R package)."""
    if method == "stepwise":
        return select_stepwise(table, pthresh)
    if method != "bic":
        raise ValueError(f"method must be 'stepwise' or 'bic', got {method!r}")
    ranked = bic_table(table, models)
    ok = ranked["reason"] == ""
    if not ok.any():
        raise ModelError(f"{table.label}: no candidate model passes the existence checks")
    skipped = tuple(zip(ranked.loc[~ok, "model"], ranked.loc[~ok, "reason"], strict=True))
    return Selection(_fit(table, ranked.loc[ok, "pairs"].iloc[0]), (), skipped)


# --------------------------------------------------------------------------------------------
# Bootstrap


def _replicate_estimates(
    lists: tuple[str, ...], counts: np.ndarray, method: str, pthresh: float, models
) -> np.ndarray:
    """Selection and estimate for each row of `counts`; NaN where no model can be fitted."""
    out = np.full(len(counts), np.nan)
    for r, row in enumerate(counts):
        with contextlib.suppress(ModelError, DataError):
            out[r] = _select(Table(lists, row), method, pthresh, models).fit.estimate
    return out


def _run_all(lists, counts, method, pthresh, models, jobs, progress, desc) -> np.ndarray:
    """Estimates for each row of `counts`, in order, on `jobs` processes, with a progress bar."""
    chunk = max(1, min(25, len(counts) // (4 * max(jobs, 1)) or 1))
    parts = [counts[s : s + chunk] for s in range(0, len(counts), chunk)]
    run = partial(_replicate_estimates, lists, method=method, pthresh=pthresh, models=models)
    with ProcessPoolExecutor(jobs) if jobs > 1 else contextlib.nullcontext() as pool:
        done = (pool.map if pool else map)(run, parts)
        bar = tqdm(done, total=len(parts), desc=desc, disable=not progress, leave=False)
        return np.concatenate(list(bar))


def bca_interval(
    boot: np.ndarray, estimate: float, acceleration: float, level: float = 0.95
) -> tuple[float, float]:
    """BCa endpoints (Efron 1987), with the R package's conventions (type-8 quantiles)."""
    boot = boot[np.isfinite(boot)]
    below = np.mean(boot < estimate)
    if not 0 < below < 1:
        raise ModelError(
            f"BCa interval undefined: {below:.0%} of bootstrap estimates lie below the point "
            "estimate"
        )
    z0 = stats.norm.ppf(below)
    za = stats.norm.ppf([(1 - level) / 2, 1 - (1 - level) / 2])
    probs = stats.norm.cdf(z0 + (za + z0) / (1 - acceleration * (za + z0)))
    lo, hi = np.quantile(boot, probs, method="median_unbiased")
    return float(lo), float(hi)


def _acceleration(counts: np.ndarray, jack: np.ndarray) -> float:
    """Jackknife acceleration, each delete-one estimate weighted by its history's count."""
    use = (counts > 0) & np.isfinite(jack)
    w, j = counts[use].astype(float), jack[use]
    d = np.sum(w * j) / w.sum() - j
    denom = np.sum(w * d**2)
    return float(np.sum(w * d**3) / (6 * denom**1.5)) if denom > 0 else 0.0


# --------------------------------------------------------------------------------------------
# The estimate


@dataclass(frozen=True)
class Estimate:
    table: str
    lists: tuple[str, ...]
    method: str
    pthresh: float | None
    observed: int
    estimate: float
    model: tuple[str, ...]  # the two-list interactions chosen, e.g. ("LA×NG",)
    neginf: tuple[str, ...]  # interactions estimated at minus infinity (no common case)
    moves: tuple[Move, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    ci: tuple[float, float] | None = None
    level: float = 0.95
    nboot: int = 0
    seed: int | None = None
    acceleration: float | None = None
    failed_replicates: int = 0
    boot: np.ndarray | None = field(default=None, repr=False)

    @property
    def hidden(self) -> float:
        return self.estimate - self.observed

    def summary(self) -> dict:
        """JSON-ready key numbers."""
        return {
            "table": self.table,
            "lists": list(self.lists),
            "method": self.method,
            "pthresh": self.pthresh,
            "observed": self.observed,
            "estimate": round(self.estimate, 2),
            "hidden": round(self.hidden, 2),
            "model": list(self.model),
            "minus_infinity": list(self.neginf),
            "ci": [round(v, 1) for v in self.ci] if self.ci else None,
            "level": self.level,
            "nboot": self.nboot,
            "seed": self.seed,
            "acceleration": None if self.acceleration is None else round(self.acceleration, 5),
            "failed_replicates": self.failed_replicates,
        }


def estimate_population(
    table: Table | pd.DataFrame,
    method: str = "stepwise",
    pthresh: float = 0.02,
    nboot: int = 0,
    seed: int | None = None,
    level: float = 0.95,
    jobs: int = 1,
    progress: bool = True,
) -> Estimate:
    """The total population (observed plus hidden) behind a capture-history table.

    With nboot > 0: multinomial bootstrap, the whole selection repeated in every replicate, and
    a BCa interval with a jackknife acceleration over the distinct histories. Replicates are
    drawn up front from `seed`, so the interval does not depend on `jobs`.
    """
    if not isinstance(table, Table):
        table = as_table(table)
    if nboot < 0 or int(nboot) != nboot:
        raise ValueError(f"nboot must be a non-negative integer, got {nboot}")
    models = None
    if method == "bic":
        ranked = bic_table(table)
        models = ranked.loc[ranked["reason"] == "", "pairs"].tolist()[: BIC_TOP_MODELS.get(table.t)]
    chosen = _select(table, method, pthresh, models)
    fit = chosen.fit
    pairs = _pairs(table.t)
    result = dict(
        table=table.label,
        lists=table.lists,
        method=method,
        pthresh=pthresh if method == "stepwise" else None,
        observed=table.observed,
        estimate=fit.estimate,
        model=tuple(pair_label(table, pairs[k]) for k in fit.model),
        neginf=tuple(pair_label(table, pairs[k]) for k in fit.neginf),
        moves=chosen.moves,
        skipped=chosen.skipped,
        level=level,
        nboot=int(nboot),
        seed=seed,
    )
    if nboot == 0:
        return Estimate(**result)
    rng = np.random.default_rng(seed)
    boot_counts = rng.multinomial(table.observed, table.counts / table.observed, size=nboot)
    seen = np.flatnonzero(table.counts)
    jack_counts = np.repeat(table.counts[None, :], len(seen), axis=0)
    jack_counts[np.arange(len(seen)), seen] -= 1
    both = np.vstack([boot_counts, jack_counts])
    desc = f"MSE bootstrap {table.label}"
    values = _run_all(table.lists, both, method, pthresh, models, jobs, progress, desc)
    boot = values[:nboot]
    accel = _acceleration(table.counts[seen], values[nboot:])
    return Estimate(
        **result,
        ci=bca_interval(boot, fit.estimate, accel, level),
        acceleration=accel,
        failed_replicates=int(np.sum(~np.isfinite(boot))),
        boot=boot,
    )


def sensitivity(
    table: Table, pthresholds: Sequence[float] = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
) -> pd.DataFrame:
    """Point estimates under each stepwise threshold and under BIC (where feasible)."""
    choices = [("stepwise", p) for p in pthresholds]
    choices += [("bic", None)] if table.t <= MAX_BIC_LISTS else []
    rows = []
    for method, p in choices:
        e = estimate_population(table, method, p, progress=False)
        rows.append((method, p, e.estimate, ", ".join(e.model) or "main effects only"))
    out = pd.DataFrame(rows, columns=["method", "pthresh", "estimate", "model"])
    return out.astype({"pthresh": "Float64"})


SPREAD_PTHRESHOLDS = (0.001, 0.02, 0.05)
SPREAD_FACTOR = 2.0  # estimates further apart than this factor: the table's estimate is fragile
SPREAD_MODELS = (*(f"stepwise p = {p:g}" for p in SPREAD_PTHRESHOLDS), "BIC", "main effects only")


def spread(table: Table, known: dict[str, float] | None = None) -> dict:
    """The estimate under each model choice of SPREAD_MODELS (BIC up to MAX_BIC_LISTS lists),
    their lowest and highest, and `flagged` where they differ by more than SPREAD_FACTOR.
    `known`: estimates already made, by the same names ('stepwise p = 0.02', 'BIC')."""
    estimates = dict(known or {})
    for p in SPREAD_PTHRESHOLDS:
        name = f"stepwise p = {p:g}"
        if name not in estimates:
            estimates[name] = estimate_population(table, "stepwise", p, progress=False).estimate
    if table.t <= MAX_BIC_LISTS and "BIC" not in estimates:
        estimates["BIC"] = estimate_population(table, "bic", progress=False).estimate
    estimates["main effects only"] = _fit(table, ()).estimate
    low, high = min(estimates.values()), max(estimates.values())
    return {"estimates": estimates, "low": low, "high": high,
            "flagged": bool(high > SPREAD_FACTOR * low)}  # fmt: skip


# --------------------------------------------------------------------------------------------
# Tables for reports


def overlaps(table: Table) -> pd.DataFrame:
    """Cases on each list (diagonal) and on both lists of each pair (off the diagonal)."""
    bits = (np.arange(1, 2**table.t)[:, None] >> np.arange(table.t)) & 1
    both = (bits * table.counts[:, None]).T @ bits
    return pd.DataFrame(both, index=list(table.lists), columns=list(table.lists))


def overview(
    names: Sequence[str] | None = None,
    nboot: int = 0,
    seed: int | None = None,
    pthresh: float = 0.02,
    level: float = 0.95,
    jobs: int = 1,
    known: dict[str, Estimate] | None = None,
) -> tuple[pd.DataFrame, dict[str, Estimate]]:
    """Stepwise (with interval when nboot > 0) and BIC estimates per table (`names`; all when
    None), with its `mse_tables.TABLES` entry and its `spread`. `known`: stepwise estimates
    already made, reused so that one report never shows two intervals for one table."""
    rows, estimates = [], {}
    for name in names or mse_tables.TABLES:
        table = read_table(name)
        est = (known or {}).get(name) or estimate_population(
            table, "stepwise", pthresh, nboot, seed, level, jobs, False
        )
        estimates[name] = est
        spreads = spread(table, {f"stepwise p = {pthresh:g}": est.estimate})  # BIC among them
        info = mse_tables.TABLES.get(name, mse_tables.TableInfo(name))
        rows.append(
            {
                "table": name,
                "title": info.title,
                "trafficking": info.trafficking,
                "lists": table.t,
                "observed": table.observed,
                "estimate": est.estimate,
                **dict(zip(["lower", "upper"], est.ci or (np.nan, np.nan), strict=True)),
                "seen share": table.observed / est.estimate,
                "interactions": ", ".join(est.model) or "none",
                "spread low": spreads["low"],
                "spread high": spreads["high"],
                "spread ratio": spreads["high"] / spreads["low"],
                "fragile": spreads["flagged"],
                **{m: spreads["estimates"].get(m, np.nan) for m in SPREAD_MODELS},
                "pooled years": info.years,
                "published low": info.published[0] if info.published else np.nan,
                "published high": info.published[1] if info.published else np.nan,
            }
        )
    return pd.DataFrame(rows), estimates
