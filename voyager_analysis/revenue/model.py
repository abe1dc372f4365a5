"""Revenue: subscription tiers, payment fees, the revenue share, net revenue and margin.

Definitions (USD per month; every function is plain numpy arithmetic and broadcasts over arrays):

- ``gross_revenue_usd`` = users x (pro_conversion x pro_price_usd + max_conversion x max_price_usd): what
  subscribers pay. Subscriber counts are ``users x conversion`` (not rounded).
- ``payment_fees_usd`` = stripe_card_percent x gross + stripe_card_fixed x charges, one charge per subscriber
  per month (Stripe's list price from ``data/prices/services.csv``; the roadmap states only the 2.9%).
  The fees are also the cost model's ``stripe`` component.
- ``partner_share_usd`` = (1 - revenue_share_to_company) x gross: the roadmap's '~70/30 blended' share,
  applied to gross revenue as the roadmap does ($9,495 -> $6,647).
- ``net_revenue_usd`` = gross - partner share - payment fees: what reaches the company (the company is
  assumed to bear the whole payment fee).
- **margin** (``margin_pct``): (gross revenue - cost) / gross revenue x 100, with ``cost`` = infrastructure
  + payment fees and revenue counted BEFORE the revenue share. This is the roadmap's apparent definition
  (its cost projection table shows revenue 'BEFORE revenue share' and e.g. 37% at 1K users =
  (950 - 600) / 950), so it is the one compared with the roadmap's claimed 50-60%.
- **margin after the share** (``margin_after_share_pct``): (net revenue - infrastructure cost) / net revenue
  x 100: the profit the company keeps as a share of the revenue it keeps. :func:`margins` also gives the
  after-share profit over gross revenue. A ratio is NaN where its denominator is not positive.

Base case: the roadmap's point values in ``roadmap.yaml`` ``revenue_assumptions`` (5% Pro at $18.99, 0.1% Max
at $99, 70% to the company) and Stripe's list price; a scenario may override any of them (with ranges).
:class:`RevenueModel` holds one set of these values (built from the model's inputs with
:meth:`RevenueModel.from_inputs`) and answers revenue, margin, break-even and grid questions with them; the
functions below are its arithmetic (plain numpy, used by the cost model over arrays of draws).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from voyager_analysis.errors import InputError, unknown_name
from voyager_analysis.model_inputs import PAYMENT_PRICES, REVENUE_ARGS, REVENUE_INPUTS


def subscribers(users, conversion):
    """Paying subscribers of a tier: users x conversion (a fraction), not rounded."""
    return users * conversion


def gross_revenue_usd(users, pro_conversion, pro_price_usd, max_conversion, max_price_usd):
    """What subscribers pay per month (USD), before payment fees and the revenue share."""
    return users * (pro_conversion * pro_price_usd + max_conversion * max_price_usd)


def payment_fees_usd(users, pro_conversion, pro_price_usd, max_conversion, max_price_usd,
                     stripe_card_percent, stripe_card_fixed):
    """Stripe fees per month (USD): percent of gross plus a fixed fee per charge (one charge per subscriber)."""
    gross = gross_revenue_usd(users, pro_conversion, pro_price_usd, max_conversion, max_price_usd)
    charges = users * (pro_conversion + max_conversion)
    return stripe_card_percent * gross + stripe_card_fixed * charges


def partner_share_usd(gross_usd, revenue_share_to_company):
    """The part of gross revenue that goes to partners (communities): (1 - share to company) x gross."""
    return gross_usd * (1.0 - revenue_share_to_company)


def net_revenue_usd(gross_usd, fees_usd, revenue_share_to_company):
    """What reaches the company: gross - partner share - payment fees (USD/month)."""
    return gross_usd * revenue_share_to_company - fees_usd


def _pct(numerator, denominator):
    """100 x numerator / denominator, NaN where the denominator is not positive."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if den.ndim == 0:  # one denominator for every draw (revenue inputs are points)
        return num * (100.0 / float(den)) if den > 0 else np.full(num.shape, np.nan)[()]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)


def margin_pct(gross_usd, cost_usd):
    """Margin before the revenue share, over gross revenue (the roadmap's definition), in percent.

    ``cost_usd`` is the whole monthly cost including payment fees.
    """
    return _pct(gross_usd - cost_usd, gross_usd)


