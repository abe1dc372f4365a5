"""voyager-analysis validate: are these input files usable?"""

HELP = "check the input files (assumptions, metrics, prices, scenarios); exit 2 naming the first problem"


def add_arguments(p):
    p.add_argument("--assumptions", metavar="PATH", help="roadmap YAML (default: data/assumptions/roadmap.yaml)")
    p.add_argument("--metrics", metavar="PATH", help="monthly metrics CSV (default: data/metrics/example_monthly.csv)")
    p.add_argument("--prices", metavar="PATH", help="prices folder (default: data/prices)")
    p.add_argument("--scenario", metavar="NAME_OR_PATH", action="append",
                   help="scenario to check (repeatable; default: every file in data/scenarios/)")


def run(args) -> int:
    from voyager_analysis.assumptions import iter_figures
    from voyager_analysis.errors import display_path
    from voyager_analysis.project import load_project
    from voyager_analysis.scenarios import load_scenario

    project = load_project(roadmap_path=args.assumptions, prices_path=args.prices, metrics_path=args.metrics)
    roadmap, prices, df = project.roadmap, project.prices, project.metrics
    print(f"ok: {display_path(roadmap.path)}: {len(roadmap.figures())} figures")
    print(f"ok: prices: {len(prices.claude)} Claude models, {len(prices.services)} service prices "
          f"(newest as_of {max(prices.claude.as_of.max(), prices.services.as_of.max())})")
    print(f"ok: {df.attrs['source']}: {len(df)} months {df.month.iat[0]}..{df.month.iat[-1]}, "
          f"{len(df.columns) - 1} metric columns")
    for name, tree in sorted(project.assumptions.items()):
        n = sum(1 for _ in iter_figures(tree))
        print(f"ok: {display_path(project.assumptions_dir / f'{name}.yaml')}: {n} figures")
    known = project.scenario_inputs()
    for name in args.scenario or project.scenario_names():
        scen = load_scenario(name, inputs=known, folder=project.scenarios_dir)
        print(f"ok: scenario {scen.name}: {len(scen.overrides)} override(s)")
    return 0
