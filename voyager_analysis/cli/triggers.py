"""voyager-analysis triggers: which alert/migration thresholds fire, and when?"""

HELP = "which roadmap alert/migration thresholds have fired, and the month each is forecast to fire"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag

    p.add_argument("--metrics", metavar="PATH", help="monthly metrics CSV (default: data/metrics/example_monthly.csv)")
    p.add_argument("--assumptions", metavar="PATH", help="roadmap YAML (default: data/assumptions/roadmap.yaml)")
    p.add_argument("--level", type=float, default=0.95, metavar="L", help="interval level (default 0.95)")
    p.add_argument("--seed", type=int, default=None, metavar="N", help="random seed of the simulation")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis import assumptions, config, metrics, triggers
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.errors import InputError

    if not 0 < args.level < 1:
        raise InputError(f"--level must lie in (0, 1), got {args.level}")
    roadmap = assumptions.load_roadmap(args.assumptions)
    df = metrics.load_metrics(args.metrics)
    seed = config.DEFAULT_SEED if args.seed is None else args.seed
    report = triggers.trigger_report(df, roadmap, level=args.level, seed=seed)
    if args.json:
        print_json(report.to_dict())
        return 0
    t = report.table
    view = t[["name", "threshold", "current", "status", "forecast_month", "low", "high"]].copy()
    later = f">{report.horizon_end}"  # searched up to the horizon and not reached
    for col, idx in (("forecast_month", "forecast_month_index"), ("low", "low_index"), ("high", "high_index")):
        view.loc[t[idx] == float("inf"), col] = later
    view["relation"] = t["relation"]  # the metric's relation chosen out of sample (users, log users, time)
    view["roadmap"] = [_roadmap_text(r) for r in t.to_dict("records")]
    view = view.astype(object).where(view.notna(), "-")
    print(f"{df.attrs['source']}: data to {report.last_month}; growth model {report.growth_model}; "
          f"{report.level:.0%} intervals; forecast = first month over the threshold, "
          f"'>{report.horizon_end}' = not reached by then")
    print_table(view, floatfmt="{:,.6g}")
    notes = [(r["name"], r["note"]) for r in t.to_dict("records") if isinstance(r["note"], str)]
    if notes:
        print("\nnotes:")
        for name, note in notes:
            print(f"  {name}: {note}")
    return 0


def _roadmap_text(r) -> str:
    parts = []
    if r["roadmap_users_low"] == r["roadmap_users_low"]:  # not NaN
        parts.append(f"{r['roadmap_users_low']:,.0f}-{r['roadmap_users_high']:,.0f} users: {r['users_vs_roadmap']}")
    if isinstance(r["roadmap_month_low"], str):
        parts.append(f"{r['roadmap_month_low']}..{r['roadmap_month_high']}: {r['months_vs_roadmap']}")
    return "; ".join(parts) or "-"