def margin_after_share_pct(net_usd, infra_cost_usd):
    """Margin after the revenue share and payment fees, over net revenue, in percent.

    ``infra_cost_usd`` excludes payment fees (they are already out of net revenue).
    """
    return _pct(net_usd - infra_cost_usd, net_usd)


def evaluate(users, values: dict[str, Any], infra_cost_usd=None) -> dict[str, Any]:
    """Revenue outputs for input ``values`` (a mapping with every name in :data:`REVENUE_ARGS`).

    Returns ``gross_revenue_usd``, ``payment_fees_usd``, ``partner_share_usd``, ``net_revenue_usd``; with
    ``infra_cost_usd`` (infrastructure cost excluding payment fees) also :func:`margins`.
    """
    v = {k: values[k] for k in REVENUE_ARGS}
    tiers = {k: v[k] for k in ("pro_conversion", "pro_price_usd", "max_conversion", "max_price_usd")}
    gross = gross_revenue_usd(users, **tiers)
    fees = payment_fees_usd(users, **tiers, stripe_card_percent=v["stripe_card_percent"],
                            stripe_card_fixed=v["stripe_card_fixed"])
    out = {"gross_revenue_usd": gross, "payment_fees_usd": fees,
           "partner_share_usd": partner_share_usd(gross, v["revenue_share_to_company"]),
           "net_revenue_usd": net_revenue_usd(gross, fees, v["revenue_share_to_company"])}
    if infra_cost_usd is not None:
        out.update(margins(gross, fees, out["net_revenue_usd"], infra_cost_usd))
    return out


def margins(gross_usd, fees_usd, net_usd, infra_cost_usd) -> dict[str, Any]:
    """Every margin, in percent: before the share over gross (``margin_pct``, the roadmap's definition),
    after the share over net revenue (``margin_after_share_pct``) and after the share over gross
    (``margin_after_share_over_gross_pct``); plus ``profit_after_share_usd`` = net - infrastructure."""
    profit = net_usd - infra_cost_usd
    return {"margin_pct": margin_pct(gross_usd, infra_cost_usd + fees_usd),
            "margin_after_share_pct": margin_after_share_pct(net_usd, infra_cost_usd),
            "margin_after_share_over_gross_pct": _pct(profit, gross_usd),
            "profit_after_share_usd": profit}


# --- churn -------------------------------------------------------------------------------------------------

def subscriber_stock(months: int, new_subscribers_per_month, monthly_churn: float,
                     initial_subscribers: float = 0.0) -> np.ndarray:
    """Paying subscribers at the end of each month with churn: S_t = S_(t-1) (1 - churn) + N_t.

    ``new_subscribers_per_month`` is a number (constant inflow) or a sequence of ``months`` values (e.g.
    ``conversion x new_users`` from a users path). With a constant inflow N the stock tends to N / churn.
    Returns an array of length ``months`` (months 1..months).
    """
    if int(months) != months or months < 1:
        raise InputError(f"months must be a whole number >= 1, got {months}")
    months = int(months)
    churn = float(monthly_churn)
    if not 0 < churn <= 1:
        raise InputError(f"monthly_churn must lie in (0, 1], got {churn:g}")
    inflow = np.broadcast_to(np.asarray(new_subscribers_per_month, dtype=float), (months,)) \
        if np.ndim(new_subscribers_per_month) == 0 else np.asarray(new_subscribers_per_month, dtype=float)
    if inflow.shape != (months,):
        raise InputError(f"new_subscribers_per_month has {inflow.size} values but months is {months}")
    if np.any(~np.isfinite(inflow) | (inflow < 0)) or initial_subscribers < 0:
        raise InputError("subscriber inflow and the initial stock must be finite numbers >= 0")
    stock = np.empty(months)
    s = float(initial_subscribers)
    for t in range(months):  # a loop over months (tens), not over Monte Carlo draws
        s = s * (1.0 - churn) + inflow[t]
        stock[t] = s
    return stock


def steady_state_subscribers(new_subscribers_per_month, monthly_churn):
    """The stock a constant inflow converges to: inflow / churn."""
    return np.asarray(new_subscribers_per_month, dtype=float) / monthly_churn


