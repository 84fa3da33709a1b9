"""Before the first request: the office token, the departments' links, the manifest.

Run once by ``xltargets serve`` (the parent, before any server process starts) and safe to run
again: a department that already has a link keeps it, the office token file is made once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from .._atomic import open_atomic
from ..collect._manifest import Manifest, load_manifest
from ..collect._outputs import write_csv
from ..errors import CollectError
from ._config import OFFICE_TOKEN_ENV
from ._tables import departments, open_engine, token_digest, upsert_departments

OFFICE_TOKEN_FILE = "office-token"
MANIFEST_COPY = "manifest.json"
LINKS = "links.csv"


@dataclass(frozen=True)
class Prepared:
    office_token: str
    #: where the token came from: "env", "file" (kept from an earlier start) or "new"
    office_token_source: str
    links: list[dict[str, str]]
    links_file: Path
    manifest: Path


def office_token(root: Path) -> tuple[str, str]:
    """From the environment, else ROOT/office-token, else a new one written there (mode 600)."""
    env = os.environ.get(OFFICE_TOKEN_ENV, "").strip()
    if env:
        return env, "env"
    path = root / OFFICE_TOKEN_FILE
    with contextlib.suppress(FileNotFoundError):
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text, "file"
    token = secrets.token_urlsafe(32)
    tmp = root / f".{OFFICE_TOKEN_FILE}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # fails if another start made one first: then use that one
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip(), "file"
    finally:
        tmp.unlink(missing_ok=True)
    return token, "new"


def manifest_path(root: Path) -> Path:
    return root / MANIFEST_COPY


def current_manifest(root: Path) -> Manifest | None:
    path = manifest_path(root)
    return load_manifest(path) if path.is_file() else None


def prepare(root: Path, db_url: str, base_url: str, manifest: Path | None) -> Prepared:
    """Make ROOT ready to serve; raises :class:`CollectError` with a Chinese message."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CollectError(f"{root}: 无法建立数据目录（{exc}）") from None
    if manifest is not None:
        sent = load_manifest(manifest)  # validates before anything is copied
        if manifest.resolve() != manifest_path(root).resolve():
            with open_atomic(manifest_path(root), "wb") as fh, manifest.open("rb") as src:
                shutil.copyfileobj(src, fh)
    else:
        found = current_manifest(root)
        if found is None:
            raise CollectError(f"{root}: 没有下发清单：请用 --manifest 指定 generate --roster 生成的 "
                               "manifest.json（第一次启动时需要）")
        sent = found
    token, source = office_token(root)  # after the manifest: a failed first start leaves none
    engine = open_engine(db_url)
    try:
        with engine.begin() as conn:
            rows = []
            # the templates lie beside the manifest they were listed in (a restart without
            # --manifest keeps the paths recorded the first time)
            folder = manifest.resolve().parent if manifest is not None else None
            for position, (unit_code, sent_books) in enumerate(sent.departments().items()):
                if folder is None:
                    break
                first = sent_books[0]
                new_token = secrets.token_urlsafe(24)
                rows.append({
                    "spec_id": sent.spec_id, "year": sent.year, "unit_code": unit_code,
                    "unit_name": first.unit_name, "token": new_token,
                    "token_sha256": token_digest(new_token),
                    "template_file": str(folder / first.file), "template_id": first.template_id,
                    "projects": first.projects, "position": position,
                })
            upsert_departments(conn, rows)
            known = [d for d in departments(conn)
                     if d["spec_id"] == sent.spec_id and d["year"] == sent.year]
    finally:
        engine.dispose()
    links = [{"unit_code": d["unit_code"], "unit_name": d["unit_name"],
              "url": f"{base_url.rstrip('/')}/d/{d['token']}"} for d in known]
    links_file = root / LINKS
    write_csv(links_file, ["unit_code", "unit_name", "url"],
              ([link["unit_code"], link["unit_name"], link["url"]] for link in links))
    os.chmod(links_file, 0o600)  # every line is a department's key
    return Prepared(token, source, links, links_file, manifest_path(root))
