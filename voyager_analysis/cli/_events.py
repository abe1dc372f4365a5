"""Options shared by the commands that read events (retention, churn, measure): where the events are and
which engine aggregates them."""


def add_event_arguments(p, *, as_of: bool = False) -> None:
    p.add_argument("--events", metavar="SOURCE", required=True,
                   help="a folder of event tables (Parquet/CSV) or a postgresql://USER@HOST/DB URL")
    p.add_argument("--schema", metavar="NAME", default="public",
                   help="PostgreSQL schema holding the tables/views (default: %(default)s)")
    p.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default=None,
                   help="where the SQL runs (default: PostgreSQL for a URL, DuckDB for a folder)")
    p.add_argument("--memory-limit", metavar="SIZE", default="2GB",
                   help="DuckDB memory limit; larger work spills to a temporary folder (default: %(default)s)")
    if as_of:
        p.add_argument("--as-of", metavar="YYYY-MM-DD", default=None,
                       help="cut survival at this date/time, UTC (default: the latest event time)")


def open_events(args):
    """The engine over ``--events`` (close it after use: ``with open_events(args) as eng``)."""
    from voyager_analysis.sources.engines import open_engine

    return open_engine(args.events, engine=args.engine, schema=args.schema, memory_limit=args.memory_limit)


def as_of_time(args, engine):
    """``--as-of`` as a UTC Timestamp, or the latest event time."""
    from voyager_analysis.churn import utc_timestamp
    from voyager_analysis.sources.cohort_queries import latest_event_time

    return latest_event_time(engine) if getattr(args, "as_of", None) is None else utc_timestamp(args.as_of)
