"""Self-contained HTML of an executed notebook: nbconvert's ``lab`` template without its CDN scripts, a
run header on top, the results JSON cell hidden, and every network load neutralised."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from voyager_analysis.report.plan import RUN_DIR_PARAMETER, SCENARIO_PARAMETER

INDEX_NAME = "index.html"

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.va_css }}</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}{{ resources.va_header }}{%- endblock body_header -%}
"""
_TEMPLATE_NAME = "voyager_report.html.j2"

_CSS = """
.va-run{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;max-width:1100px;
 margin:1.2em auto .4em auto;padding:.8em 1.2em;border:1px solid #d8dde3;border-radius:8px;background:#f7f9fb}
.va-run .va-back{display:inline-block;font-size:.9em;text-decoration:none;margin-bottom:.4em}
.va-run dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:0;font-size:.92em}
.va-run dt{color:#555;font-weight:600}.va-run dd{margin:0;overflow-wrap:anywhere}
.va-run code{font-size:.95em}
.va-error{margin-top:.8em;padding:.6em .9em;border-left:4px solid #c0392b;background:#fdecea;color:#5b1a14}
.va-ok{color:#2e8b57;font-weight:600}.va-failed{color:#c0392b;font-weight:600}
.jp-OutputArea-output table:not(.va-table table){display:block;max-width:100%;overflow-x:auto}
.jp-OutputArea-output img{max-width:100%;height:auto}
.jp-RenderedMarkdown p,.jp-RenderedMarkdown li{overflow-wrap:anywhere}
"""
_HEADER_RE = re.compile(r'<header class="va-run">.*?</header>', re.S)

#: Tags (and the attribute naming what they load) through which a page fetches a resource.
_LOADING_ATTRS = {"script": ("src",), "link": ("href",), "img": ("src", "srcset"), "iframe": ("src",),
                  "frame": ("src",), "embed": ("src",), "object": ("data",), "source": ("src", "srcset"),
                  "video": ("src", "poster"), "audio": ("src",), "track": ("src",), "input": ("src",),
                  "image": ("href",), "use": ("href",)}  # the last two: SVG (href also matches xlink:href)
_TAG_RE = re.compile(r"<(?P<tag>[a-zA-Z]+)\b(?P<attrs>[^<>]*)>", re.S)
_ATTR_RE = re.compile(r"""\b(?P<name>[a-zA-Z-]+)\s*=\s*(?P<q>["']?)(?P<value>(?(q)[^"']*|[^\s>]*))(?P=q)""")
_REMOTE_RE = re.compile(r"^\s*(?:https?:)?//", re.I)
_CSS_REMOTE_RE = re.compile(r"""(?:@import\s+(?:url\()?|url\()\s*["']?\s*(?:https?:)?//[^)"'\s;]*""", re.I)


def external_resources(page: str) -> list[str]:
    """Every reference through which this HTML would load something from the network when opened:
    ``src``/``href``/... of script, link, img, iframe, media tags, and CSS ``url()``/``@import``.
    Plain hyperlinks (``<a href>``) are not loads and are not listed."""
    found = []
    for m in _TAG_RE.finditer(page):
        names = _LOADING_ATTRS.get(m.group("tag").lower())
        if not names:
            continue
        for a in _ATTR_RE.finditer(m.group("attrs")):
            if a.group("name").lower() in names and any(_REMOTE_RE.match(v) for v in a.group("value").split(",")):
                found.append(f"<{m.group('tag')} {a.group('name')}={a.group('value')}>")
    found += [m.group(0) for m in _CSS_REMOTE_RE.finditer(page)]
    return found


def strip_external_resources(page: str) -> str:
    """Neutralise every network load in a page: remote scripts and stylesheets are removed, remote images
    and frames point to nothing, remote CSS ``url()`` become empty. Inline content is kept."""
    page = re.sub(r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>.*?</script\s*>", "", page,
                  flags=re.I | re.S)

    def tag(m: re.Match) -> str:
        name = m.group("tag").lower()
        names = _LOADING_ATTRS.get(name)
        if not names:
            return m.group(0)
        remote = [a for a in _ATTR_RE.finditer(m.group("attrs")) if a.group("name").lower() in names
                  and any(_REMOTE_RE.match(v) for v in a.group("value").split(","))]
        if not remote:
            return m.group(0)
        if name in {"link", "script"}:
            return ""
        attrs = m.group("attrs")
        for a in remote:
            attrs = attrs.replace(a.group(0), f'{a.group("name")}="data:," data-removed="offline report"')
        return f"<{m.group('tag')}{attrs}>"

    page = _TAG_RE.sub(tag, page)
    return _CSS_REMOTE_RE.sub("url(data:,", page)


def escape_dollars(markdown: str) -> str:
    """Make every ``$`` outside code spans a literal dollar sign.

    MathJax is not shipped (offline reports), so nbconvert's ``$...$`` maths parsing would only swallow
    the emphasis around money ("**$104,850/month**" came out with raw asterisks)."""
    parts = markdown.split("`")
    return "`".join(p.replace("$", "&#36;") if i % 2 == 0 else p for i, p in enumerate(parts))


def first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                m = re.match(r"^\s*#{1,3}\s+(.+?)\s*#*\s*$", line)
                if m:
                    return re.sub(r"[*_`]", "", m.group(1))
    return None


