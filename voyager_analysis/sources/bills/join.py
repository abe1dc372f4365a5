"""Put billed months into a metrics table (``derive --bills``).

Cost columns and ``gross_revenue_usd`` from the bills replace (or add) the metrics' columns for the months
the bills cover; other months keep what the metrics had (typed, modelled or empty), so a notebook can say
which costs are billed and which are not: ``attrs["billed"]`` lists, per column, the months taken from
bills. Token columns from a Claude usage report only fill months the events leave empty; where both exist,
``attrs["token_check"]`` says how far the events' sums are from the vendor's (a data-quality check, not a
failure). Billed months outside the metrics' months are listed in ``attrs["bills_outside"]`` (the metrics
table needs users for every month, which bills do not have).
"""

from __future__ import annotations

from voyager_analysis.sources.bills.claude import TOKEN_COLUMNS


def token_check(metrics_df, bills_df):
    """Per month and token column present in both: events' sum, vendor's sum, and (events - vendor) / vendor."""
    import pandas as pd

    rows = []
    both = metrics_df.merge(bills_df, on="month", suffixes=("_events", "_vendor"))
    for col in TOKEN_COLUMNS:
        if f"{col}_events" not in both:
            continue
        for month, ev, ve in zip(both["month"], both[f"{col}_events"], both[f"{col}_vendor"]):
            if pd.notna(ev) and pd.notna(ve):
                rows.append({"month": month, "column": col, "events": float(ev), "vendor": float(ve),
                             "relative_gap": (float(ev) - float(ve)) / float(ve) if ve else None})
    return pd.DataFrame(rows, columns=["month", "column", "events", "vendor", "relative_gap"])


def join_bills(metrics_df, bills_df):
    """``metrics_df`` with the bills' columns for the months they cover (see the module docstring)."""
    import numpy as np

    out = metrics_df.copy()
    out.attrs = dict(metrics_df.attrs)
    months = set(out["month"])
    billed = {}
    indexed = bills_df.set_index("month")
    for col in indexed.columns:
        values = indexed[col].dropna()
        values = values[values.index.isin(months)]
        if col not in out:
            out[col] = np.nan
        if col in TOKEN_COLUMNS:
            take = out["month"].isin(values.index) & out[col].isna()
        else:
            take = out["month"].isin(values.index)
        out.loc[take, col] = out.loc[take, "month"].map(values).astype(float)
        if take.any():
            billed[col] = sorted(out.loc[take, "month"])
    out.attrs["billed"] = billed
    out.attrs["bills_outside"] = sorted(set(bills_df["month"]) - months)
    out.attrs["token_check"] = token_check(metrics_df, bills_df).to_dict(orient="records")
    return out
