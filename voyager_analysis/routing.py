"""Claude model-routing cost: the monthly bill for a mix of a small (Haiku) and a large (Sonnet) model.

The model, for one month:

- requests = ``users * messages_per_user_month`` (one Claude request per chat message); a share
  ``sonnet_share`` of *requests* goes to the Sonnet model, the rest to the Haiku model;
- each request has ``input_tokens_per_message`` input and ``output_tokens_per_message`` output tokens;
- prompt caching: a share ``cache_hit_rate`` of input tokens is read from the cache at
  ``cache_read_multiplier`` x the input price. Cache *writes* are billed at the base input price unless
  ``cache_write_share`` (share of input tokens written to the 5-minute cache, default 0) is given, in which
  case those tokens cost ``cache_write_5m_multiplier`` x the input price. With the default the write premium
  (+25 % on the written tokens) is left out, which flatters caching a little when prompts change often;
- Message Batches API: a share ``batch_share`` of requests (both models alike) gets ``batch_discount`` off
  input and output; the discount stacks with caching, as on the list price page.

So the cost of one request to model *m* is
``(in * p_in * [(1 - h - w) + h * r + w * c] + out * p_out) * (1 - b * d) / 1e6`` USD, and the monthly
bill is linear in ``sonnet_share``; hence the closed form of :func:`max_sonnet_share_for_budget`.

Every function is pure and vectorised: numeric arguments may be numpy arrays and broadcast together.
Prices come from a :class:`~voyager_analysis.assumptions.PriceBook` (``prices``); model names are rows of
its Claude table, defaulting to ``prices.default_model("haiku")`` / ``("sonnet")``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import InputError, suggest

TOKENS_PER_MTOK = 1e6


@dataclass(frozen=True)
class ModelPrice:
    """One row of the Claude price table (USD per million tokens, multipliers as fractions)."""

    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cache_read_multiplier: float
    cache_write_5m_multiplier: float
    batch_discount: float
    as_of: str
    source: str


def model_price(prices, name: str | None, role: str = "haiku") -> ModelPrice:
    """The price row of Claude model ``name`` (None: the current default model of ``role``).

    An unknown name is an :class:`InputError` listing every valid name (and the nearest one).
    """
    if name is None or name == "":
        name = prices.default_model(role)
    known = [str(m) for m in prices.claude.index]
    if name not in known:
        raise InputError(f"unknown Claude model '{name}'{suggest(name, known)}; valid: {', '.join(known)}")
    row = prices.claude.loc[name]
    return ModelPrice(model=str(name), input_usd_per_mtok=float(row.input_usd_per_mtok),
                      output_usd_per_mtok=float(row.output_usd_per_mtok),
                      cache_read_multiplier=float(row.cache_read_multiplier),
                      cache_write_5m_multiplier=float(row.cache_write_5m_multiplier),
                      batch_discount=float(row.batch_discount), as_of=str(row.as_of), source=str(row.source))


def _share(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    bad = ~np.isfinite(a) | (a < 0) | (a > 1)
    if np.any(bad):
        raise InputError(f"{name} is a share and must lie in 0-1, got {np.ravel(a[bad])[0]:g}")
    return a


def _count(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    bad = ~np.isfinite(a) | (a < 0)
    if np.any(bad):
        raise InputError(f"{name} must be a finite number >= 0, got {np.ravel(a[bad])[0]:g}")
    return a


def request_cost_usd(price: ModelPrice, input_tokens_per_message, output_tokens_per_message,
                     cache_hit_rate=0.0, cache_write_share=0.0, batch_share=0.0) -> np.ndarray:
    """Cost of one request (USD) to the model priced by ``price``; see the module docstring for the formula."""
    tin = _count(input_tokens_per_message, "input_tokens_per_message")
    tout = _count(output_tokens_per_message, "output_tokens_per_message")
    h = _share(cache_hit_rate, "cache_hit_rate")
    w = _share(cache_write_share, "cache_write_share")
    b = _share(batch_share, "batch_share")
    if np.any(h + w > 1 + 1e-12):
        raise InputError("cache_hit_rate + cache_write_share cannot exceed 1 (they are shares of the same input tokens)")
    input_factor = (1 - h - w) + h * price.cache_read_multiplier + w * price.cache_write_5m_multiplier
    token_usd = tin * price.input_usd_per_mtok * input_factor + tout * price.output_usd_per_mtok
    return token_usd * (1 - b * price.batch_discount) / TOKENS_PER_MTOK


def monthly_cost_by_model(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                          sonnet_share, *, prices, haiku_model: str | None = None, sonnet_model: str | None = None,
                          cache_hit_rate=0.0, cache_write_share=0.0, batch_share=0.0) -> dict[str, np.ndarray]:
    """Monthly Claude bill (USD/month) of each model: ``{"haiku": ..., "sonnet": ...}`` (arrays broadcast)."""
    requests = _count(users, "users") * _count(messages_per_user_month, "messages_per_user_month")
    s = _share(sonnet_share, "sonnet_share")
    per_request = {role: request_cost_usd(model_price(prices, name, role), input_tokens_per_message,
                                          output_tokens_per_message, cache_hit_rate, cache_write_share, batch_share)
                   for role, name in (("haiku", haiku_model), ("sonnet", sonnet_model))}
    return {"haiku": requests * (1 - s) * per_request["haiku"], "sonnet": requests * s * per_request["sonnet"]}


def monthly_cost_usd(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                     sonnet_share, *, prices, haiku_model: str | None = None, sonnet_model: str | None = None,
                     cache_hit_rate=0.0, cache_write_share=0.0, batch_share=0.0) -> np.ndarray:
    """Total monthly Claude bill (USD/month): Haiku part + Sonnet part (arrays broadcast)."""
    parts = monthly_cost_by_model(users, messages_per_user_month, input_tokens_per_message,
                                  output_tokens_per_message, sonnet_share, prices=prices, haiku_model=haiku_model,
                                  sonnet_model=sonnet_model, cache_hit_rate=cache_hit_rate,
                                  cache_write_share=cache_write_share, batch_share=batch_share)
    return parts["haiku"] + parts["sonnet"]


def cost_table(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
               sonnet_share, *, prices, haiku_model: str | None = None, sonnet_model: str | None = None,
               cache_hit_rate=0.0, cache_write_share=0.0, batch_share=0.0):
    """Scalar inputs -> a DataFrame, one row per model: requests, tokens, monthly cost, share of bill, price date."""
    import pandas as pd

    kw = dict(prices=prices, haiku_model=haiku_model, sonnet_model=sonnet_model, cache_hit_rate=cache_hit_rate,
              cache_write_share=cache_write_share, batch_share=batch_share)
    parts = monthly_cost_by_model(users, messages_per_user_month, input_tokens_per_message,
                                  output_tokens_per_message, sonnet_share, **kw)
    requests = float(users) * float(messages_per_user_month)
    shares = {"haiku": 1 - float(sonnet_share), "sonnet": float(sonnet_share)}
    total = sum(float(v) for v in parts.values())
    rows = []
    for role, name in (("haiku", haiku_model), ("sonnet", sonnet_model)):
        p = model_price(prices, name, role)
        req = requests * shares[role]
        rows.append({"role": role, "model": p.model, "requests": req,
                     "input_mtok": req * float(input_tokens_per_message) / TOKENS_PER_MTOK,
                     "output_mtok": req * float(output_tokens_per_message) / TOKENS_PER_MTOK,
                     "monthly_cost_usd": float(parts[role]),
                     "share_of_bill": float(parts[role]) / total if total else np.nan, "as_of": p.as_of})
    return pd.DataFrame(rows).set_index("role")


def cost_curve(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message, *, prices,
               haiku_model: str | None = None, sonnet_model: str | None = None, cache_hit_rate=0.0,
               cache_write_share=0.0, batch_share=0.0, shares=None):
    """Monthly bill vs ``sonnet_share`` (default 0, 0.01, ..., 1): DataFrame ``sonnet_share, monthly_cost_usd``."""
    import pandas as pd

    shares = np.linspace(0.0, 1.0, 101) if shares is None else np.asarray(shares, dtype=float)
    cost = monthly_cost_usd(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                            shares, prices=prices, haiku_model=haiku_model, sonnet_model=sonnet_model,
                            cache_hit_rate=cache_hit_rate, cache_write_share=cache_write_share,
                            batch_share=batch_share)
    return pd.DataFrame({"sonnet_share": shares, "monthly_cost_usd": np.broadcast_to(cost, shares.shape)})


def savings(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message, sonnet_share,
            *, prices, haiku_model: str | None = None, sonnet_model: str | None = None, cache_hit_rate=0.0,
            cache_write_share=0.0, batch_share=0.0) -> dict[str, np.ndarray]:
    """The routed bill against sending everything to one model (same caching and batching).

    Returns ``monthly_cost_usd``, ``all_sonnet_usd``, ``all_haiku_usd``, ``savings_vs_all_sonnet_usd``
    (all-Sonnet minus routed, >= 0), ``savings_vs_all_sonnet_pct`` (of the all-Sonnet bill, 0-100),
    ``extra_vs_all_haiku_usd`` (routed minus all-Haiku, >= 0) and ``extra_vs_all_haiku_pct`` (of the all-Haiku bill).
    """
    kw = dict(prices=prices, haiku_model=haiku_model, sonnet_model=sonnet_model, cache_hit_rate=cache_hit_rate,
              cache_write_share=cache_write_share, batch_share=batch_share)
    args = (users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message)
    cost = monthly_cost_usd(*args, sonnet_share, **kw)
    all_sonnet = monthly_cost_usd(*args, 1.0, **kw)
    all_haiku = monthly_cost_usd(*args, 0.0, **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "monthly_cost_usd": cost, "all_sonnet_usd": all_sonnet, "all_haiku_usd": all_haiku,
            "savings_vs_all_sonnet_usd": all_sonnet - cost,
            "savings_vs_all_sonnet_pct": 100 * (all_sonnet - cost) / all_sonnet,
            "extra_vs_all_haiku_usd": cost - all_haiku,
            "extra_vs_all_haiku_pct": 100 * (cost - all_haiku) / all_haiku,
        }


def max_sonnet_share_for_budget(budget_usd, users, messages_per_user_month, input_tokens_per_message,
                                output_tokens_per_message, *, prices, haiku_model: str | None = None,
                                sonnet_model: str | None = None, cache_hit_rate=0.0, cache_write_share=0.0,
                                batch_share=0.0) -> np.ndarray:
    """The largest share of requests that can go to Sonnet within a monthly budget (USD/month).

    The bill is linear in the share: ``C(s) = C0 + s (C1 - C0)`` with ``C0`` all-Haiku and ``C1``
    all-Sonnet, so ``s* = (budget - C0) / (C1 - C0)``, capped at 1 (the budget covers all-Sonnet). It is
    NaN where the budget is below ``C0`` (not even all-Haiku fits). Where ``C1 == C0`` (same prices) it is 1
    if the budget covers the bill, else NaN.
    """
    kw = dict(prices=prices, haiku_model=haiku_model, sonnet_model=sonnet_model, cache_hit_rate=cache_hit_rate,
              cache_write_share=cache_write_share, batch_share=batch_share)
    args = (users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message)
    budget = _count(budget_usd, "budget_usd")
    c0 = monthly_cost_usd(*args, 0.0, **kw)
    c1 = monthly_cost_usd(*args, 1.0, **kw)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(c1 > c0, (budget - c0) / (c1 - c0), np.inf)
    return np.where(budget < c0, np.nan, np.minimum(share, 1.0))


def phase_of(roadmap, users: float) -> str:
    """The roadmap phase whose user range holds ``users`` (the last one when above every range)."""
    phases = roadmap["phases"]
    for key, phase in phases.items():
        if phase["users"].low <= users < phase["users"].high:
            return key
    return list(phases)[-1]


def phase_table(roadmap, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                sonnet_share, *, prices, haiku_model: str | None = None, sonnet_model: str | None = None,
                cache_hit_rate=0.0, cache_write_share=0.0, batch_share=0.0):
    """The roadmap's Claude cost range of each phase against this model at the phase's user range.

    Per-user usage and the model mix are held at the given values. A phase that states its Claude cost at
    one user count (``cost_at_users``, the current stack's 'at 1K users') is priced at that count. Returns a
    DataFrame indexed by phase key: ``label``, ``users_low``, ``users_high``, ``roadmap_low``, ``roadmap_high``,
    ``model_low``, ``model_high`` (USD/month) and ``verdict`` (model below / inside / above / overlaps the
    roadmap's range).
    """
    import pandas as pd

    kw = dict(prices=prices, haiku_model=haiku_model, sonnet_model=sonnet_model, cache_hit_rate=cache_hit_rate,
              cache_write_share=cache_write_share, batch_share=batch_share)
    rows = []
    for key, phase in roadmap["phases"].items():
        users = phase.get("cost_at_users") or phase["users"]
        claude = phase["costs"].get("claude")
        if claude is None:
            continue
        lo, hi = monthly_cost_usd(np.array([users.low, users.high]), messages_per_user_month,
                                  input_tokens_per_message, output_tokens_per_message, sonnet_share, **kw)
        if hi < claude.low:
            verdict = "model below roadmap"
        elif lo > claude.high:
            verdict = "model above roadmap"
        elif lo >= claude.low and hi <= claude.high:
            verdict = "model inside roadmap range"
        else:
            verdict = "ranges overlap"
        rows.append({"phase": key, "label": phase.get("label", key), "users_low": users.low, "users_high": users.high,
                     "roadmap_low": claude.low, "roadmap_high": claude.high, "model_low": float(lo),
                     "model_high": float(hi), "verdict": verdict})
    return pd.DataFrame(rows).set_index("phase")


def price_rows(prices, haiku_model: str | None = None, sonnet_model: str | None = None):
    """The price-table rows used (DataFrame indexed by role) with their ``as_of`` and ``source``."""
    import pandas as pd

    rows = [model_price(prices, name, role) for role, name in (("haiku", haiku_model), ("sonnet", sonnet_model))]
    return pd.DataFrame([r.__dict__ for r in rows], index=pd.Index(["haiku", "sonnet"], name="role"))


def caching_batching_effects(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                             sonnet_share, *, prices, haiku_model: str | None = None,
                             sonnet_model: str | None = None, cache_hit_rate=0.0, cache_write_share=0.0,
                             batch_share=0.0):
    """The monthly bill without either, with caching only, with batching only, and with both (scalar inputs).

    DataFrame indexed by ``setting`` with ``cache_hit_rate``, ``batch_share``, ``monthly_cost_usd`` and
    ``saving_vs_none_usd`` / ``saving_vs_none_pct``.
    """
    import pandas as pd

    args = (users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message, sonnet_share)
    kw = dict(prices=prices, haiku_model=haiku_model, sonnet_model=sonnet_model)
    settings = {"neither": (0.0, 0.0, 0.0), "caching only": (cache_hit_rate, cache_write_share, 0.0),
                "batching only": (0.0, 0.0, batch_share), "both": (cache_hit_rate, cache_write_share, batch_share)}
    rows = []
    for label, (h, w, b) in settings.items():
        cost = float(monthly_cost_usd(*args, **kw, cache_hit_rate=h, cache_write_share=w, batch_share=b))
        rows.append({"setting": label, "cache_hit_rate": h, "batch_share": b, "monthly_cost_usd": cost})
    table = pd.DataFrame(rows).set_index("setting")
    none = table.loc["neither", "monthly_cost_usd"]
    table["saving_vs_none_usd"] = none - table["monthly_cost_usd"]
    table["saving_vs_none_pct"] = 100 * table["saving_vs_none_usd"] / none if none else np.nan
    return table


__all__ = ["ModelPrice", "model_price", "request_cost_usd", "monthly_cost_by_model", "monthly_cost_usd",
           "cost_table", "cost_curve", "savings", "max_sonnet_share_for_budget", "phase_of", "phase_table", "price_rows",
           "caching_batching_effects"]
