"""voyager-analysis example-data: the synthetic company, one source of truth.

Writes, from one seed: its events (``example-events`` at :data:`~voyager_analysis.sources.example_events.COMPANY`'s
scale) into ``data/events/example/``, its bills (Claude cost report, FOCUS export, Stripe balance transactions)
into ``data/bills/example/`` (both gitignored: generated on demand), and the monthly metrics
``data/metrics/example_monthly.csv`` = ``derive --events`` joined with the bills (``derive --bills``) plus the
labelled synthetic ops columns (:func:`voyager_analysis.metrics.example_ops`).
"""

HELP = "write the SYNTHETIC company: its events, its bills, and the monthly metrics derived from them (seeded)"


def add_arguments(p):
    from voyager_analysis import config

    rel = lambda path: str(path.relative_to(config.ROOT))  # noqa: E731
    p.add_argument("--out", metavar="PATH", default=rel(config.EXAMPLE_METRICS_CSV),
                   help="where to write the metrics CSV (default: %(default)s)")
    p.add_argument("--events", metavar="DIR", default=rel(config.ROOT / "data" / "events" / "example"),
                   help="where to write the event tables (default: %(default)s)")
    p.add_argument("--bills", metavar="DIR", default=rel(config.ROOT / "data" / "bills" / "example"),
                   help="where to write the bills (default: %(default)s)")
    p.add_argument("--seed", type=int, default=config.DEFAULT_SEED, help="random seed (default: %(default)s)")


def modelled_costs(metrics, values):
    """The cost equations (:func:`voyager_analysis.costs.evaluate`) per month at the derived usage: users,
    messages and searches per user, stored GB per user and the archived share from ``metrics``; every other
    input at ``values`` (point values). A DataFrame: ``month`` and one column per component."""
    import pandas as pd

    from voyager_analysis import costs

    rows = []
    for m in metrics.itertuples(index=False):
        stored = float(m.storage_gb + m.archived_gb)
        v = {**values, "messages_per_user_month": m.messages / m.users, "searches_per_user_month": m.searches / m.users,
             "storage_gb_per_user": stored / m.users, "archived_storage_share": m.archived_gb / stored if stored else 0.0}
        comps = costs.evaluate(float(m.users), v)["components"]
        rows.append({"month": m.month, **{c: float(x) for c, x in comps.items()}})
    return pd.DataFrame(rows)


def example_company(events, bills, *, seed: int):
    """Write the company's events and bills; return its monthly metrics (derived + billed + synthetic ops)."""
    from voyager_analysis import metrics
    from voyager_analysis.project import load_project
    from voyager_analysis.sources.bills import join_bills, monthly_bills
    from voyager_analysis.sources.derive import derive_metrics
    from voyager_analysis.sources.example_bills import write_example_bills
    from voyager_analysis.sources.example_events import COMPANY, write_example_events
    from voyager_analysis.values import point_values

    project = load_project()
    write_example_events(events, COMPANY, seed=seed)
    derived = derive_metrics(events)
    write_example_bills(events, bills, modelled_costs(derived, point_values(project.base_inputs())),
                        prices=project.prices, seed=seed)
    df = join_bills(derived, monthly_bills([bills]))
    for name, values in metrics.example_ops(df["users"], seed=seed).items():
        df[name] = values
    return df


def check_out(path) -> None:
    """Refuse, before anything is generated, a metrics path that is a folder or lies below a file."""
    from pathlib import Path

    from voyager_analysis.errors import located

    path = Path(path)
    if path.is_dir():
        raise located(path, None, "is a folder; give a file name to write")
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise located(path, None, f"cannot be written ({blocker.name} is a file, not a folder)")


def run(args) -> int:
    from voyager_analysis import metrics
    from voyager_analysis.sources.example_bills import check_bills_folder

    check_out(args.out)
    check_bills_folder(args.bills)
    df = example_company(args.events, args.bills, seed=args.seed)
    path = metrics.write_example_metrics(df, args.out, args.seed)
    print(f"wrote {args.events} (events), {args.bills} (bills) and {path} ({len(df)} months, "
          f"{df['month'].iat[0]} to {df['month'].iat[-1]}; synthetic, seed {args.seed})")
    return 0
