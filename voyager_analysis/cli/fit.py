"""voyager-analysis fit growth: which growth curve, with what parameters, reaching which milestones when?"""

HELP = "fit models to observed metrics (fit growth: growth curves, selection, milestone months)"

GROWTH_MODELS = ("auto", "exponential", "logistic", "gompertz", "richards", "bass")


def add_arguments(p):
    from voyager_analysis.cli import _Parser, add_json_flag

    sub = p.add_subparsers(dest="what", metavar="WHAT", parser_class=_Parser)
    g = sub.add_parser("growth", help="fit growth curves to users; compare by AICc; milestone months vs the roadmap",
                       description="Fit exponential, logistic, Gompertz, Richards and Bass curves to monthly "
                                   "active users (least squares on log users), pick one by AICc, check it "
                                   "out of sample, and say when each roadmap milestone is reached.")
    g.add_argument("--metrics", metavar="PATH", help="monthly metrics CSV (default: data/metrics/example_monthly.csv)")
    g.add_argument("--model", default="auto", metavar="NAME",
                   help=f"one of {', '.join(GROWTH_MODELS)} (default: auto = all, selected by AICc)")
    g.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    add_json_flag(g)
    g.set_defaults(run=run_growth)
    p.set_defaults(run=lambda args: _no_target(p))


def _no_target(p) -> int:
    import sys

    p.print_help(sys.stderr)
    return 2


def run(args) -> int:  # the frame calls the inner parser's run; this is only reached without WHAT
    return 2


def run_growth(args) -> int:
    from voyager_analysis import assumptions, growth, metrics
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.errors import InputError, unknown_name

    if args.model not in GROWTH_MODELS:
        raise InputError(unknown_name("growth model", args.model, GROWTH_MODELS))
    if not 0 < args.level < 1:
        raise InputError(f"--level must lie between 0 and 1, got {args.level}")
    df = metrics.load_metrics(args.metrics)
    comp = growth.fit_growth(df, args.model, level=args.level, roadmap=assumptions.load_roadmap())
    if args.json:
        print_json(comp.to_dict())
        return 0
    print(f"{df.attrs['source']}: {len(df)} months {df.month.iat[0]}..{df.month.iat[-1]}; least squares on log users")
    cols = ["model", "aicc", "delta_aicc", "weight", "rmse_log", "holdout_mape_log", "converged"]
    print_table(comp.table[cols])
    if comp.selected is None:
        print("no model converged")
        return 0
    print(f"\nselected: {comp.selected}")
    print_table(comp.best.summary().reset_index())
    print(f"\nmilestones (months from {df.month.iat[0]}; {args.level:.0%} intervals; roadmap month on the same scale):")
    ms = comp.milestones(level=args.level)
    ms["users"] = ms["users"].map("{:,.0f}".format)
    print_table(ms[["users", "month", "low", "high", "calendar_month", "roadmap_month", "difference_months"]])
    return 0
