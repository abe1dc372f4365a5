"""Run the notebooks and publish a dated, shareable report: ``voyager-analysis report``.

One run executes every notebook of a folder with papermill (working directory = that folder, kernel
``python3``) and writes ``OUT/<run-id>/``: per notebook the executed ``.ipynb`` and a self-contained
``.html``, plus ``manifest.json``. Then it rewrites ``OUT/index.html`` (every run, newest first, the
latest run's headline results and what changed since the run before) and points ``OUT/latest`` at the
newest run in which every notebook succeeded.

Guarantees
- Bad input (unknown notebook or parameter, a value of the wrong type, an invalid scenario) is an
  :class:`~voyager_analysis.errors.InputError` raised before anything is executed or written.
- A run is written in a hidden temporary folder ``OUT/.tmp-<run-id>-<pid>`` and renamed at the end, so an
  interrupted run leaves no half-written visible run folder (a killed run's hidden folder is removed by
  the next run).
- ``OUT/.lock`` (``fcntl.flock``) serialises runs on the same OUT: a second run waits, saying so on
  stderr, or with ``wait=False`` stops at once with an InputError.
- HTML loads nothing from the network (no script, stylesheet, font, image or frame from http(s)) and
  holds no absolute path of this machine, user name or host name (they are replaced by placeholders such
  as ``<repo>``, ``<python>``, ``~``, ``<host>``).

Speed: notebooks are independent, so they run in parallel (``jobs`` threads, each driving one kernel).
Notebooks named ``00_*`` run last, after the others, and get the parameter ``run_dir`` (this run's
folder, relative to the notebooks folder) if they declare it. With ``warm=True`` (the default) kernels
are forked from a *zygote* process that has already imported the scientific libraries the notebooks and
the package use (numpy, pandas, scipy, matplotlib, ...), so each kernel starts in a fraction of a second
instead of paying those imports again; if the zygote is unavailable a kernel starts the normal way.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from voyager_analysis import config
from voyager_analysis.errors import InputError, located, suggest

#: Parameters the runner itself sets; users cannot pass them with -p.
RUN_DIR_PARAMETER = "run_dir"
SCENARIO_PARAMETER = "scenario"
#: Notebooks whose name starts with this run after all the others (they summarise the run).
SUMMARY_PREFIX = "00_"
KERNEL_NAME = "python3"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
LOCK_NAME = ".lock"
TMP_PREFIX = ".tmp-"
LATEST_NAME = "latest"
LATEST_TXT = "latest.txt"
INDEX_NAME = "index.html"
MANIFEST_NAME = "manifest.json"
RUN_ID_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z-[0-9a-f]{8}(-\d+)?$")
#: Packages whose versions go into the manifest.
VERSIONED_PACKAGES = ("voyager-analysis", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "SALib",
                      "PyYAML", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "jupyter_client")
#: Only modules under these top-level packages are pre-imported by the warm-kernel zygote: libraries
#: whose import has no side effect that depends on running inside a kernel.
WARM_ROOTS = frozenset({"numpy", "pandas", "scipy", "statsmodels", "matplotlib", "yaml", "SALib",
                        "voyager_analysis", "IPython", "ipykernel", "jupyter_client", "zmq", "tornado"})
#: Imported lazily by a library on first use of a feature the notebooks use (``df.style``, figures).
WARM_EXTRAS = {"pandas": ("pandas.io.formats.style",), "matplotlib.pyplot": ("matplotlib.backends.backend_agg",)}
#: Always pre-imported (the kernel itself).
WARM_ALWAYS = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.interactiveshell")


# --- parameters ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Parameter:
    """One line of a notebook's ``parameters`` cell."""

    name: str
    type_name: str | None  # the annotation as written ('int', 'float', 'str', ...) or None
    default: Any


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook to run: its path and the parameters its ``parameters`` cell declares."""

    path: Path
    parameters: dict[str, Parameter]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def is_summary(self) -> bool:
        return self.path.name.startswith(SUMMARY_PREFIX)


def parse_parameter_args(items: Iterable[str] | None) -> dict[str, tuple[Any, str]]:
    """Parse ``NAME=VALUE`` strings; values are YAML scalars (``5000`` int, ``0.3`` float, ``abc`` str).

    Returns ``{name: (value, raw_text)}`` (the raw text is kept for parameters declared as ``str``).
    """
    import yaml

    out: dict[str, tuple[Any, str]] = {}
    for item in items or ():
        name, sep, raw = str(item).partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"-p {item!r}: expected NAME=VALUE with NAME a Python identifier")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if isinstance(value, (datetime, date)):  # YAML reads 2026-01-01 as a date: notebooks take text
            value = raw.strip()
        if isinstance(value, (dict, list)) or (value is not None and not isinstance(value, (str, int, float, bool))):
            raise InputError(f"-p {name}: expected a single value (number, true/false or text), got {raw!r}")
        if name in out:
            raise InputError(f"-p {name} is given twice")
        out[name] = (value, raw)
    return out


def declared_parameters(path: str | Path) -> dict[str, Parameter]:
    """The parameters a notebook declares in its cell tagged ``parameters`` (empty if it has none).

    Each line ``name: type = literal  # comment`` gives a :class:`Parameter`. A cell Python cannot
    parse (e.g. IPython magics) is read with ``papermill.inspect_notebook`` instead.
    """
    source = _parameters_source(_read_notebook_json(Path(path)), Path(path))
    if source is None:
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        papermill = _import_papermill()
        return {name: Parameter(name, p.get("inferred_type_name") or None, p.get("default"))
                for name, p in papermill.inspect_notebook(str(path)).items()}
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, annotation, value = node.target.id, ast.unparse(node.annotation), node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, annotation, value = node.targets[0].id, None, node.value
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = ast.unparse(value)
        params[target] = Parameter(target, annotation, default)
    return params


def _read_notebook_json(path: Path) -> dict:
    try:
        nb = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise located(path, None, f"cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise located(path, None, f"is not a notebook (invalid JSON: {exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise located(path, None, "is not a notebook (no 'cells' list)")
    return nb


def _parameters_source(nb: dict, path: Path) -> str | None:
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else str(src)
    return None


def _coerce(name: str, value: Any, raw: str, declared: Sequence[tuple[str, Parameter]]) -> Any:
    """Check a -p value against the declared types (int, float, bool, str); return the value to inject."""
    for nb_name, p in declared:
        t = (p.type_name or "").replace(" ", "")
        if t == "str":
            value = value if isinstance(value, str) else raw
        elif t == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        ok = {"int": isinstance(value, int) and not isinstance(value, bool),
              "float": isinstance(value, float),
              "bool": isinstance(value, bool),
              "str": isinstance(value, str)}.get(t, True)
        if not ok:
            raise InputError(f"-p {name}={raw}: {nb_name} declares {name} as {t}, "
                             f"got {type(value).__name__} {value!r}")
    return value


# --- the run plan (all validation happens here) ----------------------------------------------------------------

@dataclass
class RunPlan:
    """Everything a run needs, validated; building it writes nothing."""

    notebooks_dir: Path
    out_dir: Path
    data_dir: Path
    notebooks: list[NotebookSpec]
    parameters: dict[str, Any]  # the user's -p values, coerced
    scenario: Path | None
    jobs: int
    keep: int | None
    show_code: bool
    wait: bool
    warm: bool
    timeout_s: float | None
    injected: dict[str, dict[str, Any]] = field(default_factory=dict)  # per notebook, minus run_dir


def discover_notebooks(notebooks_dir: str | Path) -> list[Path]:
    """The ``*.ipynb`` files of a folder, in name order (``00_*`` ones are run last regardless)."""
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise located(folder, None, "notebooks folder not found")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def plan_run(*, notebooks_dir: str | Path | None = None, out_dir: str | Path | None = None,
             data_dir: str | Path | None = None, only: Sequence[str] | None = None,
             scenario: str | Path | None = None, parameters: Iterable[str] | Mapping[str, Any] | None = None,
             jobs: int | None = None, keep: int | None = None, show_code: bool = False, wait: bool = True,
             warm: bool = True, timeout_s: float | None = None) -> RunPlan:
    """Validate a run's inputs and build its :class:`RunPlan`; raises InputError, writes nothing.

    ``parameters`` is a list of ``NAME=VALUE`` strings (as given to ``-p``) or a mapping of values.
    """
    nb_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR).resolve()
    paths = discover_notebooks(nb_dir)
    if not paths:
        raise located(nb_dir, None, "no notebooks (*.ipynb) in this folder")
    by_name = {p.stem: p for p in paths}
    if only:
        chosen: list[Path] = []
        for name in only:
            key = Path(str(name)).name
            key = key[:-len(".ipynb")] if key.endswith(".ipynb") else key
            if key not in by_name:
                raise InputError(f"--only: unknown notebook '{name}'{suggest(key, by_name)}; "
                                 f"valid: {', '.join(by_name)}")
            if by_name[key] not in chosen:
                chosen.append(by_name[key])
        paths = sorted(chosen)
    specs = [NotebookSpec(p, declared_parameters(p)) for p in paths]

    if jobs is not None and int(jobs) < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    if keep is not None and int(keep) < 1:
        raise InputError(f"--keep must be at least 1 (the newest run is always kept), got {keep}")
    if timeout_s is not None and float(timeout_s) <= 0:
        raise InputError(f"--timeout must be positive, got {timeout_s}")

    if isinstance(parameters, Mapping):
        given = {str(k): (v, str(v)) for k, v in parameters.items()}
    else:
        given = parse_parameter_args(parameters)
    declared_names = sorted({n for s in specs for n in s.parameters} - {RUN_DIR_PARAMETER, SCENARIO_PARAMETER})
    coerced: dict[str, Any] = {}
    for name, (value, raw) in given.items():
        if name == RUN_DIR_PARAMETER:
            raise InputError(f"-p {name}: set by the report runner (the run's own folder); do not pass it")
        if name == SCENARIO_PARAMETER:
            raise InputError(f"-p {name}: use --scenario FILE (the file is checked and hashed)")
        holders = [(s.name, s.parameters[name]) for s in specs if name in s.parameters]
        if not holders:
            valid = ", ".join(declared_names) if declared_names else "(the selected notebooks declare none)"
            raise InputError(f"-p {name}: no selected notebook declares this parameter"
                             f"{suggest(name, declared_names)}; valid: {valid}")
        coerced[name] = _coerce(name, value, raw, holders)

    scenario_path = None
    if scenario is not None:
        from voyager_analysis import scenarios

        scenario_path = scenarios.scenario_path(scenario).resolve()  # a name in data/scenarios/ or a path
        scenarios.load_scenario(scenario_path)  # fully validated now, not halfway through the run
        if not any(SCENARIO_PARAMETER in s.parameters for s in specs):
            raise InputError(f"--scenario: no selected notebook declares a '{SCENARIO_PARAMETER}' parameter "
                             f"(selected: {', '.join(s.name for s in specs)})")

    injected: dict[str, dict[str, Any]] = {}
    for s in specs:
        values = {k: v for k, v in coerced.items() if k in s.parameters}
        if scenario_path is not None and SCENARIO_PARAMETER in s.parameters:
            values[SCENARIO_PARAMETER] = os.path.relpath(scenario_path, nb_dir)
        injected[s.name] = values

    out = Path(out_dir or config.REPORTS_DIR).resolve()
    if out.exists() and not out.is_dir():
        raise located(out, None, "--out must be a folder, this is a file")
    data = Path(data_dir or config.DATA_DIR).resolve()
    if data_dir is not None and not data.is_dir():
        raise located(data, None, "--data: folder not found")
    return RunPlan(notebooks_dir=nb_dir, out_dir=out, data_dir=data, notebooks=specs, parameters=coerced,
                   scenario=scenario_path, jobs=int(jobs or os.cpu_count() or 1),
                   keep=int(keep) if keep is not None else None, show_code=show_code, wait=wait, warm=warm,
                   timeout_s=float(timeout_s) if timeout_s is not None else None, injected=injected)


# --- hashing, versions, ids ---------------------------------------------------------------------------------------

def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def input_hashes(data_dir: str | Path) -> dict[str, str]:
    """SHA-256 of every file under ``data_dir`` (hidden files skipped), keyed ``data/<relative path>``."""
    root = Path(data_dir)
    if not root.is_dir():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            out[(Path(root.name) / rel).as_posix()] = sha256_file(p)
    return out


def _git_commit(root: Path) -> dict | None:
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20)
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _prices_as_of(data_dir: Path) -> str | None:
    """The newest ``as_of`` date of the price tables under ``data_dir/prices`` (None if there are none)."""
    folder = data_dir / config.PRICES_DIR.name
    if not folder.is_dir():
        return None
    try:
        from voyager_analysis.assumptions import load_prices

        book = load_prices(folder)
        return str(max(book.claude.as_of.max(), book.services.as_of.max()))
    except (InputError, ImportError, ValueError, AttributeError):
        return None


def make_run_id(started: datetime, fingerprint: Mapping[str, Any]) -> str:
    """``YYYY-MM-DDTHHMMSSZ-<8 hex>``: sortable by start time; the hash is of the inputs and parameters."""
    digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:8]
    return f"{started.strftime('%Y-%m-%dT%H%M%SZ')}-{digest}"


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- privacy: paths, user and host names out of every output ---------------------------------------------

class Scrubber:
    """Replace this machine's absolute paths, home, user and host names in text with placeholders."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        seen: dict[str, str] = {}
        for old, new in pairs:
            if old and len(old) > 1 and old not in {"/", "."} and old not in seen:
                seen[old] = new
        self.pairs = sorted(seen.items(), key=lambda kv: -len(kv[0]))
        host = socket.gethostname().split(".")[0]
        self.host_re = re.compile(rf"\b{re.escape(host)}\b") if len(host) >= 4 and host != "localhost" else None

    def __call__(self, text: str) -> str:
        for old, new in self.pairs:
            if old in text:
                text = text.replace(old, new)
        if self.host_re is not None:
            text = self.host_re.sub("<host>", text)
        return text

    def walk(self, obj: Any, _key: str = "") -> Any:
        """Scrub every string in a JSON-like tree, except binary image payloads (base64)."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, list):
            return [self.walk(v, _key) for v in obj]
        if isinstance(obj, dict):
            return {k: (v if _is_binary_mime(k) else self.walk(v, k)) for k, v in obj.items()}
        return obj


def _is_binary_mime(key: str) -> bool:
    return key.startswith(("image/", "audio/", "video/")) and not key.startswith("image/svg")


def _path_forms(path: Path, base: Path) -> dict[str, str]:
    """The ways a path can appear in output: as given, resolved, absolute, and relative to ``base``
    (the notebooks folder, the kernels' working directory)."""
    forms = {"str": str(path), "real": os.path.realpath(path), "abs": os.path.abspath(path)}
    try:
        forms["rel"] = os.path.relpath(path, base)
    except ValueError:
        pass
    return forms


def _revealing(rel: str, path: Path, base: Path) -> bool:
    """Does a relative path climb so high that it spells out machine-specific folders (e.g.
    ``../../../tmp/pytest-of-alice/...``)? True when ``path`` and ``base`` share at most one level."""
    try:
        common = os.path.commonpath([os.path.abspath(path), os.path.abspath(base)])
    except ValueError:
        return True
    return len(Path(common).parts) <= 2 and rel.startswith("..")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def make_scrubber(plan: RunPlan, tmp_dir: Path | None = None, run_dir: Path | None = None) -> Scrubber:
    """A :class:`Scrubber` for one run: the temporary run folder becomes the final one, then every
    absolute path this machine reveals becomes a placeholder."""
    pairs: list[tuple[str, str]] = []
    base = plan.notebooks_dir
    if tmp_dir is not None and run_dir is not None:
        old_forms, new_forms = _path_forms(tmp_dir, base), _path_forms(run_dir, base)
        pairs += [(old_forms[k], new_forms[k]) for k in old_forms if k in new_forms]
    for path, label in [(plan.out_dir, "<reports>"), (plan.notebooks_dir, "<notebooks>"), (plan.data_dir, "<data>")]:
        if not _inside(path, config.ROOT):
            forms = _path_forms(path, base)
            pairs += [(f, label) for k, f in forms.items() if k != "rel" or _revealing(f, path, base)]
    pairs += [(str(config.ROOT), "<repo>"), (os.path.realpath(config.ROOT), "<repo>")]
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.realpath(sys.prefix)}:
        pairs.append((prefix, "<python>"))
    home = os.path.expanduser("~")
    if home not in {"/", ""}:
        pairs += [(home, "~"), (os.path.realpath(home), "~")]
    return Scrubber(pairs)


