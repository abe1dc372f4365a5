"""The roadmap's own tables, recomputed from ``roadmap.yaml`` (and list prices where it quotes a price)."""

from __future__ import annotations

from voyager_analysis.assumptions import Figure, PriceBook, Roadmap


# --- the recomputed tables ----------------------------------------------------------------------------------

def phase_cost_table(roadmap: Roadmap):
    """Per phase: stated total range vs the sum of the listed components (and the share that is Claude)."""
    import pandas as pd

    rows = []
    for name, phase in roadmap["phases"].items():
        costs: dict[str, Figure] = phase["costs"]
        rows.append({
            "phase": name, "label": phase["label"],
            "users_low": phase["users"].low, "users_high": phase["users"].high,
            "stated_total_low": phase["total"].low, "stated_total_high": phase["total"].high,
            "sum_components_low": sum(f.low for f in costs.values()),
            "sum_components_high": sum(f.high for f in costs.values()),
            "claude_share_low": costs["claude"].low / sum(f.low for f in costs.values()),
            "claude_share_high": costs["claude"].high / sum(f.high for f in costs.values()),
            "components": ", ".join(costs),
        })
    return pd.DataFrame(rows)


def stripe_fee_usd(gross_usd: float, charges: float, prices: PriceBook) -> float:
    """Card fees at list price: percent of the gross plus a fixed fee per successful charge."""
    return gross_usd * prices.service("stripe_card_percent").price_usd + charges * prices.service(
        "stripe_card_fixed").price_usd


def cost_projection_table(roadmap: Roadmap, prices: PriceBook):
    """The roadmap's cost projection summary, recomputed from its own stated assumptions.

    Columns: stated users/cost/revenue/margin; ``revenue_pro_only`` (users x Pro conversion x price),
    ``revenue_with_max`` (adds the Max tier the notes include), ``margin_recomputed`` (from the stated
    revenue and cost), ``margin_after_share`` (revenue x share to company, before card fees),
    ``margin_after_share_and_fees`` (also minus list-price card fees on every subscription), and the cost
    per user.
    """
    import pandas as pd

    notes = roadmap["cost_projection"]["notes"]
    pro_c, pro_p = notes["pro_conversion"].value, notes["pro_price"].value
    max_c, max_p = notes["max_conversion"].value, notes["max_price"].value
    share = notes["revenue_share_to_company"].value
    rows = []
    for key, row in roadmap["cost_projection"]["rows"].items():
        users, cost, revenue = row["users"].value, row["cost"].value, row["revenue"].value
        pro_subs, max_subs = users * pro_c, users * max_c
        with_max = pro_subs * pro_p + max_subs * max_p
        fees = stripe_fee_usd(with_max, pro_subs + max_subs, prices)
        rows.append({
            "row": key, "users": users, "stated_cost_usd": cost, "stated_revenue_usd": revenue,
            "stated_margin": row["margin"].value,
            "revenue_pro_only_usd": pro_subs * pro_p,
            "revenue_with_max_usd": with_max,
            "margin_recomputed": (revenue - cost) / revenue,
            "margin_after_share": (revenue * share - cost) / (revenue * share),
            "margin_with_max_after_share_and_fees": (with_max * share - fees - cost) / (with_max * share - fees),
            "cost_per_user_usd": cost / users,
        })
    return pd.DataFrame(rows)


def growth_pace_table(roadmap: Roadmap):
    """Monthly growth implied by the milestone table (users at each band's upper end, by its end month)."""
    import pandas as pd

    ms = sorted(roadmap["milestones"].values(), key=lambda m: m["users"].high)
    rows = []
    for prev, cur in zip(ms, ms[1:]):
        u0, u1 = prev["users"].high, cur["users"].high
        m0, m1 = prev["months"].high, cur["months"].high
        rows.append({"from_users": u0, "to_users": u1, "from_month": m0, "to_month": m1,
                     "months": m1 - m0, "monthly_growth": (u1 / u0) ** (1 / (m1 - m0)) - 1})
    return pd.DataFrame(rows)


__all__ = ["phase_cost_table", "stripe_fee_usd", "cost_projection_table", "growth_pace_table"]
