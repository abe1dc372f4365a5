"""Where the SQL runs: DuckDB over a folder (the embedded default), PostgreSQL in place, Spark beyond one machine.

Every engine takes the same portable SQL (written in DuckDB's dialect, which is close to PostgreSQL's) and
transpiles it with SQLGlot to its own dialect; only aggregated rows come back. Engine errors become one-line
:class:`~voyager_analysis.errors.InputError` messages; a database password never appears in any of them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from voyager_analysis.errors import InputError, display_path
from voyager_analysis.sources.base import PORTABLE_DIALECT, Engine, first_line, table_path, transpile  # noqa: F401 (re-exported)
from voyager_analysis.sources.schema import TABLES

DEFAULT_MEMORY_LIMIT = "2GB"
ENGINES = ("duckdb", "postgres", "spark")


def redact_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (the only form of a database URL we ever print)."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    except (ValueError, IndexError):
        return "postgresql://***"


# --- DuckDB over a folder -----------------------------------------------------------------------------------

class DuckDBEngine(Engine):
    """A folder of ``NAME.parquet`` / ``NAME.csv`` / ``NAME/*.parquet`` tables, read by in-process DuckDB.

    DuckDB gets a memory limit and its own temporary folder, so a large aggregation spills to disk rather
    than failing; CSV cells are read as text and parsed (and checked) by the SQL.
    """

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, folder, *, memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None,
                 temp_dir=None):
        import duckdb

        self.folder = Path(folder)
        self.description = display_path(self.folder)
        if not self.folder.exists():
            raise InputError(f"{self.description}: events folder not found")
        if not self.folder.is_dir():
            raise InputError(f"{self.description}: expected a folder of event tables (or a postgresql:// URL)")
        if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory_limit.strip(), re.I):
            raise InputError(f"memory limit must look like 2GB or 500MB, got '{memory_limit}'")
        self._tmp = Path(tempfile.mkdtemp(prefix="voyager-duckdb-", dir=temp_dir))
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
        self.con.execute(f"SET temp_directory = '{_sql_string(self._tmp)}'")
        self.con.execute("SET preserve_insertion_order = false")
        try:  # stdout is for the table or --json; inside Jupyter without ipywidgets DuckDB refuses the SET itself
            self.con.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:
            pass
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._files: dict[str, Path] = {}
        self._columns: dict[str, dict[str, bool]] = {}
        for table in TABLES:
            self._attach(table)

    def _attach(self, table: str) -> None:
        path = table_path(self.folder, table, self.description)
        if path is None:
            return
        if path.is_dir():
            parts = sorted(path.rglob("*.parquet"))
            if not parts:
                raise InputError(f"{display_path(path)}: folder holds no .parquet part files")
            reader = f"read_parquet('{_sql_string(path)}/**/*.parquet')"
        elif path.suffix == ".csv":
            reader = f"read_csv('{_sql_string(path)}', header = true, all_varchar = true)"
        else:
            reader = f"read_parquet('{_sql_string(path)}')"
        self._files[table] = path
        try:
            self.con.execute(f"CREATE VIEW raw_{table} AS SELECT * FROM {reader}")
            described = self.con.execute(f"DESCRIBE raw_{table}").fetchall()
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"{display_path(path)}: cannot be read ({first_line(exc)})") from None
        self._columns[table] = {row[0]: row[1].upper() == "VARCHAR" for row in described}

    def columns(self, table):
        return self._columns.get(table)

    def relation(self, table):
        return f"raw_{table}"

    def label(self, table):
        return display_path(self._files[table]) if table in self._files else f"{self.description}: {table}"

    def missing_table(self, table):
        return InputError(f"{self.description}: table '{table}' is missing "
                          f"(expected {table}.parquet, {table}.csv or a folder {table}/ of Parquet files)")

    def _execute(self, sql):
        return self.con.execute(sql).fetchall()

    def _is_data_error(self, exc):
        import duckdb

        return isinstance(exc, duckdb.Error) and not isinstance(exc, duckdb.OutOfMemoryException)

    def close(self):
        try:
            self.con.close()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _sql_string(value) -> str:
    return str(value).replace("'", "''")


# --- PostgreSQL in place ------------------------------------------------------------------------------------

class PostgresEngine(Engine):
    """The app's own PostgreSQL: aggregations run in the database through psycopg 3; nothing is written.

    The session is read-only (``default_transaction_read_only``) and in UTC; the URL's password is never
    printed: messages show :func:`redact_url` and any echo of the password is removed.
    """

    name = "postgres"
    dialect = "postgres"
    try_cast = False

    def __init__(self, url: str, *, schema: str = "public", connect_timeout_s: int = 10):
        try:
            import psycopg
        except ImportError:
            raise InputError("reading PostgreSQL needs psycopg: pip install 'voyager-analysis[postgres]'") from None
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", schema):
            raise InputError(f"--schema must be a plain identifier, got '{schema}'")
        self.schema = schema
        self._password = _password_of(url)
        self.description = f"{redact_url(url)} (schema {schema})"
        try:
            self.con = psycopg.connect(url, connect_timeout=connect_timeout_s,
                                       options="-c default_transaction_read_only=on -c TimeZone=UTC")
            self.con.read_only = True
        except Exception as exc:  # noqa: BLE001 - psycopg.Error or a malformed URL
            raise InputError(f"cannot connect to {redact_url(url)}: {self._clean(first_line(exc))}") from None
        rows = self._execute_params(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
            (schema,))
        self._columns: dict[str, dict[str, bool]] = {}
        for table, column, data_type in rows:
            self._columns.setdefault(table, {})[column] = data_type in ("text", "character varying", "character")

    def columns(self, table):
        return self._columns.get(table)

    def relation(self, table):
        return f'"{self.schema}"."{table}"'

    def label(self, table):
        return f"postgresql table {self.schema}.{table}"

    def _execute(self, sql):
        return self._execute_params(sql, None)

    def _execute_params(self, sql, params):
        import psycopg

        try:
            with self.con.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        except psycopg.Error:
            self.con.rollback()
            raise

    def _is_data_error(self, exc):
        import psycopg

        return isinstance(exc, psycopg.Error)

    def _clean(self, text):
        if self._password:
            text = text.replace(self._password, "***")
        return text

    def close(self):
        con = getattr(self, "con", None)
        if con is not None:
            con.close()


def _password_of(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


# --- choosing an engine -------------------------------------------------------------------------------------

def is_postgres_url(source) -> bool:
    return isinstance(source, str) and source.startswith(("postgresql://", "postgres://"))


def open_engine(source, *, engine: str | None = None, schema: str = "public",
                memory_limit: str = DEFAULT_MEMORY_LIMIT) -> Engine:
    """Open ``source`` (a folder, a ``postgresql://`` URL, or for Spark a folder or ``sc://`` URL).

    ``engine`` defaults to what the source says: a URL -> PostgreSQL, ``sc://`` -> Spark, a folder -> DuckDB.
    """
    text = str(source)
    if engine is not None and engine not in ENGINES:
        raise InputError(f"unknown engine '{engine}'; valid: {', '.join(ENGINES)}")
    if is_postgres_url(text):
        if engine not in (None, "postgres"):
            raise InputError(f"a postgresql:// source runs on the postgres engine, not '{engine}'")
        return PostgresEngine(text, schema=schema)
    if engine == "postgres":
        raise InputError("--engine postgres needs a postgresql://USER@HOST/DB source")
    if text.startswith("sc://") or engine == "spark":
        from voyager_analysis.sources.spark import SparkEngine

        return SparkEngine(text, schema=schema)
    return DuckDBEngine(source, memory_limit=memory_limit)