# --- HTML -----------------------------------------------------------------------------------------------------

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
.va-run dt{color:#555;font-weight:600}.va-run dd{margin:0}
.va-run code{font-size:.95em}
.va-error{margin-top:.8em;padding:.6em .9em;border-left:4px solid #c0392b;background:#fdecea;color:#5b1a14}
.va-ok{color:#2e8b57;font-weight:600}.va-failed{color:#c0392b;font-weight:600}
"""

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


def _first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                m = re.match(r"^\s*#{1,3}\s+(.+?)\s*#*\s*$", line)
                if m:
                    return re.sub(r"[*_`]", "", m.group(1))
    return None


def _fmt_value(v: Any, group: bool = True) -> str:
    """A result value for people: 4 significant digits, thousands grouped (not inside lists)."""
    sep = "," if group else ""
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return f"{v:{sep}}"
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e7 or abs(v) < 1e-3):
            return f"{v:.4g}"
        return f"{v:{sep}.4g}" if abs(v) < 1e4 else f"{v:{sep}.0f}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt_value(x, group=False) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt_value(x, group=False)}" for k, x in v.items()) + "}"
    return str(v)


def _header_html(record: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    e = html.escape
    params = record.get("parameters") or {}
    shown = {k: v for k, v in params.items() if k not in {RUN_DIR_PARAMETER, SCENARIO_PARAMETER}}
    param_text = ", ".join(f"{k}={_fmt_value(v)}" for k, v in shown.items()) or "notebook defaults"
    scenario = (manifest.get("scenario") or {}).get("name") or "none (shipped defaults)"
    results = record.get("results") or {}
    as_of = results.get("prices_as_of") or manifest.get("prices_as_of")
    git = manifest.get("git") or {}
    status = record.get("status")
    rows = [("Run", f"<code>{e(manifest['run_id'])}</code> (started {e(manifest['started_at'])})"),
            ("Notebook", f"<code>{e(record['notebook'])}</code>"),
            ("Status", f'<span class="va-{e(status)}">{e(status)}</span> in {record.get("duration_s", 0):.1f} s'),
            ("Scenario", e(str(scenario))),
            ("Parameters", e(param_text))]
    if as_of:
        rows.append(("Prices as of", e(str(as_of))))
    if git.get("commit"):
        rows.append(("Code", f"<code>{e(git['commit'][:12])}</code>" + (" (uncommitted changes)" if git.get("dirty") else "")))
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    err = ""
    if record.get("error"):
        err = f'<div class="va-error"><strong>This notebook failed.</strong> {e(_error_text(record["error"]))}</div>'
    return (f'<header class="va-run"><a class="va-back" href="../{INDEX_NAME}">&larr; all reports</a>'
            f"<dl>{body}</dl>{err}</header>")


def _error_text(error: Mapping[str, Any]) -> str:
    where = f"cell In [{error['execution_count']}]" if error.get("execution_count") else (
        f"cell {error['cell']}" if error.get("cell") is not None else "before any cell ran")
    src = error.get("source_first_line")
    src = f" (`{src}`)" if src else ""
    return f"{where}{src}: {error.get('ename', 'Error')}: {error.get('evalue', '')}".strip()


_EXPORT_LOCK = threading.Lock()
_EXPORTERS: dict[bool, Any] = {}


def _warm_exporter(show_code: bool) -> None:
    """Build the exporter and convert a tiny notebook once (nbconvert's first conversion imports and
    compiles a lot), so that the first real notebook does not wait for it."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell("# warm-up"), new_code_cell("1")])
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)]
    notebook_to_html(nb, header="", title="warm-up", show_code=show_code)


def escape_dollars(markdown: str) -> str:
    """Make every ``$`` outside code spans a literal dollar sign.

    MathJax is not shipped (offline reports), so nbconvert's ``$...$`` maths parsing would only swallow
    the emphasis around money ("**$104,850/month**" came out with raw asterisks)."""
    parts = markdown.split("`")
    return "`".join(p.replace("$", "&#36;") if i % 2 == 0 else p for i, p in enumerate(parts))


def _dollar_safe_exporter_class():
    from jinja2 import pass_context
    from nbconvert import HTMLExporter

    class DollarSafeHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            return super().markdown2html(context, escape_dollars(source))

    return DollarSafeHTMLExporter


def notebook_to_html(nb, *, header: str, title: str, show_code: bool = False) -> str:
    """Self-contained HTML of an executed notebook, with ``header`` (HTML) on top.

    Uses nbconvert's ``lab`` template without its CDN scripts (require.js, MathJax, mermaid, widgets);
    figures are inline PNG (base64) and local markdown images are embedded. Code cells are hidden unless
    ``show_code``; cells tagged ``remove_cell`` / ``remove_input`` / ``remove_output`` are honoured.
    Any network load still present (e.g. in an output's HTML) is neutralised.
    """
    with _EXPORT_LOCK:
        exporter = _EXPORTERS.get(show_code)
        if exporter is None:
            from jinja2 import DictLoader
            from traitlets.config import Config

            HTMLExporter = _dollar_safe_exporter_class()

            c = Config()
            c.TagRemovePreprocessor.enabled = True
            c.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
            c.TagRemovePreprocessor.remove_input_tags = {"remove_input"}
            c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
            exporter = HTMLExporter(config=c, template_name="lab", exclude_input=not show_code,
                                    exclude_input_prompt=not show_code, exclude_output_prompt=True,
                                    embed_images=True, extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
                                    template_file=_TEMPLATE_NAME, mathjax_url="", require_js_url="")
            _EXPORTERS[show_code] = exporter
        resources = {"metadata": {"name": title}, "va_header": header, "va_css": _CSS}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    return strip_external_resources(body)


# --- locking --------------------------------------------------------------------------------------------------

class RunLock:
    """``fcntl.flock`` on ``OUT/.lock``, held for the whole run. The holder writes its pid and start time
    into the file so that a waiting run can say whom it waits for."""

    def __init__(self, out_dir: Path, *, wait: bool, progress: TextIO | None):
        import fcntl

        self.path = out_dir / LOCK_NAME
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            if not wait:
                os.close(self.fd)
                raise InputError(f"another report run is writing to this folder ({holder}); "
                                 f"try again later, or run without --no-wait to wait for it") from None
            if progress:
                print(f"report: waiting for another report run on this folder to finish ({holder})",
                      file=progress, flush=True)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"pid {os.getpid()}, started {_iso(datetime.now(timezone.utc))}\n".encode(), 0)

    def _holder(self) -> str:
        try:
            return os.pread(self.fd, 200, 0).decode(errors="replace").strip() or "unknown process"
        except OSError:
            return "unknown process"

    def release(self) -> None:
        import fcntl

        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None


