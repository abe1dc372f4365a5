"""voyager-analysis bills: monthly costs (and revenue collected) from the vendors' own bills."""

HELP = "monthly cost columns from vendor bills (Claude cost/usage reports, FOCUS exports, Stripe balance transactions)"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag

    p.add_argument("paths", metavar="PATH", nargs="+", help="bill files, or folders of them (read recursively)")
    p.add_argument("--format", choices=("claude-cost", "claude-usage", "focus", "stripe"), default=None,
                   help="read every file in this format (default: detected from each file's content)")
    p.add_argument("--vendors", metavar="PATH",
                   help="provider/service -> component mapping (default: data/assumptions/vendors.yaml)")
    p.add_argument("--out", metavar="PATH", help="write the monthly table as CSV here (atomically)")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.files import write_text_atomic
    from voyager_analysis.sources.bills import read_bills

    bills = read_bills(args.paths, format=args.format, vendors=args.vendors)
    df = bills.monthly
    if args.out:
        write_text_atomic(args.out, df.to_csv(index=False, lineterminator="\n", float_format="%.10g"))
    if args.json:
        print_json({**bills.to_dict(), "out": args.out})
        return 0
    if df.empty:
        print("the bills hold no billed month")
        return 0
    if args.out:
        print(f"wrote {args.out}: {len(df)} months ({df['month'].iat[0]} to {df['month'].iat[-1]}), "
              f"columns {', '.join(df.columns[1:])}")
    else:
        print_table(df, floatfmt="{:,.2f}")
    for column, months in bills.partial.items():
        print(f"note: {column}: the bills cover only part of {', '.join(months)}")
    return 0
