"""The report as people see it, in headless Chromium: the index and every notebook page at 1280 px and at
400 px (phone) scroll only vertically (a wide table scrolls inside its own box, never the page), and no page
shows printed JSON or a raw NaN/None. Screenshots of each page at both widths are saved for a person to look
at (``VOYAGER_SHOTS=/some/folder`` keeps them)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from test_report_html_scan import full_report, report_pages  # noqa: F401  (session fixture: one report run)

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]

#: Visible text that is printed JSON (``{"key": ...``) or a raw NaN standing alone.
RAW_TEXT = re.compile(r"\{\s*\"[\w-]+\"\s*:|(?:^|\s)(?:NaN|nan)(?:\s|$)")


def _look(page: Path, width: int, tmp_path: Path, shot: Path | None = None) -> tuple[int, int, str]:
    """(page scrollWidth, viewport width, visible text) of ``page`` in an iframe ``width`` px wide (headless
    windows cannot be narrower than 500 px); a screenshot of the first 1,600 px to ``shot``."""
    from test_report import chromium

    wrapper = page.with_name(f"_screen_{width}.html")
    wrapper.write_text(
        f"<!DOCTYPE html><html><body style='margin:0'><iframe id='f' src='{page.name}' "
        f"style='width:{width}px;height:1600px;border:0'></iframe><pre id='t' style='display:none'></pre><script>"
        "window.onload=function(){var f=document.getElementById('f');var d=f.contentDocument;"
        "document.title='W '+d.documentElement.scrollWidth+' '+f.contentWindow.innerWidth;"
        "document.getElementById('t').textContent=d.body.innerText;};</script></body></html>", encoding="utf-8")
    try:
        profile = tmp_path / f"profile-{page.stem}-{width}"
        args = ["--allow-file-access-from-files", "--virtual-time-budget=5000", f"--window-size={max(width, 500) + 20},1600"]
        proc = chromium([*args, "--dump-dom", wrapper.as_uri()], profile)
        if shot is not None:
            chromium([*args, f"--screenshot={shot}", wrapper.as_uri()], profile)
    finally:
        wrapper.unlink()
    assert "<title>W " in proc.stdout, (proc.stdout[-800:], proc.stderr[-1500:])
    scroll, inner = (int(x) for x in proc.stdout.split("<title>W ", 1)[1].split("<", 1)[0].split())
    text = re.search(r"<pre id=\"t\"[^>]*>(.*)</pre>", proc.stdout, re.S).group(1)
    return scroll, inner, text


def test_every_page_fits_1280_and_400_px_and_shows_no_raw_json(full_report, tmp_path):  # noqa: F811
    shots = Path(os.environ.get("VOYAGER_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    overflow, raw = {}, {}
    for page in report_pages(full_report):
        for width in (1280, 400):
            scroll, inner, text = _look(page, width, tmp_path, shots / f"{page.stem}-{width}.png")
            assert inner == width, (page.name, inner)
            if scroll > inner:
                overflow[f"{page.name}@{width}"] = scroll
            found = RAW_TEXT.findall(text)
            if found:
                raw[f"{page.name}@{width}"] = found[:5]
    assert not overflow, f"pages wider than the screen (scrollWidth): {overflow}"
    assert not raw, raw
    assert (shots / "index-400.png").stat().st_size > 10_000  # something was drawn


def test_the_measurement_sees_an_overflowing_page_and_raw_json(tmp_path):
    page = tmp_path / "wide.html"
    page.write_text("<html><body><div style='width:2000px'>x</div><pre>{\"run_id\": 1}</pre></body></html>",
                    encoding="utf-8")
    scroll, inner, text = _look(page, 400, tmp_path)
    assert scroll > inner == 400
    assert RAW_TEXT.search(text)
