"""Nightly runs: the cron line and the systemd service + timer for a checkout, filled in and valid as
printed (``voyager-analysis report --schedule``)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path


def checkout_owner(root: str | Path) -> str:
    """The user owning the checkout (POSIX), else the current user: the account the nightly run uses, so
    that it can read the checkout and write ``reports/`` without new permissions."""
    try:
        import pwd

        return pwd.getpwuid(os.stat(root).st_uid).pw_name
    except (ImportError, KeyError, OSError):
        return getpass.getuser()


def schedule_recipe(root: str | Path, *, keep: int = 14, hour: int = 2, minute: int = 15,
                    user: str | None = None) -> dict[str, str]:
    """Text of a nightly cron entry and a systemd service + timer running the report with ``--keep``.

    They run as ``user`` (default: the checkout's owner), who must be able to read the checkout and write
    ``reports/`` (created here if missing). Runs wait for each other through the lock, so an overlapping
    manual run is safe.
    """
    root = str(Path(root).resolve())
    user = user or checkout_owner(root)
    command = f"{root}/.venv/bin/voyager-analysis report --keep {keep}"
    setup = (f"# Runs as '{user}' (the owner of {root}): it reads the checkout and writes {root}/reports.\n"
             f"# Once: sudo -u {user} mkdir -p {root}/reports   (the folder must be writable by {user})\n")
    cron = (f"{setup}# Install with: sudo crontab -u {user} -e   (then add the line below)\n"
            f"{minute} {hour} * * * cd {root} && mkdir -p reports && {command} >> reports/cron.log 2>&1\n")
    service = ("[Unit]\nDescription=Voyager Analysis nightly report\n\n"
               f"[Service]\nType=oneshot\nUser={user}\nWorkingDirectory={root}\nExecStart={command}\n"
               "Nice=10\n")
    timer = ("[Unit]\nDescription=Run the Voyager Analysis report nightly\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n"
             "RandomizedDelaySec=5min\n\n[Install]\nWantedBy=timers.target\n")
    return {"user": user, "setup": setup, "command": command, "cron": cron,
            "voyager-report.service": service, "voyager-report.timer": timer}