# --- warm kernels ---------------------------------------------------------------------------------------------
#
# The kernel command of each notebook becomes a tiny stub (python -S -I, stdlib only, ~20 ms) that asks
# the zygote, over a Unix socket, to fork a kernel with the stub's argv, cwd and environment; the stub
# then waits for that kernel to exit, forwarding signals to it, and exits with its status, so the kernel
# manager sees an ordinary kernel process. If the zygote cannot be reached the stub execs a normal
# ``python -m ipykernel_launcher``. Source kept free of curly braces: jupyter_client formats kernel argv.

_STUB = r"""
import os, sys, socket, signal, json
sock_path = sys.argv[1]
kargs = sys.argv[2:]
def cold():
    os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher'] + kargs)
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    req = dict(argv=kargs, cwd=os.getcwd(), env=dict(os.environ))
    s.sendall(json.dumps(req).encode() + b'\n')
    f = s.makefile('rb')
    pid = int(f.readline())
except Exception:
    cold()
def forward(sig, frame):
    try:
        os.kill(pid, sig)
    except OSError:
        pass
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, forward)
line = f.readline().split()
sys.exit(int(line[1]) if len(line) == 2 else 1)
"""


def warm_modules(notebooks: Iterable[Path]) -> list[str]:
    """Modules to pre-import in the zygote: what the notebooks import and, through ``voyager_analysis``,
    every module those package modules import (also lazily, inside functions), transitively;
    restricted to :data:`WARM_ROOTS`."""
    found: set[str] = set()
    for path in notebooks:
        nb = _read_notebook_json(path)
        for cell in nb["cells"]:
            if cell.get("cell_type") == "code":
                src = cell.get("source", "")
                found |= _imports("".join(src) if isinstance(src, list) else str(src))
    todo, seen = [m for m in found if m.split(".")[0] == "voyager_analysis"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _module_file(name)
        if path is None:
            continue
        try:
            more = _imports(path.read_text(encoding="utf-8"), package=name)
        except (OSError, UnicodeDecodeError):
            continue
        found |= more
        todo += [m for m in more if m.split(".")[0] == "voyager_analysis"]
    keep = {m for m in found if m.split(".")[0] in WARM_ROOTS and not m.startswith(
        ("voyager_analysis.cli", "voyager_analysis.report", "voyager_analysis.__main__"))}
    keep = {m for m in keep if m.split(".")[0] != "voyager_analysis" or _module_file(m) is not None}
    keep |= {extra for m, extras in WARM_EXTRAS.items() if m in keep for extra in extras}
    return list(WARM_ALWAYS) + sorted(keep)


def _module_file(name: str) -> Path | None:
    """The source file of a ``voyager_analysis`` module, or None (not a module of the package)."""
    base = config.PACKAGE_DIR.parent.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(source: str, package: str | None = None) -> set[str]:
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level and package:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + (1 if _is_pkg(package) else 0)])
                base = f"{parent}.{base}".strip(".") if base else parent
            elif node.level:
                continue
            if base:
                out.add(base)
                out |= {f"{base}.{a.name}" for a in node.names if a.name != "*"}
    return out


