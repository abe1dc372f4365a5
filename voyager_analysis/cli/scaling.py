"""voyager-analysis scaling: is cost sub-linear in users, overall and per component?"""

HELP = "test whether monthly cost grows sub-linearly in users (total, per component, breakpoint)"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag

    p.add_argument("--metrics", metavar="PATH", help="monthly metrics CSV (default: data/metrics/example_monthly.csv)")
    p.add_argument("--alpha", type=float, default=0.05, help="test level (default 0.05)")
    p.add_argument("--cross-section", action="store_true",
                   help="rows are units with no time order (tenants, regions): HC3 errors and a pairs bootstrap "
                        "instead of the time-series (HAC, fixed-b, moving-block) machinery")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis import metrics, scaling
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.errors import InputError

    if not 0 < args.alpha < 0.5:
        raise InputError(f"--alpha must lie between 0 and 0.5, got {args.alpha}")
    df = metrics.load_metrics(args.metrics)
    rep = scaling.scaling_report(df, alpha=args.alpha, cross_section=args.cross_section)
    if args.json:
        print_json(rep.to_dict())
        return 0
    rows = "rows as a cross-section (no time order)" if args.cross_section else "rows as a monthly time series"
    print(f"{df.attrs['source']}: elasticity of monthly cost to users, log(cost) = a + b log(users); "
          f"H0: b >= 1 vs H1: b < 1 at alpha {args.alpha}; {rows}")
    if df.attrs.get("note"):
        print(f"note: {df.attrs['note']}")
    print_table(rep.summary())
    print(f"method: {rep.total.to_dict()['method']}")
    print(str(rep.breakpoint).split("\nmethod:")[0])
    return 0
