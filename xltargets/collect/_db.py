"""The database: SQLAlchemy Core tables, upserted in batches inside one transaction.

Tables and keys (docs/collect.md draws them)::

    submissions (id = sha256 of the returned file)
      ├── projects    (submission_id, sheet)
      │     └── indicators (submission_id, sheet, row)   project_sheet -> projects
      ├── indicators of the department sheet (project_sheet NULL)
      └── findings    (submission_id, n)
    departments (spec_id, year, unit_code) ── submission_id -> the return that was kept

Keys are stable ids derived from the input, never counters, so a second run finds the same
rows: submissions and departments are upserted (``INSERT … ON CONFLICT DO UPDATE``), and the
rows hanging off a submission are replaced (deleted and inserted again in the same transaction).
A run owns the collection of its spec and year: submissions and departments of that spec and
year that the run no longer keeps (a return replaced by a newer one) are deleted, so the tables
always equal the run's JSON. Other years and specs in the same database are left alone.

The whole run is one transaction: a failed run leaves the database as it was. Rows are sent in
batches (``executemany``), never one statement per row.

Decimals (money, indicator figures) are ``NUMERIC`` in PostgreSQL and exact decimal text in
SQLite, which has no decimal type; both come back as :class:`~decimal.Decimal`. JSON columns are
``JSONB`` in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Engine,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.types import TypeDecorator, TypeEngine

from ..errors import CollectError
from ._model import ReturnInfo, json_decimal
from ._prepared import DbPart, db_part
from ._prepared import dumps_sorted as _dumps

SUPPORTED = ("sqlite", "postgresql")
#: submissions per batch: bounded memory, few round trips
BATCH = 500
#: PostgreSQL and SQLite both accept this many bound parameters in one IN (…)
IN_CHUNK = 500


class DecimalText(TypeDecorator[Decimal]):
    """NUMERIC where the database has it, exact decimal text in SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(60))
        return dialect.type_descriptor(Numeric())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        number = json_decimal(value)
        if number is None:
            return None
        return format(number, "f") if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return json_decimal(value)


JsonType = JSON().with_variant(JSONB(), "postgresql")
metadata = MetaData()

submissions = Table(
    "submissions", metadata,
    Column("id", String(64), primary_key=True, comment="SHA-256 of the returned file"),
    Column("file", Text, nullable=False, comment="path in the inbox"),
    Column("status", String(32), nullable=False),
    Column("spec_id", String(100), nullable=False),
    Column("spec_version", String(40)),
    Column("spec_hash", String(64)),
    Column("year", Integer, nullable=False),
    Column("template_id", String(40)),
    Column("unit_code", String(40)),
    Column("unit_name", Text),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("project_count", Integer, nullable=False),
    Column("department", JsonType, comment="the department sheet's values"),
    Column("feedback", Text, comment="feedback copy, relative to the output folder"),
)