def _is_pkg(module: str) -> bool:
    path = _module_file(module)
    return path is not None and path.name == "__init__.py"


def _zygote_main() -> None:
    """Entry point of the zygote process (``python -c``): argv = socket path, JSON list of modules, data
    folder.

    Binds the socket first (so early kernel requests queue), pre-imports the modules and pre-parses the
    data folder's YAML files (each kernel would otherwise parse the same files again), then forks one
    kernel per request. Exits, killing its kernels, when its stdin (the runner's pipe) closes.
    """
    import importlib
    import select
    import signal
    import traceback

    sock_path, modules, data_dir = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(128)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in modules:
        parent, _, leaf = name.rpartition(".")
        if parent in sys.modules and hasattr(sys.modules[parent], leaf):
            continue  # 'from x import name' of a function or class: nothing more to import
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a module that fails to import is simply not warm
            pass
    try:
        from voyager_analysis.files import preload_yaml

        preload_yaml(data_dir)
    except BaseException:  # noqa: BLE001 - nothing pre-parsed: the kernels parse the files themselves
        pass
    # The inline backend must be imported inside the kernel (it hooks into the running shell then).
    for name in [m for m in sys.modules if m.startswith("matplotlib_inline")]:
        del sys.modules[name]

    conns: dict[socket.socket, int] = {}
    pids: dict[int, socket.socket] = {}
    stdin_fd = sys.stdin.fileno()
    while True:
        ready, _, _ = select.select([server, stdin_fd, *conns], [], [], 0.05)
        for r in ready:
            if r == stdin_fd:
                if not os.read(stdin_fd, 4096):
                    for pid in pids:
                        _kill(pid)
                    os._exit(0)
            elif r is server:
                conn, _ = server.accept()
                try:
                    conn.settimeout(10)
                    req = json.loads(conn.makefile("rb").readline())
                    conn.settimeout(None)
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        server.close()
                        for c in conns:
                            c.close()
                        conn.close()
                        devnull = os.open(os.devnull, os.O_RDONLY)
                        os.dup2(devnull, 0)
                        os.close(devnull)
                        signal.signal(signal.SIGINT, signal.default_int_handler)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        os.chdir(req["cwd"])
                        os.environ.clear()
                        os.environ.update(req["env"])
                        os.environ["JPY_PARENT_PID"] = str(os.getppid())
                        sys.argv = ["ipykernel_launcher", *req["argv"]]
                        from ipykernel import kernelapp

                        kernelapp.launch_new_instance()
                        code = 0
                    except SystemExit as exc:
                        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                    except BaseException:  # noqa: BLE001
                        traceback.print_exc()
                    finally:
                        try:
                            import atexit

                            atexit._run_exitfuncs()
                            sys.stdout.flush()
                            sys.stderr.flush()
                        finally:
                            os._exit(code)
                try:
                    conn.sendall(f"{pid}\n".encode())
                except OSError:
                    _kill(pid)
                conns[conn] = pid
                pids[pid] = conn
            else:  # the stub closed its end (it was killed): kill its kernel
                try:
                    data = r.recv(1)
                except OSError:
                    data = b""
                if not data:
                    _kill(conns.pop(r))
                    r.close()
        while pids:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            conn = pids.pop(pid, None)
            if conn is not None:
                try:
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                except OSError:
                    pass
                conns.pop(conn, None)
                conn.close()


