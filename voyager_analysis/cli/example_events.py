"""voyager-analysis example-events: write the labelled synthetic event set (the synthetic company)."""

HELP = "write a labelled SYNTHETIC event set (users, subscriptions, messages, conversations, searches) and its truth"


def add_arguments(p):
    from voyager_analysis import config
    from voyager_analysis.sources.example_events import EventTruth

    d = EventTruth()
    p.add_argument("--out", metavar="DIR", required=True, help="folder to write (replaced if it is an earlier example set)")
    p.add_argument("--users", type=int, default=d.n_users, help="users who sign up over the period (default: %(default)s)")
    p.add_argument("--months", type=int, default=d.n_months, help="months of history (default: %(default)s)")
    p.add_argument("--start", metavar="YYYY-MM", default=d.start_month, help="first month (default: %(default)s)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED, help="random seed (default: %(default)s)")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table format (default: %(default)s)")


def run(args) -> int:
    from dataclasses import replace

    from voyager_analysis.errors import InputError
    from voyager_analysis.months import MONTH_RE
    from voyager_analysis.sources.example_events import EventTruth, write_example_events

    if not MONTH_RE.match(args.start):
        raise InputError(f"--start must look like YYYY-MM, got '{args.start}'")
    truth = replace(EventTruth(), n_users=args.users, n_months=args.months, start_month=args.start)
    counts = write_example_events(args.out, truth, seed=args.seed, fmt=args.format)
    rows = ", ".join(f"{n:,} {name}" for name, n in counts.items())
    print(f"wrote {args.out}: {rows} (SYNTHETIC, seed {args.seed}; generating parameters in truth.json)")
    return 0
