"""Physical and modelling constants, each defined once (import them; never retype them)."""

from __future__ import annotations

#: Average hours in a month (365 * 24 / 12), used to price hourly compute.
HOURS_PER_MONTH = 730.0
#: Seconds in that month.
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0
#: Half-width of the band around an elasticity of 1 inside which cost is called "linear" in users.
LINEAR_BAND = 0.1
#: The sentinel a notebook parameter or CLI option takes to mean "use the default" (a roadmap value, a list
#: price or a fitted value); it is the only negative number a non-negative parameter accepts.
DEFAULT_SENTINEL = -1

__all__ = ["HOURS_PER_MONTH", "SECONDS_PER_MONTH", "LINEAR_BAND", "DEFAULT_SENTINEL"]
