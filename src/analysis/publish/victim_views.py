"""What the victims report shows: suppressed tables and shares, texts, results records.

`analysis.victims` and `analysis.trends` compute counts, shares and models with nothing hidden;
everything here decides what a reader may see, under the one small-cell rule of
`analysis.publish.disclosure`: a small count reads '<N' ('fewer than N' in a sentence), a cell
hidden to protect a published total reads '(s)', and a share is hidden when its count or the
rest of its total is a small cell.
"""

from __future__ import annotations

import pandas as pd

from analysis import trends, victims
from analysis.data import countries
from analysis.publish import disclosure, plots

SHARES = ("female", "child")  # the shares of `victims.shares`
MIX_SHARES = ("usa", "unknown_destination", "hotline")  # the shares of `victims.source_mix`
MERGED_FORMS = "other or combined forms"


# --- Suppression -------------------------------------------------------------------------------


def hide_shares(table: pd.DataFrame, names: tuple[str, ...], threshold: int) -> pd.DataFrame:
    """`table` with each `name` share (`{name}_share`, and `_lower`, `_upper` where present)
    missing where `disclosure.hidden_shares` says so, and `{name}_suppressed` marking those rows."""
    out = table.copy()
    for name in names:
        hidden = disclosure.hidden_shares(out[name], out[f"{name}_of"], threshold)
        columns = [f"{name}_{k}" for k in disclosure.SHARE_KEYS if f"{name}_{k}" in out]
        out[columns] = out[columns].mask(hidden, axis=0)
        out[f"{name}_suppressed"] = hidden
    return out


def shares(frame: pd.DataFrame, by: list[str], threshold: int, confidence: float) -> pd.DataFrame:
    """`victims.shares` with the female and child shares a report may show."""
    return hide_shares(victims.shares(frame, by, confidence), SHARES, threshold)


def shares_by_destination(
    frame: pd.DataFrame,
    codes: list[str],
    threshold: int,
    confidence: float,
    by_year: bool = False,
) -> pd.DataFrame:
    """`shares` of the records in the destinations `codes` (in that order), per destination
    or per destination and year."""
    chosen = frame[frame["exploitation_country"].isin(codes).fillna(False)]
    by = ["exploitation_country", "year"] if by_year else ["exploitation_country"]
    table = shares(chosen, by, threshold, confidence)
    if by_year:
        return table
    return table.set_index("exploitation_country").loc[codes].reset_index()


def row_share_record(row: pd.Series, name: str, threshold: int) -> dict:
    """The `name` share of a `shares` row for results JSON (`disclosure.share_record`)."""
    return disclosure.share_record(
        row[name], row[f"{name}_of"], row[f"{name}_share"], row[f"{name}_lower"],
        row[f"{name}_upper"], threshold, hidden=bool(row[f"{name}_suppressed"]),
    )  # fmt: skip


def row_share_text(row: pd.Series, name: str) -> str:
    """The `name` share of a `shares` row with its interval, or 'suppressed'."""
    return disclosure.share_text(row[f"{name}_share"], row[f"{name}_lower"], row[f"{name}_upper"])


def hide_in_grid(grid: pd.DataFrame, threshold: int) -> pd.Series:
    """Which year x destination x gender counts to hide: small cells, and one more per
    destination x gender with a single small year (its total over the years is published with
    the shares)."""
    wide = grid.pivot(index="year", columns=["destination", "gender"], values="records")
    hidden = disclosure.hidden_cells(wide, threshold, lines="columns").stack(
        ["destination", "gender"]
    )
    keys = pd.MultiIndex.from_frame(grid[["year", "destination", "gender"]])
    return pd.Series(hidden.reindex(keys).fillna(False).to_numpy(dtype=bool), index=grid.index)