def margin_with_churn_pct(users, pro_conversion, max_conversion, pro_price_usd, max_price_usd, monthly_churn,
                          revenue_share_to_company, infra_cost_usd, stripe_card_percent, stripe_card_fixed,
                          planned_churn, output: str = "margin_after_share_pct"):
    """A margin (percent) when churn differs from the churn the acquisition of subscribers was sized for.

    ``pro_conversion`` / ``max_conversion`` are the paying shares of monthly actives planned (the roadmap's
    meaning). Holding a paying share p at churn c0 (``planned_churn``) takes p x users x c0 new subscribers a
    month; with that inflow and the actual ``monthly_churn`` c, the stock settles at
    :func:`steady_state_subscribers` = p x users x c0 / c. At c = c0 this is exactly :func:`evaluate`.
    ``infra_cost_usd`` excludes payment fees. ``output`` is a margin key of :func:`margins` (default: after the
    share, over net revenue). Broadcasts.
    """
    users = np.asarray(users, dtype=float)

    def held(conversion):
        return steady_state_subscribers(conversion * users * planned_churn, monthly_churn) / users

    values = dict(pro_conversion=held(pro_conversion), max_conversion=held(max_conversion),
                  pro_price_usd=pro_price_usd, max_price_usd=max_price_usd,
                  revenue_share_to_company=revenue_share_to_company, stripe_card_percent=stripe_card_percent,
                  stripe_card_fixed=stripe_card_fixed)
    return evaluate(users, values, infra_cost_usd)[output]


# --- the model with one set of values --------------------------------------------------------------------------

SHARES = ("pro_conversion", "max_conversion", "revenue_share_to_company", "stripe_card_percent")


