"""General statistics used by several models (no domain knowledge here).

* :mod:`voyager_analysis.stats.hac` — OLS with a Newey-West covariance and fixed-b critical values, for short
  autocorrelated monthly series (usage curves, scaling, trigger forecasts).
* :mod:`voyager_analysis.stats.bootstrap` — moving-block resampling and intervals of simulated draws.
"""
