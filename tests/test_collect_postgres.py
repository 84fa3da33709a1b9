"""collect into a real PostgreSQL server: the same tables, keys and rows as SQLite.

Needs a server: ``.ci/postgres.sh`` starts a throw-away one on 127.0.0.1 and gives its URL,
passed in ``XLTARGETS_TEST_PG_URL`` (``postgresql+psycopg://postgres@127.0.0.1:PORT/db``).
Skipped without it. The test owns the database it is given: it drops collect's tables first.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_collect import build_inbox

from xltargets.collect import collect
from xltargets.collect._db import TABLES, engine_for, metadata

URL = os.environ.get("XLTARGETS_TEST_PG_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="no PostgreSQL server (set XLTARGETS_TEST_PG_URL; .ci/postgres.sh)"),
]


def _normal(value: Any) -> Any:
    """A cell as both databases give it: decimals as text, JSON as Python objects."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return int(value)
    return value


def _rows(url: str) -> dict[str, list[tuple]]:
    from sqlalchemy import select

    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in TABLES:
                keys = list(table.primary_key.columns)
                rows = conn.execute(select(table).order_by(*keys)).all()
                out[table.name] = [tuple(_normal(v) for v in row) for row in rows]
            return out
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Any]:
    pytest.importorskip("psycopg", reason="psycopg (xltargets[postgres]) not installed")
    engine = engine_for(URL)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    root = tmp_path_factory.mktemp("collect-pg")
    inbox, manifest = build_inbox(root, libreoffice=False)
    sqlite = collect(inbox, root / "sqlite", manifest=manifest, jobs=2, feedback=False)
    first = collect(inbox, root / "pg", manifest=manifest, db_url=URL, jobs=2, feedback=False)
    rows_first = _rows(URL)
    second = collect(inbox, root / "pg", manifest=manifest, db_url=URL, jobs=2, feedback=False)
    return {"sqlite": sqlite, "first": first, "second": second, "rows_first": rows_first,
            "sqlite_url": f"sqlite:///{root / 'sqlite' / 'xltargets.db'}", "root": root}


def test_postgres_has_the_same_tables_and_counts_as_sqlite(runs):
    assert runs["first"].db_counts == runs["sqlite"].db_counts
    assert runs["first"].db_counts["submissions"] == 4
    assert runs["first"].db_counts["departments"] == 6


def test_postgres_rows_equal_sqlite_rows(runs):
    assert _rows(URL) == _rows(runs["sqlite_url"])


def test_second_run_upserts_without_new_rows(runs):
    assert runs["second"].db_counts == runs["first"].db_counts
    assert _rows(URL) == runs["rows_first"]


def test_postgres_run_writes_the_same_files(runs):
    root: Path = runs["root"]
    for name in ("results.json", "submissions.jsonl", "missing.csv", "report.html"):
        assert (root / "pg" / name).read_bytes() == (root / "sqlite" / name).read_bytes(), name


def test_keys_and_types_in_postgres(runs):
    from sqlalchemy import inspect

    engine = engine_for(URL)
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) >= {t.name for t in TABLES}
        assert inspector.get_pk_constraint("indicators")["constrained_columns"] == [
            "submission_id", "sheet", "row"]
        fks = {(tuple(fk["constrained_columns"]), fk["referred_table"])
               for fk in inspector.get_foreign_keys("indicators")}
        assert (("submission_id", "project_sheet"), "projects") in fks
        types = {c["name"]: str(c["type"]) for c in inspector.get_columns("indicators")}
        assert types["number"] == "NUMERIC" and types["extra"] == "JSONB"
    finally:
        engine.dispose()
