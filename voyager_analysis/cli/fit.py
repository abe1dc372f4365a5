"""voyager-analysis fit growth: which growth curve, with what parameters, reaching which milestones when?"""

HELP = "fit models to observed metrics (fit growth: growth curves, selection, milestone months)"

GROWTH_MODELS = ("auto", "exponential", "logistic", "gompertz", "richards", "bass")


def add_arguments(p):
    from voyager_analysis.cli import _Parser, add_json_flag

    sub = p.add_subparsers(dest="what", metavar="WHAT", parser_class=_Parser)
    g = sub.add_parser("growth", help="fit growth curves to users; compare by AICc; milestone months vs the roadmap",
                       description="Fit exponential, logistic, Gompertz, Richards and Bass curves to monthly "
                                   "active users with additive and multiplicative errors, pick one by "
                                   "AICc on the original scale, average them by Akaike weight, check the averaged "
                                   "intervals out of sample (rolling origin), and say when each roadmap "
                                   "milestone is reached.")
    g.add_argument("--metrics", metavar="PATH", help="monthly metrics CSV (default: data/metrics/example_monthly.csv)")
    g.add_argument("--model", default="auto", metavar="NAME",
                   help=f"one of {', '.join(GROWTH_MODELS)} (default: auto = all, selected by AICc)")
    g.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    g.add_argument("--horizon", type=int, default=12, metavar="N",
                   help="months to forecast after the data (default 12), model-averaged")
    g.add_argument("--error-model", default="auto", metavar="NAME",
                   help="auto (both, chosen by AICc on the original scale; default), additive or multiplicative")
    g.add_argument("--ceiling", type=float, default=None, metavar="USERS",
                   help="a physical bound on users (e.g. the addressable market): curves whose ceiling exceeds it "
                        "are flagged and left out of the average")
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
    if not 1 <= args.horizon <= 240:
        raise InputError(f"--horizon must be a whole number of months in 1..240, got {args.horizon}")
    if args.ceiling is not None and not (args.ceiling > 0 and args.ceiling < float("inf")):
        raise InputError(f"--ceiling must be a positive number of users, got {args.ceiling}")
    df = metrics.load_metrics(args.metrics)
    comp = growth.fit_growth(df, args.model, level=args.level, roadmap=assumptions.load_roadmap(),
                             error_model=args.error_model, ceiling=args.ceiling)
    if args.json:
        print_json(comp.to_dict(horizon_months=args.horizon))
        return 0
    print(f"{df.attrs['source']}: {len(df)} months {df.month.iat[0]}..{df.month.iat[-1]}")
    for note in comp.notes:
        print(f"note: {note}")
    print(f"error model: {comp.error_model_rule}")
    cols = ["model", "error_model", "aicc", "delta_aicc", "weight", "rmse_log", "holdout_mape_log", "converged"]
    print_table(comp.table[cols])
    if comp.selected is None:
        print("no model converged")
        return 0
    print(f"\nselected: {comp.selected} ({comp.error_model} errors)")
    print_table(comp.best.summary().reset_index())
    cal = comp.calibration or {}
    if isinstance(cal.get("coverage"), float):
        print(f"\nrolling-origin coverage of the {args.level:.0%} interval: {cal['coverage']:.0%} of {cal['n']} "
              f"forecasts (without inflation {cal['coverage_uninflated']:.0%}; intervals widened x"
              f"{cal['inflation']:.2f})")
    print(f"\nmodel-averaged forecast ({args.level:.0%} intervals):")
    print_table(comp.forecast(args.horizon, args.level)[["calendar_month", "users", "low", "high"]])
    print(f"\nmilestones (months from {df.month.iat[0]}; model-averaged, {args.level:.0%} intervals; roadmap month "
          "on the same scale; '-' = not reached within the horizon):")
    ms = comp.milestones(level=args.level)
    ms["users"] = ms["users"].map("{:,.0f}".format)
    print_table(ms[["users", "month", "low", "high", "calendar_month", "roadmap_month", "difference_months"]]
                .astype(object).where(ms.notna(), "-"))
    return 0
