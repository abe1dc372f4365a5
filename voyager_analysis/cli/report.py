"""voyager-analysis report: run every notebook, write the dated HTML reports, manifest and index."""

from voyager_analysis.cli import add_json_flag

HELP = "run every notebook (in parallel) and write reports/<run-id>/*.html, manifest.json and reports/index.html"

EPILOG = """\
exit status: 0 every notebook succeeded; 1 some notebook failed (the others are still rendered, the
failure is shown in index.html, 'latest' keeps pointing to the last good run); 2 bad input (nothing was
executed or written), --no-wait while another run holds the folder's lock, or the reports folder cannot
be written (read-only, disk full).

A run with --only, -p or --scenario is an exploration: listed in index.html, never 'latest', never the
baseline of "what changed". A notebook whose code, parameters, scenario, package code and versions, and
the data files it read are unchanged since its last successful run is reused (its outputs copied; the
progress line says "reused"); --force re-runs everything.

Runs on the same --out folder are serialised by a lock (OUT/.lock): a second run waits for the first
and says so on stderr (use --no-wait to stop at once instead). Notebooks named 00_* run last and get
the parameter run_dir (this run's folder) if they declare it.

examples:
  voyager-analysis report
  voyager-analysis report --only 04_claude_routing -p users=5000 -p sonnet_share=0.3
  voyager-analysis report --scenario data/scenarios/pessimistic.yaml --keep 14
  voyager-analysis report --scenario optimistic
  voyager-analysis report --schedule      # print a cron entry and systemd units for nightly runs
"""


def add_arguments(p):
    import argparse

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument("--out", metavar="DIR", help="reports folder (default: reports/ in the repository)")
    p.add_argument("--only", metavar="NAME", nargs="+", action="extend",
                   help="run only these notebooks (name with or without .ipynb)")
    p.add_argument("--scenario", metavar="FILE",
                   help="scenario YAML (or the name of one in data/scenarios/), validated, then passed as "
                        "parameter 'scenario' to the notebooks that declare it")
    p.add_argument("-p", "--parameter", metavar="NAME=VALUE", action="append", dest="parameters",
                   help="set a notebook parameter (YAML scalar: 5000 is an int, 0.3 a float); "
                        "injected into the notebooks that declare it; unknown names are an error")
    p.add_argument("--jobs", metavar="N", type=int, help="notebooks run at once (default: number of cores)")
    p.add_argument("--keep", metavar="N", type=int,
                   help="keep only the N newest runs (never deleting the one 'latest' points to)")
    p.add_argument("--show-code", action="store_true", help="show code cells in the HTML (hidden by default)")
    p.add_argument("--no-wait", dest="wait", action="store_false",
                   help="if another run holds the folder's lock, exit 2 at once instead of waiting")
    p.add_argument("--timeout", metavar="SECONDS", type=float, default=1800.0,
                   help="fail a notebook whose single cell runs longer than this (default: 1800)")
    p.add_argument("--force", action="store_true",
                   help="execute every notebook, even those whose code, parameters and input data are unchanged")
    p.add_argument("--notebooks", metavar="DIR", help="notebooks folder (default: notebooks/)")
    p.add_argument("--data", metavar="DIR", help="input data folder hashed into the manifest (default: data/)")
    p.add_argument("--schedule", action="store_true",
                   help="print a nightly cron entry and systemd service/timer for this checkout, and exit")
    add_json_flag(p)


def run(args) -> int:
    import sys

    from voyager_analysis import config, report
    from voyager_analysis.cli import print_json

    if args.schedule:
        recipe = report.schedule_recipe(config.ROOT, keep=args.keep or 14)
        print(recipe["cron"])
        for name in ("voyager-report.service", "voyager-report.timer"):
            print(f"# /etc/systemd/system/{name}")
            print(recipe[name])
        print("# then: systemctl daemon-reload && systemctl enable --now voyager-report.timer")
        return 0
    plan = report.plan_run(notebooks_dir=args.notebooks, out_dir=args.out, data_dir=args.data, only=args.only,
                           scenario=args.scenario, parameters=args.parameters, jobs=args.jobs, keep=args.keep,
                           show_code=args.show_code, wait=args.wait, timeout_s=args.timeout, force=args.force)
    import signal

    def terminate(signum, frame):  # systemd stop, kill: clean up like Ctrl-C (no half-written run folder)
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, terminate)
    manifest = report.run_report(plan, progress=sys.stderr)
    if args.json:
        print_json(manifest)
    return 0 if manifest["status"] == "ok" else 1
