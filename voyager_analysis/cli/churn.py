"""voyager-analysis churn: how long paid subscriptions last per tier (Kaplan-Meier, shifted-beta-geometric)."""

HELP = "churn by tier from events: Kaplan-Meier survival, shifted-beta-geometric fit, the monthly churn to model"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag
    from voyager_analysis.cli._events import add_event_arguments

    add_event_arguments(p, as_of=True)
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis.churn import churn_by_tier
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.cli._events import as_of_time, open_events
    from voyager_analysis.sources import cohort_queries as q

    with open_events(args) as eng:
        source = eng.description
        as_of = as_of_time(args, eng)
        durations = q.subscription_durations(eng, as_of)
    res = churn_by_tier(durations, as_of=as_of.isoformat())
    if args.json:
        print_json({"source": source, **res.to_dict()})
        return 0
    print(f"{source}: paid subscriptions as of {res.as_of}; still active ones censored there")
    print_table(res.summary().reset_index())
    print(f"\nmonthly_churn: the constant churn giving the sBG's subscriber stock after {res.horizon_months} months "
          f"of constant inflow. Method: {res.method}")
    return 0
