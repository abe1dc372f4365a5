"""voyager-analysis measure: a scenario file whose inputs are measured from events (estimate and interval)."""

HELP = "measure the model's inputs from events and write them as a scenario (estimate, 95% interval, source)"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag
    from voyager_analysis.cli._events import add_event_arguments

    add_event_arguments(p, as_of=True)
    p.add_argument("--out", metavar="PATH", required=True, help="scenario YAML to write (atomically)")
    add_json_flag(p)


def run(args) -> int:
    import datetime as dt

    from voyager_analysis import measure
    from voyager_analysis.churn import churn_by_tier
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.cli._events import as_of_time, open_events
    from voyager_analysis.cohorts.views import view_decay
    from voyager_analysis.errors import ConvergenceError, InputError
    from voyager_analysis.sources import cohort_queries as q
    from voyager_analysis.sources.derive import derive_metrics

    with open_events(args) as eng:
        source = eng.description
        metrics = derive_metrics(eng)
        as_of = as_of_time(args, eng)
        durations = q.subscription_durations(eng, as_of)
        bins = q.view_bins(eng, as_of)
    estimates = measure.usage_estimates(metrics)
    estimates["monthly_churn"] = measure.churn_estimate(churn_by_tier(durations, as_of=as_of.isoformat(),
                                                                      tiers=("pro",)))
    latest = metrics.iloc[-2]  # the last complete month
    estimates.update(measure.paying_share_estimates(
        {t: float(latest[f"{t}_subscribers"]) for t in ("pro", "max")}, float(latest["users"]), latest["month"]))
    skipped = {}
    try:
        estimates.update(measure.view_estimates(view_decay(bins)))
    except (ConvergenceError, InputError) as exc:
        skipped["activity_half_life_months"] = str(exc)
    measured_on = dt.datetime.now(dt.timezone.utc).date().isoformat()
    scenario = measure.measured_scenario(estimates, events=source, measured_on=measured_on)
    scenario["source"]["events_as_of"] = as_of.isoformat()
    measure.write_scenario(args.out, scenario)
    if args.json:
        print_json({"out": args.out, **scenario, "not_measured": skipped})
        return 0
    import pandas as pd

    print(f"wrote {args.out}: {len(estimates)} inputs measured from {source} (events as of {as_of.isoformat()})")
    print_table(pd.DataFrame([{"input": m.name, "estimate": m.estimate, "low": m.low, "high": m.high,
                               "estimator": m.estimator[:70]} for m in estimates.values()]))
    for name, why in skipped.items():
        print(f"not measured: {name}: {why}")
    return 0
