"""Cohorts from events, as models over plain frames: retention by signup cohort, usage by tenure and the
tenure-mix decomposition, time to the first paid subscription, and how views of a conversation decay with age.

* :mod:`~voyager_analysis.cohorts.retention` — the retention triangle and a decay-to-plateau curve;
* :mod:`~voyager_analysis.cohorts.tenure` — messages, tokens, storage per active user by months since signup;
* :mod:`~voyager_analysis.cohorts.conversion` — time from signup to the first Pro / Max subscription;
* :mod:`~voyager_analysis.cohorts.views` — the visit rate of a conversation by age (the archival half-life).

Churn of paid subscriptions lives in :mod:`voyager_analysis.churn`.
"""