def shown_grid(grid: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The grid with `shown`: the count a figure may draw (missing where the table hides it)."""
    return grid.assign(shown=grid["records"].astype(float).mask(hide_in_grid(grid, threshold)))


def counts_table(grid: pd.DataFrame, destinations: list[str], threshold: int) -> pd.DataFrame:
    """Year x destination table whose cells read 'female / male' records, suppressed; '–' where
    a destination has no record at all that year."""
    text = disclosure.cell_text(grid["records"], hide_in_grid(grid, threshold), threshold)
    cells = grid.assign(text=text.to_numpy())
    wide = cells.pivot(index=["year", "destination"], columns="gender", values="text")
    cell = (wide["female"] + " / " + wide["male"]).rename("cell").reset_index()
    table = cell.pivot(index="year", columns="destination", values="cell")
    table = table.reindex(columns=[d for d in destinations if d in table.columns])
    return table.fillna("–")


def grid_legend(threshold: int) -> str:
    """The key to the marks of `counts_table`."""
    return (
        f"`{disclosure.small_text(threshold)}`: a small cell; `{disclosure.SECONDARY}`: a cell "
        "hidden so that a "
        "published total cannot reveal a small one."
    )


def drawable_fit(fit: trends.GenderTrend, threshold: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What a figure of the trend model may draw: observed (`observed_totals`) and fitted totals
    per year x gender, and the fitted values and Pearson residuals of the cells not hidden (a
    count follows from its fitted value and residual)."""
    fitted = trends.fitted(fit)
    hidden = hide_in_grid(fit.data, threshold)
    return observed_totals(fitted, hidden, threshold), fitted[~hidden.to_numpy()]


def observed_totals(fitted: pd.DataFrame, hidden: pd.Series, threshold: int) -> pd.DataFrame:
    """Observed and fitted records per year x gender (summed over destinations); the observed
    total is missing where it is small or holds a hidden cell, which it would give away."""
    keyed = fitted.assign(_hidden=hidden.to_numpy(dtype=bool))
    totals = keyed.groupby(["year", "gender"])[["records", "fitted"]].sum()
    holds_hidden = keyed.groupby(["year", "gender"])["_hidden"].any()
    totals["observed"] = disclosure.mask_small(totals["records"], threshold).mask(holds_hidden)
    return totals.reset_index()


# --- The selection and who reported ------------------------------------------------------------


def scope_text(destinations: list[str], region: str) -> str:
    """The destinations and region chosen, in words."""
    parts = [
        f"destinations {', '.join(destinations)}" if destinations else "",
        f"region {region}" if region else "",
    ]
    return ", ".join(filter(None, parts)) or "all destinations (including unknown)"


def selection_record(records: pd.DataFrame, chosen: pd.DataFrame) -> dict:
    """Records of the release, selected, and without a year of registration (left out)."""
    return {
        "release": int(len(records)),
        "selected": int(len(chosen)),
        "without_year": int(records["year"].isna().sum()),
    }


def selection_text(
    records: pd.DataFrame,
    chosen: pd.DataFrame,
    release: str,
    years: tuple[int, int],
    scope: tuple[list[str], str],
    confidence: float,
    threshold: int,
) -> str:
    """What was selected (`scope`: the destinations and region chosen) and what was left out."""
    seen = chosen["year"].dropna().astype(int)
    counts = {k: disclosure.count_words(n, threshold)
              for k, n in selection_record(records, chosen).items()}  # fmt: skip
    return (
        f"**Release `{release}`**: {counts['release']} records, of which "
        f"**{counts['selected']}** were registered in {years[0]}-{years[1]} "
        f"({seen.min()}-{seen.max()} present) for {scope_text(*scope)}. "
        f"{counts['without_year']} records of the release have no year of registration and are "
        f"left out of everything below. Intervals are {confidence:.0%} Wilson intervals; the "
        f"small-cell threshold is {threshold}."
    )


def source_mix(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """`victims.source_mix` with the shares a report may show next to the yearly totals."""
    return hide_shares(victims.source_mix(frame), MIX_SHARES, threshold)


def mix_records(mix: pd.DataFrame, has_source: bool) -> dict:
    """Reporting destinations per year and, where the release names sources, the hotline share."""
    out = {
        "destinations_by_year": {
            int(y): int(n) for y, n in zip(mix["year"], mix["destinations"], strict=True)
        }
    }
    if has_source:
        out["hotline_share_by_year"] = {
            int(y): None if pd.isna(s) else float(s)
            for y, s in zip(mix["year"], mix["hotline_share"], strict=True)
        }
    return out


def mix_table(mix: pd.DataFrame, threshold: int, has_source: bool) -> pd.DataFrame:
    """Per year: records, destination countries and the shares ('suppressed' where hidden)."""

    def column(name: str) -> list[str]:
        return [
            disclosure.share_text(v, hidden=disclosure.HIDDEN_SHARE if h else "")
            for v, h in zip(mix[f"{name}_share"], mix[f"{name}_suppressed"], strict=True)
        ]

    table = pd.DataFrame(
        {
            "year": mix["year"].astype(int),
            "records": disclosure.suppress(mix["records"], threshold),
            "destination countries": mix["destinations"],
            "US share": column("usa"),
            "no destination": column("unknown_destination"),
        }
    )
    if has_source:
        table["hotline share"] = column("hotline")
    return table


def mix_note(mix: pd.DataFrame, threshold: int, has_source: bool) -> str:
    """What the contributor mix says about reading a trend: the busiest year, the reporting
    destinations, and the years the hotline contributed (or the US share as its proxy)."""
    peak = mix.loc[mix["records"].idxmax()]
    note = (
        f"The busiest year, {int(peak['year'])}, holds "
        f"{peak['records'] / mix['records'].sum():.0%} of all selected records; "
        f"{int(mix['destinations'].min())} to {int(mix['destinations'].max())} destination "
        f"countries appear per year. A share that would reveal {disclosure.fewer_than(threshold)} "
        f"records reads *{disclosure.HIDDEN_SHARE}*."
    )
    if not has_source:
        return note + (
            " This release does not say which contributor a record came from; the US share "
            "(hotline-dominated) is the closest proxy."
        )
    hot = mix[mix["hotline_share"] > 0]["year"].astype(int)
    if len(hot):
        note += (
            f" Hotline records exist only for {hot.min()}-{hot.max()}: a change in the count "
            "across those boundaries is a change of contributor first."
        )
    return note


# --- Top destinations --------------------------------------------------------------------------


def top_table(top: pd.DataFrame, per_dest: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Records, share of known destinations, female and child shares of the top destinations
    (`per_dest`: `shares_by_destination` in the order of `top`)."""
    small = disclosure.is_small(top["records"], threshold)
    return pd.DataFrame(
        {
            "destination": [f"{n} ({c})" for n, c in zip(top["country"], top["iso3"], strict=True)],
            "records": disclosure.suppress(per_dest["records"], threshold).to_numpy(),
            "% of known destinations": [
                disclosure.share_text(v) for v in top["share_of_known"].mask(small)
            ],
            "female share": [row_share_text(r, "female") for _, r in per_dest.iterrows()],
            "gender known": disclosure.suppress(per_dest["female_of"], threshold).to_numpy(),
            "child share": [row_share_text(r, "child") for _, r in per_dest.iterrows()],
            "age known": disclosure.suppress(per_dest["child_of"], threshold).to_numpy(),
        }
    )


def destination_records(per_dest: pd.DataFrame, threshold: int) -> dict:
    """Records and shares per top destination for results JSON."""
    return {
        row["exploitation_country"]: {
            "records": None if disclosure.is_small(row["records"], threshold)
            else int(row["records"]),
            "female_share": row_share_record(row, "female", threshold),
            "child_share": row_share_record(row, "child", threshold),
        }
        for _, row in per_dest.iterrows()
    }  # fmt: skip


def overall_text(overall: pd.Series, top: pd.DataFrame, threshold: int) -> str:
    """The female and child shares of the selection, and how much the top destinations hold."""
    return (
        f"Across the selection, **{row_share_text(overall, 'female')}** of the "
        f"{disclosure.count_words(overall['female_of'], threshold)} records with a known gender "
        f"are female, and **{row_share_text(overall, 'child')}** of the "
        f"{disclosure.count_words(overall['child_of'], threshold)} with a known age were "
        f"children at registration. The top {len(top)} destinations hold "
        f"{top['share_of_known'].sum():.0%} of the records with a known destination."
    )


# --- Corridors ---------------------------------------------------------------------------------


def label_corridors(corridor: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Rows as 'Ukraine (UKR)', columns as destination names."""
    codes = pd.Series(corridor.index)
    origins = countries.name(codes).fillna(codes)
    labelled = corridor.copy()
    labelled.index = [f"{n} ({c})" for n, c in zip(origins, corridor.index, strict=True)]
    labelled.columns = [names[c] for c in corridor.columns]
    return labelled


def corridor_records(corridor: pd.DataFrame, threshold: int, n: int = 5) -> list[dict]:
    """The `n` largest citizenship -> destination flows that are not small cells."""
    flows = corridor.stack().sort_values(ascending=False)
    flows = flows[(flows > 0) & ~disclosure.is_small(flows, threshold)].head(n)
    return [{"citizenship": a, "destination": b, "records": int(k)} for (a, b), k in flows.items()]


# --- Forms of exploitation ---------------------------------------------------------------------


def merge_sparse_columns(table: pd.DataFrame, threshold: int, label: str) -> pd.DataFrame:
    """Merge the columns that hold hidden cells into one `label` column, so that fewer cells
    (and percentages) must be hidden. Needs at least two such columns to merge anything."""
    hidden = disclosure.hidden_cells(table, threshold, lines="table")
    sparse = [c for c in table.columns if hidden[c].any()]
    if len(sparse) < 2:
        return table
    merged = table.drop(columns=sparse)
    merged[label] = table[sparse].sum(axis=1)
    return merged


def forms_table(
    counts: pd.DataFrame, threshold: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The published group x form table of `victims.forms_by_group` (sparse forms merged), the
    cells to hide (the table total is published) and row shares, missing for a row with a
    hidden cell."""
    forms = merge_sparse_columns(counts, threshold, MERGED_FORMS)
    forms = forms.rename_axis(index="group", columns="form")
    hidden = disclosure.hidden_cells(forms, threshold, lines="table")
    row_share = forms.div(forms.sum(axis=1), axis=0).mask(hidden.any(axis=1), axis=0)
    return forms, hidden, row_share


def forms_cells(
    forms: pd.DataFrame, hidden: pd.DataFrame, row_share: pd.DataFrame, threshold: int
) -> pd.DataFrame:
    """Counts with the row percentage, as the forms table shows them."""
    percent = row_share.map(lambda v: "" if pd.isna(v) else f" ({v:.0%})")
    return disclosure.cell_text(forms, hidden, threshold) + percent


def row_share_records(row_share: pd.DataFrame) -> dict:
    """`forms_table` row shares for results JSON (None where hidden)."""
    return {
        g: {f: (None if pd.isna(v) else float(v)) for f, v in row.items()}
        for g, row in row_share.iterrows()
    }


def p_text(p: float, relation: bool = False) -> str:
    """A p-value as a table shows it ('0.042', '< 0.001'); with `relation`, as 'p = 0.042'
    or 'p < 0.001' reads after 'p'."""
    if p < 0.001:
        return "< 0.001"
    return f"= {p:.3f}" if relation else f"{p:.3f}"


def forms_text(test: dict, selected: int, threshold: int) -> str:
    """The test of association between group and form (`models.association`), in words."""
    return (
        f"{disclosure.count_words(test['n'], threshold)} records have a known group and form "
        f"({disclosure.count_words(selected - test['n'], threshold)} do not). "
        f"Chi-square test of independence: χ² = {test['chi2']:,.0f} on {test['dof']} df, "
        f"p {p_text(test['p_value'], relation=True)}; "
        f"**Cramér's V = {test['cramers_v']:.2f}** (0 = no association, 1 = complete; "
        "above about 0.3 is a strong association for a table of this size). "
        f"Smallest expected count: {test['min_expected']:.0f}. Counts with the row percentage "
        "(a row with a hidden cell has no percentages, since they would reveal it):"
    )


# --- Trend models ------------------------------------------------------------------------------


def irr_text(irr: float, lower: float, upper: float) -> str:
    """'0.953 (0.940–0.966)': an incidence-rate ratio with its interval."""
    return f"{irr:.3f} ({lower:.3f}–{upper:.3f})"


def trend_records(fit: trends.GenderTrend) -> dict:
    """The trend model's results JSON: its fit, the IRR per year by gender, the male against
    the female trend, and the IRRs with one gender ratio for all destinations."""
    out = {
        "trend_model": {"formula": fit.formula, **fit.diagnostics},
        "irr_year_by_gender": {
            r["gender"]: {k: r[k] for k in ("irr", "lower", "upper", "p_value")}
            for _, r in fit.trend.iterrows()
        },
        "irr_year_by_gender_common_gender_ratio": {
            r["gender"]: {k: r[k] for k in ("irr", "lower", "upper")}
            for _, r in fit.common_ratio_trend.iterrows()
        },
    }
    if fit.ratio:
        out["irr_year_male_vs_female"] = fit.ratio
    return out


def trend_table(fit: trends.GenderTrend, confidence: float) -> pd.DataFrame:
    """IRR per year by gender, as change per year, and the same with one gender ratio."""
    trend = fit.trend
    return pd.DataFrame(
        {
            "gender": trend["gender"],
            f"IRR per year ({confidence:.0%} CI)": [
                irr_text(r.irr, r.lower, r.upper) for r in trend.itertuples()
            ],
            "change per year": [f"{r.irr - 1:+.1%}" for r in trend.itertuples()],
            "p": [p_text(p) for p in trend["p_value"]],
            "same, common gender ratio": [
                irr_text(r.irr, r.lower, r.upper) for r in fit.common_ratio_trend.itertuples()
            ],
        }
    )


def trend_text(fit: trends.GenderTrend) -> str:
    """Which model was used and why (the Poisson dispersion), and the male against female trend."""
    diag, ratio = fit.diagnostics, fit.ratio
    text = (
        f"{diag['n_obs']} year × destination × gender counts. Poisson Pearson χ²/df = "
        f"**{diag['poisson_dispersion']:.1f}**, so the model used is **{diag['family']}**"
    )
    if diag["alpha"]:
        text += (
            f" (α = {diag['alpha']:.2f}; its Pearson χ²/df = {diag['dispersion']:.2f}, "
            f"AIC {diag['aic']:,.0f} against {diag['poisson_aic']:,.0f} for Poisson)."
        )
    else:
        text += "."
    if ratio:
        text += (
            " The ratio of the male to the female yearly trend is "
            f"{irr_text(ratio['irr'], ratio['lower'], ratio['upper'])}."
        )
    return text + (
        " The last column refits with one gender ratio for all destinations (the simpler form "
        "`year × gender + destination`): where it differs, the gender trend is partly a shift "
        "between destinations."
    )


def trend_figure(fit: trends.GenderTrend, threshold: int, source: str):
    """Observed and fitted totals per year and gender (left), Pearson residuals against fitted
    counts (right); nothing `drawable_fit` hides is drawn."""
    totals, drawn = drawable_fit(fit, threshold)
    fig, axes = plots.figure(11, 4.2, ncols=2, squeeze=False)
    left, right = axes[0]
    for gender in fit.levels:
        sub, colour = totals[totals["gender"] == gender], plots.GENDER_COLOURS[gender]
        left.plot(
            sub["year"], sub["observed"], "o", ms=4, color=colour, label=f"{gender}, observed"
        )
        left.plot(sub["year"], sub["fitted"], "-", color=colour, label=f"{gender}, fitted")
    left.set_yscale("log")
    left.legend(fontsize=7, frameon=False)
    left.xaxis.get_major_locator().set_params(integer=True)
    right.scatter(drawn["fitted"], drawn["resid"], s=10, alpha=0.6, color="#444444")
    right.axhline(0, color="black", lw=0.8)
    right.set_xscale("log")
    right.set_title(
        f"Pearson residuals against fitted counts (cells below {threshold} left out)",
        fontsize=9,
        loc="left",
    )
    right.set_xlabel("fitted records per year x destination x gender (count, log scale)")
    right.set_ylabel("Pearson residual")
    return plots.finish(
        fig,
        left,
        title=f"Trend model: observed and fitted ({fit.diagnostics['family']})",
        xlabel="year of registration",
        ylabel="records (count, log scale)",
        source=source,
    )


def coefficient_table(fit: trends.GenderTrend, confidence: float) -> pd.DataFrame:
    """Every IRR of the model but the intercept, with its interval and p-value."""
    coef = trends.coefficients(fit, confidence)
    return pd.DataFrame(
        {
            "term": coef["term"],
            "IRR": coef["irr"].map("{:.3f}".format),
            f"{confidence:.0%} CI": [
                f"{lo:.3f}–{hi:.3f}" for lo, hi in coef[["irr_lower", "irr_upper"]].to_numpy()
            ],
            "p": coef["p_value"].map(p_text),
        }
    )


def diagnostics_table(diag: dict) -> pd.DataFrame:
    """`models.diagnostics` as a one-column table."""
    return pd.Series(
        {
            "family": diag["family"],
            "observations": diag["n_obs"],
            "residual df": f"{diag['df_resid']:.0f}",
            "Poisson Pearson χ²/df": f"{diag['poisson_dispersion']:.2f}",
            "final Pearson χ²/df": f"{diag['dispersion']:.2f}",
            "deviance / df": f"{diag['deviance_per_df']:.2f}",
            "NB α": "" if diag["alpha"] is None else f"{diag['alpha']:.3f}",
            "AIC (final / Poisson)": f"{diag['aic']:,.0f} / {diag['poisson_aic']:,.0f}",
            "converged": diag["converged"],
        },
        name="value",
    ).to_frame()


def trend_words(fit: trends.GenderTrend) -> str:
    """'female records -9.8% per year (-10.5% to -9.1%); male records ...'."""
    by_gender = fit.trend.set_index("gender")
    return "; ".join(
        f"{g} records {r['irr'] - 1:+.1%} per year ({r['lower'] - 1:+.1%} to {r['upper'] - 1:+.1%})"
        for g, r in by_gender.loc[fit.levels].iterrows()
    )


# --- GLOTIP, the second source -----------------------------------------------------------------


def glotip_shares(table: pd.DataFrame, threshold: int, confidence: float) -> pd.DataFrame:
    """`victims.glotip_shares` with the shares a report may show."""
    return hide_shares(victims.glotip_shares(table, confidence), SHARES, threshold)


def pooled_record(pooled: dict, threshold: int) -> dict:
    """`victims.pooled_female_share` for results JSON (`disclosure.share_record`)."""
    record = disclosure.share_record(
        pooled["female"], pooled["known"], pooled["share"], pooled["lower"], pooled["upper"],
        threshold,
    )  # fmt: skip
    return {**record, "country_years": pooled["country_years"], "countries": pooled["countries"]}


def glotip_text(
    pooled: dict, agreement: dict, ctdc_female: str, vintage: str, threshold: int
) -> str:
    """How much GLOTIP publishes, and how its female shares agree with CTDC's."""
    share = pooled_record(pooled, threshold)["share"]
    text = (
        f"GLOTIP ({vintage} export) publishes a usable female share for "
        f"{pooled['country_years']:,} country-years in {pooled['countries']} countries of this "
        f"selection; pooled, {disclosure.share_text(share, hidden='n/a')} of their "
        f"{disclosure.count_words(pooled['known'], threshold)} detected victims of known sex "
        f"are female (CTDC: {ctdc_female}). "
    )
    if not agreement["country_years"]:
        return text + "No country-year is in both sources with an unsuppressed share."
    spearman = agreement["spearman"]
    return text + (
        f"**{agreement['country_years']} country-years in {agreement['countries']} countries** "
        "are in both. The CTDC share minus the GLOTIP share has a median of "
        f"{agreement['median_difference']:+.1%} and a mean absolute value of "
        f"{agreement['mean_abs_difference']:.1%}; the GLOTIP share lies inside the CTDC "
        f"interval in {agreement['share_within_ctdc_interval']:.0%} of them"
        + (f", and the rank correlation is {spearman:.2f}." if spearman is not None else ".")
    )


def widest_disagreements(pairs: pd.DataFrame, n: int = 8) -> pd.DataFrame:
    """The `n` country-years whose CTDC and GLOTIP female shares differ most."""
    widest = pairs.assign(gap=pairs["difference"].abs()).sort_values("gap", ascending=False).head(n)
    names = countries.name(widest["iso3"])
    return pd.DataFrame(
        {
            "country-year": [f"{c} {y}" for c, y in zip(names, widest["year"], strict=True)],
            "CTDC": [
                disclosure.share_text(*r)
                for r in widest[["female_share_ctdc", "female_lower", "female_upper"]].to_numpy()
            ],
            "CTDC known gender": widest["female_of_ctdc"].map("{:,}".format),
            "GLOTIP": widest["female_share_glotip"].map(disclosure.share_text),
            "GLOTIP known sex": widest["female_of_glotip"].map("{:,.0f}".format),
        }
    )


def agreement_figure(pairs: pd.DataFrame, source: str):
    """CTDC against GLOTIP female share per shared country-year, with the CTDC interval."""
    ctdc = pairs["female_share_ctdc"]
    fig, ax = plots.figure(6.5, 5.5)
    ax.errorbar(
        pairs["female_share_glotip"],
        ctdc,
        yerr=[(ctdc - pairs["female_lower"]).clip(lower=0),
              (pairs["female_upper"] - ctdc).clip(lower=0)],
        fmt="o", ms=4, color=plots.GENDER_COLOURS["female"], ecolor="#bbbbbb", elinewidth=1,
    )  # fmt: skip
    ax.plot([0, 1], [0, 1], color="black", lw=0.8, ls=":")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    return plots.finish(
        fig,
        ax,
        title="Female share per country-year in both sources",
        xlabel="GLOTIP female share of detected victims",
        ylabel="CTDC female share of records",
        source=source,
    )


# --- Findings ----------------------------------------------------------------------------------


def findings(
    overall: pd.Series,
    per_dest: pd.DataFrame,
    names: dict[str, str],
    test: dict,
    fit: trends.GenderTrend,
    agreement: dict,
    release: str,
    years: tuple[int, int],
    threshold: int,
) -> str:
    """The report's findings as a Markdown list, from the numbers shown above it."""
    destinations = "; ".join(
        f"{names[r['exploitation_country']]} {disclosure.count_words(r['records'], threshold)} "
        f"records, {row_share_text(r, 'female')} female"
        for _, r in per_dest.head(4).iterrows()
    )
    diag = fit.diagnostics
    overdispersed = (
        f". The Poisson fit was overdispersed (χ²/df = {diag['poisson_dispersion']:.0f}), "
        "so the intervals come from the negative binomial model."
        if diag["alpha"]
        else "."
    )
    lines = [
        f"- **Female share.** {row_share_text(overall, 'female')} of "
        f"{disclosure.count_words(overall['female_of'], threshold)} CTDC `{release}` records "
        f"with known gender ({years[0]}-{years[1]}); children are "
        f"{row_share_text(overall, 'child')} of those with known age.",
        f"- **Destinations.** {destinations}.",
        "- **Forms.** The form of exploitation depends strongly on gender and age (Cramér's V = "
        f"{test['cramers_v']:.2f}, n = {disclosure.count_words(test['n'], threshold)}).",
        f"- **Trend** ({diag['family']}, within destinations): {trend_words(fit)}{overdispersed}",
    ]
    if agreement["country_years"]:
        lines.append(
            f"- **Second source.** On {agreement['country_years']} shared country-years, CTDC "
            f"and GLOTIP female shares differ by {agreement['mean_abs_difference']:.0%} points "
            "on average: a CTDC country-year usually reflects one contributor's caseload, not "
            "the country's detected victims."
        )
    lines.append(
        "- **Read with care.** These are identified cases; the trend follows the contributors "
        "(see the first section), so it is evidence about detection and reporting, "
        "not about prevalence."
    )
    return "\n".join(lines)
