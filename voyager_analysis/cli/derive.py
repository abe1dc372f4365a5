"""voyager-analysis derive: monthly metrics from event-level data (a folder or the app's PostgreSQL)."""

HELP = "derive the monthly metrics CSV from events (a folder of Parquet/CSV tables or a postgresql:// URL)"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag

    p.add_argument("--events", metavar="SOURCE", required=True,
                   help="a folder of event tables, a postgresql://USER@HOST/DB URL, or (Spark) sc://HOST:PORT")
    p.add_argument("--schema", metavar="NAME", default="public", help="PostgreSQL schema holding the tables/views, or the Spark catalog database for sc:// (default: %(default)s)")
    p.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default=None,
                   help="where the SQL runs (default: PostgreSQL for a URL, DuckDB for a folder)")
    p.add_argument("--memory-limit", metavar="SIZE", default="2GB",
                   help="DuckDB memory limit; larger work spills to a temporary folder (default: %(default)s)")
    p.add_argument("--bills", metavar="PATH", nargs="+",
                   help="vendor bills (files or folders: Claude cost/usage report pages, FOCUS exports, Stripe "
                        "balance transactions) whose cost and revenue columns replace the derived months they cover")
    p.add_argument("--out", metavar="PATH", help="write the metrics CSV here (atomically); default: print a table")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.sources.derive import derive_metrics, write_metrics_csv

    from voyager_analysis.sources.bills import join_bills, monthly_bills

    bills = monthly_bills(args.bills) if args.bills else None  # a bad bill fails before the events are read
    df = derive_metrics(args.events, engine=args.engine, schema=args.schema, memory_limit=args.memory_limit)
    source, engine = df.attrs["source"], df.attrs["engine"]
    note = f"Derived by `voyager-analysis derive` on {engine} from {source}"
    billed = {}
    if bills is not None:
        df = join_bills(df, bills)
        billed = df.attrs["billed"]
        note += f"; cost and revenue columns from the bills in {bills.attrs['source']}"
    if args.out:
        write_metrics_csv(df, args.out, note=note)
    if args.json:
        extra = {"billed": billed, "bills_outside": df.attrs.get("bills_outside", []),
                 "token_check": df.attrs.get("token_check", [])} if args.bills else {}
        print_json({"source": source, "engine": engine, "months": len(df), "out": args.out, **extra,
                    "metrics": df.to_dict(orient="records")})
    elif args.out:
        print(f"wrote {args.out}: {len(df)} months ({df['month'].iat[0]} to {df['month'].iat[-1]}) from {source} on {engine}")
    else:
        print_table(df)
    return 0
