"""voyager-analysis example-data: write the labelled synthetic example metrics."""

HELP = "write the labelled SYNTHETIC example metrics CSV (seeded, reproducible)"


def add_arguments(p):
    from voyager_analysis import config

    p.add_argument("--out", metavar="PATH", default=str(config.EXAMPLE_METRICS_CSV.relative_to(config.ROOT)),
                   help="where to write the CSV (default: %(default)s)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED, help="random seed (default: %(default)s)")


def run(args) -> int:
    from voyager_analysis import assumptions, metrics

    roadmap = assumptions.load_roadmap()
    prices = assumptions.load_prices()
    df = metrics.example_metrics(prices, roadmap, seed=args.seed)
    path = metrics.write_example_metrics(df, args.out, args.seed)
    print(f"wrote {path} ({len(df)} months, synthetic, seed {args.seed})")
    return 0
