"""What the hidden-population report shows of its estimates: tables, results records
and figures, from the `analysis.mse` estimates and the GLOTIP detections they are set against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import mse
from analysis.data import mse_tables
from analysis.publish import plots, tables

ESTIMATE_AXIS = "estimated total population (persons)"
INTERVAL_COLOUR = "#c0392b"


def table_title(name: str) -> str:
    """A published table as a report names it: 'UK 2013, 5 lists (UKdat_5)', 'Korea'."""
    info = mse_tables.TABLES.get(name)
    if info is None or name.lower() in info.title.lower():
        return info.title if info else name
    return f"{info.title} ({name})"


def overlaps_view(sizes: pd.DataFrame, name: str) -> tables.Table:
    """`mse.overlaps` after suppression: lists by code, with the table's title."""
    frame = sizes.rename_axis("list")
    return tables.Table(frame, caption=f"{table_title(name)}: cases on each list (diagonal) and "
                        "on both lists of each pair", index=True)  # fmt: skip


FRAGILE = "fragile: the models differ by more than a factor of 2"
MODEL_CHOICES = (
    "stepwise selection at p < "
    + ", ".join(f"{p:g}" for p in mse.SPREAD_PTHRESHOLDS[:-1])
    + f" and {mse.SPREAD_PTHRESHOLDS[-1]:g}, the smallest BIC (tables of up to five lists) and "
    "main effects only"
)


def interval(est: mse.Estimate, kind: str = "", replicates: bool = False) -> str:
    """' (95% interval 1 to 2)', with its kind and its replicates if asked; '' without one."""
    if not est.ci:
        return ""
    boot = f", from {est.nboot:,} bootstrap replicates" if replicates else ""
    return f" ({est.level:.0%} {kind}interval {est.ci[0]:,.0f} to {est.ci[1]:,.0f}{boot})"


def moves_view(est: mse.Estimate) -> tables.Table:
    """The stepwise path: the interaction added at each cycle, its p-value, the estimate after."""
    moves = pd.DataFrame(
        {
            "step": range(1, len(est.moves) + 1),
            "interaction added": [m.added or "none: stop" for m in est.moves],
            "p-value": [
                f"{m.p_value:.2g}" if pd.notna(m.p_value) else tables.MISSING for m in est.moves
            ],
            "estimate after": [m.estimate_after for m in est.moves],
        }
    )
    return tables.Table(moves, digits=0, caption="Stepwise path: the interaction added in each "
                        "cycle (the last row is where it stopped)")  # fmt: skip


def _estimate_axis(ax, observed: int) -> None:
    """Thousands on the axis of the estimates, and a line at the observed count."""
    ax.xaxis.set_major_formatter(plots.plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.axvline(observed, color="#333333", linestyle=":", label=f"observed {observed:,}")


def plot_bootstrap(est: mse.Estimate, dataset: str, source: str):
    """The bootstrap estimates of the total, with the observed count, estimate and interval."""
    fig, ax = plots.figure()
    ax.hist(est.boot[np.isfinite(est.boot)], bins=40, color="#9db4c0", edgecolor="white")
    _estimate_axis(ax, est.observed)
    ax.axvline(est.estimate, color=INTERVAL_COLOUR, label=f"estimate {est.estimate:,.0f}")
    for x in est.ci:
        ax.axvline(x, color=INTERVAL_COLOUR, linestyle="--", linewidth=1)
    ax.plot([], [], color=INTERVAL_COLOUR, linestyle="--", linewidth=1,
            label=f"{est.level:.0%} BCa interval")  # fmt: skip
    ax.legend(frameon=False)
    plots.finish(
        fig, ax, title=f"{dataset}: bootstrap estimates of the total ({est.nboot:,} replicates)",
        xlabel=ESTIMATE_AXIS, ylabel="bootstrap replicates (count)", source=source,
    )  # fmt: skip
    return fig


def sensitivity_labels(sens: pd.DataFrame) -> list[str]:
    """How each row of `mse.sensitivity` is named: 'stepwise p < 0.02' or 'BIC'."""
    return [f"stepwise p < {p:g}" if m == "stepwise" else "BIC"
            for m, p in zip(sens["method"], sens["pthresh"], strict=True)]  # fmt: skip


def sensitivity_view(sens: pd.DataFrame, name: str) -> tables.Table:
    shown = sens[["label", "estimate", "model"]].rename(
        columns={"label": "choice", "model": "interactions"}
    )
    return tables.Table(shown, digits=0, labels={"choice": "model choice"},
                        caption=f"{table_title(name)}: the estimated total under each model "
                        "choice")  # fmt: skip


def plot_sensitivity(sens: pd.DataFrame, est: mse.Estimate, dataset: str, source: str):
    """The estimate under each model choice, beside the observed count and the headline interval."""
    fig, ax = plots.figure(height=0.45 * len(sens) + 1.5)
    ax.scatter(sens["estimate"], sens["label"], color="#2c7fb8", zorder=3)
    _estimate_axis(ax, est.observed)
    if est.ci:
        ax.axvspan(*est.ci, color=INTERVAL_COLOUR, alpha=0.12,
                   label=f"{est.level:.0%} interval of the headline")  # fmt: skip
    ax.invert_yaxis()
    ax.legend(frameon=False, loc="center right")
    plots.finish(
        fig, ax, title=f"{dataset}: estimated total by model choice",
        xlabel=ESTIMATE_AXIS, ylabel="model choice", source=source,
    )  # fmt: skip
    return fig


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 2)


