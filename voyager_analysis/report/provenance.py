"""Where a run's numbers come from: hashes of inputs and notebooks, versions, git commit, run ids, the
reuse key of a notebook, and the scrubber that keeps this machine's paths, user and host out of reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from voyager_analysis import config

#: Packages whose versions go into the manifest and into every notebook's reuse key.
VERSIONED_PACKAGES = ("voyager-analysis", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "SALib",
                      "PyYAML", "papermill", "nbconvert", "nbformat", "nbclient", "ipykernel", "jupyter_client")
#: Folders of the package that do not change what a notebook computes (the runner and the command line);
#: the runner's HTML module does change the reused HTML, so it is hashed.
_NOT_NOTEBOOK_CODE = ("cli", "report")
_HTML_MODULE = Path(__file__).with_name("html.py")


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


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


def code_digest() -> str:
    """One hash of the package code a notebook can run (every ``voyager_analysis`` module except the
    command line and the runner, plus the runner's HTML module)."""
    h = hashlib.sha256()
    root = config.PACKAGE_DIR
    files = [p for p in sorted(root.rglob("*.py")) if p.relative_to(root).parts[0] not in _NOT_NOTEBOOK_CODE]
    for p in [*files, _HTML_MODULE]:
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def git_commit(root: Path) -> dict | None:
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


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def make_run_id(started: datetime, fingerprint: Mapping[str, Any]) -> str:
    """``YYYY-MM-DDTHHMMSSZ-<8 hex>``: sortable by start time; the hash is of the inputs and parameters."""
    return f"{started.strftime('%Y-%m-%dT%H%M%SZ')}-{sha256_json(fingerprint)[:8]}"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def portable(path: Path) -> str:
    """A path fit for a shared report: relative to the repository if inside it, else the file name."""
    try:
        return path.resolve().relative_to(config.ROOT).as_posix()
    except ValueError:
        return path.name


# --- reuse: what a notebook's outputs depend on -------------------------------------------------------------

def static_key(notebook_sha256: str, parameters: Mapping[str, Any], scenario_sha256: str | None,
               environment: Mapping[str, Any]) -> str:
    """Everything a notebook's outputs depend on except the data files it reads: its code, the injected
    parameters (without ``run_dir``), the scenario file, the package code and library versions, the HTML
    options (``environment``)."""
    return sha256_json({"notebook": notebook_sha256, "parameters": dict(parameters),
                        "scenario": scenario_sha256, "environment": dict(environment)})


def reads_fingerprint(reads: Iterable[str], data_dir: Path, inputs: Mapping[str, str]) -> dict[str, str | None]:
    """The current state of the data a notebook read last time: ``data/<file>`` → its SHA-256 (None if
    gone); ``data/<folder>/`` (a listing) → hash of the names in it."""
    out: dict[str, str | None] = {}
    for rel in reads:
        if rel.endswith("/"):
            folder = data_dir.joinpath(*Path(rel).parts[1:])
            names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None
            out[rel] = sha256_json(names) if names is not None else None
        else:
            out[rel] = inputs.get(rel)
    return out


def read_trace(trace_file: Path, data_dir: Path) -> list[str] | None:
    """The data files and folders a kernel opened or listed (see :mod:`.trace`), as ``data/...`` paths
    (folders end in ``/``); None when there is no trace (then everything under ``data/`` counts)."""
    try:
        lines = trace_file.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    if not lines or lines[0] != "trace" or "incomplete" in lines:
        return None
    out = set()
    for line in lines[1:]:
        kind, _, path = line.partition(" ")
        try:
            rel = Path(os.path.realpath(path)).relative_to(os.path.realpath(data_dir))
        except ValueError:
            continue
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        name = (Path(data_dir.name) / rel).as_posix()
        if kind == "dir":
            out.add(name.rstrip("/") + "/")
        elif Path(path).is_file():
            out.add(name)
    return sorted(out)


# --- privacy: paths, user and host names out of every output ---------------------------------------------

#: An absolute POSIX path of at least two parts that starts a word (not part of a URL, a ``<placeholder>/...``
#: path, a ratio such as ``usd/month`` or a closing HTML tag); group 1 is its last part.
_ABSOLUTE_PATH_RE = re.compile(r"(?<![\w.~>/:<\\-])/(?:[\w.-]+/)+([\w.-]+)")


class Scrubber:
    """Replace this machine's absolute paths, home, user and host names in text with placeholders; any
    other absolute path (a ``-p metrics_path=/tmp/x.csv`` outside the repository) becomes its file name."""

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
        return _ABSOLUTE_PATH_RE.sub(r"\1", text) if "/" in text else text

    def walk(self, obj: Any) -> Any:
        """Scrub every string in a JSON-like tree, except binary image payloads (base64); Markdown outputs
        lose raw HTML and non-http(s) links (:func:`inert_markdown`)."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, list):
            return [self.walk(v) for v in obj]
        if isinstance(obj, dict):
            return {k: (v if _is_binary_mime(k) else _MIME_FILTERS.get(k, _same)(self.walk(v)))
                    for k, v in obj.items()}
        return obj


# --- nothing executable: a shared report never carries markup from an input file ------------------------------

#: The start of an HTML tag, comment or declaration in Markdown text (``p < 0.05`` and ``<5%`` are not).
#: An odd number of backslashes before it makes it a literal ``<`` already (:func:`scenarios.markdown_text`).
_TAG_START_RE = re.compile(r"(?<!\\)((?:\\\\)*)<(?=[A-Za-z/!?])")
#: A Markdown link target or link definition with a URL scheme: ``](scheme:`` or ``[id]: scheme:``.
_LINK_SCHEME_RE = re.compile(r"(\]\(\s*<?\s*|^\s*\[[^\]\n]+\]:\s*<?\s*)([A-Za-z][A-Za-z0-9+.-]*:|&|%)", re.M)
_SAFE_SCHEMES = ("http", "https", "mailto")  # a target starting with an entity or %-escape is not safe either


def inert_markdown(text: Any) -> Any:
    """A notebook's Markdown output with every raw HTML tag shown as text (``&lt;``) and every link whose
    scheme is not http(s)/mailto pointing nowhere (``#``), so that no Markdown renderer can turn text from
    an input file (a scenario description, a roadmap label) into a script, a handler or a ``javascript:``
    link. Relative links are kept."""
    if isinstance(text, list):
        return [inert_markdown(t) for t in text]
    if not isinstance(text, str):
        return text
    text = _LINK_SCHEME_RE.sub(lambda m: m.group(0) if m.group(2)[:-1].lower() in _SAFE_SCHEMES else m.group(1) + "#", text)
    return _TAG_START_RE.sub(r"\1&lt;", text)


#: Elements dropped from HTML outputs with everything inside them.
_DROPPED_ELEMENTS = frozenset({"script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "meta"})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "background", "poster", "data"})


def inert_html(text: Any) -> Any:
    """A notebook's HTML output (a table, a results object's ``_repr_html_``) rebuilt without script-like
    elements, ``on*`` event attributes and links whose scheme is not http(s)/mailto (relative links and
    ``data:image/`` sources are kept); text is re-escaped. A second line of defence: the tables and results
    objects escape what they show."""
    if isinstance(text, list):
        return inert_html("".join(str(t) for t in text))
    if not isinstance(text, str) or "<" not in text:
        return text
    from html import escape
    from html.parser import HTMLParser

    out: list[str] = []
    skip = [0]
    raw = [0]  # inside <style>: text is CSS, not re-escaped

    def safe_url(value: str) -> bool:
        v = re.sub(r"[\x00-\x20]", "", value).lower()
        scheme = re.match(r"([a-z][a-z0-9+.-]*):", v)
        return scheme is None or scheme.group(1) in _SAFE_SCHEMES or v.startswith("data:image/")

    class Rebuild(HTMLParser):
        def handle_starttag(self, tag, attrs, end=""):
            if tag in _DROPPED_ELEMENTS:
                skip[0] += not end
                return
            if skip[0]:
                return
            raw[0] += tag == "style" and not end
            kept = "".join(f' {k}="{escape(v or "", quote=True)}"' if v is not None else f" {k}"
                           for k, v in attrs if not k.startswith("on")
                           and (k not in _URL_ATTRIBUTES or v is None or safe_url(v)))
            out.append(f"<{tag}{kept}{end}>")

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs, end=" /")

        def handle_endtag(self, tag):
            if tag in _DROPPED_ELEMENTS:
                skip[0] = max(0, skip[0] - 1)
            elif not skip[0]:
                raw[0] -= tag == "style" and raw[0] > 0
                out.append(f"</{tag}>")

        def handle_data(self, data):
            if not skip[0]:
                out.append(data if raw[0] else escape(data, quote=False))

    parser = Rebuild(convert_charrefs=True)
    parser.feed(text)
    parser.close()
    return "".join(out)


def _same(value: Any) -> Any:
    return value


_MIME_FILTERS = {"text/markdown": inert_markdown, "text/html": inert_html}


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


def make_scrubber(notebooks_dir: Path, out_dir: Path, data_dir: Path, tmp_dir: Path | None = None,
                  run_dir: Path | None = None) -> Scrubber:
    """A :class:`Scrubber` for one run: the temporary run folder becomes the final one, then every
    absolute path this machine reveals becomes a placeholder."""
    pairs: list[tuple[str, str]] = []
    base = notebooks_dir
    if tmp_dir is not None and run_dir is not None:
        old_forms, new_forms = _path_forms(tmp_dir, base), _path_forms(run_dir, base)
        pairs += [(old_forms[k], new_forms[k]) for k in old_forms if k in new_forms]
        pairs.append((tmp_dir.name, run_dir.name))  # the folder's bare name, as the summary's notes show it
    for path, label in [(out_dir, "<reports>"), (notebooks_dir, "<notebooks>"), (data_dir, "<data>")]:
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