@dataclass(frozen=True)
class RevenueModel:
    """Revenue, fees, the partner share and margins for one set of revenue inputs (USD per month).

    Fields are the names of :data:`REVENUE_ARGS` (floats, or arrays that broadcast). Build it from the model's
    inputs with :meth:`from_inputs` (point values, :func:`voyager_analysis.values.point_value`); values are
    validated at construction (shares in 0-1, prices >= 0).
    """

    pro_conversion: Any
    pro_price_usd: Any
    max_conversion: Any
    max_price_usd: Any
    revenue_share_to_company: Any
    stripe_card_percent: Any
    stripe_card_fixed: Any

    def __post_init__(self):
        for f in fields(self):
            a = np.asarray(getattr(self, f.name), dtype=float)
            if f.name in SHARES and np.any(~np.isfinite(a) | (a < 0) | (a > 1)):
                raise InputError(f"{f.name} is a share and must lie in 0-1, got {np.ravel(a)[0]:g}")
            if np.any(~np.isfinite(a) | (a < 0)):
                raise InputError(f"{f.name} must be a finite number >= 0, got {np.ravel(a)[0]:g}")

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any], **values) -> RevenueModel:
        """The point values of the revenue inputs in ``inputs`` (figures), with any keyword replacing one."""
        from voyager_analysis.values import point_value

        unknown = [k for k in values if k not in REVENUE_ARGS]
        if unknown:
            raise InputError(unknown_name("revenue input", unknown[0], REVENUE_ARGS))
        return cls(**{k: values[k] if values.get(k) is not None else point_value(inputs[k]) for k in REVENUE_ARGS})

    def values(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in REVENUE_ARGS}

    def with_values(self, **values) -> RevenueModel:
        return replace(self, **values)

    def revenue_usd(self, users, infra_cost_usd=None) -> dict[str, Any]:
        """:func:`evaluate` at ``users``: gross, payment fees, partner share, net (and margins given a cost)."""
        return evaluate(users, self.values(), infra_cost_usd)

    def margin(self, users, infra_cost_usd) -> dict[str, Any]:
        """Every margin of :func:`margins` at ``users`` with infrastructure cost ``infra_cost_usd`` (no fees)."""
        out = self.revenue_usd(users, infra_cost_usd)
        return {k: out[k] for k in ("margin_pct", "margin_after_share_pct", "margin_after_share_over_gross_pct",
                                    "profit_after_share_usd")}

    def breakeven_pro_conversion(self, users, infra_cost_usd, pro_price_usd=None):
        """The Pro conversion at which profit after the share is zero, closed form.

        Profit = s*G - fees - C with G = U (p P + m M), fees = f G + k U (p + m), s = share to company,
        f = Stripe percent, k = Stripe fixed fee, C = ``infra_cost_usd`` (excluding payment fees). Solving for p:

            p* = (C - m U ((s - f) M - k)) / (U ((s - f) P - k))

        Returns 0 where Max revenue alone covers the cost, and ``inf`` where a Pro subscriber does not cover its
        own fees ((s - f) P <= k). A value above 1 means no conversion can. ``pro_price_usd`` (default: the
        model's) may be an array. Broadcasts.
        """
        price = self.pro_price_usd if pro_price_usd is None else pro_price_usd
        u = np.asarray(users, dtype=float)
        if np.any(~np.isfinite(u) | (u <= 0)):
            raise InputError(f"users must be a positive number for a break-even, got {np.ravel(u)[0]:g}")
        c = np.asarray(infra_cost_usd, dtype=float)
        if np.any(~np.isfinite(c) | (c < 0)):
            raise InputError(f"infra_cost_usd must be a finite number >= 0, got {np.ravel(c)[0]:g}")
        kept = self.revenue_share_to_company - self.stripe_card_percent
        per_pro = kept * np.asarray(price, dtype=float) - self.stripe_card_fixed
        per_max = kept * self.max_price_usd - self.stripe_card_fixed
        need = c - self.max_conversion * u * per_max
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(per_pro > 0, need / (u * np.where(per_pro > 0, per_pro, 1.0)), np.inf)
        p = np.maximum(p, 0.0)
        return float(p) if p.ndim == 0 else p

    def statement(self, users: float, infra_cost_usd: float):
        """One month's revenue statement at ``users``: a DataFrame (item, value, unit)."""
        import pandas as pd

        out = self.revenue_usd(users, infra_cost_usd)
        rows = [
            ("Pro subscribers", float(subscribers(users, self.pro_conversion)), "subscribers"),
            ("Max subscribers", float(subscribers(users, self.max_conversion)), "subscribers"),
            ("Gross revenue", float(out["gross_revenue_usd"]), "usd_per_month"),
            ("Payment fees (Stripe)", -float(out["payment_fees_usd"]), "usd_per_month"),
            ("Revenue share to partners", -float(out["partner_share_usd"]), "usd_per_month"),
            ("Net revenue", float(out["net_revenue_usd"]), "usd_per_month"),
            ("Infrastructure cost", -float(infra_cost_usd), "usd_per_month"),
            ("Profit after share", float(out["profit_after_share_usd"]), "usd_per_month"),
            ("Margin before share (over gross; roadmap's definition)", float(out["margin_pct"]), "percent"),
            ("Margin after share (over net revenue)", float(out["margin_after_share_pct"]), "percent"),
            ("Margin after share (over gross revenue)", float(out["margin_after_share_over_gross_pct"]), "percent"),
        ]
        return pd.DataFrame(rows, columns=["item", "value", "unit"])

    def margin_grid(self, pro_conversions, pro_prices_usd, users: float, infra_cost_usd: float, *,
                    margin: str = "after_share"):
        """Margin (percent) over Pro conversion (rows) x Pro price (columns), for a heat map.

        ``margin`` is ``"after_share"`` (over net revenue) or ``"before_share"`` (the roadmap's definition).
        """
        import pandas as pd

        key = {"after_share": "margin_after_share_pct", "before_share": "margin_pct"}
        if margin not in key:
            raise InputError(f"margin must be one of {', '.join(key)}, got '{margin}'")
        conv = np.asarray(pro_conversions, dtype=float)
        price = np.asarray(pro_prices_usd, dtype=float)
        grid = dict(self.values(), pro_conversion=conv[:, None], pro_price_usd=price[None, :])
        out = evaluate(users, grid, infra_cost_usd)
        return pd.DataFrame(np.broadcast_to(out[key[margin]], (conv.size, price.size)),
                            index=pd.Index(conv, name="pro_conversion"),
                            columns=pd.Index(price, name="pro_price_usd"))


__all__ = ["REVENUE_INPUTS", "PAYMENT_PRICES", "REVENUE_ARGS", "subscribers", "gross_revenue_usd",
           "payment_fees_usd", "partner_share_usd", "net_revenue_usd", "margin_pct", "margin_after_share_pct",
           "margins", "evaluate", "subscriber_stock", "steady_state_subscribers", "margin_with_churn_pct",
           "RevenueModel"]
