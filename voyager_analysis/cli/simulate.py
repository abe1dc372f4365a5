"""voyager-analysis simulate: cost, revenue and margin distribution at N users (Monte Carlo)."""

HELP = "Monte Carlo of monthly cost per component, revenue and margin at N users (mean, p5, p50, p95)"


def add_arguments(p):
    from voyager_analysis import config
    from voyager_analysis.cli import add_json_flag

    p.add_argument("--users", required=True, type=float, metavar="N", help="monthly active users (0 to 1e10)")
    p.add_argument("--draws", type=int, default=100_000, metavar="D", help="Monte Carlo draws (default: %(default)s)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED, metavar="S",
                   help="random seed; the same seed gives identical output (default: %(default)s)")
    p.add_argument("--scenario", metavar="NAME_OR_FILE",
                   help="scenario name in data/scenarios/ (base, pessimistic, optimistic, ...) or a path to a YAML file")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis import montecarlo
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.project import load_project

    project = load_project()
    result = montecarlo.simulate(args.users, project, scenario=args.scenario, draws=args.draws, seed=args.seed)
    if args.json:
        print_json(result.to_dict())
        return 0
    table = result.summary().reset_index()
    print(f"users {result.users:,.0f} | {result.draws:,} draws | seed {result.seed} | scenario {result.scenario} | "
          f"prices as_of {result.prices_as_of}")
    print("USD per month; margin_pct = (gross revenue - cost) / gross revenue, before the revenue share "
          "(the roadmap's definition); margin_after_share_pct = (net revenue - infrastructure) / net revenue")
    print_table(table, floatfmt="{:,.2f}")
    return 0
