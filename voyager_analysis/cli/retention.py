"""voyager-analysis retention: the share of each signup cohort active in each month after signup, and a curve."""

HELP = "cohort retention from events: share of each signup cohort active k months after signup, fitted curve"


def add_arguments(p):
    from voyager_analysis.cli import add_json_flag
    from voyager_analysis.cli._events import add_event_arguments

    add_event_arguments(p)
    add_json_flag(p)


def run(args) -> int:
    from voyager_analysis.cli import print_json, print_table
    from voyager_analysis.cli._events import open_events
    from voyager_analysis.cohorts.retention import retention
    from voyager_analysis.sources import cohort_queries as q

    with open_events(args) as eng:
        source = eng.description
        cells, last = q.cohort_cells(eng)
        sizes = q.cohort_sizes(eng)
    res = retention(sizes, cells, last)
    if args.json:
        print_json({"source": source, **res.to_dict()})
        return 0
    print(f"{source}: share of each signup cohort active (a message sent) k months after its signup month, "
          f"to {last}")
    tri = res.triangle.apply(lambda col: col.map(lambda v: "" if v != v else f"{v:.2f}"))  # blank: not reached yet
    tri.insert(0, "size", sizes.reindex(tri.index).to_numpy())
    print_table(tri.reset_index())
    print(f"\nfitted: exponential decay to a plateau ({res.method})")
    print_table(res.summary().reset_index())
    return 0
