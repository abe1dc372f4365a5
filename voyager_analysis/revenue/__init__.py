"""Revenue: the arithmetic of subscription tiers, payment fees, the revenue share and margins
(:mod:`voyager_analysis.revenue.model`, with :class:`RevenueModel`), and notebook 05's conversion analysis
(:mod:`voyager_analysis.revenue.conversion`: :func:`conversion_analysis` -> :class:`ConversionAnalysis`, imported
from there so the cost model, which uses the payment fees, does not pull in the Monte Carlo)."""

from voyager_analysis.revenue.model import (PAYMENT_PRICES, REVENUE_ARGS, REVENUE_INPUTS, RevenueModel, evaluate,
                                            gross_revenue_usd, margin_after_share_pct, margin_pct,
                                            margin_with_churn_pct, margins, net_revenue_usd, partner_share_usd,
                                            payment_fees_usd, steady_state_subscribers, subscriber_stock, subscribers)

__all__ = ["REVENUE_INPUTS", "PAYMENT_PRICES", "REVENUE_ARGS", "subscribers", "gross_revenue_usd",
           "payment_fees_usd", "partner_share_usd", "net_revenue_usd", "margin_pct", "margin_after_share_pct",
           "margins", "evaluate", "subscriber_stock", "steady_state_subscribers", "margin_with_churn_pct",
           "RevenueModel"]
