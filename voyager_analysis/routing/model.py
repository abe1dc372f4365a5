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
bill is linear in ``sonnet_share``; hence the closed form of :meth:`RoutingModel.max_sonnet_share_for_budget`.

A :class:`RoutingModel` holds the two price rows and the caching/batching settings (build it with
:meth:`RoutingModel.from_prices`); its methods take the workload (users, messages per user, tokens per
message, Sonnet share). Every method is pure and vectorised: numeric arguments may be numpy arrays and
broadcast together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import InputError, suggest

TOKENS_PER_MTOK = 1e6
ROLES = ("haiku", "sonnet")


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
    """The price row of Claude model ``name`` (None or "": the current default model of ``role``).

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


def phase_of(roadmap, users: float) -> str:
    """The roadmap phase whose user range holds ``users`` (the last one when above every range)."""
    phases = roadmap["phases"]
    for key, phase in phases.items():
        if phase["users"].low <= users < phase["users"].high:
            return key
    return list(phases)[-1]


@dataclass(frozen=True)
class RoutingModel:
    """The Claude bill of a Haiku/Sonnet mix at fixed prices, caching and batching (see the module docstring).

    ``cache_hit_rate``, ``cache_write_share`` and ``batch_share`` are shares (0-1; numpy arrays broadcast).
    Every cost method takes the workload ``users, messages_per_user_month, input_tokens_per_message,
    output_tokens_per_message`` (and ``sonnet_share`` where it matters) and returns USD per month.
    """

    haiku: ModelPrice
    sonnet: ModelPrice
    cache_hit_rate: float = 0.0
    cache_write_share: float = 0.0
    batch_share: float = 0.0

    @classmethod
    def from_prices(cls, prices, haiku_model: str | None = None, sonnet_model: str | None = None, *,
                    cache_hit_rate=0.0, cache_write_share=0.0, batch_share=0.0) -> RoutingModel:
        """The model priced from a :class:`~voyager_analysis.assumptions.PriceBook` (rows by name; None or ""
        = the current Haiku / Sonnet)."""
        return cls(model_price(prices, haiku_model, "haiku"), model_price(prices, sonnet_model, "sonnet"),
                   cache_hit_rate, cache_write_share, batch_share)

    def replace(self, **changes) -> RoutingModel:
        """A copy with some settings changed (``cache_hit_rate=0.5`` ...)."""
        return dataclasses.replace(self, **changes)

    @property
    def as_of(self) -> str:
        """The price date(s) of the two rows used."""
        return ", ".join(sorted({self.haiku.as_of, self.sonnet.as_of}))

    def price_rows(self):
        """The two price-table rows used (DataFrame indexed by role) with their ``as_of`` and ``source``."""
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(self.haiku), dataclasses.asdict(self.sonnet)],
                            index=pd.Index(list(ROLES), name="role"))

    def request_cost_usd(self, role: str, input_tokens_per_message, output_tokens_per_message) -> np.ndarray:
        """Cost of one request (USD) to the ``"haiku"`` or ``"sonnet"`` model."""
        return request_cost_usd(getattr(self, role), input_tokens_per_message, output_tokens_per_message,
                                self.cache_hit_rate, self.cache_write_share, self.batch_share)

    def monthly_cost_by_model(self, users, messages_per_user_month, input_tokens_per_message,
                              output_tokens_per_message, sonnet_share) -> dict[str, np.ndarray]:
        """Monthly Claude bill (USD/month) of each model: ``{"haiku": ..., "sonnet": ...}``."""
        requests = _count(users, "users") * _count(messages_per_user_month, "messages_per_user_month")
        s = _share(sonnet_share, "sonnet_share")
        share = {"haiku": 1 - s, "sonnet": s}
        return {role: requests * share[role]
                * self.request_cost_usd(role, input_tokens_per_message, output_tokens_per_message) for role in ROLES}

    def monthly_cost_usd(self, users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                         sonnet_share) -> np.ndarray:
        """Total monthly Claude bill (USD/month): Haiku part + Sonnet part."""
        parts = self.monthly_cost_by_model(users, messages_per_user_month, input_tokens_per_message,
                                           output_tokens_per_message, sonnet_share)
        return parts["haiku"] + parts["sonnet"]

    def cost_table(self, users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                   sonnet_share):
        """Scalar inputs -> a DataFrame, one row per model: requests, tokens, monthly cost, share of bill, price date."""
        import pandas as pd

        parts = self.monthly_cost_by_model(users, messages_per_user_month, input_tokens_per_message,
                                           output_tokens_per_message, sonnet_share)
        requests = float(users) * float(messages_per_user_month)
        total = sum(float(v) for v in parts.values())
        rows = []
        for role, share in zip(ROLES, (1 - float(sonnet_share), float(sonnet_share))):
            req = requests * share
            rows.append({"role": role, "model": getattr(self, role).model, "requests": req,
                         "input_mtok": req * float(input_tokens_per_message) / TOKENS_PER_MTOK,
                         "output_mtok": req * float(output_tokens_per_message) / TOKENS_PER_MTOK,
                         "monthly_cost_usd": float(parts[role]),
                         "share_of_bill": float(parts[role]) / total if total else np.nan,
                         "as_of": getattr(self, role).as_of})
        return pd.DataFrame(rows).set_index("role")

    def cost_curve(self, users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                   shares=None):
        """Monthly bill vs ``sonnet_share`` (default 0, 0.01, ..., 1): DataFrame ``sonnet_share, monthly_cost_usd``."""
        import pandas as pd

        shares = np.linspace(0.0, 1.0, 101) if shares is None else np.asarray(shares, dtype=float)
        cost = self.monthly_cost_usd(users, messages_per_user_month, input_tokens_per_message,
                                     output_tokens_per_message, shares)
        return pd.DataFrame({"sonnet_share": shares, "monthly_cost_usd": np.broadcast_to(cost, shares.shape)})

    def savings(self, users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                sonnet_share) -> dict[str, np.ndarray]:
        """The routed bill against sending everything to one model (same caching and batching).

        Returns ``monthly_cost_usd``, ``all_sonnet_usd``, ``all_haiku_usd``, ``savings_vs_all_sonnet_usd``
        (all-Sonnet minus routed, >= 0), ``savings_vs_all_sonnet_pct`` (of the all-Sonnet bill, 0-100),
        ``extra_vs_all_haiku_usd`` (routed minus all-Haiku, >= 0) and ``extra_vs_all_haiku_pct`` (of the
        all-Haiku bill).
        """
        args = (users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message)
        cost = self.monthly_cost_usd(*args, sonnet_share)
        all_sonnet, all_haiku = self.monthly_cost_usd(*args, 1.0), self.monthly_cost_usd(*args, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "monthly_cost_usd": cost, "all_sonnet_usd": all_sonnet, "all_haiku_usd": all_haiku,
                "savings_vs_all_sonnet_usd": all_sonnet - cost,
                "savings_vs_all_sonnet_pct": 100 * (all_sonnet - cost) / all_sonnet,
                "extra_vs_all_haiku_usd": cost - all_haiku,
                "extra_vs_all_haiku_pct": 100 * (cost - all_haiku) / all_haiku,
            }

    def max_sonnet_share_for_budget(self, budget_usd, users, messages_per_user_month, input_tokens_per_message,
                                    output_tokens_per_message) -> np.ndarray:
        """The largest share of requests that can go to Sonnet within a monthly budget (USD/month).

        The bill is linear in the share: ``C(s) = C0 + s (C1 - C0)`` with ``C0`` all-Haiku and ``C1``
        all-Sonnet, so ``s* = (budget - C0) / (C1 - C0)``, capped at 1 (the budget covers all-Sonnet). It is
        NaN where the budget is below ``C0`` (not even all-Haiku fits). Where ``C1 == C0`` (same prices) it is 1
        if the budget covers the bill, else NaN.
        """
        args = (users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message)
        budget = _count(budget_usd, "budget_usd")
        c0, c1 = self.monthly_cost_usd(*args, 0.0), self.monthly_cost_usd(*args, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(c1 > c0, (budget - c0) / (c1 - c0), np.inf)
        return np.where(budget < c0, np.nan, np.minimum(share, 1.0))

    def phase_table(self, roadmap, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                    sonnet_share):
        """The roadmap's Claude cost range of each phase against this model at the phase's user range.

        Per-user usage and the model mix are held at the given values. A phase that states its Claude cost at
        one user count (``cost_at_users``, the current stack's 'at 1K users') is priced at that count. Returns a
        DataFrame indexed by phase key: ``label``, ``users_low``, ``users_high``, ``roadmap_low``,
        ``roadmap_high``, ``model_low``, ``model_high`` (USD/month) and ``verdict`` (model below / inside /
        above / overlaps the roadmap's range).
        """
        import pandas as pd

        rows = []
        for key, phase in roadmap["phases"].items():
            users = phase.get("cost_at_users") or phase["users"]
            claude = phase["costs"].get("claude")
            if claude is None:
                continue
            lo, hi = self.monthly_cost_usd(np.array([users.low, users.high]), messages_per_user_month,
                                           input_tokens_per_message, output_tokens_per_message, sonnet_share)
            if hi < claude.low:
                verdict = "model below roadmap"
            elif lo > claude.high:
                verdict = "model above roadmap"
            elif lo >= claude.low and hi <= claude.high:
                verdict = "model inside roadmap range"
            else:
                verdict = "ranges overlap"
            rows.append({"phase": key, "label": phase.get("label", key), "users_low": users.low,
                         "users_high": users.high, "roadmap_low": claude.low, "roadmap_high": claude.high,
                         "model_low": float(lo), "model_high": float(hi), "verdict": verdict})
        return pd.DataFrame(rows).set_index("phase")

    def caching_batching_effects(self, users, messages_per_user_month, input_tokens_per_message,
                                 output_tokens_per_message, sonnet_share):
        """The monthly bill without either, with caching only, with batching only, and with both (scalar inputs).

        DataFrame indexed by ``setting`` with ``cache_hit_rate``, ``batch_share``, ``monthly_cost_usd`` and
        ``saving_vs_none_usd`` / ``saving_vs_none_pct``.
        """
        import pandas as pd

        args = (users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message, sonnet_share)
        h, w, b = self.cache_hit_rate, self.cache_write_share, self.batch_share
        settings = {"neither": (0.0, 0.0, 0.0), "caching only": (h, w, 0.0), "batching only": (0.0, 0.0, b),
                    "both": (h, w, b)}
        rows = [{"setting": label, "cache_hit_rate": hs, "batch_share": bs,
                 "monthly_cost_usd": float(self.replace(cache_hit_rate=hs, cache_write_share=ws,
                                                        batch_share=bs).monthly_cost_usd(*args))}
                for label, (hs, ws, bs) in settings.items()]
        table = pd.DataFrame(rows).set_index("setting")
        none = table.loc["neither", "monthly_cost_usd"]
        table["saving_vs_none_usd"] = none - table["monthly_cost_usd"]
        table["saving_vs_none_pct"] = 100 * table["saving_vs_none_usd"] / none if none else np.nan
        return table


__all__ = ["TOKENS_PER_MTOK", "ModelPrice", "model_price", "request_cost_usd", "phase_of", "RoutingModel"]