def _pair(row: pd.Series, low: str, high: str) -> list[float] | None:
    return None if np.isnan(row[low]) else [_rounded(row[low]), _rounded(row[high])]


def tables_record(overview: pd.DataFrame, estimates: dict[str, mse.Estimate]) -> dict:
    """Each table's stepwise summary, its estimate under each model choice, their range and
    flag, the years it pools and the published estimate."""
    rows = overview.set_index("table")
    record = {}
    for name, est in estimates.items():
        row = rows.loc[name]
        record[name] = est.summary() | {
            "bic_estimate": _rounded(row["BIC"]),
            "model_estimates": {m: _rounded(row[m]) for m in mse.SPREAD_MODELS},
            "spread": _pair(row, "spread low", "spread high"),
            "spread_ratio": _rounded(row["spread ratio"]),
            "fragile": bool(row["fragile"]),
            "pooled_years": row["pooled years"] or None,
            "published": _pair(row, "published low", "published high"),
        }
    return record


MODEL_LABELS = {m: m.replace("p = ", "p < ") for m in mse.SPREAD_MODELS}  # column headings
OVERVIEW_COLUMNS = ["table", "observed", "estimate", "interval", "seen share", *mse.SPREAD_MODELS,
                    "spread ratio", "model check", "interactions"]  # fmt: skip


NOT_COMPUTED = "not computed"
BIC_NOTE = (
    f"BIC is {NOT_COMPUTED} for tables of more than {mse.MAX_BIC_LISTS} lists: it compares every "
    "model of two-list interactions, 32,768 for six lists and over 268 million for eight, so "
    "the spread of those tables is over the stepwise choices and main effects only."
)


def _range_cell(low: float, high: float) -> str:
    if np.isnan(low):
        return tables.MISSING
    return f"{low:,.0f}" if low == high else f"{low:,.0f}–{high:,.0f}"


def overview_table(
    overview: pd.DataFrame,
    pthresh: float,
    level: float,
    nboot: int,
    known: dict[str, mse.Estimate],
) -> tables.Table:
    """`mse.overview` as the reader sees it; the caption names the replicates of any reused
    estimate (`known`) of the overview that has a different number, or says there are no
    intervals."""
    interval = [
        tables.MISSING if np.isnan(lo) else f"{lo:,.0f}–{hi:,.0f}"
        for lo, hi in zip(overview["lower"], overview["upper"], strict=True)
    ]
    shown = overview.assign(
        table=[table_title(n) for n in overview["table"]],
        interval=interval,
        **{
            "spread ratio": [tables.MISSING if np.isnan(r) else f"{r:.2f}"
                             for r in overview["spread ratio"]],
            "model check": [FRAGILE if f else tables.MISSING for f in overview["fragile"]],
            "BIC": [NOT_COMPUTED if t > mse.MAX_BIC_LISTS else
                    (tables.MISSING if np.isnan(v) else f"{v:,.0f}")
                    for v, t in zip(overview["BIC"], overview["lists"], strict=True)],
        },
    )  # fmt: skip
    columns = [c for c in OVERVIEW_COLUMNS if nboot or c != "interval"]
    intervals = f"{level:.0%} BCa intervals from {nboot:,} replicates" if nboot else "no intervals"
    caption = f"Stepwise (p < {pthresh}) estimates; {intervals}" + "".join(
        f" ({e.nboot:,} replicates for {table_title(name)})"
        for name, e in known.items()
        if nboot and e.nboot != nboot and name in set(overview["table"])
    )
    return tables.Table(
        shown[columns], caption=caption, shares=["seen share"], share_digits=0, digits=0,
        labels={"observed": "cases seen", "interval": f"{level:.0%} interval",
                "seen share": "share seen", **MODEL_LABELS,
                "spread ratio": "highest / lowest"},
        note=f"Model choices: {MODEL_CHOICES}. {BIC_NOTE}",
    )  # fmt: skip


def published_view(overview: pd.DataFrame) -> tables.Table | None:
    """The model range beside the published estimate, for tables with one or pooling years."""
    rows = []
    for _, r in overview.iterrows():
        info = mse_tables.TABLES.get(r["table"], mse_tables.TableInfo(r["table"]))
        if info.published_note or info.years:
            rows.append({
                "table": table_title(r["table"]),
                "lowest–highest over the model choices": _range_cell(r["spread low"],
                                                                     r["spread high"]),
                "published estimate": info.published_note or tables.MISSING,
                "registration years in one table": info.years or tables.MISSING,
            })  # fmt: skip
    if not rows:
        return None
    return tables.Table(pd.DataFrame(rows), caption="Estimates beside the published estimates "
                        "of the same populations, and the years each table pools")  # fmt: skip
