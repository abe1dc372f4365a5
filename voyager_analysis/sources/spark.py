"""Spark: the same portable SQL on a Spark session — local mode, a cluster, or a Spark Connect server.

``--engine spark`` with a folder (or an object-store path such as ``s3a://bucket/events``) reads the tables
into a Spark session (Parquet, CSV as text, or a folder of Parquet parts) and runs every aggregation in
Spark; only the monthly rows come back. ``sc://HOST:PORT`` connects to a Spark Connect server instead
(``pip install 'pyspark[connect]'``). Spark's own logging is silenced, so an error is one line, never a Java
stack trace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from voyager_analysis.errors import InputError, display_path
from voyager_analysis.sources.base import Engine, first_line, table_path
from voyager_analysis.sources.schema import TABLES

_LOG4J = """rootLogger.level = off
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %m%n
"""


def local_session(cores: int = 2):
    """A quiet local-mode Spark session in UTC (reused if one is already active)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("the Spark engine needs pyspark: pip install 'voyager-analysis[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    conf_dir = Path(tempfile.mkdtemp(prefix="voyager-spark-"))
    (conf_dir / "log4j2.properties").write_text(_LOG4J)
    builder = (SparkSession.builder.master(f"local[{cores}]").appName("voyager-analysis")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.driver.extraJavaOptions",
                       f"-Dlog4j2.configurationFile=file:{conf_dir / 'log4j2.properties'}")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
               .config("spark.driver.memory", "1g"))
    try:
        with _jvm_stderr_silenced():
            return builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - e.g. no Java runtime
        raise InputError(f"cannot start Spark in local mode: {first_line(exc)}") from None
    finally:
        shutil.rmtree(conf_dir, ignore_errors=True)


@contextlib.contextmanager
def _jvm_stderr_silenced():
    """Start the JVM with its stderr on /dev/null (its banner and any stack trace never reach the terminal;
    errors still reach Python as exceptions). ``VOYAGER_SPARK_VERBOSE=1`` keeps Spark's own output."""
    if os.environ.get("VOYAGER_SPARK_VERBOSE"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas.*")
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _quiet_python_loggers() -> None:
    """pyspark logs every failed query with its Java stack trace as JSON on stderr; the error itself still
    reaches us as an exception, reported in one line."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pragma: no cover - pyspark < 4
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


def connect_session(url: str):
    """A Spark Connect session at ``sc://HOST:PORT`` (one line if unreachable or the client is missing)."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 15002
    except ValueError:
        raise InputError(f"not a Spark Connect URL (sc://HOST:PORT): {url}") from None
    try:  # a quick probe: the client itself retries an unreachable server for minutes
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise InputError(f"cannot reach Spark Connect at {url}: {exc.strerror or exc}") from None
    try:
        from pyspark.sql import SparkSession

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas.*")
            spark = SparkSession.builder.remote(url).config("spark.sql.session.timeZone", "UTC").getOrCreate()
            spark.sql("SELECT 1").collect()
        return spark
    except ImportError as exc:
        raise InputError(f"Spark Connect needs its client libraries: pip install 'pyspark[connect]' ({first_line(exc)})") from None
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot reach Spark Connect at {url}: {first_line(exc)[:200]}") from None


class SparkEngine(Engine):
    """Event tables read by Spark; ``session`` defaults to the active one, else a new local session."""

    name = "spark"
    dialect = "spark"

    def __init__(self, source: str, session=None, schema: str | None = None):
        _quiet_python_loggers()
        self.source = str(source)
        self._owns = session is None
        self._views: list[str] = []
        self._files: dict[str, str] = {}
        self._columns: dict[str, dict[str, bool]] = {}
        if self.source.startswith("sc://"):  # tables in the server's catalog, database --schema
            self.spark = session or connect_session(self.source)
            self.description = self.source
            self._database = schema if schema and schema != "public" else "default"
            for table in TABLES:
                self._attach_catalog(table)
            return
        if session is None:
            from pyspark.sql import SparkSession

            self._owns = SparkSession.getActiveSession() is None
            session = local_session()
        self.spark = session
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        local = "://" not in self.source
        self.description = display_path(self.source) if local else self.source
        if local and not Path(self.source).is_dir():
            raise InputError(f"{self.description}: events folder not found")
        for table in TABLES:
            self._attach(table, local)

    def _attach_catalog(self, table: str) -> None:
        name = f"{self._database}.{table}"
        try:
            df = self.spark.table(name)
            df.createOrReplaceTempView(f"raw_{table}")
        except Exception:  # noqa: BLE001 - not in the catalog
            return
        self._views.append(f"raw_{table}")
        self._files[table] = f"{self.source} table {name}"
        self._columns[table] = {col: dtype == "string" for col, dtype in df.dtypes}

    def _attach(self, table: str, local: bool) -> None:
        base = self.source.rstrip("/")
        if local:
            found = table_path(base, table, self.description)
            if found is None:
                return
            path = str(found)
        else:
            path = None
            for candidate in (f"{base}/{table}.parquet", f"{base}/{table}.csv", f"{base}/{table}"):
                try:
                    self._read(candidate).schema
                    path = candidate
                    break
                except Exception:  # noqa: BLE001 - absent here; try the next layout
                    continue
            if path is None:
                return
        try:
            df = self._read(path)
            view = f"raw_{table}"
            df.createOrReplaceTempView(view)
        except Exception as exc:  # noqa: BLE001
            raise InputError(f"{path}: cannot be read ({first_line(exc)[:200]})") from None
        self._views.append(view)
        self._files[table] = display_path(path) if local else path
        self._columns[table] = {name: dtype == "string" for name, dtype in df.dtypes}

    def _read(self, path: str):
        reader = self.spark.read
        if path.endswith(".csv"):
            return reader.option("header", True).csv(path)
        if not path.endswith(".parquet"):
            reader = reader.option("recursiveFileLookup", True)
        return reader.parquet(path)

    def columns(self, table):
        return self._columns.get(table)

    def relation(self, table):
        return f"raw_{table}"

    def label(self, table):
        return self._files.get(table, f"{self.description}: {table}")

    def missing_table(self, table):
        return InputError(f"{self.description}: table '{table}' is missing "
                          f"(expected {table}.parquet, {table}.csv or a folder {table}/ of Parquet files)")

    def _execute(self, sql):
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def _is_data_error(self, exc):
        try:
            from pyspark.errors import PySparkException
        except ImportError:  # pragma: no cover - older pyspark
            PySparkException = ()  # noqa: N806
        return isinstance(exc, PySparkException) or type(exc).__name__ == "Py4JJavaError"

    def _clean(self, text):
        return text[:300]

    def close(self):
        for view in self._views:
            try:
                self.spark.catalog.dropTempView(view)
            except Exception:  # noqa: BLE001, S110 - the session may already be gone
                pass
        if self._owns:
            self.spark.stop()
