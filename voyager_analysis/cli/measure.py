"""voyager-analysis measure: a scenario file whose inputs are measured from events (estimate and interval)."""

HELP = "measure the model's inputs from events and write them as a scenario (estimate, 95%% interval, source)"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag
    from voyager_analysis.cli._events import add_event_arguments

    add_event_arguments(p, as_of=True)
    p.add_argument("--out", metavar="PATH", required=True, help="scenario YAML to write (atomically)")
    add_json_flag(p)


def run(args) -> int:
    import datetime as dt

    from voyager_analysis import measure
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.cohorts.analysis import analyse_events

    res = analyse_events(args.events, as_of=args.as_of, engine=args.engine, schema=args.schema,
                         memory_limit=args.memory_limit, churn_tiers=("pro",), label=measure.events_label(args.events))
    measured_on = dt.datetime.now(dt.timezone.utc).date().isoformat()
    scenario = measure.measured_scenario(res.measured, events=res.events, measured_on=measured_on)
    scenario["source"]["events_as_of"] = res.as_of.isoformat()
    measure.write_scenario(args.out, scenario)
    if args.json:
        print_json({"out": args.out, **scenario, "not_measured": res.not_measured})
        return 0
    print(f"wrote {args.out}: {len(res.measured)} inputs measured from {res.events} (events as of "
          f"{res.as_of.isoformat()})")
    table = res.measured_table()
    table["estimator"] = table["estimator"].str.slice(0, 70)
    print_table(table)
    return 0