departments = Table(
    "departments", metadata,
    Column("spec_id", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(40), primary_key=True),
    Column("unit_name", Text),
    Column("status", String(32), nullable=False),
    Column("submission_id", String(64), ForeignKey("submissions.id"), nullable=True),
    Column("file", Text),
    Column("template_id", String(40)),
    Column("in_manifest", Boolean, nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("submission_id", String(64), ForeignKey("submissions.id"), primary_key=True),
    Column("sheet", String(100), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("project_code", String(60)),
    Column("project_name", Text),
    Column("fields", JsonType, comment="every value of the project sheet but its tables"),
    Column("indicators", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
)

indicators = Table(
    "indicators", metadata,
    Column("submission_id", String(64), ForeignKey("submissions.id"), primary_key=True),
    Column("sheet", String(100), primary_key=True),
    Column("row", Integer, primary_key=True),
    Column("project_sheet", String(100), comment="NULL on the department sheet"),
    Column("level1", Text),
    Column("level2", Text),
    Column("level3", Text),
    Column("value_text", Text),
    Column("value_kind", String(20)),
    Column("comparison", String(4)),
    Column("number", DecimalText()),
    Column("unit", Text),
    Column("prefix", Text),
    Column("suffix", Text),
    Column("marker", String(20)),
    Column("extra", JsonType, comment="the table's other columns, markers and invalid texts"),
    ForeignKeyConstraint(["submission_id", "project_sheet"],
                         ["projects.submission_id", "projects.sheet"]),
)

findings = Table(
    "findings", metadata,
    Column("submission_id", String(64), ForeignKey("submissions.id"), primary_key=True),
    Column("n", Integer, primary_key=True, comment="1-based, in the submission's order"),
    Column("severity", String(10), nullable=False),
    Column("code", String(60), nullable=False),
    Column("message", Text, nullable=False),
    Column("sheet", String(100)),
    Column("cell", String(20)),
    Column("path", Text),
    Column("value", Text),
)

#: which run of collect wrote a spec and year last (its run id names the run's folder and is in
#: results.json and run.json): a reader of the database can tell which outputs it matches
collect_runs = Table(
    "collect_runs", metadata,
    Column("spec_id", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("run_id", String(64), nullable=False),
)

TABLES = (submissions, departments, projects, indicators, findings)
#: children of a submission, in the order they are deleted
CHILDREN = (findings, indicators, projects)


def engine_for(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CollectError(f"数据库地址无效：{exc}") from None
    if parsed.get_backend_name() not in SUPPORTED:
        raise CollectError(f"不支持的数据库“{parsed.get_backend_name()}”：请使用 SQLite 或 PostgreSQL")
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, json_serializer=_dumps)
    except (NoSuchModuleError, ImportError) as exc:
        raise CollectError(f"缺少数据库驱动（PostgreSQL 请安装 xltargets[postgres]）：{exc}") from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            # SQLite checks foreign keys only when asked: ask, so the keys hold as in PostgreSQL
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    return engine


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_update`` (same API in both)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def upsert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = _insert(conn)(table)
    keys = [c.name for c in table.primary_key.columns]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys})
    conn.execute(stmt, rows)


def _chunks(items: list[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]




def _statement(table: Table, dialect: str, *, upsert: bool) -> str:
    """The driver's INSERT (an upsert on the primary key) for whole rows of ``table``."""
    names = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    mark = "?" if dialect == "sqlite" else "%s"
    values = []
    for c in table.columns:
        if dialect == "postgresql" and isinstance(c.type, JSON):
            values.append(f"CAST({mark} AS JSONB)")
        elif dialect == "postgresql" and isinstance(c.type, DecimalText):
            values.append(f"CAST({mark} AS NUMERIC)")
        else:
            values.append(mark)
    sql = (f"INSERT INTO {_q(table.name)} ({', '.join(_q(n) for n in names)}) "
           f"VALUES ({', '.join(values)})")
    if upsert:
        sql += (f" ON CONFLICT ({', '.join(_q(k) for k in keys)}) DO UPDATE SET "
                + ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in names if n not in keys))
    return sql


def _q(name: str) -> str:
    return f'"{name}"'


class DatabaseWriter:
    """Collects rows in batches and writes them; :meth:`finish` commits the whole run.

    Rows go to the driver as plain tuples (``executemany`` of one prepared INSERT per table),
    not through SQLAlchemy's per-value type processing: at 20,000 returns that is a million
    indicator values. The statements are the tables' own (:func:`_statement`), the same upsert
    as before (``INSERT … ON CONFLICT DO UPDATE``) for submissions and departments."""

    def __init__(self, url: str, *, batch: int = BATCH) -> None:
        self.engine = engine_for(url)
        self._batch = batch
        dialect = self.engine.dialect.name
        self._sql = {t.name: _statement(t, dialect, upsert=t in (submissions, departments))
                     for t in TABLES}
        self._bool = (lambda b: 1 if b else 0) if dialect == "sqlite" else bool
        self._pending: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in TABLES}
        self._pending_ids: list[str] = []
        self.kept_ids: set[str] = set()
        self.counts = {t.name: 0 for t in TABLES}
        try:
            metadata.create_all(self.engine)
            self._conn = self.engine.connect()
            self._tx = self._conn.begin()
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise CollectError(f"无法连接或建立数据库：{str(exc).splitlines()[0]}") from None

    def add(self, entry: Any, data: dict[str, Any]) -> None:
        """One kept return from its JSON (rows made here rather than in a worker)."""
        self.add_part(db_part(ReturnInfo.of(entry), data), entry.feedback)

    def add_part(self, part: DbPart, feedback: str) -> None:
        if part.sid in self.kept_ids:
            return  # byte-identical copies were resolved as duplicates; be safe anyway
        self.kept_ids.add(part.sid)
        self._pending_ids.append(part.sid)
        pending = self._pending
        pending["submissions"].append((*part.submission, feedback or None))
        pending["projects"] += part.projects
        pending["indicators"] += part.indicators
        pending["findings"] += part.findings
        if len(self._pending_ids) >= self._batch:
            self.flush()

    def _write(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._conn.exec_driver_sql(self._sql[table.name], rows)

    def flush(self) -> None:
        conn = self._conn
        ids = self._pending_ids
        if ids:
            for table in CHILDREN:
                for chunk in _chunks(ids):
                    conn.execute(delete(table).where(table.c.submission_id.in_(chunk)))
            self._write(submissions, self._pending["submissions"])
            for table in (projects, indicators, findings):
                self._write(table, self._pending[table.name])
        for name, items in self._pending.items():
            self.counts[name] += len(items)
        self._pending = {t.name: [] for t in TABLES}
        self._pending_ids = []

    def finish(self, department_rows: Iterable[dict[str, Any]], scope: set[tuple[str, int]],
               run_id: str | None = None) -> None:
        """Write the departments, drop what this run no longer keeps in its scope, commit.

        ``department_rows`` may be a generator: it is sent in batches, never held whole."""
        try:
            self.flush()
            conn = self._conn
            # the unit codes this run keeps, per spec and year (not the rows: 20,000 of them)
            keep_departments: dict[tuple[str, int], set[str]] = {}
            chunk: list[tuple[Any, ...]] = []
            names = [c.name for c in departments.columns]
            for row in department_rows:
                keep_departments.setdefault((row["spec_id"], row["year"]), set()).add(
                    row["unit_code"])
                row["in_manifest"] = self._bool(row["in_manifest"])
                chunk.append(tuple(row[n] for n in names))
                if len(chunk) >= self._batch:
                    self._write(departments, chunk)
                    chunk = []
            self._write(departments, chunk)
            self.counts["departments"] = sum(len(units) for units in keep_departments.values())
            for spec_id, year in sorted(scope):
                existing = conn.execute(select(departments.c.unit_code).where(and_(
                    departments.c.spec_id == spec_id, departments.c.year == year))).scalars().all()
                kept_units = keep_departments.get((spec_id, year), set())
                stale = [u for u in existing if u not in kept_units]
                for chunk_ids in _chunks(stale):
                    conn.execute(delete(departments).where(and_(
                        departments.c.spec_id == spec_id, departments.c.year == year,
                        departments.c.unit_code.in_(chunk_ids))))
                old = conn.execute(select(submissions.c.id).where(and_(
                    submissions.c.spec_id == spec_id, submissions.c.year == year))).scalars().all()
                gone = [sid for sid in old if sid not in self.kept_ids]
                for chunk_ids in _chunks(gone):
                    for table in CHILDREN:
                        conn.execute(delete(table).where(table.c.submission_id.in_(chunk_ids)))
                    conn.execute(delete(submissions).where(submissions.c.id.in_(chunk_ids)))
            if run_id is not None:
                upsert(conn, collect_runs, [{"spec_id": s, "year": y, "run_id": run_id}
                                            for s, y in sorted(scope)])
            self._tx.commit()
        except SQLAlchemyError as exc:
            raise CollectError(f"写入数据库失败：{str(exc).splitlines()[0]}") from None
        finally:
            self.close()

    def close(self) -> None:
        """Roll back what was not committed (a failed run) and let the connection go."""
        try:
            if self._tx.is_active:
                self._tx.rollback()
        except SQLAlchemyError:
            pass  # the connection is already broken: nothing was committed
        finally:
            self._conn.close()
            self.engine.dispose()

    abort = close


def check_database(url: str) -> None:
    """Fail early on a database that cannot be used (bad address, no driver, no server)."""
    engine = engine_for(url)
    try:
        if engine.dialect.name != "sqlite":  # SQLite would create its file: leave that for later
            with engine.connect() as conn:
                conn.execute(select(1))
    except SQLAlchemyError as exc:
        raise CollectError(f"无法连接数据库：{str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()


def run_ids(url: str, scope: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The run id last committed for each spec and year of ``scope`` (absent: none yet)."""
    engine = engine_for(url)
    try:
        metadata.create_all(engine, tables=[collect_runs])
        with engine.connect() as conn:
            rows = conn.execute(select(collect_runs)).all()
        return {(r.spec_id, r.year): r.run_id for r in rows if (r.spec_id, r.year) in scope}
    finally:
        engine.dispose()


def table_counts(url: str) -> dict[str, int]:
    """Rows per table (for tests and the CLI's summary)."""
    from sqlalchemy import func

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                    for t in TABLES}
    finally:
        engine.dispose()


__all__ = ["TABLES", "DatabaseWriter", "check_database", "engine_for", "metadata", "table_counts"]
