"""voyager-analysis audit: where do the roadmap's own numbers disagree with themselves?"""

from voyager_analysis.cli import add_json_flag

HELP = "recompute the roadmap's own tables and list every inconsistency (and the checks that passed)"


def add_arguments(p):
    p.add_argument("--assumptions", metavar="PATH", help="roadmap YAML (default: data/assumptions/roadmap.yaml)")
    p.add_argument("--prices", metavar="PATH", help="prices folder (default: data/prices)")
    p.add_argument("--problems-only", action="store_true", help="hide the checks that passed")
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis import assumptions, audit
    from voyager_analysis.cli import print_json, print_table

    result = audit.run_audit(assumptions.load_roadmap(args.assumptions), assumptions.load_prices(args.prices))
    if args.json:
        payload = result.to_dict()
        if args.problems_only:
            payload["findings"] = [f for f in payload["findings"] if f["severity"] != "ok"]
        print_json(payload)
        return 0
    df = result.summary()
    if args.problems_only:
        df = df[df.severity != "ok"]
    print_table(df[["severity", "id", "claim", "stated_text", "recomputed_text"]]
                .rename(columns={"stated_text": "stated", "recomputed_text": "recomputed"}))
    print("\n" + ", ".join(f"{n} {s}" for s, n in result.counts().items()))
    return 0
