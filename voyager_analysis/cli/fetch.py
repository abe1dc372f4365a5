"""voyager-analysis fetch: download vendor bills (pages as the APIs return them) for a scheduled run."""

HELP = "download bills from anthropic, vercel or stripe (key from the environment) into a folder, resumably"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag

    p.add_argument("vendor", choices=("anthropic", "vercel", "stripe"),
                   help="anthropic (ANTHROPIC_ADMIN_API_KEY), vercel (VERCEL_TOKEN) or stripe (STRIPE_API_KEY)")
    p.add_argument("--from", dest="start", metavar="DATE", required=True, help="first UTC day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", metavar="DATE", required=True, help="day after the last, YYYY-MM-DD (exclusive)")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="folder for the pages (DIR/<vendor>/...); pages already there are not fetched again")
    p.add_argument("--base-url", metavar="URL", help="API base URL (a proxy or a local test server)")
    p.add_argument("--team-id", metavar="ID", help="vercel: the team whose charges to fetch")
    p.add_argument("--backoff-base", metavar="SECONDS", type=float, default=1.0,
                   help="first wait before retrying a 5xx, doubled each retry (default: %(default)s)")
    p.add_argument("--max-retries", metavar="N", type=int, default=5, help="retries per page (default: %(default)s)")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis.cli import print_json
    from voyager_analysis.sources.fetch import fetch, parse_day

    report = fetch(args.vendor, parse_day(args.start, "--from"), parse_day(args.end, "--to"), args.out,
                   base_url=args.base_url, backoff_s=args.backoff_base, max_retries=args.max_retries,
                   team_id=args.team_id)
    if args.json:
        print_json(report.to_dict())
    else:
        print(f"fetched {args.vendor} {report.start} to {report.end}: {len(report.saved)} pages saved, "
              f"{len(report.skipped)} already present, {report.requests} requests, {report.retries} retries "
              f"-> {report.out}")
    return 0
