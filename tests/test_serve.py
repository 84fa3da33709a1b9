"""The web intake over HTTP against a real server process: uploads, findings, statuses, access.

Every test starts ``python -m xltargets serve`` on a free port of 127.0.0.1 with its own root,
and asserts on what the server answers, what it stored and what its database holds.
"""

from __future__ import annotations

import hashlib
import json
import re
import select
import socket
from pathlib import Path

import httpx
import pytest
from serve_harness import (
    OFFICE_TOKEN,
    ServerProcess,
    filled_return,
    send_out,
    upload,
    uploads_in_db,
)

from xltargets.read import read_workbook

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

BEARER = {"Authorization": f"Bearer {OFFICE_TOKEN}"}


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("sent")
    manifest = send_out(folder)
    return manifest, json.loads(manifest.read_text("utf-8"))


@pytest.fixture(scope="module")
def server(tmp_path_factory, sent):
    root = tmp_path_factory.mktemp("serve") / "root"
    with ServerProcess(root, sent[0], extra=["--max-upload-mb", "1", "--upload-timeout", "3"]) as srv:
        yield srv


def _office_status(srv: ServerProcess) -> dict:
    r = httpx.get(srv.base + "/api/office/status", headers=BEARER)
    assert r.status_code == 200
    return {d["unit_code"]: d for d in r.json()["departments"]}


def test_links_and_office_token_written(server, sent):
    links = server.links()
    assert sorted(links) == sorted({w["unit_code"] for w in sent[1]["workbooks"]})
    tokens = [url.rsplit("/", 1)[-1] for url in links.values()]
    assert len(set(tokens)) == len(tokens) and all(len(t) >= 32 for t in tokens)
    assert (server.root / "links.csv").stat().st_mode & 0o077 == 0
    # the token came from XLTARGETS_OFFICE_TOKEN: nothing written
    assert not (server.root / "office-token").exists()


def test_office_token_file_is_made_once_and_private(tmp_path, sent, monkeypatch):
    from xltargets.serve import prepare

    monkeypatch.delenv("XLTARGETS_OFFICE_TOKEN", raising=False)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    first = prepare(tmp_path / "root", db, "http://example.test", sent[0])
    again = prepare(tmp_path / "root", db, "http://example.test", None)
    assert first.office_token_source == "new" and again.office_token_source == "file"
    assert first.office_token == again.office_token and len(first.office_token) >= 40
    token_file = tmp_path / "root" / "office-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert token_file.read_text().strip() == first.office_token
    # links survive a restart unchanged, and name the public address given
    assert first.links == again.links
    assert all(link["url"].startswith("http://example.test/d/") for link in first.links)


def test_upload_answers_the_readers_findings_and_is_stored(server, sent, tmp_path):
    manifest = sent[1]
    links = server.links()
    data = filled_return(manifest, "224001", mistake=True)
    with httpx.Client(timeout=60) as client:
        r = upload(client, server.api(links["224001"]), data, "魏县.xlsx")
    assert r.status_code == 200, r.text
    body = r.json()
    local = tmp_path / "same.xlsx"
    local.write_bytes(data)
    expected = read_workbook(local).to_json()
    assert body["status"] == "rejected" == expected["status"]
    assert body["findings"] == expected["findings"]
    assert "sum_mismatch" in {f["code"] for f in body["findings"]}
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["file"] == "魏县.xlsx"
    stored = server.root / "returns" / body["sha256"][:2] / f"{body['sha256']}.xlsx"
    assert stored.read_bytes() == data
    row = next(u for u in uploads_in_db(f"sqlite:///{server.root / 'xltargets.db'}")
               if u["id"] == body["id"])
    assert row["status"] == "rejected" and row["unit_code"] == "224001"
    assert json.loads(row["submission"])["findings"] == expected["findings"]
    status = _office_status(server)["224001"]
    assert (status["status"], status["state"], status["errors"]) == ("rejected", "with_errors",
                                                                     body["errors"])


