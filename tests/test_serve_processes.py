"""Several server processes, one database; a server killed mid-upload and restarted.

No state lives in a server process: uploads, statuses and links are in the database and the
returns folder, the office session is a signed cookie. So an upload through one process is seen
at once by another (SQLite here; PostgreSQL too when XLTARGETS_TEST_PG_URL names a server), and
a process killed with SIGKILL loses no accepted upload and leaves no half of one.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from serve_harness import (
    OFFICE_TOKEN,
    ServerProcess,
    filled_return,
    send_out,
    uploads_in_db,
    write_roster,
)

from xltargets._atomic import sha256_file

pytest.importorskip("starlette")

PG_URL = os.environ.get("XLTARGETS_TEST_PG_URL", "")


def _sign_in(client: httpx.Client) -> None:
    page = client.get("/office").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/office/login", data={"csrf": csrf, "token": OFFICE_TOKEN}).status_code == 303


def _office_row(client: httpx.Client, unit_code: str) -> str:
    page = client.get("/office").text
    match = re.search(rf'<tr data-unit="{unit_code}" data-state="([a-z_]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _two_servers_share(tmp_path: Path, db: str | None) -> None:
    manifest_path = send_out(tmp_path / "sent")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    root = tmp_path / "root"
    first = ServerProcess(root, manifest_path, db=db).start()
    try:
        # the second process starts later, without the manifest: it finds it all in the root
        with ServerProcess(root, None, db=db) as second, \
                httpx.Client(base_url=second.base, timeout=60, follow_redirects=False) as office:
            assert first.links() == second.links()
            _sign_in(office)
            assert _office_row(office, "224001") == "missing"
            r = httpx.post(first.api(first.links()["224001"]), timeout=60,
                           files={"file": ("r.xlsx", filled_return(manifest, "224001", mistake=True))})
            assert r.json()["status"] == "rejected"
            # at once: the very next page of the other process shows it
            assert _office_row(office, "224001") == "with_errors"
            status = httpx.get(second.base + "/api/office/status",
                               headers={"Authorization": f"Bearer {OFFICE_TOKEN}"}).json()
            row = next(d for d in status["departments"] if d["unit_code"] == "224001")
            assert row["last_upload"] == r.json()["received"]
            # the session cookie made by one process is good at the other (signed, not stored)
            office.base_url = httpx.URL(first.base)
            assert _office_row(office, "224001") == "with_errors"
    finally:
        first.stop()


def test_two_servers_one_sqlite_database(tmp_path):
    _two_servers_share(tmp_path, None)


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="no PostgreSQL server (set XLTARGETS_TEST_PG_URL; .ci/postgres.sh)")
def test_two_servers_one_postgresql_database(tmp_path):
    import psycopg
    from sqlalchemy.engine import make_url

    # a database of its own, so that no other test's links or uploads are in it
    url = make_url(PG_URL)
    name = f"xltargets_web_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        _two_servers_share(tmp_path, url.set(database=name).render_as_string(hide_password=False))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sigkill_during_uploads_loses_nothing_and_leaves_no_half(tmp_path):
    manifest_path = send_out(tmp_path / "sent", write_roster(tmp_path / "roster.csv", 10))
    manifest = json.loads(manifest_path.read_text("utf-8"))
    codes = [w["unit_code"] for w in manifest["workbooks"]]
    root = tmp_path / "root"
    db = f"sqlite:///{root / 'xltargets.db'}"
    server = ServerProcess(root, manifest_path, jobs=1).start()
    links = server.links()
    answers: dict[str, httpx.Response | Exception] = {}

    def send(code: str) -> None:
        try:
            answers[code] = httpx.post(server.api(links[code]), timeout=60, files={
                "file": (f"{code}.xlsx", filled_return(manifest, code, mistake=code == codes[0]))})
        except httpx.HTTPError as exc:
            answers[code] = exc

    threads = [threading.Thread(target=send, args=(c,)) for c in codes]
    for t in threads:
        t.start()
    # kill as soon as the first answer is in: the others are streaming, read or committing
    deadline = time.monotonic() + 60
    while not answers and time.monotonic() < deadline:
        time.sleep(0.005)
    server.kill()
    for t in threads:
        t.join(60)
    accepted = {c: r.json() for c, r in answers.items() if isinstance(r, httpx.Response)
                and r.status_code == 200}
    failed = [c for c in codes if c not in accepted]
    assert accepted and failed, "the kill should fall between the first and the last answer"

    with ServerProcess(root, None, port=server.port) as again:
        rows = uploads_in_db(db)
        status = httpx.get(again.base + "/api/office/status",
                           headers={"Authorization": f"Bearer {OFFICE_TOKEN}"}).json()
        leftovers = [p.name for p in (root / "incoming").rglob("*")
                     if p.is_file() and p.name != ".lock"]
    # every answered upload is there, listed and stored whole
    by_id = {r["id"]: r for r in rows}
    for code, body in accepted.items():
        row = by_id[body["id"]]
        assert sha256_file(root / row["file"]) == body["sha256"] == row["sha256"]
        listed = next(d for d in status["departments"] if d["unit_code"] == code)
        assert listed["last_upload"] == body["received"]
    # the database and the returns folder agree: each row has its whole file, each file a row
    stored = {str(p.relative_to(root)) for p in (root / "returns").rglob("*.xlsx")}
    assert stored == {r["file"] for r in rows}
    for r in rows:
        assert sha256_file(root / r["file"]) == r["sha256"]
    # an upload that got no answer is either fully there (committed just before the kill) or absent
    for code in failed:
        mine = [r for r in rows if r["unit_code"] == code]
        assert len(mine) <= 1
    assert leftovers == []
    assert not any(p.suffix in (".part", ".ready") for p in root.rglob("*"))


def test_workers_option_runs_several_processes_on_one_root(tmp_path):
    manifest_path = send_out(tmp_path / "sent")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    with ServerProcess(tmp_path / "root", manifest_path, workers=2) as srv:
        links = srv.links()
        with httpx.Client(timeout=60) as client:
            answers = [client.post(srv.api(links[code]), files={
                "file": ("r.xlsx", filled_return(manifest, code))}).json()
                for code in ("224001", "224002", "224003", "224004") * 3]
            status = client.get(srv.base + "/api/office/status",
                                headers={"Authorization": f"Bearer {OFFICE_TOKEN}"}).json()
        live = [p for p in (tmp_path / "root" / "incoming").iterdir() if p.is_dir()]
    assert len(live) == 2  # one incoming folder per server process
    assert {a["status"] for a in answers} <= {"accepted", "accepted_with_warnings"}
    assert status["counts"]["returned"] == 4
    rows = uploads_in_db(f"sqlite:///{tmp_path / 'root' / 'xltargets.db'}")
    assert sorted(r["id"] for r in rows) == sorted(a["id"] for a in answers)


def test_recovery_finishes_committed_uploads_and_drops_the_rest(tmp_path):
    """What a process killed between any two steps leaves, and what the next start makes of it."""
    import fcntl
    import hashlib

    from xltargets.serve._store import INCOMING, LOCK, Incoming, recover, stored_name

    root = tmp_path / "root"
    dead = root / INCOMING / "999999-dead"
    dead.mkdir(parents=True)
    (dead / LOCK).write_bytes(b"")
    committed, orphan = b"committed upload", b"never committed"
    sha_c, sha_o = (hashlib.sha256(d).hexdigest() for d in (committed, orphan))
    (dead / f"{sha_c}.ab12.ready").write_bytes(committed)  # row committed, rename not done
    (dead / f"{sha_o}.cd34.ready").write_bytes(orphan)     # killed before its commit
    (dead / "0123.part").write_bytes(b"half a bo")          # killed while streaming
    live = Incoming(root)                                   # a live process's folder: untouched
    (live.dir / "5678.part").write_bytes(b"arriving")
    try:
        counts = recover(root, {stored_name(sha_c)})
        assert counts == {"moved": 1, "deleted": 2}
        assert (root / stored_name(sha_c)).read_bytes() == committed
        assert not (root / stored_name(sha_o)).exists()
        assert not dead.exists()
        assert (live.dir / "5678.part").read_bytes() == b"arriving"
        # still held by its owner
        with open(live.dir / LOCK, "ab") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        live.close()