def _kill(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


class Zygote:
    """The warm-kernel zygote process of one run (see :func:`_zygote_main`)."""

    def __init__(self, modules: Sequence[str], env: Mapping[str, str], cwd: Path, data_dir: Path):
        import tempfile

        self.dir = tempfile.mkdtemp(prefix="va-zygote-")
        self.socket = os.path.join(self.dir, "s")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from voyager_analysis.report import _zygote_main; _zygote_main()",
             self.socket, json.dumps(list(modules)), str(data_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=dict(env), cwd=str(cwd),
            start_new_session=True)

    def wait_bound(self, timeout_s: float = 10.0) -> bool:
        """Wait until the zygote listens (its socket exists); False if it died or did not in time. A kernel
        stub that found no socket would quietly start a cold kernel instead."""
        deadline = time.monotonic() + timeout_s
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _kernel_manager_class(cwd: Path, zygote_socket: str | None):
    """A jupyter_client kernel manager that starts ``python3`` kernels in ``cwd`` with inline figures
    and quiet logs, forked from the zygote when ``zygote_socket`` is given."""
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec

    class ReportKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                base = self.kernel_spec_manager.get_kernel_spec(self.kernel_name)
                argv = [*base.argv, "--IPKernelApp.log_level=CRITICAL"]
                if zygote_socket and argv[1:3] == ["-m", "ipykernel_launcher"]:
                    argv = [sys.executable, "-S", "-I", "-c", _STUB, zygote_socket, *argv[3:]]
                env = {**(base.env or {}), "MPLBACKEND": INLINE_BACKEND}
                self._kernel_spec = KernelSpec(argv=argv, env=env, display_name=base.display_name,
                                               language=base.language, interrupt_mode=base.interrupt_mode,
                                               metadata=base.metadata, resource_dir=base.resource_dir)
            return self._kernel_spec

        async def start_kernel(self, **kw):  # the runner's threads never chdir; the kernel gets cwd here
            kw["cwd"] = str(cwd)
            return await super().start_kernel(**kw)

    return ReportKernelManager


# --- executing one notebook -------------------------------------------------------------------------------

class _Progress:
    def __init__(self, stream: TextIO | None):
        self.stream, self.t0, self.lock = stream, time.perf_counter(), threading.Lock()

    def __call__(self, text: str) -> None:
        if self.stream is not None:
            with self.lock:
                print(f"[{time.perf_counter() - self.t0:6.1f}s] {text}", file=self.stream, flush=True)


def _import_papermill():
    # nbformat -> jsonschema imports the optional 'rfc3987_syntax', which builds a grammar at import time
    # (about 2 s here) for the 'iri' string format that no notebook schema uses. Hide it in this process.
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    import logging

    import papermill

    # Parameters are validated by plan_run; papermill's own parser warns about valid lines it cannot
    # read (e.g. a quote inside the comment) and about the parameters it then thinks are unknown.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    return papermill


def _execute(spec: NotebookSpec, params: dict, out_ipynb: Path, km_class, timeout_s: float | None) -> dict | None:
    """Run one notebook with papermill; returns None on success or the error description."""
    pm = _import_papermill()
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(spec.path), str(out_ipynb), parameters=params, kernel_name=KERNEL_NAME,
                            progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                            start_timeout=180, execution_timeout=timeout_s, kernel_manager_class=km_class,
                            shutdown_kernel="immediate")  # every output is in once the last cell is done
        return None
    except PapermillExecutionError as exc:
        lines = [ln for ln in str(exc.source).splitlines() if ln.strip()]
        return {"cell": exc.cell_index, "execution_count": exc.exec_count, "ename": exc.ename,
                "evalue": _strip_ansi(str(exc.evalue))[:2000],
                "source_first_line": lines[0][:200] if lines else None}
    except Exception as exc:  # noqa: BLE001 - kernel died, timeout, unreadable notebook ...
        return {"cell": None, "execution_count": None, "ename": type(exc).__name__,
                "evalue": _strip_ansi(str(exc)).strip()[:2000], "source_first_line": None}


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _finish_notebook(spec: NotebookSpec, params: dict, error: dict | None, duration: float, tmp_dir: Path,
                     manifest: dict, scrub: Scrubber, show_code: bool) -> dict:
    """Sanitise the executed notebook, read its results, write its HTML; return its manifest record."""
    import nbformat

    from voyager_analysis.nbtools import read_results

    out_ipynb = tmp_dir / f"{spec.name}.ipynb"
    nb = nbformat.read(str(out_ipynb if out_ipynb.exists() else spec.path), as_version=4)
    pm_meta = nb.metadata.get("papermill")
    if pm_meta is not None:
        pm_meta["input_path"] = spec.path.name
        pm_meta["output_path"] = out_ipynb.name
    nb = nbformat.from_dict(scrub.walk(nb))
    nbformat.write(nb, str(out_ipynb))
    record = {
        "notebook": spec.path.name,
        "name": spec.name,
        "sha256": sha256_file(spec.path),
        "status": "failed" if error else "ok",
        "duration_s": round(duration, 3),
        "parameters": scrub.walk(params),
        "results": read_results(out_ipynb),
        "error": scrub.walk(error) if error else None,
        "ipynb": out_ipynb.name,
        "html": f"{spec.name}.html",
    }
    title = _first_heading(nb) or spec.name
    header = _header_html(record, manifest)
    page = notebook_to_html(_without_results_echo(nb), header=header, title=f"{title} · {manifest['run_id']}", show_code=show_code)
    (tmp_dir / record["html"]).write_text(page, encoding="utf-8")
    return record