def test_a_corrected_upload_replaces_the_current_return(server, sent):
    links = server.links()
    api = server.api(links["224003"])
    with httpx.Client(timeout=60) as client:
        first = upload(client, api, filled_return(sent[1], "224003", mistake=True)).json()
        second = upload(client, api, filled_return(sent[1], "224003")).json()
        page = client.get(links["224003"]).text
    assert first["status"] == "rejected"
    assert second["status"] in ("accepted", "accepted_with_warnings")
    status = _office_status(server)["224003"]
    assert status["status"] == second["status"] and status["state"] == "returned"
    assert status["last_upload"] == second["received"]
    # both kept in the history, the newest marked as the current return
    assert page.count("/returns/") >= 2 and "（当前报送）" in page
    assert first["id"] in page and second["id"] in page


def test_client_file_name_is_never_a_path(server, sent):
    from xltargets.serve._upload import display_name

    url = server.api(server.links()["224002"])
    data = filled_return(sent[1], "224002", mistake=True)
    with httpx.Client(timeout=60) as client:
        body = upload(client, url, data, "../../../outside\\..\\evil.xlsx").json()
    assert body["file"] == "evil.xlsx"
    assert display_name(b"C:\\x\\..\\a\x07b\r\n.xlsx") == "ab.xlsx"
    assert not (server.root.parent / "outside").exists()
    stored = list((server.root / "returns").rglob(f"{body['sha256']}.xlsx"))
    assert [p.read_bytes() for p in stored] == [data]


def test_not_a_workbook_is_refused_by_content(server):
    links = server.links()
    with httpx.Client(timeout=60) as client:
        csv_body = upload(client, server.api(links["224004"]), b"a,b\n1,2\n" * 50,
                          "看起来是表格.xlsx").json()
        png = upload(client, server.api(links["224004"]),
                     b"\x89PNG\r\n\x1a\n" + bytes(200), "截图.xlsx").json()
    assert (csv_body["status"], csv_body["reason"]) == ("unreadable", "csv_disguised")
    assert png["status"] == "unreadable" and png["reason"] == "image_file"
    assert "CSV" in csv_body["message"]
    # an unusable file is history, not a return: the department is still missing
    assert _office_status(server)["224004"]["status"] == "missing"


def test_upload_over_the_limit_is_stopped_while_streaming(server):
    """1 MB limit: a chunked body with no length is cut off after the limit, not at its end."""
    token_path = server.links()["224004"].split("/d/", 1)[1]
    boundary = "xltargetsboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    sent_bytes = 0
    chunk = b"PK\x03\x04" + bytes(64 * 1024 - 4)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall((f"POST /api/d/{token_path}/returns HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n").encode())
        answered = b""
        for i in range(2000):  # up to 125 MB
            piece = head + chunk if i == 0 else chunk
            try:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent_bytes += len(piece)
            if select.select([sock], [], [], 0)[0]:
                answered = sock.recv(65536)
                break
        sock.settimeout(10)
        while b"too_large" not in answered:
            try:
                more = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not more:
                break
            answered += more
    assert answered.startswith(b"HTTP/1.1 413"), answered[:200]
    # what the kernel buffers on loopback is a few MB at most: far from the 125 MB on offer
    assert sent_bytes < 32 * 2**20
    assert "too_large" in answered.decode("utf-8", "replace")
    leftovers = [p for p in (server.root / "incoming").rglob("*") if p.suffix in (".part", ".ready")]
    assert leftovers == []


def test_a_stalled_upload_is_given_up_after_its_deadline(server):
    """--upload-timeout 3: a client that stops sending is answered 408 and leaves nothing."""
    import time

    token_path = server.links()["224004"].split("/d/", 1)[1]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall((f"POST /api/d/{token_path}/returns HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
                      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.xlsx\"\r\n\r\nPK"
                      ).encode())
        sock.settimeout(30)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert 2.5 < time.monotonic() - started < 20
    assert not any(p.suffix in (".part", ".ready") for p in (server.root / "incoming").rglob("*"))


def test_declared_length_over_the_limit_is_refused_before_reading(server):
    url = server.api(server.links()["224004"])
    r = httpx.post(url, files={"file": ("x.xlsx", bytes(2 * 2**20))}, timeout=30)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


