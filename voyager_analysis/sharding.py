"""Sharding: how evenly shard-by-community and shard-by-user-hash spread the users.

Shard-by-community packs whole communities, largest first, each onto the least loaded shard; shard-by-user-hash
places each user independently and uniformly (a seeded multinomial simulation). Both are compared on
max-shard load / mean load (1 = perfectly even).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError
from voyager_analysis.results import Results
from voyager_analysis.stats.bootstrap import draw_interval


def roadmap_communities(roadmap) -> list[float]:
    """The roadmap's sharding example as community sizes: A, B, then C-J's total split evenly over its count
    (50K, 30K and 8 x 2.5K in the shipped roadmap.yaml)."""
    s = roadmap.get("sharding")
    n = int(s["communities_c_to_j_count"].value)
    return [s["community_a_users"].value, s["community_b_users"].value] + [s["communities_c_to_j_users"].value / n] * n


def _check_sizes(sizes, n_shards: int) -> np.ndarray:
    x = np.asarray(sizes, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x < 0) or x.sum() <= 0:
        raise InputError("community sizes must be a non-empty list of user counts >= 0 with a positive total")
    if not (isinstance(n_shards, (int, np.integer)) and n_shards >= 1):
        raise InputError(f"n_shards must be a whole number >= 1, got {n_shards!r}")
    return x


def community_shard_loads(sizes, n_shards: int) -> np.ndarray:
    """Users per shard when whole communities go to shards: largest community first, each to the least
    loaded shard (greedy LPT packing; a community larger than a fair share sits alone). Sorted, largest first."""
    x = _check_sizes(sizes, n_shards)
    loads = np.zeros(n_shards)
    for s in np.sort(x)[::-1]:
        loads[np.argmin(loads)] += s
    return np.sort(loads)[::-1]


def hash_shard_loads(total_users: float, n_shards: int, n_sim: int = 2000, seed: int = config.DEFAULT_SEED) -> np.ndarray:
    """(n_sim, n_shards) users per shard when each user is hashed to a shard (uniform, independent)."""
    _check_sizes([total_users], n_shards)
    rng = np.random.default_rng(seed)
    return rng.multinomial(int(round(total_users)), np.full(n_shards, 1.0 / n_shards), size=n_sim).astype(float)


def cross_shard_share(group_size, n_shards: int):
    """Share of Collab Spaces whose ``group_size`` members are not all on one shard under user-hash sharding:
    ``1 - (1/n)^(g-1)`` (0 under community sharding, where a space stays inside its community)."""
    g = np.asarray(group_size, dtype=float)
    return 1.0 - (1.0 / n_shards) ** (g - 1.0)


@dataclass(repr=False)
class ShardingBalance(Results):
    """Shard-by-community vs shard-by-user-hash on max-shard load / mean load (see :func:`sharding_balance`).

    ``table`` columns: strategy, max_shard_users, mean_shard_users, max_over_mean (hash: mean over ``n_sim``
    seeded draws), max_over_mean_low/high (hash: ``level`` interval), lower_bound (max(largest community,
    total/n) / mean for community sharding: no packing can do better), loads (users per shard).
    """

    table: Any
    sizes: list[float]
    n_shards: int
    n_sim: int
    seed: int
    level: float

    title = "Sharding: load balance of the two schemes"

    def summary(self):
        """One row per scheme (without the per-shard loads)."""
        return self.table.drop(columns="loads")

    def _payload(self) -> dict[str, Any]:
        b = self.table.set_index("strategy")
        return {"n_shards": self.n_shards, "communities": [float(s) for s in self.sizes],
                "community_max_over_mean": b.loc["community", "max_over_mean"],
                "hash_max_over_mean": b.loc["user_hash", "max_over_mean"],
                "hash_max_over_mean_low": b.loc["user_hash", "max_over_mean_low"],
                "hash_max_over_mean_high": b.loc["user_hash", "max_over_mean_high"]}

    def plot(self, *, note: str = ""):
        """Users per shard under each scheme."""
        from voyager_analysis.plots.decisions import sharding_chart

        return sharding_chart(self.table, note=note)

    def findings(self, group_size) -> str:
        """Markdown: both schemes' imbalance and the price of hashing for Collab Spaces of ``group_size`` members
        (a figure with ``low``/``high``, e.g. the roadmap's ``options.polling_group_size``)."""
        b = self.table.set_index("strategy")
        cross = cross_shard_share(np.array([group_size.low, group_size.high]), self.n_shards)
        return (
            f"With {self.n_shards} shards, sharding by community puts **{b.loc['community', 'max_over_mean']:.2f}x** "
            f"the mean load on the busiest shard (it holds {b.loc['community', 'max_shard_users']:,.0f} users; no "
            f"packing of these communities can do better than {b.loc['community', 'lower_bound']:.2f}x, because the "
            f"largest community cannot be split). Hashing user ids gives {b.loc['user_hash', 'max_over_mean']:.3f}x. "
            f"The price of hashing: a Collab Space of {group_size.low:g}-{group_size.high:g} members (the roadmap's "
            f"group size) spans more than one shard with probability {cross[0]:.0%}-{cross[1]:.0%}, against 0% when "
            "whole communities share a shard. Community sharding's imbalance is the largest community's share of all "
            "users: it buys no headroom for that community, which is where load concentrates.")


def sharding_balance(sizes, n_shards: int, *, n_sim: int = 2000, seed: int = config.DEFAULT_SEED,
                     level: float = 0.95) -> ShardingBalance:
    """Max-shard load / mean load of shard-by-community vs shard-by-user-hash (1 = perfectly even); see
    :class:`ShardingBalance` for the table's columns."""
    import pandas as pd
    x = _check_sizes(sizes, n_shards)
    total, mean = x.sum(), x.sum() / n_shards
    comm = community_shard_loads(x, n_shards)
    hashed = hash_shard_loads(total, n_shards, n_sim, seed).max(axis=1) / mean
    lo, hi = draw_interval(hashed, level)
    rows = [
        {"strategy": "community", "max_shard_users": comm[0], "mean_shard_users": mean, "max_over_mean": comm[0] / mean,
         "max_over_mean_low": comm[0] / mean, "max_over_mean_high": comm[0] / mean,
         "lower_bound": max(x.max(), mean) / mean, "loads": comm.tolist()},
        {"strategy": "user_hash", "max_shard_users": float(hashed.mean() * mean), "mean_shard_users": mean,
         "max_over_mean": float(hashed.mean()), "max_over_mean_low": lo, "max_over_mean_high": hi,
         "lower_bound": 1.0, "loads": [mean] * n_shards},
    ]
    out = pd.DataFrame(rows)
    out.attrs.update({"n_shards": n_shards, "communities": len(x), "total_users": total, "n_sim": n_sim, "seed": seed})
    return ShardingBalance(table=out, sizes=[float(v) for v in x], n_shards=n_shards, n_sim=n_sim, seed=seed,
                           level=level)
