"""The server's own tables, beside collect's in the same database (SQLAlchemy Core).

::

    web_departments (spec_id, year, unit_code)   one link per department of the manifest
    web_uploads     id                           every accepted upload, newest last
    web_jobs        id                           consolidation runs (collect), with progress

Nothing here refers to collect's tables by a foreign key: collect owns its rows and deletes what
a run no longer keeps, while an upload is history that stays. A department's *current* return is
not a flag but a query (its newest upload that was read as a return), so two server processes
never have to agree on updating one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from ..collect import KEPT
from ..collect._db import engine_for
from ..errors import CollectError

metadata = MetaData()

web_departments = Table(
    "web_departments", metadata,
    Column("spec_id", String(100), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("unit_code", String(40), primary_key=True),
    Column("unit_name", Text, nullable=False),
    Column("token", String(64), nullable=False, comment="the secret of the department's link"),
    Column("token_sha256", String(64), nullable=False, unique=True,
           comment="what a request's token is looked up by"),
    Column("template_file", Text, comment="the template sent out, as the manifest names it"),
    Column("template_id", String(40)),
    Column("projects", Integer, nullable=False),
    Column("position", Integer, nullable=False, comment="order in the manifest"),
)

web_uploads = Table(
    "web_uploads", metadata,
    Column("id", String(32), primary_key=True),
    Column("spec_id", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("unit_code", String(40), nullable=False),
    Column("received", String(32), nullable=False, comment="UTC, ISO 8601, sortable"),
    Column("client_name", Text, comment="the name the browser sent: shown, never a path"),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("file", Text, nullable=False, comment="path under the root: returns/ab/<sha256>.xlsx"),
    Column("status", String(32), nullable=False),
    Column("reason", String(60)),
    Column("message", Text),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("submission", Text, comment="the reader's JSON (docs/json.md), when it was read"),
    Column("seconds", Float, comment="time to read and check"),
    Index("ix_web_uploads_unit", "spec_id", "year", "unit_code", "received"),
)

web_jobs = Table(
    "web_jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("state", String(16), nullable=False, comment="running, done, failed"),
    Column("started", String(32), nullable=False),
    Column("heartbeat", Float, nullable=False, comment="time.time() of the last progress"),
    Column("done", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("message", Text),
)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def open_engine(url: str) -> Engine:
    """collect's engine (same URL rules, same drivers), made fit for several writers."""
    engine = engine_for(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_concurrency(dbapi_connection: Any, _record: Any) -> None:
            # several server processes write to one file: wait for the lock rather than fail,
            # and let readers read while one writes
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
    try:
        metadata.create_all(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise CollectError(f"无法连接或建立数据库：{str(exc).splitlines()[0]}") from None
    return engine


def department_by_token(conn: Connection, token: str) -> dict[str, Any] | None:
    """The department whose link carries ``token``, or None. The lookup is by the token's
    digest and the final comparison is in constant time, so response times say nothing about
    how much of a guess was right."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(select(web_departments).where(
        web_departments.c.token_sha256 == token_digest(token))).mappings().first()
    if row is None or not hmac.compare_digest(row["token"].encode(), token.encode()):
        return None
    return dict(row)


def departments(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(web_departments).order_by(web_departments.c.position))
    return [dict(r) for r in rows.mappings()]


def upsert_departments(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Add the manifest's departments; one that already has a link keeps its token."""
    for row in rows:
        key = and_(web_departments.c.spec_id == row["spec_id"],
                   web_departments.c.year == row["year"],
                   web_departments.c.unit_code == row["unit_code"])
        exists = conn.execute(select(web_departments.c.token).where(key)).first()
        if exists is None:
            conn.execute(web_departments.insert(), row)
        else:
            keep = {k: v for k, v in row.items() if k not in ("token", "token_sha256")}
            conn.execute(update(web_departments).where(key).values(**keep))


def uploads_of(conn: Connection, dept: dict[str, Any], limit: int = 100) -> list[dict[str, Any]]:
    """A department's uploads, newest first."""
    rows = conn.execute(select(web_uploads).where(and_(
        web_uploads.c.spec_id == dept["spec_id"], web_uploads.c.year == dept["year"],
        web_uploads.c.unit_code == dept["unit_code"])).order_by(
        web_uploads.c.received.desc(), web_uploads.c.id.desc()).limit(limit))
    return [dict(r) for r in rows.mappings()]


def current_of(conn: Connection, dept: dict[str, Any]) -> dict[str, Any] | None:
    """A department's current return (its newest upload read as a return), or None."""
    row = conn.execute(select(web_uploads).where(and_(
        web_uploads.c.spec_id == dept["spec_id"], web_uploads.c.year == dept["year"],
        web_uploads.c.unit_code == dept["unit_code"], web_uploads.c.status.in_(KEPT))).order_by(
        web_uploads.c.received.desc(), web_uploads.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def current_returns(conn: Connection, *, submissions: bool = True
                    ) -> dict[tuple[str, int, str], dict[str, Any]]:
    """Each department's current return: its newest upload that was read as a return.
    ``submissions=False`` leaves out the JSON (the status API needs only the counts)."""
    u = web_uploads
    columns = [c for c in u.c if submissions or c.name != "submission"]
    newest = select(u.c.spec_id, u.c.year, u.c.unit_code,
                    func.max(u.c.received).label("received")).where(
        u.c.status.in_(KEPT)).group_by(u.c.spec_id, u.c.year, u.c.unit_code).subquery()
    rows = conn.execute(select(*columns).join(newest, and_(
        u.c.spec_id == newest.c.spec_id, u.c.year == newest.c.year,
        u.c.unit_code == newest.c.unit_code, u.c.received == newest.c.received)).where(
        u.c.status.in_(KEPT)).order_by(u.c.received, u.c.id)).mappings()
    out: dict[tuple[str, int, str], dict[str, Any]] = {}
    for r in rows:  # the same instant twice: the later id wins, as uploads_of orders
        out[(r["spec_id"], r["year"], r["unit_code"])] = dict(r)
    return out


def last_uploads(conn: Connection) -> dict[tuple[str, int, str], str]:
    """When each department last uploaded anything."""
    u = web_uploads
    rows = conn.execute(select(u.c.spec_id, u.c.year, u.c.unit_code, func.max(u.c.received))
                        .group_by(u.c.spec_id, u.c.year, u.c.unit_code))
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def upload_files(conn: Connection) -> set[str]:
    return set(conn.execute(select(web_uploads.c.file).distinct()).scalars())


def has_upload_file(conn: Connection, file: str) -> bool:
    return conn.execute(select(web_uploads.c.id).where(web_uploads.c.file == file)
                        .limit(1)).first() is not None