def test_access_needs_the_right_token(server, sent):
    links = server.links()
    other = links["224002"].split("/d/", 1)[1]
    mine = links["224001"]
    with httpx.Client(timeout=60) as client:
        theirs = upload(client, server.api(links["224002"]), filled_return(sent[1], "224002")).json()
        # no token, a wrong token, a truncated token: nothing, and the same answer for each
        for url in ("/d/", "/d/x", f"/d/{other[:-1]}", f"/d/{other}x", f"/d/{other[:-1]}/template",
                    f"/d/{other[:-1]}/feedback", f"/d/{other[:-1]}/returns/{theirs['id']}"):
            assert client.get(server.base + url).status_code == 404, url
        assert upload(client, server.base + "/api/d/nope/returns", b"PK").status_code == 404
        # the office API: no bearer, a wrong one, a department's token
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {other}"},
                        {"Authorization": OFFICE_TOKEN}):
            assert client.get(server.base + "/api/office/status", headers=headers).status_code == 401
        # one department cannot fetch another's return by its id
        assert client.get(f"{mine}/returns/{theirs['id']}").status_code == 404
        assert client.get(f"{links['224002']}/returns/{theirs['id']}").status_code == 200
        # nor replace it: another department's workbook is refused for this link
        before = _office_status(server)["224002"]
        wrong = upload(client, server.api(mine), filled_return(sent[1], "224002")).json()
        assert (wrong["status"], wrong["reason"]) == ("unexpected", "other_department")
        assert _office_status(server)["224002"] == before
        page = client.get(mine).text
        office_pages = [client.get(server.base + p) for p in ("/office", "/office/links.csv",
                                                             "/office/outputs/report.html")]
    assert OFFICE_TOKEN not in page and other not in page and theirs["id"] not in page
    assert "中共魏县" in page
    login = office_pages[0]
    assert login.status_code == 200 and 'name="token"' in login.text and "224002" not in login.text
    assert [r.status_code for r in office_pages[1:]] == [303, 303]


def test_office_sign_in_and_csrf(server):
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as client:
        login = client.get("/office").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
        assert client.post("/office/login", data={"csrf": csrf, "token": "wrong"}).status_code == 401
        assert client.post("/office/login", data={"csrf": "forged", "token": OFFICE_TOKEN}
                           ).status_code == 403
        # a form posted from another site is refused even with the right token and field
        assert client.post("/office/login", data={"csrf": csrf, "token": OFFICE_TOKEN},
                           headers={"Origin": "http://evil.example"}).status_code == 403
        ok = client.post("/office/login", data={"csrf": csrf, "token": OFFICE_TOKEN})
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = client.get("/office").text
        assert OFFICE_TOKEN not in page
        for code in server.links():
            assert code in page
        assert client.get("/office/links.csv").status_code == 200
        new_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        assert client.post("/office/collect", data={"csrf": csrf if csrf != new_csrf else "x"}
                           ).status_code == 403


def test_office_regenerates_collect_outputs_and_database_export(server, tmp_path):
    import contextlib
    import sqlite3
    import time

    import openpyxl

    with httpx.Client(base_url=server.base, timeout=60, follow_redirects=False) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/office").text).group(1)
        client.post("/office/login", data={"csrf": csrf, "token": OFFICE_TOKEN})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/office").text).group(1)
        for _ in range(2):  # a second run replaces the first's outputs
            assert client.post("/office/collect", data={"csrf": csrf}).status_code == 303
            deadline = time.monotonic() + 120
            while (job := client.get("/office/job").json())["state"] == "running":
                assert time.monotonic() < deadline, job
                time.sleep(0.3)
            assert job["state"] == "done", job
        status = _office_status(server)
        returned = sorted(c for c, d in status.items() if d["status"] != "missing")
        missing = sorted(c for c, d in status.items() if d["status"] == "missing")
        assert job["total"] == len(returned)
        export = tmp_path / "export.db"
        export.write_bytes(client.get("/office/outputs/xltargets-export.db").content)
        summary = tmp_path / "summary.xlsx"
        summary.write_bytes(client.get("/office/outputs/汇总表.xlsx").content)
        assert client.get("/office/outputs/..%2Fxltargets.db").status_code == 404
        assert client.get("/office/outputs/links.csv").status_code == 404
    with contextlib.closing(sqlite3.connect(export)) as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
        assert not any(t.startswith("web_") for t in tables)  # no link tokens in the export
        kept = sorted(r[0] for r in db.execute("select unit_code from submissions"))
        gone = sorted(r[0] for r in db.execute(
            "select unit_code from departments where status = 'missing'"))
    assert kept == returned and gone == missing
    book = openpyxl.load_workbook(summary, read_only=True)
    assert "未报送" in book.sheetnames
    book.close()


