"""Archive policy -> archived share, bytes moved, storage saved, request costs, net savings, payback.

The roadmap's rule (Phase 2 > Archival strategy): move a conversation to S3 when it has been inactive
for more than ``inactive_months_threshold`` months *and* has fewer than ``max_view_count`` views; keep its
metadata in Postgres; fetch it from S3 when someone opens it again.

Activity model (kept simple; every piece is a parameter)
--------------------------------------------------------
- A conversation is *visited* (opened; a visit may add messages) as a Poisson process whose rate decays
  exponentially with the conversation's age ``a`` (months since creation):
  ``r(a) = visits_per_month_new * 2 ** (-a / activity_half_life_months)``. The expected number of visits
  by age ``a`` is ``L(a) = visits_per_month_new * h / ln 2 * (1 - 2 ** (-a / h))``.
- Every visit both counts as a view (``viewCount``) and as activity (``updatedAt``). This is the
  conservative reading: a view that does not touch ``updatedAt`` would make more conversations eligible.
- A conversation is eligible at age ``a >= T`` when it had no visit in the last ``T`` months and fewer
  than ``V`` visits in all. For a Poisson process these are exactly
  ``P(a) = exp(-(L(a) - L(a - T))) * P[Poisson(L(a - T)) <= V - 1]``
  (no event in ``(a - T, a]`` leaves the total equal to the count up to ``a - T``). ``P`` falls as ``T``
  grows and rises with ``V``.
- The archive holds the conversations eligible now: a visit to an archived conversation is a *reopen*
  (one S3 GET) that restores it to Postgres; it is archived again (one more PUT) once eligible again.
  By default the reopen rate is the one the activity model implies, ``1 - exp(-(L(a + 1) - L(a)))`` per
  month for an archived conversation of age ``a``; ``reopen_share_per_month`` overrides it with a flat share.
- Conversation size does not depend on activity, so the archived share of bytes equals the archived share
  of conversations. Data is written in the month the conversation starts (created mid-month: age at the
  end of month ``t`` of data from month ``c`` is ``t - c + 0.5``).

Costs and savings (USD per month)
---------------------------------
- storage saved = archived GB x (hot price - archive price): the Postgres bill avoided minus the S3 bill;
- requests = PUTs (one per conversation archived, the JSON export) x PUT price / 1,000 + GETs (one per
  reopen) x GET price / 1,000; PUTs in a month = growth of the archive + conversations restored that month;
- net savings = storage saved - requests. When the policy starts, the whole eligible backlog is moved at
  once (a one-off PUT spike). Left out: Postgres space is assumed to be reclaimed (vacuumed) and billed off
  at once, S3 data transfer and the compute of the nightly job are not counted, metadata rows stay in Postgres.

An :class:`ArchivalPolicy` holds the rule, the activity model and the prices; its methods take the path of
monthly active users (numpy arrays broadcast over parameter sets). Nothing here reads a file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from voyager_analysis.errors import InputError

LN2 = np.log(2.0)


def _param(x, name: str, *, low: float = 0.0, high: float = np.inf, strict: bool = False) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    bad = np.isnan(a) | (a <= low if strict else a < low) | (a > high)
    if np.any(bad):
        rule = f"> {low:g}" if strict else f">= {low:g}"
        if np.isfinite(high):
            rule += f" and <= {high:g}"
        raise InputError(f"{name} must be {rule}, got {np.ravel(a[bad])[0]:g}")
    return a


def expected_visits(age_months, visits_per_month_new, activity_half_life_months) -> np.ndarray:
    """Expected visits of a conversation from creation to ``age_months``: ``r0 h / ln2 (1 - 2^(-a/h))``."""
    a = np.maximum(np.asarray(age_months, dtype=float), 0.0)
    r0 = _param(visits_per_month_new, "visits_per_month_new")
    h = _param(activity_half_life_months, "activity_half_life_months", strict=True)
    return r0 * h / LN2 * -np.expm1(-LN2 * a / h)


def eligible_share(age_months, inactive_months_threshold, max_view_count, visits_per_month_new,
                   activity_half_life_months) -> np.ndarray:
    """Share of conversations of a given age that the rule archives (see the module docstring).

    ``max_view_count`` V is the roadmap's strict bound ``viewCount < V`` (V = 0 archives nothing;
    ``np.inf`` drops the view criterion). Zero below age ``inactive_months_threshold``.
    """
    from scipy.special import gammaincc

    a = np.asarray(age_months, dtype=float)
    T = _param(inactive_months_threshold, "inactive_months_threshold")
    V = _param(max_view_count, "max_view_count")
    lam_a = expected_visits(a, visits_per_month_new, activity_half_life_months)
    lam_before = expected_visits(a - T, visits_per_month_new, activity_half_life_months)
    # P[Poisson(x) <= V - 1] = Q(V, x), the regularised upper incomplete gamma function (1 if V is inf).
    with np.errstate(invalid="ignore"):
        few_views = np.where(np.isinf(V), 1.0, gammaincc(np.where(V > 0, V, 1.0), lam_before))
    few_views = np.where(V > 0, few_views, 0.0)
    return np.where(a >= T, np.exp(-(lam_a - lam_before)) * few_views, 0.0)


@dataclass(frozen=True)
class ArchivalPolicy:
    """An archive rule with its activity model and prices (see the module docstring).

    Numeric fields are scalars or 1-D arrays of one length N (parameter sets, e.g. a Sobol' sample); the
    outputs then have shape (N, H), else (H,). ``reopen_share_per_month``: None = implied by the activity
    model; else the share of archived conversations reopened per month. Prices in USD per GB-month and USD
    per 1,000 requests.
    """

    inactive_months_threshold: Any
    max_view_count: Any
    visits_per_month_new: Any
    activity_half_life_months: Any
    conversations_per_user_month: Any
    new_gb_per_user_month: Any
    hot_storage_usd_per_gb_month: Any
    archive_storage_usd_per_gb_month: Any
    put_usd_per_1000: Any
    get_usd_per_1000: Any
    reopen_share_per_month: Any = None

    def replace(self, **changes) -> ArchivalPolicy:
        """A copy with some fields changed (arrays allowed)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def eligible_share(self, age_months) -> np.ndarray:
        """:func:`eligible_share` under this rule and activity model."""
        return eligible_share(age_months, self.inactive_months_threshold, self.max_view_count,
                              self.visits_per_month_new, self.activity_half_life_months)

    def expected_visits(self, age_months) -> np.ndarray:
        return expected_visits(age_months, self.visits_per_month_new, self.activity_half_life_months)

    def flows(self, users, policy_start_month: int = 0) -> dict[str, np.ndarray]:
        """Monthly stocks, flows and money of the policy over a path of monthly active users.

        ``users``: 1-D array, active users in months 0..H-1; each writes ``new_gb_per_user_month`` GB and starts
        ``conversations_per_user_month`` conversations a month (one S3 object each when archived).
        ``policy_start_month``: first month the nightly job runs (nothing is archived before). Returns arrays
        keyed ``total_gb``, ``archived_gb``, ``hot_gb``, ``archived_share``, ``archived_conversations``,
        ``puts``, ``gets``, ``gb_moved``, ``storage_saved_usd``, ``request_usd``, ``net_savings_usd`` (all per
        month; money in USD per month).
        """
        users = np.asarray(users, dtype=float)
        if users.ndim != 1 or users.size == 0 or np.any(~np.isfinite(users)) or np.any(users < 0):
            raise InputError("users must be a non-empty 1-D path of finite counts >= 0 (one per month)")
        H = users.size
        start = int(policy_start_month)
        if not 0 <= start < H:
            raise InputError(f"policy_start_month must lie in 0-{H - 1} (the months of the users path), got {start}")
        scalars = {
            "new_gb_per_user_month": _param(self.new_gb_per_user_month, "new_gb_per_user_month"),
            "conversations_per_user_month": _param(self.conversations_per_user_month, "conversations_per_user_month"),
            "hot": _param(self.hot_storage_usd_per_gb_month, "hot_storage_usd_per_gb_month"),
            "archive": _param(self.archive_storage_usd_per_gb_month, "archive_storage_usd_per_gb_month"),
            "put": _param(self.put_usd_per_1000, "put_usd_per_1000"),
            "get": _param(self.get_usd_per_1000, "get_usd_per_1000"),
        }
        activity = dict(inactive_months_threshold=self.inactive_months_threshold, max_view_count=self.max_view_count,
                        visits_per_month_new=self.visits_per_month_new,
                        activity_half_life_months=self.activity_half_life_months)
        shapes = [np.shape(v) for v in [*scalars.values(), *activity.values()]]
        if self.reopen_share_per_month is not None:
            rho = _param(self.reopen_share_per_month, "reopen_share_per_month", high=1.0)
            shapes.append(rho.shape)
        batch = np.broadcast_shapes(*shapes)
        if len(batch) > 1:
            raise InputError("policy parameters must be scalars or 1-D arrays of one length")
        col = (lambda v: np.asarray(v, dtype=float).reshape(-1, 1)) if batch else (lambda v: np.asarray(v, dtype=float))

        ages = np.arange(H) + 0.5  # age at the end of a month of data written mid-month, for lags 0..H-1
        act = {k: col(v) for k, v in activity.items()}
        P = eligible_share(ages, **act)  # (N, H) or (H,) over lags
        lam = expected_visits(ages, act["visits_per_month_new"], act["activity_half_life_months"])
        lam_next = expected_visits(ages + 1, act["visits_per_month_new"], act["activity_half_life_months"])
        visit_next = -np.expm1(-(lam_next - lam))  # chance of >= 1 visit in the next month

        # Toeplitz of cohort sizes: M[j, t] = users[t - j] for lag j <= t, so (x @ M)[t] = sum_j x[j] users[t - j].
        j, t = np.indices((H, H))
        M = np.where(j <= t, users[np.clip(t - j, 0, None)], 0.0)
        active = (np.arange(H) >= start).astype(float)
        user_months = np.cumsum(users)  # user-months of data written so far
        archived_um = (P @ M) * active  # user-months of data archived at month end
        g = col(scalars["new_gb_per_user_month"])
        k = col(scalars["conversations_per_user_month"])

        shift = lambda x: np.concatenate([np.zeros_like(x[..., :1]), x[..., :-1]], axis=-1)  # noqa: E731
        prev_um = shift(archived_um)
        if self.reopen_share_per_month is None:
            reopened_um = shift((P * visit_next) @ M) * active * shift(active)
        else:
            reopened_um = col(rho) * prev_um
        put_um = np.maximum(archived_um - prev_um + reopened_um, 0.0)

        total_gb = g * user_months
        archived_gb = g * archived_um
        puts = k * put_um
        gets = k * reopened_um
        storage_saved = archived_gb * (col(scalars["hot"]) - col(scalars["archive"]))
        request = puts * col(scalars["put"]) / 1000 + gets * col(scalars["get"]) / 1000
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(user_months > 0, archived_um / np.where(user_months > 0, user_months, 1.0), 0.0)
        out = {
            "total_gb": total_gb, "archived_gb": archived_gb, "hot_gb": total_gb - archived_gb,
            "archived_share": share, "archived_conversations": k * archived_um,
            "puts": puts, "gets": gets, "gb_moved": g * put_um,
            "storage_saved_usd": storage_saved, "request_usd": request, "net_savings_usd": storage_saved - request,
        }
        shape = (*batch, H)
        return {name: np.broadcast_to(v, shape).copy() for name, v in out.items()}

    def net_savings_at(self, users, month: int = -1, policy_start_month: int = 0) -> np.ndarray:
        """Net monthly saving (USD/month) in one month of the path (default the last), vectorised over
        parameter sets: the headline output of the sensitivity analysis."""
        return self.flows(users, policy_start_month)["net_savings_usd"][..., month]

    def simulate(self, users, *, months=None, engineering_cost_usd: float = 0.0, policy_start_month: int = 0):
        """:meth:`flows` for one parameter set as a DataFrame, one row per month.

        Adds ``month`` (labels from ``months``, else 0..H-1), ``users`` and ``cumulative_net_usd`` (net savings
        summed from the policy start minus ``engineering_cost_usd``, the one-off cost of building it; NaN before
        the start).
        """
        import pandas as pd

        flows = self.flows(users, policy_start_month)
        if any(np.ndim(v) != 1 for v in flows.values()):
            raise InputError("simulate takes one parameter set (scalars); use flows for arrays")
        users = np.asarray(users, dtype=float)
        table = pd.DataFrame({"month": list(months) if months is not None else np.arange(users.size), "users": users,
                              **flows})
        after = np.arange(users.size) >= int(policy_start_month)
        running = np.cumsum(np.where(after, table["net_savings_usd"].to_numpy(), 0.0))
        table["cumulative_net_usd"] = np.where(after, running - engineering_cost_usd, np.nan)
        return table


def payback_months(net_savings_usd, engineering_cost_usd, policy_start_month: int = 0) -> float:
    """Months after the policy start until cumulative net savings cover the engineering cost (USD).

    ``net_savings_usd``: the monthly net savings path; counting starts at ``policy_start_month`` and
    savings are taken to accrue evenly within a month, so 2.5 = covered halfway through the third month.
    NaN if the cost is never covered within the path; 0 if the cost is zero.
    """
    s = np.asarray(net_savings_usd, dtype=float)[int(policy_start_month):]
    cost = float(engineering_cost_usd)
    if cost < 0:
        raise InputError(f"engineering_cost_usd must be >= 0, got {cost:g}")
    if cost == 0:
        return 0.0
    cum = np.cumsum(s)
    hit = np.flatnonzero(cum >= cost)
    if not hit.size:
        return float("nan")
    i = int(hit[0])
    before = cum[i - 1] if i > 0 else 0.0
    return i + (cost - before) / s[i]


def price_comparison(roadmap, prices):
    """The roadmap's '6x cheaper' storage claim against current list prices (USD per GB-month).

    Rows ``roadmap`` (archival.hot_storage_price / archive_storage_price / claimed_price_ratio) and
    ``list price`` (data/prices neon_storage vs s3_standard_storage, with as_of); columns ``hot_usd_per_gb_month``,
    ``archive_usd_per_gb_month``, ``ratio``, ``saving_usd_per_gb_month``, ``claimed_ratio``, ``source``.
    """
    import pandas as pd

    hot_r = roadmap.get("archival.hot_storage_price")
    arc_r = roadmap.get("archival.archive_storage_price")
    claim = roadmap.get("archival.claimed_price_ratio")
    hot_l = prices.service("neon_storage")
    arc_l = prices.service("s3_standard_storage")
    rows = [
        {"basis": "roadmap", "hot_usd_per_gb_month": hot_r.mid, "archive_usd_per_gb_month": arc_r.mid,
         "source": f"roadmap.yaml archival ({hot_r.section})"},
        {"basis": "list price", "hot_usd_per_gb_month": hot_l.price_usd, "archive_usd_per_gb_month": arc_l.price_usd,
         "source": f"{hot_l.source} / {arc_l.source}, as_of {max(hot_l.as_of, arc_l.as_of)}"},
    ]
    table = pd.DataFrame(rows).set_index("basis")
    table["ratio"] = table["hot_usd_per_gb_month"] / table["archive_usd_per_gb_month"]
    table["saving_usd_per_gb_month"] = table["hot_usd_per_gb_month"] - table["archive_usd_per_gb_month"]
    table["claimed_ratio"] = claim.mid
    return table[["hot_usd_per_gb_month", "archive_usd_per_gb_month", "ratio", "saving_usd_per_gb_month",
                  "claimed_ratio", "source"]]


__all__ = ["expected_visits", "eligible_share", "ArchivalPolicy", "payback_months", "price_comparison"]
