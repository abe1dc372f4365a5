"""voyager-analysis validate: are these input files usable?"""

HELP = "check the input files (assumptions, metrics, prices, scenarios); exit 2 naming the first problem"


def add_arguments(p):
    p.add_argument("--assumptions", metavar="PATH", help="roadmap YAML (default: data/assumptions/roadmap.yaml)")
    p.add_argument("--metrics", metavar="PATH", help="monthly metrics CSV (default: data/metrics/example_monthly.csv)")
    p.add_argument("--prices", metavar="PATH", help="prices folder (default: data/prices)")
    p.add_argument("--scenario", metavar="NAME_OR_PATH", action="append",
                   help="scenario to check (repeatable; default: every file in data/scenarios/)")


def run(args) -> int:
    from voyager_analysis import assumptions, config, metrics, model_inputs, scenarios
    from voyager_analysis.errors import display_path

    roadmap = assumptions.load_roadmap(args.assumptions)
    prices = assumptions.load_prices(args.prices)
    df = metrics.load_metrics(args.metrics)
    print(f"ok: {display_path(roadmap.path)}: {len(roadmap.figures())} figures")
    print(f"ok: prices: {len(prices.claude)} Claude models, {len(prices.services)} service prices "
          f"(newest as_of {max(prices.claude.as_of.max(), prices.services.as_of.max())})")
    print(f"ok: {df.attrs['source']}: {len(df)} months {df.month.iat[0]}..{df.month.iat[-1]}, "
          f"{len(df.columns) - 1} metric columns")
    for path in sorted(config.ASSUMPTIONS_DIR.glob("*.yaml")):
        if path != config.ROADMAP_YAML:
            n = sum(1 for _ in assumptions.iter_figures(assumptions.load_figures(path)))
            print(f"ok: {display_path(path)}: {n} figures")
    drivers = assumptions.load_figures(config.ASSUMPTIONS_DIR / "drivers.yaml")
    inputs = model_inputs.base_inputs(roadmap, prices, drivers)
    for name in args.scenario or scenarios.list_scenarios():
        scen = scenarios.load_scenario(name, inputs=inputs)
        print(f"ok: scenario {scen.name}: {len(scen.overrides)} override(s)")
    return 0