def test_pages_load_nothing_from_elsewhere_and_speak_chinese(server):
    """Offices run on closed networks: no external fonts, scripts, styles or images."""
    with httpx.Client(base_url=server.base, timeout=30) as client:
        pages = [client.get(server.links()["224001"]), client.get("/office"), client.get("/"),
                 client.get("/no/such/page"), client.post("/d/x/template")]
        api = client.get("/api/nothing")
    for page in pages:
        html = page.text
        assert not re.search(r'(src|href|action)="(https?:)?//', html), html[:300]
        assert "@import" not in html and "url(" not in html
        assert '<html lang="zh-CN">' in html
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert [p.status_code for p in pages[3:]] == [404, 405]
    assert api.status_code == 404 and api.json()["message"] == "没有这个页面"


def _download_without_the_sent_file(server: ServerProcess, folder: Path, book: dict,
                                    ) -> httpx.Response:
    original = folder / book["file"]
    kept = original.read_bytes()
    original.unlink()
    try:
        return httpx.get(server.links()[book["unit_code"]] + "/template", timeout=60)
    finally:
        original.write_bytes(kept)


def test_template_drawn_again_when_the_sent_file_is_gone(server, sent, tmp_path):
    manifest_path, manifest = sent
    for unit_code in ("224004", "224002"):  # no project; three projects with prefilled codes
        book = next(w for w in manifest["workbooks"] if w["unit_code"] == unit_code)
        r = _download_without_the_sent_file(server, manifest_path.parent, book)
        assert r.status_code == 200
        # the very workbook that was sent: same id, rows, prefilled and locked values, so a
        # return of it passes collect's prefilled check like a return of the original
        assert hashlib.sha256(r.content).hexdigest() == book["sha256"], unit_code
        path = tmp_path / f"again-{unit_code}.xlsx"
        path.write_bytes(r.content)
        stamp = read_workbook(path).to_json()["source"]["stamp"]
        assert (stamp["template_id"], stamp["unit_code"]) == (book["template_id"], unit_code)


def test_template_with_more_rows_drawn_again_with_them(tmp_path):
    folder = tmp_path / "sent"
    manifest_path = send_out(folder, rows={"indicators": 24})
    manifest = json.loads(manifest_path.read_text("utf-8"))
    book = next(w for w in manifest["workbooks"] if w["unit_code"] == "224002")
    assert book["rows"]["indicators"] == 24
    with ServerProcess(tmp_path / "root", manifest_path) as srv:
        r = _download_without_the_sent_file(srv, folder, book)
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == book["sha256"]


def test_template_not_drawn_unlike_what_was_sent(server, sent):
    """The server's copy of the manifest no longer says what the department was sent: no
    template rather than one whose locked values differ from what collect expects."""
    manifest_path, manifest = sent
    book = next(w for w in manifest["workbooks"] if w["unit_code"] == "224002")
    copy = server.root / "manifest.json"
    kept = copy.read_bytes()
    changed = json.loads(kept)
    entry = next(w for w in changed["workbooks"] if w["unit_code"] == "224002")
    entry["prefilled"] = [dict(p, value="改过的项目名称") if p["field"] == "project_name" else p
                          for p in entry["prefilled"]]
    copy.write_text(json.dumps(changed, ensure_ascii=False), "utf-8")
    for drawn in (server.root / "templates").glob("224002_*.xlsx"):
        drawn.unlink()  # drawn by an earlier test: served as it is, not drawn again
    try:
        r = _download_without_the_sent_file(server, manifest_path.parent, book)
    finally:
        copy.write_bytes(kept)
    assert r.status_code == 503
    assert "无法按下发清单重新生成" in r.text and "224002" in r.text
    assert "Traceback" not in r.text


def test_serve_command_refuses_in_one_chinese_line(tmp_path, server):
    import os
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "xltargets", "serve", *args],
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "200"})

    empty = tmp_path / "empty"
    for args, words in (
            (["--root", str(empty)], "没有下发清单"),
            (["--root", str(empty), "--manifest", str(tmp_path / "none.json")], "下发清单文件不存在"),
            (["--root", str(empty), "--port", str(server.port)], "端口已被占用")):
        done = run(*args)
        assert done.returncode == 2, done
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误：") and words in lines[0], lines
        assert "Traceback" not in done.stderr
    assert not (empty / "office-token").exists()  # a failed first start leaves no token behind
