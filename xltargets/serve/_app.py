"""The ASGI application: department pages, the office pages, the API.

A process holds resources only (a database engine, its reader processes, its incoming folder);
everything a request can learn or change lives in the database and under the root, and the office
session is a signed cookie. Any number of processes can therefore serve one root and database.

Access: a department is its link's token (404 for anything else, so a wrong token and a missing
department look alike); the office is the office token, given once to sign in (a signed session
cookie, HttpOnly, SameSite=Strict, CSRF token on every form) or as a Bearer token to the API.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..collect import KEPT
from ..collect._work import Expected
from ..spec import pinned_spec
from ._config import ServeConfig
from ._intake import Intake, TemplateUnavailable
from ._jobs import OUTPUTS, Jobs
from ._reading import Readers
from ._setup import current_manifest
from ._store import Incoming, recover
from ._tables import (
    current_of,
    current_returns,
    department_by_token,
    departments,
    last_uploads,
    open_engine,
    upload_files,
    uploads_of,
)
from ._upload import UploadRefused
from ._views import (
    OFFICE_STATE_LABELS,
    OFFICE_STATES,
    department_words,
    finding_rows,
    local_time,
    status_label,
    upload_json,
)

log = logging.getLogger("xltargets.serve")
SESSION_COOKIE = "xltargets_office"
SESSION_HOURS = 12
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # department links carry their key in the address: never send it to another site
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
     b"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
     b"base-uri 'none'"),
    (b"cache-control", b"no-store"),
]


def _templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "templates" / "web", here.parent / "templates" / "web"):
        if (candidate / "base.html.j2").is_file():
            return candidate
    raise FileNotFoundError("templates/web not found (broken installation)")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


class Server:
    """One process's resources, made at startup and closed at shutdown."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_templates_dir())), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["local_time"] = local_time
        self.env.filters["status_label"] = status_label
        self.engine: Engine | None = None
        self.intake: Intake | None = None
        self.jobs: Jobs | None = None
        self.year = 0
        self.spec_id = ""
        self.title = "预算绩效目标报送"
        #: the round's spec pinned while the server runs (see startup)
        self._round_spec = contextlib.ExitStack()

    # -- lifecycle ------------------------------------------------------------------------------

    async def startup(self) -> None:
        config = self.config
        self.engine = engine = open_engine(config.database)
        sent = current_manifest(config.root)
        expected = None
        if sent is not None:
            self.spec_id, self.year = sent.spec_id, sent.year
            self.title = f"{sent.year}年预算绩效目标报送"
            expected = Expected(sent.spec_id, sent.year, frozenset(sent.template_ids()))
            # uploads are read, templates drawn again and pages labelled with the spec the
            # round's templates were generated from (the manifest keeps it), not the spec's
            # file as it is now
            self._round_spec.enter_context(pinned_spec(sent.spec))

        def _recover() -> dict[str, int]:
            with engine.connect() as conn:
                known = upload_files(conn)
            return recover(config.root, known)

        counts = await run_in_threadpool(_recover)
        if counts["moved"] or counts["deleted"]:
            log.warning("recovered interrupted uploads: %s", counts)
        readers = Readers(config.jobs, config.limits, expected,
                          sent.spec if sent is not None else None)
        readers.start()
        self.intake = Intake(config, engine, Incoming(config.root), readers)
        self.jobs = Jobs(config, engine)

    async def shutdown(self) -> None:
        if self.intake is not None:
            self.intake.readers.stop()
            self.intake.incoming.close()
        if self.engine is not None:
            self.engine.dispose()
        self._round_spec.close()

    # -- helpers --------------------------------------------------------------------------------

    def page(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", self.title)
        return HTMLResponse(self.env.get_template(name).render(**context), status_code=status)

    def not_found(self) -> HTMLResponse:
        return self.page("message.html.j2", 404, heading="链接无效",
                         text="这个链接无效或已过期。请使用财政部门发给本单位的专属链接。")

    async def db(self, func: Callable[..., Any], *args: Any) -> Any:
        assert self.engine is not None
        engine = self.engine

        def run() -> Any:
            with engine.begin() as conn:
                return func(conn, *args)

        return await run_in_threadpool(run)

    async def department(self, request: Request) -> dict[str, Any] | None:
        dept = await self.db(department_by_token, request.path_params["token"])
        if dept is None or (self.spec_id and (dept["spec_id"], dept["year"]) != (self.spec_id, self.year)):
            return None
        return dept

    def office_signed_in(self, request: Request) -> bool:
        return bool(request.session.get("office"))

    def office_bearer(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return False
        return hmac.compare_digest(given.strip().encode(), self.config.office_token.encode())

    @staticmethod
    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = request.session["csrf"] = secrets.token_urlsafe(24)
        return str(token)

    @staticmethod
    def same_origin(request: Request) -> bool:
        """Refuse a form posted from another site. Browsers say where a request comes from
        (``Sec-Fetch-Site``, else ``Origin``); a script sends neither and is judged by its token
        alone (a department's link, or the office form's CSRF token)."""
        site = request.headers.get("sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        origin = request.headers.get("origin")
        if origin is None:
            return True
        return origin.split("://", 1)[-1] == request.headers.get("host", "")

    async def csrf_ok(self, request: Request, fields: dict[str, str]) -> bool:
        expected = request.session.get("csrf", "")
        given = fields.get("csrf", "")
        return (self.same_origin(request) and bool(expected)
                and hmac.compare_digest(str(expected).encode(), given.encode()))

    # -- department -----------------------------------------------------------------------------

    async def department_page(self, request: Request, *, error: str = "",
                              status: int = 200) -> Response:
        dept = await self.department(request)
        if dept is None:
            return self.not_found()
        history = await self.db(uploads_of, dept)
        current = await self.db(current_of, dept)
        latest = history[0] if history else None
        # the findings of the newest upload when it was read as a return, else of the current one
        shown = latest if latest is not None and latest["status"] in KEPT else current
        return self.page(
            "department.html.j2", status, dept=dept, token=request.path_params["token"],
            words=department_words(current, latest), current=current, latest=latest,
            shown=shown, findings=finding_rows(shown), history=history, error=error,
            max_mb=self.config.max_upload_bytes // 2**20,
            state=OFFICE_STATES.get(current["status"], "missing") if current else "missing")

    async def department_get(self, request: Request) -> Response:
        return await self.department_page(request)

    async def department_upload(self, request: Request) -> Response:
        dept = await self.department(request)
        if dept is None:
            return self.not_found()
        if not self.same_origin(request):
            return PlainTextResponse("跨站提交已拒绝", status_code=403)
        assert self.intake is not None
        try:
            await self.intake.accept(request, dept)
        except UploadRefused as refused:
            return await self.department_page(request, error=refused.message,
                                              status=refused.status)
        return RedirectResponse(f"/d/{request.path_params['token']}#result", status_code=303)

    async def department_template(self, request: Request) -> Response:
        dept = await self.department(request)
        if dept is None:
            return self.not_found()
        assert self.intake is not None
        try:
            path = await self.intake.template(dept)
        except TemplateUnavailable as gone:
            return self.page("message.html.j2", 503, heading="模板暂时无法下载", text=str(gone))
        return FileResponse(path, filename=f"{dept['unit_code']}_{dept['unit_name']}_{dept['year']}年绩效目标表.xlsx",
                            media_type=XLSX)

    async def department_feedback(self, request: Request) -> Response:
        dept = await self.department(request)
        if dept is None:
            return self.not_found()
        upload = await self.db(current_of, dept)
        if upload is None or not (upload["errors"] or upload["warnings"]):
            return self.page("message.html.j2", 404, heading="没有修改意见",
                             text="当前报送没有需要修改的问题（或尚未报送）。")
        assert self.intake is not None
        path = await self.intake.feedback(upload)
        if path is None:
            return self.page("message.html.j2", 500, heading="暂时无法生成",
                             text="修改意见副本暂时无法生成，请稍后再试。")
        return FileResponse(path, media_type=XLSX,
                            filename=f"{dept['unit_code']}_{dept['unit_name']}_退回修改意见.xlsx")

    async def department_return(self, request: Request) -> Response:
        dept = await self.department(request)
        if dept is None:
            return self.not_found()
        history = await self.db(uploads_of, dept)
        upload = next((u for u in history if u["id"] == request.path_params["upload"]), None)
        if upload is None:
            return self.not_found()
        return self.stored(upload)

    def stored(self, upload: dict[str, Any]) -> Response:
        return FileResponse(self.config.root / upload["file"], media_type=XLSX,
                            filename=upload["client_name"] or f"{upload['sha256']}.xlsx")

    # -- API ------------------------------------------------------------------------------------

    async def api_upload(self, request: Request) -> Response:
        dept = await self.department(request)
        if dept is None:
            return JSONResponse({"error": "not_found", "message": "链接无效"}, status_code=404)
        assert self.intake is not None
        try:
            upload = await self.intake.accept(request, dept)
        except UploadRefused as refused:
            return JSONResponse({"error": refused.code, "message": refused.message},
                                status_code=refused.status)
        return JSONResponse(upload_json(upload, dept["unit_name"]))

    async def api_status(self, request: Request) -> Response:
        if not self.office_bearer(request):
            return JSONResponse({"error": "unauthorized", "message": "需要办公室口令"},
                                status_code=401, headers={"www-authenticate": "Bearer"})
        rows = await self.db(self.status_rows, False)
        return JSONResponse({"spec_id": self.spec_id, "year": self.year,
                             "counts": _counts(rows),
                             "departments": [{k: r[k] for k in (
                                 "unit_code", "unit_name", "status", "state", "errors",
                                 "warnings", "last_upload")} for r in rows]})

    def status_rows(self, conn: Any, submissions: bool = True) -> list[dict[str, Any]]:
        current = current_returns(conn, submissions=submissions)
        last = last_uploads(conn)
        rows = []
        for d in departments(conn):
            if (d["spec_id"], d["year"]) != (self.spec_id, self.year):
                continue
            key = (d["spec_id"], d["year"], d["unit_code"])
            ret = current.get(key)
            status = ret["status"] if ret else "missing"
            rows.append({
                "unit_code": d["unit_code"], "unit_name": d["unit_name"], "status": status,
                "label": status_label(status), "state": OFFICE_STATES[status],
                "state_label": OFFICE_STATE_LABELS[OFFICE_STATES[status]],
                "errors": ret["errors"] if ret else 0, "warnings": ret["warnings"] if ret else 0,
                "last_upload": last.get(key), "upload": ret, "token": d["token"],
            })
        return rows

    # -- office ---------------------------------------------------------------------------------

    async def office(self, request: Request) -> Response:
        if not self.office_signed_in(request):
            return self.page("office_login.html.j2", csrf=self.csrf_token(request), error="")
        rows = await self.db(self.status_rows)
        assert self.jobs is not None
        job = await self.db(self.jobs.latest)
        view = office_view(rows, request.query_params)
        base = str(request.base_url).rstrip("/")
        for r in view.rows:  # findings and links only for the rows shown
            r["findings"] = finding_rows(r["upload"])
            r["url"] = f"{base}/d/{r['token']}"
        return self.page("office.html.j2", rows=view.rows, view=view, filters=OFFICE_FILTERS,
                         counts=_counts(rows),
                         csrf=self.csrf_token(request), job=job,
                         outputs=self.jobs.available(), running=bool(job and job["state"] == "running"))

    async def office_login(self, request: Request) -> Response:
        fields = dict(await request.form(max_files=0, max_fields=4, max_part_size=4096))
        if not await self.csrf_ok(request, {k: str(v) for k, v in fields.items()}):
            return self.page("office_login.html.j2", 403, csrf=self.csrf_token(request),
                             error="页面已过期，请重新输入口令登录。")
        given = str(fields.get("token", "")).strip()
        if not hmac.compare_digest(given.encode(), self.config.office_token.encode()):
            return self.page("office_login.html.j2", 401, csrf=self.csrf_token(request),
                             error="口令不正确。")
        request.session.clear()
        request.session["office"] = True
        request.session["csrf"] = secrets.token_urlsafe(24)  # a new session, a new token
        return RedirectResponse("/office", status_code=303)

    async def office_logout(self, request: Request) -> Response:
        fields = dict(await request.form(max_files=0, max_fields=4, max_part_size=4096))
        if await self.csrf_ok(request, {k: str(v) for k, v in fields.items()}):
            request.session.clear()
        return RedirectResponse("/office", status_code=303)

    async def office_collect(self, request: Request) -> Response:
        if not self.office_signed_in(request):
            return RedirectResponse("/office", status_code=303)
        fields = dict(await request.form(max_files=0, max_fields=4, max_part_size=4096))
        if not await self.csrf_ok(request, {k: str(v) for k, v in fields.items()}):
            return PlainTextResponse("跨站提交已拒绝", status_code=403)
        assert self.jobs is not None
        await self.jobs.start()
        return RedirectResponse("/office#outputs", status_code=303)

    async def office_job(self, request: Request) -> Response:
        if not self.office_signed_in(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        assert self.jobs is not None
        job = await self.db(self.jobs.latest)
        return JSONResponse(job or {})

    async def office_output(self, request: Request) -> Response:
        if not self.office_signed_in(request):
            return RedirectResponse("/office", status_code=303)
        name = request.path_params["name"]
        assert self.jobs is not None
        path = self.jobs.output(name)
        if path is None:
            return self.page("message.html.j2", 404, heading="没有这个文件", text="请先生成汇总。")
        media, inline, _ = OUTPUTS[name]
        return FileResponse(path, media_type=media, filename=None if inline else name,
                            content_disposition_type="inline" if inline else "attachment")

    async def office_links(self, request: Request) -> Response:
        if not self.office_signed_in(request):
            return RedirectResponse("/office", status_code=303)
        return FileResponse(self.config.root / "links.csv", media_type="text/csv; charset=utf-8",
                            filename="links.csv")

    async def office_return(self, request: Request) -> Response:
        if not self.office_signed_in(request):
            return RedirectResponse("/office", status_code=303)
        wanted = request.path_params["upload"]
        rows = await self.db(self.status_rows, False)
        upload = next((r["upload"] for r in rows if r["upload"] and r["upload"]["id"] == wanted),
                      None)
        if upload is None:
            return self.page("message.html.j2", 404, heading="没有这个文件", text="")
        return self.stored(upload)

    async def home(self, request: Request) -> Response:
        return self.page("message.html.j2", 200, heading=self.title,
                         text="各单位请使用财政部门发来的专属链接报送。", office_link=True)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: departments listed on one office page: a county has a few hundred, a city a few thousand
OFFICE_PAGE_ROWS = 100
#: the office's filters: query value -> label (the rows' ``state``, or every row)
OFFICE_FILTERS = {"all": "全部", "with_errors": "有错误待修改", "missing": "未报送", "returned": "已报送"}


@dataclass(frozen=True)
class OfficeView:
    """Which departments the office page shows: a state, a search text and a page of the rest."""

    state: str
    search: str
    page: int
    pages: int
    matched: int
    rows: list[dict[str, Any]]

    @property
    def here(self) -> str:
        return self.link(state=self.state, q=self.search, page=self.page)

    def link(self, **changed: Any) -> str:
        """The address of this view with some of state/search/page changed (page 1 unless given)."""
        params = {"state": self.state, "q": self.search, "page": 1} | changed
        query = {k: v for k, v in params.items() if v not in ("", "all", 1)}
        return "/office" + (f"?{urlencode(query)}" if query else "")


def office_view(rows: list[dict[str, Any]], query: Mapping[str, str]) -> OfficeView:
    """Filter by state and by a text in the unit code or name, then cut one page; anything odd
    in the address (an unknown state, page 0 or "x") falls back to the first page of all."""
    state = query.get("state", "all")
    state = state if state in OFFICE_FILTERS else "all"
    search = " ".join(query.get("q", "").split())[:40]
    chosen = [r for r in rows
              if (state == "all" or r["state"] == state)
              and (not search or search in r["unit_code"] or search in r["unit_name"])]
    pages = max(1, -(-len(chosen) // OFFICE_PAGE_ROWS))
    text = query.get("page", "1")
    page = min(int(text), pages) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1
    start = (page - 1) * OFFICE_PAGE_ROWS
    return OfficeView(state, search, page, pages, len(chosen), chosen[start:start + OFFICE_PAGE_ROWS])


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"total": len(rows), "returned": 0, "with_errors": 0, "missing": 0}
    for r in rows:
        counts[r["state"]] += 1
    return counts


def create_app(config: ServeConfig) -> Starlette:
    """The ASGI app for one server process (see :class:`ServeConfig`)."""
    server = Server(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await server.startup()
        try:
            yield
        finally:
            await server.shutdown()

    # the session's signing key follows the office token: a new token signs every office out
    secret = hashlib.sha256(b"xltargets-session\0" + config.office_token.encode()).hexdigest()
    s = server
    handler = Callable[[Request], Awaitable[Response]]
    routes: list[tuple[str, handler, list[str]]] = [
        ("/", s.home, ["GET"]),
        ("/d/{token}", s.department_get, ["GET"]),
        ("/d/{token}/upload", s.department_upload, ["POST"]),
        ("/d/{token}/template", s.department_template, ["GET"]),
        ("/d/{token}/feedback", s.department_feedback, ["GET"]),
        ("/d/{token}/returns/{upload}", s.department_return, ["GET"]),
        ("/api/d/{token}/returns", s.api_upload, ["POST"]),
        ("/api/office/status", s.api_status, ["GET"]),
        ("/office", s.office, ["GET"]),
        ("/office/login", s.office_login, ["POST"]),
        ("/office/logout", s.office_logout, ["POST"]),
        ("/office/collect", s.office_collect, ["POST"]),
        ("/office/job", s.office_job, ["GET"]),
        ("/office/outputs/{name}", s.office_output, ["GET"]),
        ("/office/links.csv", s.office_links, ["GET"]),
        ("/office/returns/{upload}", s.office_return, ["GET"]),
    ]
    async def server_error(request: Request, exc: Exception) -> Response:
        # the traceback goes to the log; the user gets one Chinese line
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "internal_error", "message": "服务器内部错误，请稍后重试"},
                                status_code=500)
        return server.page("message.html.j2", 500, heading="服务器内部错误",
                           text="处理请求时出错，请稍后重试；如多次出现，请联系财政部门。")

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own answers (no such address, wrong method) in Chinese too
        code = getattr(exc, "status_code", 500)
        text = {404: "没有这个页面", 405: "不支持这种请求方式"}.get(code, "请求无法处理")
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "not_found" if code == 404 else "bad_request",
                                 "message": text}, status_code=code)
        if code == 404:
            return server.not_found()
        return server.page("message.html.j2", code, heading=text, text="")

    app = Starlette(
        exception_handlers={Exception: server_error, HTTPException: http_error},
        routes=[Route(path, fn, methods=methods) for path, fn, methods in routes],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="strict",
                       https_only=config.secure_cookies),
        ],
        lifespan=lifespan,
    )
    app.state.server = server
    return app


def app_from_env() -> Starlette:
    """uvicorn's factory in each worker process (``--workers N``)."""
    return create_app(ServeConfig.from_env())


__all__ = ["app_from_env", "create_app"]