def _without_results_echo(nb):
    """A copy of ``nb`` for HTML in which the ``results`` cell shows its JSON once: ``show_results(...)``
    displays the JSON and also returns it, which IPython echoes as the cell's value."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and "results" in cell.get("metadata", {}).get("tags", []):
            outputs = cell.get("outputs", [])
            if any("application/json" in o.get("data", {}) for o in outputs):
                cell.outputs = [o for o in outputs if o.get("output_type") != "execute_result"]
    return nb


def _run_parallel(items: Sequence[Any], jobs: int, fn: Callable[[Any], Any]) -> list[Any]:
    """``[fn(x) for x in items]`` on up to ``jobs`` daemon threads (so Ctrl-C is never stuck joining)."""
    import queue

    if not items:
        return []
    todo: queue.Queue = queue.Queue()
    for i, item in enumerate(items):
        todo.put((i, item))
    done: queue.Queue = queue.Queue()

    def worker():
        while True:
            try:
                i, item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((i, fn(item), None))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                done.put((i, None, exc))

    for _ in range(min(jobs, len(items))):
        threading.Thread(target=worker, daemon=True).start()
    results: list[Any] = [None] * len(items)
    for _ in items:
        while True:
            try:
                i, value, exc = done.get(timeout=0.5)
                break
            except queue.Empty:
                continue
        if exc is not None:
            raise exc
        results[i] = value
    return results


# --- the run --------------------------------------------------------------------------------------------------

def run_report(plan: RunPlan | None = None, *, progress: TextIO | None | str = "stderr", **options) -> dict:
    """Execute a run and publish it; returns its manifest (``status`` 'ok' or 'failed').

    ``plan`` comes from :func:`plan_run` (or pass :func:`plan_run`'s keyword arguments here).
    Raises InputError (bad input; nothing executed or written) before taking the lock.
    """
    plan = plan or plan_run(**options)
    progress = sys.stderr if progress == "stderr" else progress
    say = _Progress(progress)
    plan.out_dir.mkdir(parents=True, exist_ok=True)
    lock = RunLock(plan.out_dir, wait=plan.wait, progress=progress)
    zygote = tmp_dir = None
    try:
        t0 = time.perf_counter()
        started = datetime.now(timezone.utc)
        _remove_stale_tmp(plan.out_dir)
        kernel_env = {**os.environ, "MPLBACKEND": INLINE_BACKEND}
        if plan.warm:  # first, so that its imports overlap with everything below
            # (debugpy, imported by the zygote, would warn about frozen modules; kernels set this too)
            zygote = Zygote(warm_modules(s.path for s in plan.notebooks),
                            {"PYDEVD_DISABLE_FILE_VALIDATION": "1", **kernel_env}, plan.notebooks_dir,
                            plan.data_dir)
        inputs = input_hashes(plan.data_dir)
        scenario = None
        if plan.scenario is not None:
            scenario = {"name": plan.scenario.stem, "path": _portable(plan.scenario),
                        "sha256": sha256_file(plan.scenario)}
        fingerprint = {"inputs": inputs, "notebooks": {s.name: sha256_file(s.path) for s in plan.notebooks},
                       "parameters": plan.parameters, "scenario": scenario and scenario["sha256"]}
        run_id = make_run_id(started, fingerprint)
        n = 2
        base_id = run_id
        while (plan.out_dir / run_id).exists():
            run_id, n = f"{base_id}-{n}", n + 1
        tmp_dir = plan.out_dir / f"{TMP_PREFIX}{run_id}-{os.getpid()}"
        tmp_dir.mkdir()
        run_dir = plan.out_dir / run_id
        scrub = make_scrubber(plan, tmp_dir, run_dir)
        say(f"run {run_id}: {len(plan.notebooks)} notebook(s), {plan.jobs} job(s), "
            f"{'warm' if zygote else 'cold'} kernels")
        manifest: dict[str, Any] = {
            "run_id": run_id, "status": None, "started_at": _iso(started), "finished_at": None,
            "duration_s": None, "git": None, "versions": None,
            "scenario": scenario, "parameters": scrub.walk(plan.parameters),
            "options": {"selected": [s.name for s in plan.notebooks], "jobs": plan.jobs, "show_code": plan.show_code,
                        "warm_kernels": bool(zygote), "timeout_s": plan.timeout_s},
            "prices_as_of": None, "inputs": inputs, "notebooks": [],
        }
        _import_papermill()
        if zygote is not None and not zygote.wait_bound():
            zygote.close()
            zygote = None
            manifest["options"]["warm_kernels"] = False
        km_class = _kernel_manager_class(plan.notebooks_dir, zygote.socket if zygote else None)

        def describe() -> None:  # while the first kernels start: what the HTML headers need
            manifest["git"] = _git_commit(config.ROOT)
            manifest["versions"] = _versions()
            manifest["prices_as_of"] = _prices_as_of(plan.data_dir)
            _warm_exporter(plan.show_code)

        described = threading.Thread(target=describe, daemon=True)
        described.start()

        def one(spec: NotebookSpec) -> dict:
            params = dict(plan.injected.get(spec.name, {}))
            if spec.is_summary and RUN_DIR_PARAMETER in spec.parameters:
                params[RUN_DIR_PARAMETER] = os.path.relpath(tmp_dir, plan.notebooks_dir)
            say(f"{spec.name}: running")
            t = time.perf_counter()
            error = _execute(spec, params, tmp_dir / f"{spec.name}.ipynb", km_class, plan.timeout_s)
            duration = time.perf_counter() - t
            described.join()
            record = _finish_notebook(spec, params, error, duration, tmp_dir, manifest, scrub, plan.show_code)
            if error:
                say(f"{spec.name}: FAILED after {duration:.1f}s: {_error_text(record['error'])}")
            else:
                say(f"{spec.name}: ok in {duration:.1f}s")
            return record

        # Longest first (by the previous run's durations; new notebooks first): the shortest tail.
        before = _previous_durations(plan.out_dir)
        first = sorted((s for s in plan.notebooks if not s.is_summary), key=lambda s: -before.get(s.name, 1e9))
        last = [s for s in plan.notebooks if s.is_summary]
        records = _run_parallel(first, plan.jobs, one) + _run_parallel(last, plan.jobs, one)
        manifest["notebooks"] = sorted(records, key=lambda r: r["notebook"])
        failed = [r["name"] for r in records if r["status"] != "ok"]
        manifest["status"] = "failed" if failed else "ok"
        manifest["finished_at"] = _iso(datetime.now(timezone.utc))
        manifest["duration_s"] = round(time.perf_counter() - t0, 3)
        manifest = scrub.walk(manifest)
        (tmp_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n",
                                             encoding="utf-8")
        os.replace(tmp_dir, run_dir)
        tmp_dir = None
        if not failed:
            set_latest(plan.out_dir, run_id)
        if plan.keep:
            for gone in prune_runs(plan.out_dir, plan.keep):
                say(f"pruned {gone}")
        write_index(plan.out_dir)
        shown = _display_dir(plan.out_dir)
        say(f"run {run_id}: {len(records) - len(failed)} ok, {len(failed)} failed"
            + (f" ({', '.join(failed)})" if failed else "")
            + f"; wrote {shown}/{run_id}/ and {shown}/{INDEX_NAME}")
        return manifest
    finally:
        if zygote is not None:
            zygote.close()
        for _ in range(25):  # an interrupted worker thread may still be writing into it for a moment
            if tmp_dir is None or not tmp_dir.exists():
                break
            shutil.rmtree(tmp_dir, ignore_errors=True)
            time.sleep(0.2)
        lock.release()


def _previous_durations(out_dir: Path) -> dict[str, float]:
    """Seconds each notebook took in the newest published run (empty when there is none)."""
    runs = list_runs(out_dir)
    if not runs:
        return {}
    return {r["name"]: float(r.get("duration_s") or 0) for r in runs[0].get("notebooks", []) if "name" in r}


def _portable(path: Path) -> str:
    """A path fit for a shared report: relative to the repository if inside it, else the file name."""
    try:
        return path.resolve().relative_to(config.ROOT).as_posix()
    except ValueError:
        return path.name


def _display_dir(path: Path) -> str:
    from voyager_analysis.errors import display_path

    return display_path(path)


def _remove_stale_tmp(out_dir: Path) -> None:
    """Remove hidden temporary run folders left by killed runs (safe: we hold the lock)."""
    for p in out_dir.glob(f"{TMP_PREFIX}*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)


# --- publishing: latest, pruning, index ---------------------------------------------------------------------

def set_latest(out_dir: Path, run_id: str) -> str:
    """Point ``OUT/latest`` at ``run_id`` (relative symlink, replaced atomically). Where symlinks are
    impossible, write ``OUT/latest.txt`` holding the run id instead. Returns which one was written."""
    link, tmp = out_dir / LATEST_NAME, out_dir / f".{LATEST_NAME}.tmp-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_id, tmp)
        os.replace(tmp, link)
        txt = out_dir / LATEST_TXT
        if txt.exists():
            txt.unlink()
        return LATEST_NAME
    except OSError:
        (out_dir / LATEST_TXT).write_text(run_id + "\n", encoding="utf-8")
        if link.is_symlink():  # a stale link would win over the text file
            link.unlink()
        return LATEST_TXT


def latest_run(out_dir: str | Path) -> str | None:
    """The run id ``OUT/latest`` (or ``OUT/latest.txt``) points to, or None."""
    out = Path(out_dir)
    link = out / LATEST_NAME
    if link.is_symlink():
        return Path(os.readlink(link)).name
    txt = out / LATEST_TXT
    if txt.is_file():
        return txt.read_text(encoding="utf-8").strip() or None
    return None


def list_runs(out_dir: str | Path) -> list[dict]:
    """Manifests of every published run in ``out_dir``, newest first (unreadable ones are skipped)."""
    out = Path(out_dir)
    runs = []
    if not out.is_dir():
        return runs
    for p in out.iterdir():
        if p.is_dir() and not p.is_symlink() and RUN_ID_RE.match(p.name) and (p / MANIFEST_NAME).is_file():
            try:
                m = json.loads((p / MANIFEST_NAME).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(m, dict) and m.get("run_id") == p.name:
                runs.append(m)
    return sorted(runs, key=lambda m: (m.get("started_at", ""), _id_key(m["run_id"])), reverse=True)


def _id_key(run_id: str) -> tuple[str, int]:
    base, _, n = run_id.rpartition("-")
    return (base, int(n)) if n.isdigit() and RUN_ID_RE.match(base) else (run_id, 0)


def prune_runs(out_dir: str | Path, keep: int) -> list[str]:
    """Delete run folders beyond the ``keep`` newest, never the one ``latest`` points to; returns the
    deleted run ids. Only folders that are runs (named like a run id, with a manifest) are touched."""
    if keep < 1:
        raise InputError(f"--keep must be at least 1, got {keep}")
    out = Path(out_dir)
    good = latest_run(out)
    gone = []
    for m in list_runs(out)[keep:]:
        if m["run_id"] != good:
            shutil.rmtree(out / m["run_id"])
            gone.append(m["run_id"])
    return gone


def _flatten(results: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(results, dict):
        out: dict[str, Any] = {}
        for k, v in results.items():
            out.update(_flatten(v, f"{prefix}{k}." if not isinstance(v, dict) or v else f"{prefix}{k}"))
        return {k.rstrip("."): v for k, v in out.items()}
    return {prefix: results}


def compare_results(latest: Mapping[str, Any], previous: Mapping[str, Any]) -> list[dict]:
    """Headline results of two runs side by side, for the notebooks that produced results in both: one
    row per (notebook, key) present in either, with ``change`` (latest - previous) and ``change_pct`` for
    numbers; ``status`` is one of 'changed', 'unchanged', 'new', 'gone'."""
    def results(m):
        return {r["name"]: r["results"] for r in m.get("notebooks", []) if r.get("results") is not None}

    ra, rb = results(latest), results(previous)
    both = set(ra) & set(rb)
    a = {(n, k): v for n in both for k, v in _flatten(ra[n]).items()}
    b = {(n, k): v for n in both for k, v in _flatten(rb[n]).items()}
    rows = []
    for key in sorted(set(a) | set(b)):
        new, old = a.get(key, _MISSING), b.get(key, _MISSING)
        row = {"notebook": key[0], "key": key[1], "previous": None if old is _MISSING else old,
               "latest": None if new is _MISSING else new, "change": None, "change_pct": None}
        if old is _MISSING:
            row["status"] = "new"
        elif new is _MISSING:
            row["status"] = "gone"
        elif new == old:
            row["status"] = "unchanged"
        else:
            row["status"] = "changed"
            if _is_number(new) and _is_number(old):
                row["change"] = new - old
                row["change_pct"] = 100.0 * (new - old) / abs(old) if old != 0 else None
        rows.append(row)
    return rows


_MISSING = object()


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _input_changes(latest: Mapping[str, Any], previous: Mapping[str, Any]) -> list[str]:
    out = []
    a, b = latest.get("inputs") or {}, previous.get("inputs") or {}
    for path in sorted(set(a) | set(b)):
        if path not in b:
            out.append(f"input added: {path}")
        elif path not in a:
            out.append(f"input removed: {path}")
        elif a[path] != b[path]:
            out.append(f"input changed: {path}")
    nb_a = {r["name"]: r.get("sha256") for r in latest.get("notebooks", [])}
    nb_b = {r["name"]: r.get("sha256") for r in previous.get("notebooks", [])}
    out += [f"notebook changed: {n}" for n in sorted(set(nb_a) & set(nb_b)) if nb_a[n] != nb_b[n]]
    if (latest.get("parameters") or {}) != (previous.get("parameters") or {}):
        out.append(f"parameters: {_params_text(previous)} → {_params_text(latest)}")
    sa, sb = (latest.get("scenario") or {}).get("sha256"), (previous.get("scenario") or {}).get("sha256")
    if sa != sb:
        out.append(f"scenario: {_scenario_text(previous)} → {_scenario_text(latest)}")
    ga, gb = (latest.get("git") or {}).get("commit"), (previous.get("git") or {}).get("commit")
    if ga != gb:
        out.append(f"code: {(gb or 'unknown')[:12]} → {(ga or 'unknown')[:12]}")
    return out


def _params_text(m: Mapping[str, Any]) -> str:
    p = m.get("parameters") or {}
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in p.items()) or "defaults"


def _scenario_text(m: Mapping[str, Any]) -> str:
    return (m.get("scenario") or {}).get("name") or "none"


_INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2733;
 max-width:1150px;margin:1.5em auto;padding:0 1em;line-height:1.4}
h1{font-size:1.7em;margin-bottom:.1em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #d8dde3}
h3{font-size:1.05em;margin:1.1em 0 .3em 0}
table{border-collapse:collapse;margin:.4em 0 1em 0;font-size:.92em}
th,td{border-bottom:1px solid #e3e7ec;padding:.3em .7em;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#2e8b57;font-weight:600}.failed{color:#c0392b;font-weight:600}
.up{color:#1f6f8b}.down{color:#9a6fb0}.muted{color:#667;font-size:.9em}
.err{color:#5b1a14;background:#fdecea;padding:.1em .4em;border-radius:3px;display:inline-block;margin-top:.2em}
code{font-size:.95em}
"""


def render_index(runs: Sequence[Mapping[str, Any]], latest_good: str | None) -> str:
    """The HTML of ``OUT/index.html`` for ``runs`` (newest first). Self-contained, no scripts."""
    e = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             "<title>Voyager Analysis reports</title>", f"<style>{_INDEX_CSS}</style></head><body>",
             "<h1>Voyager Analysis reports</h1>"]
    if not runs:
        parts.append("<p>No runs yet.</p></body></html>")
        return "".join(parts)
    newest = runs[0]
    good = f"<a href='{e(latest_good)}/'>{e(latest_good)}</a>" if latest_good else "none yet"
    parts.append(f"<p class='muted'>{len(runs)} run(s). Latest run <code>{e(newest['run_id'])}</code> "
                 f"<span class='{e(newest.get('status') or '')}'>{e(newest.get('status') or '?')}</span>; "
                 f"newest run where every notebook succeeded (<code>{LATEST_NAME}</code>): {good}.</p>")

    parts.append(f"<h2>Headline results of the latest run ({e(newest['run_id'])})</h2>")
    for r in newest.get("notebooks", []):
        link = f"<a href='{e(newest['run_id'])}/{e(r['html'])}'>{e(r['notebook'])}</a>"
        flat = _flatten(r.get("results") or {})
        if r.get("status") != "ok":
            parts.append(f"<h3>{link} <span class='failed'>failed</span></h3>"
                         f"<div class='err'>{e(_error_text(r.get('error') or {}))}</div>")
            continue
        parts.append(f"<h3>{link}</h3>")
        if not flat:
            parts.append("<p class='muted'>No results cell output.</p>")
            continue
        parts.append("<table><tr><th>result</th><th>value</th></tr>" + "".join(
            f"<tr><td><code>{e(k)}</code></td><td class='num'>{e(_fmt_value(v))}</td></tr>" for k, v in flat.items())
            + "</table>")

    if len(runs) > 1:
        prev = runs[1]
        parts.append(f"<h2>What changed since the previous run ({e(prev['run_id'])})</h2>")
        changes = _input_changes(newest, prev)
        parts.append("<ul>" + "".join(f"<li>{e(c)}</li>" for c in changes) + "</ul>" if changes else
                     "<p class='muted'>Same inputs, notebooks, parameters, scenario and code.</p>")
        rows = compare_results(newest, prev)
        moved = [r for r in rows if r["status"] != "unchanged"]
        same = len(rows) - len(moved)
        if moved:
            body = []
            for r in moved:
                change = pct = ""
                if r["change"] is not None:
                    cls = "up" if r["change"] > 0 else "down"
                    change = f"<span class='{cls}'>{'+' if r['change'] > 0 else ''}{e(_fmt_value(r['change']))}</span>"
                    if r["change_pct"] is not None:
                        pct = f"<span class='{cls}'>{r['change_pct']:+.1f}%</span>"
                body.append(f"<tr><td>{e(r['notebook'])}</td><td><code>{e(r['key'])}</code></td>"
                            f"<td class='num'>{e(_fmt_value(r['previous'])) if r['status'] != 'new' else '—'}</td>"
                            f"<td class='num'>{e(_fmt_value(r['latest'])) if r['status'] != 'gone' else '—'}</td>"
                            f"<td class='num'>{change}</td><td class='num'>{pct}</td><td>{e(r['status'])}</td></tr>")
            parts.append("<table><tr><th>notebook</th><th>result</th><th>previous</th><th>latest</th>"
                         "<th>change</th><th>change %</th><th></th></tr>" + "".join(body) + "</table>")
        compared = {r["notebook"] for r in rows}
        others = sorted({r["name"] for m in (newest, prev) for r in m.get("notebooks", [])} - compared)
        parts.append(f"<p class='muted'>{same} headline result(s) unchanged."
                     + (f" Not compared (no results in one of the two runs): {e(', '.join(others))}." if others else "")
                     + "</p>")

    parts.append("<h2>All runs</h2><table><tr><th>run</th><th>started (UTC)</th><th>status</th>"
                 "<th>duration</th><th>scenario</th><th>parameters</th><th>notebooks</th></tr>")
    for m in runs:
        rid = e(m["run_id"])
        nbs = []
        for r in m.get("notebooks", []):
            mark = "<span class='ok'>✓</span>" if r.get("status") == "ok" else "<span class='failed'>✗</span>"
            item = f"{mark} <a href='{rid}/{e(r['html'])}'>{e(r['name'])}</a> <span class='muted'>{r.get('duration_s', 0):.1f} s</span>"
            if r.get("status") != "ok":
                item += f"<br><span class='err'>{e(_error_text(r.get('error') or {}))}</span>"
            nbs.append(item)
        status = m.get("status") or "?"
        tag = " <span class='muted'>(latest)</span>" if m["run_id"] == latest_good else ""
        parts.append(f"<tr><td><code>{rid}</code>{tag}</td><td>{e(str(m.get('started_at', '')).replace('T', ' ').rstrip('Z'))}</td>"
                     f"<td class='{e(status)}'>{e(status)}</td><td class='num'>{float(m.get('duration_s') or 0):.1f} s</td>"
                     f"<td>{e(_scenario_text(m))}</td><td>{e(_params_text(m))}</td><td>{'<br>'.join(nbs)}</td></tr>")
    parts.append("</table></body></html>")
    return "".join(parts)


