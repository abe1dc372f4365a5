"""Growth paths: the first month in which users reach a level, for the selected curve and for seeded draws of it.

Used to turn "the threshold is reached at N users" into "in month M" (triggers, build vs buy).
"""

from __future__ import annotations

import numpy as np

from voyager_analysis import config

#: How far past the last observed month a month is searched for.
HORIZON_MONTHS = 120
#: How far before the last observed month the search starts (long histories need no earlier months).
PAST_MONTHS = 240


class MonthMapper:
    """First month (index from the data's first month) in which users reach a level, for the selected
    growth curve (point) and for ``n_sim`` seeded draws of the model-averaged mixture of every converged curve
    and error model (:mod:`voyager_analysis.growth.averaging`; parameters and residual level).

    A month ``m`` counts as reached when the curve at ``m + 0.5`` is at or above the level (a crossing
    at ``t`` falls in month ``floor(t + 0.5)``). Months are searched up to ``horizon_months`` after the
    last observed one (and from at most :data:`PAST_MONTHS` before it); beyond that the answer is ``inf``.
    """

    def __init__(self, growth, *, horizon_months: int = HORIZON_MONTHS, n_sim: int = 4000,
                 seed: int = config.DEFAULT_SEED):
        model = growth.best
        self.growth = growth
        self.model_name = growth.selected
        self.t_last = int(round(float(np.max(growth.t))))
        self.months = np.arange(max(0, self.t_last - PAST_MONTHS), self.t_last + horizon_months + 1)
        n = self.months.size
        grid = np.concatenate([self.months + 0.5, self.months.astype(float)])  # month ends, then month points
        with np.errstate(all="ignore"):
            point = np.log(model.predict(grid))
            # the growth module's own simulation: parameter draws + a t-distributed residual level per path,
            # from the Akaike-weighted mixture of the candidates (the selected curve alone if there are none)
            weights = getattr(growth, "weights", None)
            if weights:
                from voyager_analysis.growth.averaging import inflate, mixture_log_draws

                draws = inflate(mixture_log_draws(growth.candidates, weights, grid, n_sim, seed), growth.inflation,
                                grid, float(np.max(growth.t)))
            else:
                draws = model.simulate_log_users(grid, n_sim, seed)  # (n_sim, 2 n)
        self.point_log, self.int_log = point[:n], point[n:]  # log users at m + 0.5 and at m
        self.draw_log, self.int_draw_log = draws[:, :n], draws[:, n:]
        self.n_sim = n_sim
        self.first_month = growth.months[0] if growth.months else None

    def _first(self, paths: np.ndarray, log_level: np.ndarray) -> np.ndarray:
        """First month each path rises to the level (an upward crossing); the first month searched when it is
        above the level throughout; inf otherwise (never there, or above only before a decline)."""
        above = paths >= log_level[..., None]
        up = above[..., 1:] & ~above[..., :-1]
        hit = up.any(axis=-1)
        first = np.where(hit, self.months[1:][np.argmax(up, axis=-1)].astype(float), np.inf)
        return np.where(~hit & above[..., 0] & above[..., -1], float(self.months[0]), first)

    def point(self, users) -> np.ndarray:
        """Month the fitted curve reaches ``users`` (array-like); inf if not within the horizon."""
        u = np.asarray(users, dtype=float)
        with np.errstate(divide="ignore"):
            return self._first(np.broadcast_to(self.point_log, u.shape + self.point_log.shape), np.log(u))

    def draws(self, users) -> np.ndarray:
        """Month each growth draw reaches ``users`` (a scalar or ``n_sim`` values, paired with the draws)."""
        u = np.broadcast_to(np.asarray(users, dtype=float), (self.n_sim,))
        with np.errstate(divide="ignore"):
            return self._first(self.draw_log, np.log(u))

    def calendar(self, m) -> str | None:
        """YYYY-MM of month index ``m`` (None for inf/NaN or without calendar months)."""
        from voyager_analysis.months import month_number, month_str

        if m is None or not np.isfinite(m) or self.first_month is None:
            return None
        return month_str(int(month_number([self.first_month])[0] + int(m)))


__all__ = ["HORIZON_MONTHS", "PAST_MONTHS", "MonthMapper"]
