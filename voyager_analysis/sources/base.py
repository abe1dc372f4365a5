"""The engine protocol shared by every place SQL runs (DuckDB, PostgreSQL, Spark): the portable dialect,
its transpilation with SQLGlot, and one-line errors."""

from __future__ import annotations

from voyager_analysis.errors import InputError

#: The dialect the portable SQL is written in.
PORTABLE_DIALECT = "duckdb"


def transpile(sql: str, dialect: str) -> str:
    """The portable SQL in ``dialect`` (``duckdb``, ``postgres``, ``spark``, ``trino``, ``bigquery``, ...)."""
    if dialect == PORTABLE_DIALECT:
        return sql
    import sqlglot

    return sqlglot.transpile(sql, read=PORTABLE_DIALECT, write=dialect)[0]


def table_path(folder, table: str, description: str):
    """The one file or folder holding ``table`` in an events folder (``NAME.parquet``, ``NAME.csv`` or a folder
    ``NAME/`` of Parquet parts), or None when absent; two layouts of the same table are an error."""
    from pathlib import Path

    folder = Path(folder)
    found = [p for p in (folder / f"{table}.parquet", folder / f"{table}.csv", folder / table) if p.exists()]
    if len(found) > 1:
        raise InputError(f"{description}: table '{table}' is given twice ({', '.join(p.name for p in found)}); keep one")
    return found[0] if found else None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.splitlines()[0].split())


class Engine:
    """One open source of events. Subclasses set ``name``, ``dialect``, ``try_cast`` and implement the rest."""

    name = ""
    dialect = PORTABLE_DIALECT
    try_cast = True  # the engine has TRY_CAST (DuckDB, Spark); PostgreSQL does not
    description = ""  # printable, never holds a secret

    def columns(self, table: str) -> dict[str, bool] | None:
        """Column name -> whether it holds text (so values need parsing); None when the table is absent."""
        raise NotImplementedError

    def relation(self, table: str) -> str:
        """The table as an identifier in the portable dialect."""
        raise NotImplementedError

    def label(self, table: str) -> str:
        """How error messages name the table."""
        raise NotImplementedError

    def missing_table(self, table: str) -> InputError:
        return InputError(f"{self.description}: table '{table}' is missing")

    def rows(self, sql: str, table: str | None = None, column: str | None = None) -> list[tuple]:
        """Run portable ``sql`` and return its rows; an engine error becomes one line naming ``table``
        (and ``column``)."""
        try:
            return self._execute(transpile(sql, self.dialect))
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - every engine error is reported in one line
            if not self._is_data_error(exc):
                raise
            where = (self.label(table) if table else self.description) + (f": {column}" if column else "")
            raise InputError(f"{where}: {self._clean(first_line(exc))}") from None

    def _execute(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def _is_data_error(self, exc: BaseException) -> bool:
        return True

    def _clean(self, text: str) -> str:
        return text

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