def write_index(out_dir: str | Path) -> Path:
    """(Re)write ``OUT/index.html`` from the runs' manifests, atomically."""
    out = Path(out_dir)
    page = render_index(list_runs(out), latest_run(out))
    tmp = out / f".{INDEX_NAME}.tmp-{os.getpid()}"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out / INDEX_NAME)
    return out / INDEX_NAME


# --- scheduling recipe ----------------------------------------------------------------------------------------

def schedule_recipe(root: str | Path | None = None, *, keep: int = 14, hour: int = 2, minute: int = 15,
                    user: str = "voyager") -> dict[str, str]:
    """Text of a nightly cron entry and a systemd service + timer running the report with ``--keep``.

    The runs wait for each other through the lock, so an overlapping manual run is safe.
    """
    root = str(root or "/srv/voyager-analysis")
    command = f"{root}/.venv/bin/voyager-analysis report --keep {keep}"
    cron = (f"# m  h  dom mon dow  command   (nightly Voyager Analysis report; keeps the last {keep} runs)\n"
            f"{minute} {hour} * * * cd {root} && mkdir -p reports && {command} >> reports/cron.log 2>&1\n")
    service = ("[Unit]\nDescription=Voyager Analysis nightly report\n\n"
               f"[Service]\nType=oneshot\nUser={user}\nWorkingDirectory={root}\nExecStart={command}\n"
               "Nice=10\n")
    timer = ("[Unit]\nDescription=Run the Voyager Analysis report nightly\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\n"
             "RandomizedDelaySec=5min\n\n[Install]\nWantedBy=timers.target\n")
    return {"command": command, "cron": cron, "voyager-report.service": service, "voyager-report.timer": timer}