def fmt_value(v: Any, group: bool = True) -> str:
    """A parameter value for people: 4 significant digits, thousands grouped (not inside lists)."""
    sep = "," if group else ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if v is None:
        return "—"
    if isinstance(v, int):
        return f"{v:{sep}}"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return "—"
        return f"{v:{sep}.4g}" if abs(v) < 1e4 else f"{v:{sep}.0f}"
    if isinstance(v, list):
        return "[" + ", ".join(fmt_value(x, group=False) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {fmt_value(x, group=False)}" for k, x in v.items()) + "}"
    return str(v)


def error_text(error: Mapping[str, Any]) -> str:
    where = f"cell In [{error['execution_count']}]" if error.get("execution_count") else (
        f"cell {error['cell']}" if error.get("cell") is not None else "before any cell ran")
    src = error.get("source_first_line")
    src = f" (`{src}`)" if src else ""
    return f"{where}{src}: {error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()


def header_html(record: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """The run header on top of a notebook's HTML (``run``: run_id, started_at, scenario, git,
    prices_as_of, exploration)."""
    e = html.escape
    params = record.get("parameters") or {}
    shown = {k: v for k, v in params.items() if k not in {RUN_DIR_PARAMETER, SCENARIO_PARAMETER}}
    param_text = ", ".join(f"{k}={fmt_value(v)}" for k, v in shown.items()) or "notebook defaults"
    scenario = (run.get("scenario") or {}).get("name") or "none (shipped defaults)"
    results = record.get("results") or {}
    as_of = results.get("prices_as_of") if isinstance(results, dict) else None
    as_of = as_of or run.get("prices_as_of")
    git = run.get("git") or {}
    status = str(record.get("status"))
    how = (f"reused from run <code>{e(record['reused_from'])}</code> (same code, parameters and input data)"
           if record.get("reused_from") else f"in {float(record.get('duration_s') or 0):.1f} s")
    rows = [("Run", f"<code>{e(run['run_id'])}</code> (started {e(run['started_at'])})"
                    + (" — exploration" if run.get("exploration") else "")),
            ("Notebook", f"<code>{e(record['notebook'])}</code>"),
            ("Status", f'<span class="va-{e(status)}">{e(status)}</span> {how}'),
            ("Scenario", e(str(scenario))),
            ("Parameters", e(param_text))]
    if as_of:
        rows.append(("Prices as of", e(str(as_of))))
    if git.get("commit"):
        rows.append(("Code", f"<code>{e(git['commit'][:12])}</code>" + (" (uncommitted changes)" if git.get("dirty") else "")))
    rows.append(("Results", f'<a href="results.json">results.json</a> (every notebook of this run)'))
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    err = ""
    if record.get("error"):
        err = f'<div class="va-error"><strong>This notebook failed.</strong> {e(error_text(record["error"]))}</div>'
    return (f'<header class="va-run"><a class="va-back" href="../{INDEX_NAME}">&larr; all reports</a>'
            f"<dl>{body}</dl>{err}</header>")


def replace_header(page: str, header: str) -> str:
    """A reused notebook's HTML with this run's header instead of the old run's (no re-rendering)."""
    return _HEADER_RE.sub(lambda _: header, page, count=1)


def without_results_cell(nb):
    """A copy of ``nb`` for HTML without the outputs of the cell tagged ``results`` (its JSON stays in the
    executed notebook and in the run's ``results.json``)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and "results" in cell.get("metadata", {}).get("tags", []):
            cell.outputs = []
            cell.metadata.setdefault("tags", []).append("remove_cell")
    return nb


_EXPORTERS: dict[bool, Any] = {}


def _exporter(show_code: bool):
    exporter = _EXPORTERS.get(show_code)
    if exporter is None:
        from jinja2 import DictLoader, pass_context
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        class DollarSafeHTMLExporter(HTMLExporter):
            @pass_context
            def markdown2html(self, context, source):
                return super().markdown2html(context, escape_dollars(source))

        c = Config()
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
        c.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
        c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
        exporter = DollarSafeHTMLExporter(config=c, template_name="lab", exclude_input=not show_code,
                                          exclude_input_prompt=not show_code, exclude_output_prompt=True,
                                          embed_images=True, extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
                                          template_file=_TEMPLATE_NAME, mathjax_url="", require_js_url="")
        _EXPORTERS[show_code] = exporter
    return exporter


def notebook_to_html(nb, *, header: str, title: str, show_code: bool = False) -> str:
    """Self-contained HTML of an executed notebook, with ``header`` (HTML) on top.

    Figures are inline PNG (base64) and local markdown images are embedded. Code cells are hidden unless
    ``show_code``; cells tagged ``remove_cell`` / ``remove_input`` / ``remove_output`` are honoured.
    Any network load still present (e.g. in an output's HTML) is neutralised.
    """
    resources = {"metadata": {"name": title}, "va_header": header, "va_css": _CSS}
    body, _ = _exporter(show_code).from_notebook_node(nb, resources=resources)
    return strip_external_resources(body)


def results_json_text(records: list[Mapping[str, Any]]) -> str:
    """``results.json`` of a run: each notebook's results, by notebook name (strict JSON)."""
    return json.dumps({r["name"]: r.get("results") for r in records}, indent=2, allow_nan=False) + "\n"
